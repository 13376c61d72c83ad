"""Ingestion core: every complete delivery of every source system is loaded, typed and reconciled,
and nothing a source sends can vanish silently (extract-spec.md, the interface contract).

Pure Python and pyarrow: the Dagster assets and the DuckDB audit tables build on it.
"""

from .feeds import FEEDS, SYSTEMS, FeedSpec, feeds_of, file_name
from .load import DeliveryResult, FeedResult, files_table, load_delivery, quarantine_table
from .manifest import DeliveryFolder, find_deliveries, pending_folders, read_manifest, verify_file
from .staging import staging_path, write_table_atomic

__all__ = [
    "FEEDS", "SYSTEMS", "DeliveryFolder", "DeliveryResult", "FeedResult", "FeedSpec", "feeds_of",
    "file_name", "files_table", "find_deliveries", "load_delivery", "pending_folders",
    "quarantine_table", "read_manifest", "staging_path", "verify_file", "write_table_atomic",
]
