"""The Python API: mine, filter and query from a notebook or a script (docs/api.md).

Thin, documented wrappers over what the commands run (`octopack mine`, `octopack ft`, `octopack sql`);
configuration is the same `PipelineConfig` (YAML sections spark/storage/mine/ft), given as a YAML path or a
config object, plus dotted `settings` ({"mine.batch_repos": 8}) and keyword arguments for the job's own
section. Tables are read through the dataset's manifest.json, as every reader of this project does, so a
half-written dataset is never seen.

>>> from octopack_spark import api
>>> summary = api.mine(["my-repo"], "out/mine")            # doctest: +SKIP
>>> api.read_arrow("out/mine", "commits").num_rows          # doctest: +SKIP

Errors the user can fix (a bad config value, a missing dataset, an unknown table) raise
`octopack_spark.errors.UserFacingError` with one line saying what to change; a Spark stage that dies
raises one naming the stage, what ran out and the setting to change, as the commands print.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, Union

if TYPE_CHECKING:  # heavy imports only when used
    import duckdb
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from octopack_spark.config import PipelineConfig
    from octopack_spark.ft.job import FtSummary
    from octopack_spark.mining.job import MineSummary

ConfigLike = Union["PipelineConfig", str, os.PathLike, None]

__all__ = ["load_config", "spark_session", "mine", "ft", "query", "tables", "read_spark", "read_arrow",
           "read_duckdb", "humanevalpack"]


def load_config(config: ConfigLike = None, settings: Optional[Mapping[str, Any]] = None) -> "PipelineConfig":
    """The effective pipeline config: `config` (a YAML path, a `PipelineConfig`, or None for the defaults)
    with the dotted `settings` applied on top, validated as `--set` values are.

    >>> cfg = load_config(settings={"mine.batch_repos": 8, "spark.master": "local[2]"})
    >>> cfg.mine.batch_repos, cfg.spark.master
    (8, 'local[2]')
    """
    from octopack_spark.config import PipelineConfig, build_model
    from octopack_spark.config import load_config as _load

    settings = {k: v for k, v in (settings or {}).items() if v is not None}
    if isinstance(config, PipelineConfig):
        return build_model(PipelineConfig, config.model_dump(), settings, None) if settings else config
    return _load(config, overrides=settings)


def _with_section(config: ConfigLike, settings: Optional[Mapping[str, Any]], section: str,
                  fields: Mapping[str, Any]) -> "PipelineConfig":
    merged = dict(settings or {})
    merged.update({f"{section}.{k}": v for k, v in fields.items() if v is not None})
    return load_config(config, merged)


def spark_session(config: ConfigLike = None, settings: Optional[Mapping[str, Any]] = None) -> "SparkSession":
    """The SparkSession the jobs use (the active one if there is one, else one started from the config's
    `spark` section: `local[*]` by default, memory sized from the machine, your `spark.conf` values win).
    """
    from octopack_spark.spark.session import get_spark

    cfg = load_config(config, settings)
    return get_spark(cfg.spark, cfg.storage)


def _run(command: str, fn, cfg, published: str):
    from octopack_spark.cli.common import run_guarded

    return run_guarded(command, fn, cfg, published=published)


def mine(repos: Sequence[str], output: str, *, config: ConfigLike = None,
         settings: Optional[Mapping[str, Any]] = None, spark: Optional["SparkSession"] = None,
         **mine_fields: Any) -> "MineSummary":
    """Mine Git repositories (local paths or https/ssh/git URLs) into the dataset root `output` (a local
    folder or `s3a://bucket/prefix`), as `octopack mine` does; returns the run's `MineSummary` (`.repos`,
    `.repos_failed`, `.commits`, `.rows`, `.render()`).

    Keyword arguments set fields of the config's `mine` section (`max_commits=100`, `full_refresh=True`,
    `since="2024-01-01"`, `allowed_roots=[...]`, `repos_file="repos.csv"`); `settings` takes any dotted key.
    Local paths must lie under `mine.allowed_roots` (default: the working directory). Unlike the command,
    failed repositories do not raise: check `summary.repos_failed` (their reasons are in the `errors` table).
    """
    from octopack_spark.mining.job import run_mine

    cfg = _with_section(config, settings, "mine", {"repos": list(repos), "output": output, **mine_fields})
    return _run("mine", lambda c: run_mine(c, spark), cfg,
                "batches committed before it are published; rerun the same call to resume")


def ft(input: str, output: str, *, config: ConfigLike = None, settings: Optional[Mapping[str, Any]] = None,
       spark: Optional["SparkSession"] = None, disable: Sequence[str] = (), **ft_fields: Any) -> "FtSummary":
    """Build CommitPackFT from the mined dataset `input` into `output`, as `octopack ft` does; returns the
    `FtSummary` (`.rows_in`, `.rows_out`, `.stats` = stats.json, `.render()` = the filter funnel).

    `disable` switches rules off by name (`octopack ft --list-rules`); nested fields go through `settings`,
    e.g. `{"ft.tokens.fallback": "chars"}` (count tokens as chars / 3.5 where no tokenizer can be loaded) or
    `{"ft.decont.source": "bigcode/humanevalpack"}` (decontaminate against the hub instead of the bundled
    HumanEvalPack copy).
    """
    from octopack_spark.ft.job import run_ft

    cfg = _with_section(config, settings, "ft", {"input": input, "output": output, **ft_fields})
    if disable:
        cfg.ft.filters.disabled = list(dict.fromkeys(list(cfg.ft.filters.disabled) + list(disable)))
    return _run("ft", lambda c: run_ft(c, spark), cfg, "nothing was published")


def _data_list(data: Union[str, Sequence[str]]) -> list[str]:
    return [data] if isinstance(data, (str, os.PathLike)) else list(data)


def tables(data: Union[str, Sequence[str]], *, config: ConfigLike = None) -> list[str]:
    """Qualified names (`dataset.table`) of the tables in the dataset root(s) `data` (a root, or a folder
    holding several, e.g. `out/quickstart` -> `mine.commits`, `ft.commitpackft`, ...)."""
    from octopack_spark.sql.run import open_catalog
    from octopack_spark.storage.fs import Storage

    cfg = load_config(config)
    return [t.qualified for t in open_catalog(_data_list(data), Storage.for_config(cfg.storage)).tables]


def query(sql: str, data: Union[str, Sequence[str]], *, engine: str = "duckdb", config: ConfigLike = None,
          spark: Optional["SparkSession"] = None, timeout: Optional[float] = None) -> "pa.Table":
    """Run one read-only SQL query (as `octopack sql`) over the dataset root(s) `data`; the result as a
    pyarrow Table. Tables are named `commits`, `scored`, ... (or `dataset.table` where several datasets
    have one). `engine="spark"` runs Spark SQL (reusing `spark` when given); `timeout` in seconds."""
    from octopack_spark.sql.interrupt import stoppable
    from octopack_spark.sql.run import open_catalog, open_engine
    from octopack_spark.storage.fs import Storage

    cfg = load_config(config)
    storage = Storage.for_config(cfg.storage)
    catalog = open_catalog(_data_list(data), storage)
    with open_engine(engine, catalog, storage, cfg, spark) as eng:
        with stoppable(eng.interrupt, timeout):
            return eng.query(sql).read_all()


def _table_ref(data: Union[str, Sequence[str]], table: str, storage):
    from octopack_spark.sql.errors import TableNameError
    from octopack_spark.sql.run import open_catalog

    catalog = open_catalog(_data_list(data), storage)
    ref = catalog.lookup(table)
    if ref is None:
        raise TableNameError(f"no table '{table}' in {', '.join(map(str, _data_list(data)))} "
                             f"(tables: {catalog.describe_names()})")
    ref.check_version()
    return ref


def read_spark(data: Union[str, Sequence[str]], table: str, *, spark: Optional["SparkSession"] = None,
               config: ConfigLike = None) -> "DataFrame":
    """`table` of the dataset at `data` as a Spark DataFrame: exactly the files its manifest lists, with
    partition columns (`lang`) restored. Uses `spark` or the session `spark_session(config)` returns."""
    from octopack_spark.spark.io import read_table
    from octopack_spark.storage.fs import Storage

    cfg = load_config(config)
    storage = Storage.for_config(cfg.storage)
    ref = _table_ref(data, table, storage)
    if spark is None:
        from octopack_spark.spark.session import get_spark

        spark = get_spark(cfg.spark, cfg.storage, uris=[ref.root])
    return read_table(spark, storage, ref.root, ref.name)


def read_arrow(data: Union[str, Sequence[str]], table: str, *, columns: Optional[Sequence[str]] = None,
               where: Optional[str] = None, config: ConfigLike = None) -> "pa.Table":
    """`table` (optionally only `columns`, rows matching the SQL condition `where`) as a pyarrow Table,
    read with DuckDB through the manifest (local folders and S3)."""
    from octopack_spark.sql.duckdb_engine import quote_ident

    cols = ", ".join(quote_ident(c) for c in columns) if columns else "*"
    name = ".".join(quote_ident(p) for p in table.split("."))
    sql = f"SELECT {cols} FROM {name}" + (f" WHERE {where}" if where else "")
    return query(sql, data, config=config)


def read_duckdb(data: Union[str, Sequence[str]], table: str, *, config: ConfigLike = None
                ) -> "duckdb.DuckDBPyRelation":
    """`table` as a DuckDB relation (lazy: filter, aggregate, `.arrow()`, `.df()`), on a connection of its
    own that may read only the dataset's files. `relation.query("t", "SELECT ... FROM t")` runs SQL on it."""
    from octopack_spark.sql.duckdb_engine import DuckDBEngine, quote_ident
    from octopack_spark.sql.run import open_catalog
    from octopack_spark.storage.fs import Storage

    cfg = load_config(config)
    storage = Storage.for_config(cfg.storage)
    ref = _table_ref(data, table, storage)
    engine = DuckDBEngine(open_catalog(_data_list(data), storage), storage)
    engine.register(ref, alias=False)
    engine._names_con.close()  # only needed to parse free-form SQL
    # The relation holds the connection's context: it stays usable after `engine` goes out of scope.
    return engine.con.sql(f"SELECT * FROM {quote_ident(ref.dataset.name)}.{quote_ident(ref.name)}")


def humanevalpack(languages: Union[str, Sequence[str]] = "all", source: Optional[str] = None
                  ) -> dict[str, list[dict]]:
    """HumanEvalPack rows by language ({"python": [164 rows], ...}): the copy bundled with the package by
    default (checked against its SHA-256 sums), or `source` = a folder of `<lang>.jsonl` or a hub name."""
    from octopack_spark.humanevalpack import load_humanevalpack

    return load_humanevalpack(languages, source)
