"""A loaded feed's records as the batch its suite validates (expectations/README.md).

Conventions the suites are written against: amounts and rates as float64
(great-expectations' pandas metrics do not sum Python decimals), dates and
timestamps as ISO strings (bounds are ISO strings too), and for every identity
column with a check character a derived `<column>__check_ok`.
"""

from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..ingest import FeedSpec
from ..ingest.load import FeedResult
from ..ingest.records import id_checks

HALF_CENT = Decimal("0.005")


def source_frame(spec: FeedSpec, table: pa.Table) -> pd.DataFrame:
    columns = {}
    for name in table.column_names:
        column = table[name]
        if pa.types.is_decimal(column.type):
            columns[name] = pd.Series(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False))
        elif pa.types.is_date(column.type):
            columns[name] = pd.Series(pc.cast(column, pa.string()).to_pylist(), dtype=object)
        elif pa.types.is_timestamp(column.type):
            columns[name] = pd.Series(pc.strftime(column, "%Y-%m-%d %H:%M:%S").to_pylist(), dtype=object)
        else:
            columns[name] = pd.Series(column.to_pylist(), dtype=object if not pa.types.is_integer(column.type)
                                      else "Int64")
    frame = pd.DataFrame(columns)
    for id_column, type_column in spec.id_checks:
        types = table[type_column].to_pylist() if type_column else None
        frame[f"{id_column}__check_ok"] = pd.Series(id_checks(table[id_column].to_pylist(), types), dtype=object)
    return frame


def source_parameters(spec: FeedSpec, feed: FeedResult) -> dict:
    """The suite parameters of one loaded file (expectations/README.md)."""
    parameters = {"records_loaded": feed.loaded, "business_date": feed.business_date.isoformat()}
    if spec.control and feed.quarantined == 0 and feed.control_sum is not None:
        parameters["loaded_control_sum_low"] = float(feed.control_sum - HALF_CENT)
        parameters["loaded_control_sum_high"] = float(feed.control_sum + HALF_CENT)
    return parameters

