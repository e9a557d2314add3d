"""Entry points shared by `octopack sql` and `octopack tables`: open datasets, pick an engine, run, write."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator, Optional, Sequence

from octopack_spark.config import PipelineConfig
from octopack_spark.sql.catalog import Catalog, discover
from octopack_spark.sql.errors import QueryError
from octopack_spark.sql.interrupt import stoppable
from octopack_spark.sql.output import write_result
from octopack_spark.storage.fs import Storage

log = logging.getLogger(__name__)

ENGINES = ("duckdb", "spark")


def open_catalog(data: Sequence[str], storage: Storage) -> Catalog:
    if not data:
        raise QueryError("--data is required: a dataset root (local folder or s3://bucket/prefix) or a folder "
                         "holding several")
    return discover(data, storage)


@contextmanager
def open_engine(name: str, catalog: Catalog, storage: Storage, cfg: Optional[PipelineConfig] = None,
                spark=None) -> Iterator:
    """An engine over `catalog`. For Spark, `spark` reuses a session (tests); otherwise one is started
    from the config and stopped afterwards."""
    if name == "duckdb":
        from octopack_spark.sql.duckdb_engine import DuckDBEngine

        engine = DuckDBEngine(catalog, storage)
        try:
            yield engine
        finally:
            engine.close()
        return
    if name != "spark":
        raise QueryError(f"unknown engine {name!r} (choose from {', '.join(ENGINES)})")
    from octopack_spark.sql.spark_engine import SparkEngine

    own = spark is None
    if own:
        from pyspark import SparkContext

        from octopack_spark.spark.session import get_spark

        # get_spark returns a session that is already running in this process (a notebook's, a test's):
        # only a session this call started is stopped at the end.
        own = SparkContext._active_spark_context is None

        cfg = cfg or PipelineConfig()
        # A query has no progress line of its own: Spark's console bar ("[Stage 1:> (0 + 2) / 4]", stderr,
        # cleared when the stage ends) on a terminal only, never into logs. The user's setting wins.
        console = "true" if _stderr_is_terminal() else "false"
        spark_cfg = cfg.spark.model_copy(update={
            "app_name": "octopack-sql",
            "conf": {"spark.ui.showConsoleProgress": console, **cfg.spark.conf},
        })
        spark = get_spark(spark_cfg, cfg.storage, uris=[d.root for d in catalog.datasets])
    engine = SparkEngine(catalog, spark, storage)
    try:
        yield engine
    finally:
        engine.close()
        if own:
            spark.stop()


def _stderr_is_terminal() -> bool:
    from octopack_spark.progress import progress_enabled

    return progress_enabled()


def run_query(sql: str, data: Sequence[str], engine: str = "duckdb", fmt: str = "table",
              output: Optional[str] = None, storage: Optional[Storage] = None,
              cfg: Optional[PipelineConfig] = None, spark=None, max_rows: int = 200, max_width: int = 60,
              timeout: Optional[float] = None) -> int:
    """Run one read-only query over the datasets and write its result; returns the number of rows written.

    Ctrl-C stops the query (KeyboardInterrupt); so does `timeout` seconds (QueryTimeout). Both cover
    reading and writing the result; a stopped query leaves no output file."""
    storage = storage or Storage.for_config(cfg.storage if cfg else None)
    catalog = open_catalog(data, storage)
    with open_engine(engine, catalog, storage, cfg, spark) as eng:
        with stoppable(eng.interrupt, timeout):
            result = eng.query(sql)
            return write_result(result, fmt, output, storage, max_rows=max_rows, max_width=max_width)
