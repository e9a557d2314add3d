"""Read one unit (a Parquet row group or a JSONL file) with only the columns a template needs.

Hive partition values from the path (`lang=Python/`) are added as columns when the file itself does
not carry them (Spark writes partition columns only into directory names).
"""

from __future__ import annotations

from typing import Optional

import pyarrow as pa

from octopack_spark.storage.fs import Storage
from training.data.discover import DataSourceError, Unit


def read_unit(storage: Storage, unit: Unit, columns: Optional[list[str]]) -> pa.Table:
    """The unit's rows in file order; `columns` None = all."""
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    fs, p = storage.pyarrow_filesystem(unit.file.uri)
    parts = dict(unit.file.partitions)
    try:
        if unit.file.fmt == "json":
            with fs.open_input_stream(p) as fh:
                table = pj.read_json(fh)
            if columns is not None:
                table = table.select([c for c in columns if c in table.column_names])
        else:
            with fs.open_input_file(p) as fh:
                pf = pq.ParquetFile(fh)
                have = pf.schema_arrow.names
                want = None if columns is None else [c for c in columns if c in have]
                table = pf.read_row_group(unit.row_group, columns=want)
    except (OSError, pa.ArrowException) as e:  # truncated, bad pages, bad compression
        raise DataSourceError(f"cannot read {unit.file.uri} (row group {unit.row_group}): {e}") from e
    for k, v in parts.items():
        if k not in table.column_names and (columns is None or k in columns):
            table = table.append_column(k, pa.array([v] * table.num_rows, pa.string()))
    return table
