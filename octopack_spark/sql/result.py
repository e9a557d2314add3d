"""A query result as a stream of Arrow record batches, whichever engine produced it."""

from __future__ import annotations

from typing import Callable, Iterator, Optional

import pyarrow as pa


class QueryResult:
    """Schema plus a one-pass iterator of batches; `close()` stops the query early (table output
    reads only the first rows of a large result)."""

    def __init__(self, schema: pa.Schema, batches: Iterator[pa.RecordBatch],
                 on_close: Optional[Callable[[], None]] = None):
        self.schema = schema
        self._batches = batches
        self._on_close = on_close
        self._closed = False

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return self._batches

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        close = getattr(self._batches, "close", None)
        if close is not None:
            close()
        if self._on_close is not None:
            self._on_close()

    def __enter__(self) -> "QueryResult":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def read_all(self) -> pa.Table:
        """Whole result as one table (for small results and tests)."""
        try:
            return pa.Table.from_batches(list(self), schema=self.schema)
        finally:
            self.close()
