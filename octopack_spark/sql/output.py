"""Writing a query result: an aligned text table, CSV, JSON Lines or Parquet.

CSV, JSON Lines and Parquet stream batch by batch (a result larger than memory is fine). The text table
needs column widths, so it shows the first `max_rows` rows and says when there are more. Files are written
to a temporary name and renamed when complete, so a failed query never leaves a half-written output.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import os
import sys
from typing import BinaryIO, Iterable, Optional

import pyarrow as pa

from octopack_spark.sql.errors import QueryError
from octopack_spark.sql.result import QueryResult
from octopack_spark.storage.fs import Storage, create_temp_file, is_s3

FORMATS = ("table", "csv", "json", "parquet")


def _json_default(v):
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, bytes):
        return base64.b64encode(v).decode("ascii")
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    return str(v)


def _nested(t: pa.DataType) -> bool:
    return pa.types.is_nested(t) or pa.types.is_dictionary(t)


def _csv_ready(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Arrow's CSV writer takes flat columns only: nested values become JSON text."""
    if not any(_nested(f.type) for f in batch.schema):
        return batch
    cols, fields = [], []
    for f, col in zip(batch.schema, batch.columns):
        if _nested(f.type):
            col = pa.array([None if v is None else json.dumps(v, default=_json_default, ensure_ascii=False)
                            for v in col.to_pylist()], pa.string())
            f = pa.field(f.name, pa.string())
        cols.append(col)
        fields.append(f)
    return pa.RecordBatch.from_arrays(cols, schema=pa.schema(fields))


def write_csv(batches: Iterable[pa.RecordBatch], schema: pa.Schema, sink: BinaryIO) -> int:
    import pyarrow.csv as pacsv

    n = 0
    writer = None
    for b in batches:
        b = _csv_ready(b)
        if writer is None:
            writer = pacsv.CSVWriter(sink, b.schema)
        writer.write_batch(b)
        n += b.num_rows
    if writer is None:  # no rows: still write the header
        empty = _csv_ready(pa.RecordBatch.from_pylist([], schema=schema))
        writer = pacsv.CSVWriter(sink, empty.schema)
    writer.close()
    return n


def write_jsonl(batches: Iterable[pa.RecordBatch], sink: BinaryIO) -> int:
    n = 0
    for b in batches:
        names = b.schema.names
        cols = [c.to_pylist() for c in b.columns]
        lines = []
        for i in range(b.num_rows):
            lines.append(json.dumps({k: cols[j][i] for j, k in enumerate(names)}, default=_json_default,
                                    ensure_ascii=False))
        if lines:
            sink.write(("\n".join(lines) + "\n").encode("utf-8"))
        n += b.num_rows
    return n


def write_parquet(batches: Iterable[pa.RecordBatch], schema: pa.Schema, sink) -> int:
    import pyarrow.parquet as pq

    n = 0
    with pq.ParquetWriter(sink, schema, compression="zstd") as w:
        for b in batches:
            if b.schema != schema:
                b = b.cast(schema) if b.schema.names == schema.names else b
            w.write_batch(b)
            n += b.num_rows
    return n


def _cell(v, max_width: int) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, dt.datetime):
        s = v.isoformat(sep=" ")
    elif isinstance(v, float):
        s = repr(round(v, 6)) if abs(v) < 1e15 else repr(v)
    elif isinstance(v, (list, dict)):
        s = json.dumps(v, default=_json_default, ensure_ascii=False)
    else:
        s = str(v)
    s = s.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    if len(s) > max_width:
        s = s[:max(1, max_width - 1)] + "…"
    return s


def render_table(result: QueryResult, max_rows: int = 200, max_width: int = 60) -> tuple[str, int, bool]:
    """(text, rows shown, more rows exist). Reads at most max_rows + 1 rows, then stops the query."""
    names = result.schema.names
    rows: list[list] = []
    more = False
    try:
        for b in result:
            cols = [c.to_pylist() for c in b.columns]
            for i in range(b.num_rows):
                if len(rows) == max_rows:
                    more = True
                    break
                rows.append([cols[j][i] for j in range(len(names))])
            if more:
                break
    finally:
        result.close()
    numeric = [pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_decimal(f.type)
               for f in result.schema]
    cells = [[_cell(v, max_width) for v in r] for r in rows]
    widths = [max([len(n)] + [len(r[j]) for r in cells]) for j, n in enumerate(names)]

    def line(vals: list[str]) -> str:
        return "  ".join(v.rjust(widths[j]) if numeric[j] else v.ljust(widths[j]) for j, v in enumerate(vals)).rstrip()

    out = [line(names), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    if more:
        out.append(f"(first {len(rows)} rows shown; there are more: use --max-rows, or --format csv|json|parquet "
                   "--output FILE for all rows)")
    else:
        out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n", len(rows), more


def write_result(result: QueryResult, fmt: str, output: Optional[str] = None,
                 storage: Optional[Storage] = None, max_rows: int = 200, max_width: int = 60) -> int:
    """Write `result` in `fmt` to `output` (a local path or s3:// URI; None = stdout). Returns rows written."""
    if fmt not in FORMATS:
        raise QueryError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if fmt == "table":
        text, n, _ = render_table(result, max_rows=max_rows, max_width=max_width)
        if output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            with open_output(output, storage) as sink:
                sink.write(text.encode("utf-8"))
        return n
    if output is None and fmt == "parquet":
        result.close()
        raise QueryError("--format parquet needs --output FILE (Parquet is binary)")
    try:
        if output is None:
            sink = sys.stdout.buffer
            n = _write(result, fmt, sink)
            sink.flush()
            return n
        with open_output(output, storage) as sink:
            return _write(result, fmt, sink)
    finally:
        result.close()


def _write(result: QueryResult, fmt: str, sink) -> int:
    if fmt == "csv":
        return write_csv(result, result.schema, sink)
    if fmt == "json":
        return write_jsonl(result, sink)
    return write_parquet(result, result.schema, sink)


class open_output:
    """A binary sink that only appears under its final name once everything was written."""

    def __init__(self, output: str, storage: Optional[Storage]):
        self.output = output
        self.storage = storage
        self._tmp: Optional[str] = None
        self._stream = None

    def __enter__(self):
        if is_s3(self.output):
            storage = self.storage or Storage.for_config()
            fs, path = storage.pyarrow_filesystem(self.output)
            self._fs, self._path = fs, path
            # An S3 object becomes visible only when its upload completes; on error it is deleted below.
            self._stream = fs.open_output_stream(path)
            return self._stream
        d = os.path.dirname(os.path.abspath(self.output))
        if not os.path.isdir(d):
            raise QueryError(f"--output {self.output}: folder {d} does not exist")
        fd, self._tmp = create_temp_file(d, prefix=".tmp-octopack-")
        self._stream = open(fd, "wb")  # buffered: the writers emit many small pieces
        return self._stream

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._tmp is not None:
            self._stream.close()
            if exc_type is None:
                os.replace(self._tmp, self.output)
            else:
                os.unlink(self._tmp)
            return
        try:
            self._stream.close()
        finally:
            if exc_type is not None:
                try:
                    self._fs.delete_file(self._path)
                except OSError:
                    pass
