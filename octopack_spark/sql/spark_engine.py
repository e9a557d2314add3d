"""Spark SQL engine (`octopack sql --engine spark`): the same tables as temporary views.

A view reads exactly the files its manifest lists (`spark.read.parquet(*files)` with the table folder as
basePath, so Spark restores and unescapes the Hive partition columns; partition type inference is
switched off while the view is built so a language named "1" stays a string). Spark temporary views
cannot live in a schema, so `dataset.table` in a query is rewritten, at the exact position Spark's own
parser reports, to the single identifier `` `dataset.table` `` under which that view is registered.
Results come back through `toLocalIterator` (one partition at a time) as Arrow batches.
Only read-only statements run: the parsed plan is checked first (sql/readonly.py), and a qualified name
that is not one of the datasets' tables (e.g. Spark's file relations `parquet.`/path``) is refused.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Iterator, Optional

import pyarrow as pa

from octopack_spark.sql.catalog import Catalog, TableRef, require_readable
from octopack_spark.sql.errors import QueryError
from octopack_spark.sql.readonly import RefusedStatement, check_spark_plan
from octopack_spark.sql.readonly import scala_seq as _scala_seq
from octopack_spark.sql.result import QueryResult
from octopack_spark.storage.fs import Storage, to_s3a

log = logging.getLogger(__name__)

BATCH_ROWS = 8192
_INFER = "spark.sql.sources.partitionColumnTypeInference.enabled"


@dataclass(frozen=True)
class Reference:
    parts: tuple[str, ...]
    start: Optional[int]  # character span in the query text (inclusive), when the parser gives one
    stop: Optional[int]


def _opt(o) -> Optional[int]:
    return o.get() if o.isDefined() else None


def parse_plan(spark, sql: str):
    """The unresolved JVM LogicalPlan of a statement, from Spark's own parser."""
    try:
        return spark._jsparkSession.sessionState().sqlParser().parsePlan(sql)
    except Exception as e:  # py4j wraps the JVM ParseException
        raise QueryError(_first_lines(e)) from None


def parse_references(spark, sql: str) -> tuple[list[Reference], set[str]]:
    """Relations a Spark SQL statement reads, with their positions, and the CTE names it defines."""
    return plan_references(parse_plan(spark, sql))


def plan_references(plan) -> tuple[list[Reference], set[str]]:
    refs: list[Reference] = []
    ctes: set[str] = set()

    def walk(node) -> None:
        cls = node.getClass().getSimpleName()
        if cls == "UnresolvedRelation":
            parts = tuple(str(p) for p in _scala_seq(node.multipartIdentifier()))
            o = node.origin()
            refs.append(Reference(parts, _opt(o.startIndex()), _opt(o.stopIndex())))
        elif cls == "UnresolvedWith":
            for pair in _scala_seq(node.cteRelations()):
                ctes.add(str(pair._1()).lower())
        for child in _scala_seq(node.children()):
            walk(child)
        # innerChildren: CTE definitions and the plans of subquery expressions (IN, EXISTS, scalar).
        for inner in _scala_seq(node.innerChildren()):
            if inner.getClass().getName().startswith("org.apache.spark.sql.catalyst.plans.logical."):
                walk(inner)

    walk(plan)
    uniq = {(r.parts, r.start, r.stop): r for r in refs}
    return list(uniq.values()), ctes


def _first_lines(e: Exception) -> str:
    """The engine's message without JVM stack or plan dump: the first line, plus the SQL excerpt with
    its ^^^ pointer for syntax errors."""
    if hasattr(e, "java_exception"):
        text = str(e.java_exception.getMessage())
    elif hasattr(e, "getMessage"):
        text = str(e.getMessage())
    else:
        text = str(e)
    lines = [ln.rstrip() for ln in text.strip().splitlines()]
    out = lines[:1]
    if "== SQL ==" in lines:
        i = lines.index("== SQL ==")
        out += [ln for ln in lines[i:i + 12] if ln]
    return "\n".join(out)


def view_name(ref: TableRef, qualified: bool) -> str:
    return f"`{ref.qualified}`" if qualified else f"`{ref.name}`"


