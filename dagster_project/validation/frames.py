"""Records as the batch a suite validates (expectations/README.md).

Conventions the suites are written against: amounts and rates as float64
(great-expectations' pandas metrics do not sum Python decimals), text as pandas'
Arrow-backed strings, dates and timestamps as ISO strings (bounds are ISO strings
too), and for every identity column with a check character a derived
`<column>__check_ok`.
"""

from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..ingest import FeedSpec
from ..ingest.load import FeedResult
from ..ingest.records import id_checks

HALF_CENT = Decimal("0.005")
# The staging layer names the kind of an identity number; the check rules speak the sources' id_type codes.
ID_TYPE_OF_KIND = {"resident": "01", "uscc": "10", "passport": "03"}


def batch_frame(table: pa.Table, checked_ids: list[tuple[str, str | None]] = (),
                wanted: set[str] | None = None) -> pd.DataFrame:
    """A pandas batch of an Arrow table, with only the `wanted` columns (all when None);
    checked_ids: (id column, its id_type or id_kind column, or None) -> `<id column>__check_ok`."""
    columns = {}
    for name in table.column_names if wanted is None else [n for n in table.column_names if n in wanted]:
        column = table[name]
        if pa.types.is_decimal(column.type):
            columns[name] = pd.Series(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False))
        elif pa.types.is_date(column.type) or pa.types.is_timestamp(column.type):
            # Arrow's cast writes ISO 8601 (with the unit's fractional seconds); its strftime is 30x slower.
            columns[name] = pd.Series(pd.array(pc.cast(column, pa.string()), dtype="str"))
        elif pa.types.is_integer(column.type):
            columns[name] = pd.Series(pd.array(column.to_numpy(zero_copy_only=False), dtype="Int64"))
        elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            # pandas' Arrow-backed strings: null checks, regular expressions and hashing run in C.
            columns[name] = pd.Series(pd.array(column, dtype="str"))
        elif pa.types.is_boolean(column.type):
            columns[name] = pd.Series(pd.array(column.to_numpy(zero_copy_only=False), dtype="boolean"))
        else:
            columns[name] = pd.Series(column.to_numpy(zero_copy_only=False), dtype=object)
    frame = pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))
    for id_column, type_column in checked_ids:
        if wanted is not None and f"{id_column}__check_ok" not in wanted:
            continue
        types = _id_types(table[type_column]) if type_column else None
        frame[f"{id_column}__check_ok"] = pd.Series(id_checks(table[id_column], types).to_pandas(
            types_mapper={pa.bool_(): pd.BooleanDtype()}.get), dtype="boolean")
    return frame


def _id_types(column: pa.ChunkedArray) -> pa.Array:
    """The sources' id_type codes of an id_type column, or of a staging id_kind column."""
    kinds = pa.array(list(ID_TYPE_OF_KIND), pa.string())
    position = pc.index_in(column, value_set=kinds)
    return pc.if_else(pc.is_null(position), column, pc.take(pa.array(list(ID_TYPE_OF_KIND.values())), position))


def read_columns(suite_columns: set[str], checked_ids) -> set[str]:
    """The columns a batch reads: those its suite names, and those its check characters are computed from."""
    return suite_columns | {column for pair in checked_ids for column in pair if column}


def source_frame(spec: FeedSpec, table: pa.Table, wanted: set[str] | None = None) -> pd.DataFrame:
    return batch_frame(table, spec.id_checks, wanted)


def source_parameters(spec: FeedSpec, feed: FeedResult) -> dict:
    """The suite parameters of one loaded file (expectations/README.md)."""
    parameters = {"records_loaded": feed.loaded, "business_date": feed.business_date.isoformat()}
    if spec.control and feed.quarantined == 0 and feed.control_sum is not None:
        parameters["loaded_control_sum_low"] = float(feed.control_sum - HALF_CENT)
        parameters["loaded_control_sum_high"] = float(feed.control_sum + HALF_CENT)
    return parameters
