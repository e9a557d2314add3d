"""Reading and writing pipeline tables with Spark, through manifests and crash-safe publishing.

Read: the files a dataset's manifest lists (never a directory glob), so a reader never picks up
files of a run that has not committed. Write: Spark writes into `_staging/<unit>/<table>`, then
`storage.publish.publish` moves the files into place and the caller writes the manifest last.
"""

from __future__ import annotations

from typing import Optional, Sequence

from octopack_spark.storage.fs import Storage, join, to_s3a
from octopack_spark.storage.manifest import read_manifest, table_file_uris
from octopack_spark.storage.publish import staging_uri


def read_table(spark, storage: Storage, root: str, table: str, schema_ddl: Optional[str] = None):
    """DataFrame of `table` in the dataset at `root` (partition columns restored)."""
    manifest = read_manifest(storage, root)
    entry = manifest.table(table)
    files = [to_s3a(u) for u in table_file_uris(root, entry)]
    if not files:
        if schema_ddl is None:
            raise ValueError(f"table '{table}' in {root} has no files and no schema was given")
        return spark.createDataFrame([], schema_ddl)
    reader = spark.read.option("basePath", to_s3a(join(root, table)))
    if schema_ddl is not None and not entry.partitioning:
        reader = reader.schema(schema_ddl)
    return reader.parquet(*files)


PARTITION_COPY_PREFIX = "__partition_"


def stage_table(df, root: str, unit: str, table: str, partition_by: Sequence[str] = ()) -> str:
    """Write `df` as Parquet into the unit's staging area; returns the staged directory URI.

    Partition columns stay inside the files as well as in the `col=value/` folder names: Spark leaves a
    partitionBy column out of the files, so the folders are keyed by a copy of the column and renamed to
    the column's own name afterwards. Spark, pyarrow.dataset and DuckDB (hive partitioning) read one
    column from either; HF `datasets` and plain `pq.read_table` see it in the files."""
    staged = join(staging_uri(root, unit), table)
    if not partition_by:
        df.write.mode("overwrite").parquet(to_s3a(staged))
        return staged
    copies = {c: PARTITION_COPY_PREFIX + c for c in partition_by}
    # Partition columns go last in the files, where readers that append the folder keys put them, so every
    # reader sees the column order it saw before the files held them.
    df = df.select(*[c for c in df.columns if c not in copies], *copies)
    for col, copy in copies.items():
        df = df.withColumn(copy, df[col])
    df.write.mode("overwrite").partitionBy(*copies.values()).parquet(to_s3a(staged))
    _rename_partition_folders(df.sparkSession, to_s3a(staged), copies)
    return staged


def _rename_partition_folders(spark, staged: str, copies: dict[str, str]) -> None:
    """`__partition_lang=X/` -> `lang=X/` at every level, through Hadoop's file system (local or s3a)."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    base = jvm.org.apache.hadoop.fs.Path(staged)
    fs = base.getFileSystem(conf)
    level = [base]
    for col, copy in copies.items():
        nxt = []
        for parent in level:
            for st in fs.listStatus(parent):
                name = st.getPath().getName()
                if st.isDirectory() and name.startswith(copy + "="):
                    dst = jvm.org.apache.hadoop.fs.Path(parent, col + name[len(copy):])
                    if not fs.rename(st.getPath(), dst):
                        raise OSError(f"cannot rename {st.getPath().toString()} to {dst.toString()}")
                    nxt.append(dst)
        level = nxt

