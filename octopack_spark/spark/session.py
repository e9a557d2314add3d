"""SparkSession construction from the typed config: master, s3a connector, shipping the library.

Under spark-submit the session already exists with the submitted settings; `get_spark` then only adds
what the job needs (s3a settings) and never overrides the master given to spark-submit.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import zipfile
from typing import Iterable, Optional
from urllib.parse import urlsplit

from octopack_spark.config import SparkConfig, StorageConfig
from octopack_spark.storage.fs import is_s3
from octopack_spark.storage.s3 import resolve_s3, s3a_conf

log = logging.getLogger(__name__)


def hadoop_version() -> str:
    """Version of the Hadoop client bundled with pyspark (hadoop-aws must match it exactly)."""
    import pyspark

    jars = os.path.join(os.path.dirname(pyspark.__file__), "jars")
    for name in sorted(os.listdir(jars)):
        if name.startswith("hadoop-client-api-") and name.endswith(".jar"):
            return name[len("hadoop-client-api-"):-len(".jar")]
    raise RuntimeError(f"cannot find hadoop-client-api in {jars}")


def hadoop_aws_package() -> str:
    return f"org.apache.hadoop:hadoop-aws:{hadoop_version()}"


def _is_local_master(master: str) -> bool:
    return master.startswith("local")


def _loopback_master(master: str) -> bool:
    if _is_local_master(master):
        return True
    host = urlsplit(master).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


def package_zip(pkg_name: str = "octopack_spark") -> str:
    """Zip a top-level package once per driver process, for SparkContext.addPyFile."""
    import importlib

    pkg_dir = os.path.dirname(os.path.abspath(importlib.import_module(pkg_name).__file__))
    out = os.path.join(tempfile.gettempdir(), f"{pkg_name}-{os.getpid()}.zip")
    if os.path.exists(out):
        return out
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for root, _dirs, files in os.walk(pkg_dir):
            if "__pycache__" in root:
                continue
            for f in files:
                full = os.path.join(root, f)
                z.write(full, os.path.relpath(full, os.path.dirname(pkg_dir)))
    return out


def get_spark(
    cfg: Optional[SparkConfig] = None,
    storage: Optional[StorageConfig] = None,
    uris: Iterable[str] = (),
    app_name: Optional[str] = None,
):
    """Return a SparkSession for this job (creating it unless spark-submit already did)."""
    from pyspark.sql import SparkSession

    cfg = cfg or SparkConfig()
    active = SparkSession.getActiveSession()
    # Under spark-submit the JVM starts Python and hands it a gateway: the master and every --conf
    # were already chosen by the submitter, so do not override them.
    submitted = bool(os.environ.get("PYSPARK_GATEWAY_PORT"))
    need_s3a = any(is_s3(u) for u in uris if u)

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name or cfg.app_name)
    master = cfg.master
    if not submitted and active is None:
        builder = builder.master(master)
        if _loopback_master(master):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    defaults = {
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.parquet.compression.codec": "zstd",
        # Plain Parquet timestamps (UTC micros) instead of legacy INT96, so pyarrow, DuckDB and
        # HF datasets read them as timestamp[us, tz=UTC].
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        # Arrow batches of whole files can be large; keep them bounded.
        "spark.sql.execution.arrow.maxRecordsPerBatch": "1024",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.python.worker.reuse": "true",
        "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
    }
    for k, v in defaults.items():
        builder = builder.config(k, v)
    packages = list(cfg.packages)
    if need_s3a:
        packages.append(hadoop_aws_package())
        for k, v in s3a_conf(resolve_s3(storage)).items():
            builder = builder.config(k, v)
    if packages:
        builder = builder.config("spark.jars.packages", ",".join(dict.fromkeys(packages)))
    for k, v in cfg.conf.items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(cfg.log_level)
    if need_s3a:
        # Settings must also reach an already running session (spark-submit, tests).
        hconf = spark.sparkContext._jsc.hadoopConfiguration()
        for k, v in s3a_conf(resolve_s3(storage)).items():
            if k.startswith("spark.hadoop."):
                hconf.set(k[len("spark.hadoop."):], v)
    eff_master = spark.sparkContext.master
    if cfg.ship_library and not _is_local_master(eff_master):
        spark.sparkContext.addPyFile(package_zip())
    log.info("spark session: master=%s version=%s", eff_master, spark.version)
    return spark
