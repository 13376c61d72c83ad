"""card: Parquet files and one CONTROL.json for all of them (extract-spec section 4).

Columns are typed by the source, so a card record cannot carry an unparseable
date or number; a column of an unexpected physical type is still judged value
by value (records.py), so one odd value costs one record, not the file.
"""

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .feeds import FeedSpec
from .records import FileRejected, RawFeed

CONTROL = "CONTROL.json"


def read_control(path: Path) -> dict[str, tuple[int, Decimal]]:
    """CONTROL.json: {file: {"records": n, "amount_sum": "s"}} -> {file: (n, s)}."""
    try:
        entries = json.loads(Path(path).read_text("utf-8"))
        return {name: (int(entry["records"]), Decimal(str(entry["amount_sum"])))
                for name, entry in entries.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, InvalidOperation) as exc:
        raise FileRejected("CONTROL_MISMATCH", f"{CONTROL} cannot be read ({exc!r}): "
                                               "no card file can be reconciled") from None


def _row_text(table: pa.Table) -> Callable[[int], str]:
    """A row as JSON, made only for the few records that are quarantined."""
    def raw(row: int) -> str:
        record = table.slice(row, 1).to_pylist()[0]
        return json.dumps(record, ensure_ascii=False, default=str)
    return raw


def read_card(path: Path, spec: FeedSpec, control: dict[str, tuple[int, Decimal]]) -> RawFeed:
    if spec.file not in control:
        raise FileRejected("CONTROL_MISMATCH", f"{CONTROL} has no entry for {spec.file}: it cannot be "
                                               "reconciled")
    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - whatever pyarrow raises, the file is unreadable
        raise FileRejected("UNREADABLE", f"{spec.file} is not a readable Parquet file: {exc}") from None
    missing = [c for c in spec.column_names if c not in table.column_names]
    if missing:
        raise FileRejected("MISSING_COLUMN", f"{spec.file} lacks required column(s) {', '.join(missing)}")
    drift = []
    extra = [c for c in table.column_names if c not in spec.column_names]
    if extra:
        drift.append(("EXTRA_COLUMN", f"{spec.file} carries column(s) {', '.join(extra)} that the "
                                      "interface does not define: tolerated, recorded, not loaded"))
    columns = {name: table[name].combine_chunks() for name in spec.column_names}
    count, amount_sum = control[spec.file]
    return RawFeed(spec, spec.file, columns, np.arange(1, table.num_rows + 1, dtype=np.int64),
                   _row_text(table), count, amount_sum, where="row", drift=drift)
