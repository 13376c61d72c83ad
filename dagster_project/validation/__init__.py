"""Great-expectations validation of what bank360 loads and builds, partition by partition."""

from .frames import source_frame, source_parameters
from .gx_suites import Outcome, build_data_docs, columns_of, load_suite, suite_names, validate
from .history import record, write_anchor
from .model_batches import connect, read_batch
from .workers import submit_source, validate_models

__all__ = ["Outcome", "build_data_docs", "columns_of", "connect", "load_suite", "read_batch", "record",
           "source_frame", "source_parameters", "submit_source", "suite_names", "validate",
           "validate_models", "write_anchor"]
