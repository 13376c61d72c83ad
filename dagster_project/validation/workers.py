"""Validation in worker processes, several batches at once.

great-expectations evaluates a batch in single-threaded Python, and takes seconds to import.
A pool of worker processes (BANK360_VALIDATION_WORKERS, by default one per core) validates
the feeds of a delivery, or the models of a layer, side by side. The workers are forked from
a server process that imported great-expectations once; `start` launches it at the start of
a run, so that the import overlaps the first delivery's parsing instead of adding to it.

Workers are given everything they use (suite, warehouse, where the batch is): the server's
environment is the one it started with. Each worker reads its batch itself, with only the
columns its suite names: a source feed from the delivery's staged Parquet (not yet committed,
so no reader sees it), a model from a read-only DuckDB connection closed after the batch,
since an open reader would block the next build's writer.
"""

import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import pyarrow.parquet as pq

from .. import settings
from ..ingest import FeedSpec
from .frames import read_columns, source_frame
from .gx_suites import Outcome, columns_of, load_suite, validate
from .model_batches import connect, read_batch

_lock = threading.Lock()
_workers: ProcessPoolExecutor | None = None


def _pool() -> ProcessPoolExecutor:
    global _workers
    with _lock:
        if _workers is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__, "great_expectations"])  # the package's warning filters first
            _workers = ProcessPoolExecutor(settings.validation_workers(), mp_context=context)
        return _workers


def start() -> None:
    """Launch the workers in the background (the first fork waits for the server's imports)."""
    if settings.validation_enabled():
        threading.Thread(target=lambda: [_pool().submit(int) for _ in range(settings.validation_workers())],
                         name="validation_workers", daemon=True).start()


def submit_source(spec: FeedSpec, suite: dict, path: Path, parameters: dict, *, partition: str, run_id: str,
                  warehouse: Path) -> Future:
    """Start validating a feed's loaded records (its staged Parquet file): a future of its outcome."""
    return _pool().submit(_validate_source, spec, suite, Path(path), parameters, partition, run_id, Path(warehouse))


def validate_models(duckdb_path: Path, layer: str, models: list[str], *, run_id: str,
                    warehouse: Path) -> list[Outcome | None]:
    """Each model's suite on the rows its batch names (None: nothing new to validate), in order."""
    futures = [_pool().submit(_validate_model, Path(duckdb_path), layer, model, load_suite(layer, model), run_id,
                              Path(warehouse)) for model in models]
    return [future.result() for future in futures]


def _validate_source(spec: FeedSpec, suite: dict, path: Path, parameters: dict, partition: str, run_id: str,
                     warehouse: Path) -> Outcome:
    wanted = columns_of(suite)
    needed = read_columns(wanted, spec.id_checks)
    table = pq.read_table(path, columns=[c for c in pq.read_schema(path).names if c in needed])
    frame = source_frame(spec, table, wanted)
    return validate(suite, frame, parameters, partition=partition, run_id=run_id, warehouse=warehouse)


def _validate_model(duckdb_path: Path, layer: str, model: str, suite: dict, run_id: str,
                    warehouse: Path) -> Outcome | None:
    with connect(duckdb_path) as con:
        frame, parameters, partition = read_batch(con, f"{layer}.{model}", suite)
    if not partition:
        return None
    return validate(suite, frame, parameters, partition=partition, run_id=run_id, warehouse=warehouse)
