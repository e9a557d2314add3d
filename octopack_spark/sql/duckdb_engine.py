"""DuckDB engine: the default for `octopack sql` (embedded, no JVM).

Each table becomes a view over exactly the files its manifest lists:
- local datasets: DuckDB's own `read_parquet([...files])`. Hive partition values are decoded from each
  file's path relative to the table folder (not DuckDB's hive_partitioning, which turns every
  `key=value` folder of the whole path, e.g. a parent `run=3/`, into a column); DuckDB still skips files
  on partition filters ("File Filters" in EXPLAIN).
- S3 datasets: DuckDB's httpfs extension cannot be downloaded here, so files are read through a pyarrow
  dataset on pyarrow's S3 filesystem (honours AWS_ENDPOINT_URL etc.), registered with DuckDB.
Timestamps that the schema declares as UTC but Spark wrote as INT96 (naive) are cast to TIMESTAMPTZ, so
both engines return the same instants. Views are created only for the tables a query names.
Only read-only statements run (sql/readonly.py), and the connection can reach no file but the datasets'
own (`enable_external_access = false` with `allowed_paths`, configuration locked).
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

import pyarrow as pa

from octopack_spark import schema as schemas
from octopack_spark.ft import tables as ft_tables
from octopack_spark.sql.catalog import Catalog, TableRef, require_readable
from octopack_spark.sql.errors import QueryError
from octopack_spark.sql.hive import DEFAULT_PARTITION
from octopack_spark.sql.readonly import check_duckdb
from octopack_spark.sql.result import QueryResult
from octopack_spark.storage.fs import Storage, is_s3

log = logging.getLogger(__name__)

FILE_COL = "__octopack_file"
BATCH_ROWS = 64 * 1024

# Arrow schemas of the tables this package defines (used for empty tables and timestamp fixes).
KNOWN_SCHEMAS: dict[str, pa.Schema] = {
    schemas.COMMITS_TABLE: schemas.COMMITS_SCHEMA,
    schemas.ERRORS_TABLE: schemas.ERRORS_SCHEMA,
    schemas.STATE_TABLE: schemas.STATE_SCHEMA,
    ft_tables.STATS_TABLE: ft_tables.STATS_SCHEMA,
}


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def referenced_tables(sql: str, con) -> set[str]:
    """Table names a DuckDB statement reads (CTE names excluded), as `name` or `schema.name`.

    `con` must be a locked connection (`lock_down`): get_table_names binds table functions, and the
    module-level `duckdb.get_table_names` would do that on DuckDB's default connection, where external
    access is on (`read_json_auto('/etc/passwd')` was read there)."""
    import duckdb

    try:
        names = con.get_table_names(sql, qualified=True)
    except duckdb.PermissionException as e:
        raise _refused_file(e) from None
    except duckdb.Error as e:
        raise QueryError(str(e).strip()) from None
    out = set()
    for n in names:
        # get_table_names renders an alias as "name AS alias"
        out.add(n.split(" AS ", 1)[0].strip())
    return out


def lock_down(con, files: list[str]):
    """External access off except for `files` (the manifest-listed local files), then the configuration
    locked, so no statement can read, write or attach anything else, load extensions or undo this. S3
    tables are read by pyarrow in this process and handed to DuckDB as registered datasets, which needs
    no DuckDB file access. Returns `con`."""
    if files:
        con.execute(f"SET allowed_paths = [{', '.join(quote_str(f) for f in files)}]")
    for setting in ("autoinstall_known_extensions = false", "autoload_known_extensions = false",
                    "allow_community_extensions = false", "enable_external_access = false",
                    "lock_configuration = true"):
        con.execute(f"SET {setting}")
    return con


def _refused_file(e: Exception) -> QueryError:
    return QueryError(f"{str(e).strip()}\n(octopack sql reads only the files the datasets' manifests list)")


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, catalog: Catalog, storage: Optional[Storage] = None, threads: Optional[int] = None,
                 force_arrow: bool = False):
        """`force_arrow` reads local datasets through pyarrow too (the S3 code path, for tests)."""
        import duckdb

        self.catalog = catalog
        self.storage = storage or Storage.for_config()
        files = sorted({os.path.abspath(u) for t in catalog.tables if not is_s3(t.root) for u in t.file_uris})
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET enable_progress_bar = false")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        lock_down(self.con, files)
        # get_table_names binds table functions; on the query connection it also expands our views (and
        # fails on them), on DuckDB's default connection it would read any file. A second locked one it is.
        self._names_con = lock_down(duckdb.connect(":memory:"), files)
        self._schemas: set[str] = set()
        self._views: set[str] = set()  # qualified names registered
        self._n_arrow = 0
        self.force_arrow = force_arrow

    # ------------------------------------------------------------------ registration
    def register_for(self, sql: str) -> list[TableRef]:
        """Create views for the catalog tables `sql` names (all of them when it names none)."""
        import duckdb

        names = referenced_tables(sql, self._names_con)
        refs: list[TableRef] = []
        for name in sorted(names):
            ref = self.catalog.lookup(name)
            if ref is not None and ref not in refs:
                refs.append(ref)
        if not names:
            # SHOW TABLES, information_schema, ...: expose every table this build can read.
            refs = [t for t in self.catalog.tables if t.version_ok]
        unique = self.catalog.unique_names()
        for ref in refs:
            try:
                self.register(ref, alias=ref.name.lower() in unique)
            except duckdb.Error as e:
                raise QueryError(f"cannot open table '{ref.qualified}' in {ref.root}: {str(e).strip()}") from None
        return refs

    def register(self, ref: TableRef, alias: bool = True) -> None:
        if ref.qualified in self._views:
            return
        require_readable(self.storage, ref)
        schema_name = ref.dataset.name
        if schema_name not in self._schemas:
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema_name)}")
            self._schemas.add(schema_name)
        source = self._source_sql(ref)
        target = f"{quote_ident(schema_name)}.{quote_ident(ref.name)}"
        self.con.execute(f"CREATE OR REPLACE VIEW {target} AS {source}")
        if alias:
            self.con.execute(f"CREATE OR REPLACE VIEW main.{quote_ident(ref.name)} AS SELECT * FROM {target}")
        self._views.add(ref.qualified)
        log.debug("duckdb view %s: %d files", ref.qualified, len(ref.entry.files))

    def _source_sql(self, ref: TableRef) -> str:
        if not ref.entry.files:
            return self._empty_source(ref)
        if is_s3(ref.root) or self.force_arrow:
            return self._arrow_source(ref)
        return self._local_source(ref)

    def _local_source(self, ref: TableRef) -> str:
        files = ", ".join(quote_str(os.path.abspath(u)) for u in ref.file_uris)
        scan = (f"read_parquet([{files}], hive_partitioning = false, union_by_name = true, "
                f"filename = {quote_str(FILE_COL)})")
        cols = self.con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
        prefix = os.path.abspath(ref.table_uri).rstrip(os.sep) + "/"
        parts = []
        for i, key in enumerate(ref.partitioning):
            seg = f"split_part(substr({quote_ident(FILE_COL)}, {len(prefix) + 1}), '/', {i + 1})"
            head = f"{key}="
            parts.append(
                f"CASE WHEN {seg} = {quote_str(head + DEFAULT_PARTITION)} THEN NULL "
                f"WHEN starts_with({seg}, {quote_str(head)}) THEN url_decode(substr({seg}, {len(head) + 1})) "
                f"END AS {quote_ident(key)}")
        return f"SELECT {self._projection(ref, cols, parts)} FROM {scan}"

    def _arrow_source(self, ref: TableRef) -> str:
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq

        fs, base = self.storage.pyarrow_filesystem(ref.table_uri)
        paths = [self.storage.pyarrow_filesystem(u)[1] for u in ref.file_uris]
        part_fields = [pa.field(k, pa.string()) for k in ref.partitioning]

        def footer(p: str) -> pa.Schema:
            return pq.read_schema(p, filesystem=fs)

        try:
            with ThreadPoolExecutor(max_workers=min(16, len(paths))) as pool:
                file_schemas = list(pool.map(footer, paths))
        except OSError as e:
            raise QueryError(f"cannot read table '{ref.qualified}' from {ref.root}: {e}") from None
        keys = set(ref.partitioning)
        unified = pa.unify_schemas(
            [pa.schema([f for f in s if f.name not in keys]) for s in file_schemas],
            promote_options="permissive")
        full = pa.schema(list(unified) + part_fields)
        partitioning = ds.partitioning(pa.schema(part_fields), flavor="hive") if part_fields else None
        dataset = ds.dataset(paths, schema=full, format="parquet", filesystem=fs,
                             partitioning=partitioning, partition_base_dir=base if part_fields else None)
        self._n_arrow += 1
        obj = f"__octopack_arrow_{self._n_arrow}"
        self.con.register(obj, dataset)
        cols = self.con.execute(f"DESCRIBE SELECT * FROM {obj}").fetchall()
        return f"SELECT {self._projection(ref, cols, [quote_ident(k) for k in ref.partitioning])} FROM {obj}"

    def _projection(self, ref: TableRef, cols: list[tuple], part_exprs: list[str]) -> str:
        known = KNOWN_SCHEMAS.get(ref.name)
        keys = set(ref.partitioning)
        out = []
        for row in cols:
            name, typ = row[0], str(row[1]).upper()
            if name == FILE_COL or name in keys:
                continue
            expr = quote_ident(name)
            declared = known.field(name).type if known is not None and name in known.names else None
            if (isinstance(declared, pa.TimestampType) and declared.tz is not None
                    and typ.startswith("TIMESTAMP") and "TIME ZONE" not in typ):
                expr = f"CAST({expr} AS TIMESTAMPTZ) AS {quote_ident(name)}"
            out.append(expr)
        return ", ".join(out + part_exprs) or "NULL AS empty"

    def _empty_source(self, ref: TableRef) -> str:
        known = KNOWN_SCHEMAS.get(ref.name)
        if known is None:
            if not ref.partitioning:
                raise QueryError(f"table '{ref.qualified}' has no data files and this build does not know "
                                 "its columns")
            known = pa.schema([pa.field(k, pa.string()) for k in ref.partitioning])
        self._n_arrow += 1
        obj = f"__octopack_arrow_{self._n_arrow}"
        self.con.register(obj, known.empty_table())
        return f"SELECT * FROM {obj}"

    # ------------------------------------------------------------------ queries
    def query(self, sql: str, batch_rows: int = BATCH_ROWS) -> QueryResult:
        import duckdb

        check_duckdb(sql)
        self.register_for(sql)
        try:
            rel = self.con.sql(sql)
            if rel is None:
                raise QueryError("the statement returned no result (only queries that return rows are supported)")
            reader = rel.to_arrow_reader(batch_rows)
        except duckdb.CatalogException as e:
            raise QueryError(f"{str(e).strip()}\n(tables: {self.catalog.describe_names()})") from None
        except duckdb.PermissionException as e:
            raise _refused_file(e) from None
        except duckdb.Error as e:
            raise QueryError(str(e).strip()) from None
        return QueryResult(reader.schema, _guard(reader), on_close=reader.close)

    def interrupt(self) -> None:
        """Stop the running query (safe to call from another thread)."""
        self.con.interrupt()

    def close(self) -> None:
        self.con.close()
        self._names_con.close()


def _guard(reader):
    """Batches of a DuckDB reader, turning mid-scan failures (a file gone, S3 down) into QueryError."""
    import duckdb

    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except (duckdb.Error, OSError, pa.ArrowException) as e:
            raise QueryError(f"query failed while reading: {str(e).strip()}") from None
        yield batch

