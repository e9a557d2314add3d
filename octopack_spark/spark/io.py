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


def stage_table(df, root: str, unit: str, table: str, partition_by: Sequence[str] = ()) -> str:
    """Write `df` as Parquet into the unit's staging area; returns the staged directory URI."""
    staged = join(staging_uri(root, unit), table)
    writer = df.write.mode("overwrite")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.parquet(to_s3a(staged))
    return staged