class SparkEngine:
    name = "spark"

    def __init__(self, catalog: Catalog, spark, storage: Optional[Storage] = None):
        self.catalog = catalog
        self.spark = spark
        self.storage = storage or Storage.for_config()
        self._views: dict[str, str] = {}  # view name -> qualified table
        _quiet_query_logger(spark)

    def _dataframe(self, ref: TableRef):
        """DataFrame over exactly the manifest's files."""
        files = [to_s3a(u) for u in ref.file_uris]
        if not files:
            from octopack_spark.sql.duckdb_engine import KNOWN_SCHEMAS
            from octopack_spark.schema import spark_ddl

            known = KNOWN_SCHEMAS.get(ref.name)
            if known is None:
                raise QueryError(f"table '{ref.qualified}' has no data files and this build does not know its columns")
            keys = set(ref.partitioning)
            ddl = spark_ddl(known, exclude=tuple(keys))
            ddl = ", ".join([ddl] + [f"`{k}` string" for k in ref.partitioning]) if keys else ddl
            return self.spark.createDataFrame([], ddl)
        reader = self.spark.read.option("mergeSchema", "true" if len(files) > 1 else "false")
        if ref.partitioning:
            reader = reader.option("basePath", to_s3a(ref.table_uri))
        before = self.spark.conf.get(_INFER, None)
        self.spark.conf.set(_INFER, "false")
        try:
            return reader.parquet(*files)
        except Exception as e:
            raise QueryError(f"cannot open table '{ref.qualified}' in {ref.root}: {_first_lines(e)}") from None
        finally:
            if before is None:
                self.spark.conf.unset(_INFER)
            else:
                self.spark.conf.set(_INFER, before)

    def register(self, ref: TableRef, qualified: bool) -> str:
        name = view_name(ref, qualified)
        if self._views.get(name) == ref.qualified:
            return name
        require_readable(self.storage, ref)
        self._dataframe(ref).createOrReplaceTempView(name)
        self._views[name] = ref.qualified
        return name

    def prepare(self, sql: str) -> str:
        """Register the views `sql` reads and return the statement with qualified names rewritten."""
        plan = parse_plan(self.spark, sql)
        check_spark_plan(self.spark, plan)
        refs, ctes = plan_references(plan)
        edits: list[tuple[int, int, str]] = []
        for r in refs:
            if len(r.parts) == 1 and r.parts[0].lower() in ctes:
                continue
            ref = self.catalog.lookup(".".join(r.parts)) if len(r.parts) <= 2 else None  # raises when ambiguous
            if ref is None:
                if len(r.parts) > 1:
                    # `text.`/etc/passwd``, `parquet.`s3a://…``, `catalog.db.table`: not ours, not read.
                    raise RefusedStatement(
                        f"'{'.'.join(r.parts)}' is not a table of the datasets; octopack sql reads only "
                        f"those (tables: {self.catalog.describe_names()})")
                continue
            if len(r.parts) == 1 and "." not in r.parts[0]:
                self.register(ref, qualified=False)
                continue
            name = self.register(ref, qualified=True)
            if len(r.parts) == 1:
                continue  # already written as `dataset.table`
            if r.start is None or r.stop is None:
                raise QueryError(f"cannot locate '{'.'.join(r.parts)}' in the query; write it as {name}")
            edits.append((r.start, r.stop, name))
        if not refs:
            # SHOW TABLES and the like: expose every table this build can read.
            unique = self.catalog.unique_names()
            for ref in self.catalog.tables:
                if ref.version_ok:
                    self.register(ref, qualified=True)
                    if ref.name.lower() in unique:
                        self.register(ref, qualified=False)
        for start, stop, name in sorted(edits, reverse=True):
            sql = sql[:start] + name + sql[stop + 1:]
        return sql

    def query(self, sql: str, batch_rows: int = BATCH_ROWS) -> QueryResult:
        text = self.prepare(sql)
        try:
            df = self.spark.sql(text)
            schema = _arrow_schema(df.schema)
        except Exception as e:
            raise QueryError(_query_error(e, self.catalog)) from None
        rows = df.toLocalIterator(prefetchPartitions=False)
        return QueryResult(schema, _batches(rows, df.schema, schema, batch_rows))

    def interrupt(self) -> None:
        """Cancel the running Spark jobs (safe to call from another thread)."""
        self.spark.sparkContext.cancelAllJobs()

    def close(self) -> None:
        for name in list(self._views):
            try:
                self.spark.catalog.dropTempView(name.strip("`"))
            except Exception:
                pass
        self._views.clear()


def _query_error(e: Exception, catalog: Catalog) -> str:
    msg = _first_lines(e)
    if "TABLE_OR_VIEW_NOT_FOUND" in msg:
        msg += f"\n(tables: {catalog.describe_names()}; in Spark SQL a qualified name is dataset.table)"
    return msg


def _quiet_query_logger(spark) -> None:
    """PySpark logs every failed query with the JVM stack at ERROR; the CLI prints one clear line."""
    import logging as _logging

    try:
        from pyspark.logger import PySparkLogger
    except ImportError:
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(_logging.CRITICAL + 10)


def _arrow_schema(spark_schema) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(spark_schema, timezone="UTC")


def _converter(dtype):
    """Python value from a Row field -> value pyarrow accepts for the matching Arrow type."""
    from pyspark.sql import types as T

    if isinstance(dtype, T.TimestampType):
        # Spark hands back naive datetimes in the Python process's local time.
        return lambda v: v.astimezone(dt.timezone.utc) if v is not None and v.tzinfo is None else v
    if isinstance(dtype, T.StructType):
        subs = [(f.name, _converter(f.dataType)) for f in dtype.fields]
        return lambda v: None if v is None else {n: c(v[i]) for i, (n, c) in enumerate(subs)}
    if isinstance(dtype, T.ArrayType):
        c = _converter(dtype.elementType)
        return lambda v: None if v is None else [c(x) for x in v]
    if isinstance(dtype, T.MapType):
        kc, vc = _converter(dtype.keyType), _converter(dtype.valueType)
        return lambda v: None if v is None else [(kc(k), vc(x)) for k, x in v.items()]
    return lambda v: v


def _batches(rows: Iterator, spark_schema, schema: pa.Schema, batch_rows: int) -> Iterator[pa.RecordBatch]:
    convs = [_converter(f.dataType) for f in spark_schema.fields]
    n = len(convs)
    cols: list[list] = [[] for _ in range(n)]
    count = 0
    try:
        for row in rows:
            for i in range(n):
                cols[i].append(convs[i](row[i]))
            count += 1
            if count == batch_rows:
                yield pa.RecordBatch.from_arrays([pa.array(c, type=schema.field(i).type) for i, c in enumerate(cols)],
                                                 schema=schema)
                cols = [[] for _ in range(n)]
                count = 0
    except QueryError:
        raise
    except Exception as e:  # Py4JJavaError from a failing task: one clear line
        raise QueryError(f"query failed while running: {_first_lines(e)}") from None
    if count:
        yield pa.RecordBatch.from_arrays([pa.array(c, type=schema.field(i).type) for i, c in enumerate(cols)],
                                         schema=schema)
