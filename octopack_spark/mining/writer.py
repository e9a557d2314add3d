"""Writes commit rows from a mining task straight to Parquet, Hive-partitioned by `lang`.

The mining task already holds its rows as Arrow; handing them to the JVM for Spark's Parquet writer
copied and re-encoded every content byte twice more (Arrow IPC into the JVM, then Parquet), which made
writing cost as much as mining. Each task writes its own files instead (datatrove works the same way)
and returns their names; the driver publishes exactly the files that successful task attempts report.

Layout and encoding match what Spark wrote before: `lang=<value>/` directories escaped as Spark escapes
partition values (null -> `__HIVE_DEFAULT_PARTITION__`), zstd, UTC microsecond timestamps, every column
nullable. `lang` is both the folder key and a column inside every file (readers that see only the files,
such as HF `datasets.load_dataset("parquet", data_files=...)`, keep it; see docs/governance.md). Memory is bounded: rows are buffered per language and a
row group is written when a buffer reaches `row_group_bytes`, or the largest buffer is written when all
of them together pass `max_buffer_bytes`.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Optional

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from octopack_spark.schema import COMMITS_PARTITION, COMMITS_SCHEMA
from octopack_spark.storage.fs import Storage, join

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
# Characters Spark escapes in partition directory names (ExternalCatalogUtils.escapePathName).
_ESCAPE = set('"#%\'*/:=?\\\x7f{[]^') | {chr(c) for c in range(0x20)}

# `lang` last, where readers that append the folder key put it: every reader sees the same column order as
# before the files held it.
FILE_SCHEMA = pa.schema([f.with_nullable(True) for f in COMMITS_SCHEMA if f.name != COMMITS_PARTITION]
                        + [COMMITS_SCHEMA.field(COMMITS_PARTITION).with_nullable(True)])
# Min/max statistics pay off for short values (repo, commit, paths, times), not for file contents and
# diffs. Dictionary pages are off: zstd already folds repeated values, and trying them cost ~50 % more
# write time on real repositories.
_SMALL_COLUMNS = [f.name for f in FILE_SCHEMA if f.name not in ("old_contents", "new_contents", "diff", "message")]


def partition_dir(value: Optional[str]) -> str:
    if value is None or value == "":
        return f"{COMMITS_PARTITION}={HIVE_NULL}"
    return f"{COMMITS_PARTITION}=" + "".join(f"%{ord(c):02X}" if c in _ESCAPE else c for c in value)


@dataclass
class WrittenFile:
    path: str  # relative to the staged table directory
    rows: int
    bytes: int


class _Part:
    def __init__(self) -> None:
        self.batches: list[pa.RecordBatch] = []
        self.nbytes = 0
        self.rows = 0
        self.writer: Optional[pq.ParquetWriter] = None
        self.sink = None
        self.path = ""


class CommitsWriter:
    """Partitioned Parquet files of one task under `table_uri` (a staging directory)."""

    def __init__(self, storage: Storage, table_uri: str, file_name: str, row_group_bytes: int = 32 * 1024**2,
                 max_buffer_bytes: int = 128 * 1024**2):
        self.storage = storage
        self.table_uri = table_uri
        self.file_name = file_name
        self.row_group_bytes = row_group_bytes
        self.max_buffer_bytes = max_buffer_bytes
        self.parts: dict[Optional[str], _Part] = {}
        self.buffered = 0

    def write(self, batch: pa.RecordBatch) -> None:
        if not batch.num_rows:
            return
        langs = batch.column(COMMITS_PARTITION)
        data = batch.select(FILE_SCHEMA.names).cast(FILE_SCHEMA)
        if len(langs.unique()) == 1:
            pieces = [(langs[0].as_py(), data)]
        else:
            # One reordering copy by language, then zero-copy slices (filtering once per language
            # copied the whole batch each time).
            order = pc.sort_indices(langs)
            data, langs = data.take(order), langs.take(order)
            runs = pc.run_end_encode(langs)
            ends = runs.run_ends.to_pylist()
            values = runs.values.to_pylist()
            pieces, start = [], 0
            for value, end in zip(values, ends):
                pieces.append((value, data.slice(start, end - start)))
                start = end
        for value, piece in pieces:
            part = self.parts.setdefault(value, _Part())
            part.batches.append(piece)
            part.nbytes += piece.nbytes
            self.buffered += piece.nbytes
            if part.nbytes >= self.row_group_bytes:
                self._flush(value)
        while self.buffered > self.max_buffer_bytes:
            self._flush(max(self.parts, key=lambda k: self.parts[k].nbytes))

    def _flush(self, value: Optional[str]) -> None:
        part = self.parts[value]
        if not part.batches:
            return
        table = pa.Table.from_batches(part.batches, schema=FILE_SCHEMA)
        if part.writer is None:
            part.path = posixpath.join(partition_dir(value), self.file_name)
            fs, path = self.storage.pyarrow_filesystem(join(self.table_uri, part.path))
            fs.create_dir(posixpath.dirname(path), recursive=True)
            part.sink = fs.open_output_stream(path)
            # zstd level 3, not Arrow's default 1: on real commits (successive versions of a file in one page)
            # it is both faster (~10 % less CPU) and ~35 % smaller, finding the long matches level 1 misses.
            part.writer = pq.ParquetWriter(part.sink, FILE_SCHEMA, compression="zstd", compression_level=3,
                                           use_dictionary=False,
                                           write_statistics=_SMALL_COLUMNS, store_schema=True)
        part.writer.write_table(table, row_group_size=table.num_rows)
        part.rows += table.num_rows
        self.buffered -= part.nbytes
        part.batches, part.nbytes = [], 0

    def close(self) -> list[WrittenFile]:
        out = []
        for value in list(self.parts):
            self._flush(value)
            part = self.parts[value]
            if part.writer is not None:
                part.writer.close()
                size = part.sink.tell()
                part.sink.close()
                out.append(WrittenFile(part.path, part.rows, size))
        self.parts.clear()
        return out

    def abort(self) -> None:
        for part in self.parts.values():
            try:
                if part.writer is not None:
                    part.writer.close()
                if part.sink is not None:
                    part.sink.close()
            except Exception:
                pass
        self.parts.clear()
