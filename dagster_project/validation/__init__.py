"""Great-expectations validation of what bank360 loads, partition by partition."""

from .gx_suites import Outcome, build_data_docs, load_suite, validate
from .history import record, write_anchor
from .source_frames import source_frame, source_parameters

__all__ = ["Outcome", "build_data_docs", "load_suite", "record", "source_frame", "source_parameters", "validate",
           "write_anchor"]
