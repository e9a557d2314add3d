"""SparkSession construction from the typed config: master, memory, s3a connector, shipping the library.

Precedence, highest first: `spark.conf` of the config file / `--set spark.conf.X=...`, then what the
user already set elsewhere (`spark-submit --conf`, spark-defaults.conf, an active session's settings),
then the project's defaults below. A default is applied only to a key nobody set.

Memory model (docs/scale.md): rows carry whole files (up to `mine.max_file_bytes` per side), so every
place where rows are batched is bounded in rows small enough that a batch of worst-case rows fits:
Parquet's vectorized reader (`columnarReaderBatchSize`), Arrow batches to Python (`maxRecordsPerBatch`
and `maxBytesPerBatch`), row groups Spark writes (`parquet.block.size`) and input splits
(`maxPartitionBytes`). In local mode the driver JVM is also the executor; its heap is sized from the
machine (`local_driver_memory`) when this process starts the JVM.
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


GIB = 1024**3


def physical_memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 4 * GIB


def cgroup_memory_limit() -> Optional[int]:
    """The container's memory limit (cgroup v2 or v1), when one is set."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                v = f.read().strip()
        except OSError:
            continue
        if v.isdigit() and int(v) < 1 << 60:
            return int(v)
    return None


def local_driver_memory(total_bytes: Optional[int] = None) -> str:
    """Heap for a local-mode driver (which is also the executor): a quarter of the memory this process
    may use (physical RAM or the container limit), at least 1 GiB and at most 32 GiB, in MiB. The other
    three quarters are for the Python workers (one per core, each holding a few bounded Arrow batches),
    the JVM's off-heap buffers, and the OS page cache that Parquet and git objects are read through."""
    if total_bytes is None:
        total_bytes = physical_memory_bytes()
        limit = cgroup_memory_limit()
        if limit:
            total_bytes = min(total_bytes, limit)
    heap = min(max(total_bytes // 4, GIB), 32 * GIB)
    return f"{heap // (1024 * 1024)}m"


# Defaults for keys nobody set (see the module doc for why each one is bounded).
DEFAULTS = {
    # The web UI only for local masters (LOCAL_DEFAULTS): a cluster driver's UI would listen beyond loopback.
    "spark.ui.enabled": "false",
    # Spark's own console bar ("[Stage 3:> (0 + 1) / 4]") would overwrite octopack's progress line and
    # fill non-terminal logs: the commands draw their own (octopack_spark/progress.py).
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.parquet.compression.codec": "zstd",
    # Plain Parquet timestamps (UTC micros) instead of legacy INT96, so pyarrow, DuckDB and
    # HF datasets read them as timestamp[us, tz=UTC].
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    # Rows hold up to two whole files and a diff (~3 MiB at mine.max_file_bytes): the reader's column
    # vectors hold a batch and grow to twice what they need, so 16 rows are ~100 MiB per task; the default
    # of 4096 is gigabytes (the vectorized reader's OutOfMemoryError on real repositories).
    "spark.sql.parquet.columnarReaderBatchSize": "16",
    "spark.sql.files.maxPartitionBytes": str(64 * 1024**2),
    "spark.hadoop.parquet.block.size": str(32 * 1024**2),
    # parquet-mr checks buffered sizes only every 100 rows by default: 100 rows of whole files overshoot
    # the row group and page sizes by hundreds of MiB. It adapts the interval to the row size from here.
    "spark.hadoop.parquet.page.size.row.check.min": "2",
    "spark.hadoop.parquet.block.size.row.check.min": "2",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "256",
    "spark.sql.execution.arrow.maxBytesPerBatch": str(32 * 1024**2),
    # Per-commit and per-repository context tables and dedup annotations are narrow: broadcasting them
    # up to 64 MiB keeps the rows that carry whole files from being shuffled for a join.
    "spark.sql.autoBroadcastJoinThreshold": str(64 * 1024**2),
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.python.worker.reuse": "true",
    "spark.driver.extraJavaOptions": "-XX:+UseParallelGC",
}


# Defaults for a session this process launches on a local master. The UI binds to SPARK_LOCAL_IP
# (127.0.0.1, set below); 4040 is taken by any other Spark app on the machine, so the UI (and any other
# fixed port) tries up to 64 following ports instead of Spark's 16 (parallel test runs, several users).
LOCAL_DEFAULTS = {
    "spark.ui.enabled": "true",
    "spark.port.maxRetries": "64",
}


_ZIPS: dict[str, str] = {}


def package_zip(pkg_name: str = "octopack_spark") -> str:
    """Zip a top-level package for SparkContext.addPyFile: built in a private temporary directory (0700,
    so no other user can plant or swap it), named by the hash of its contents, removed at exit."""
    import atexit
    import hashlib
    import importlib
    import io
    import shutil

    if pkg_name in _ZIPS and os.path.exists(_ZIPS[pkg_name]):
        return _ZIPS[pkg_name]
    pkg_dir = os.path.dirname(os.path.abspath(importlib.import_module(pkg_name).__file__))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for root, dirs, files in os.walk(pkg_dir):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for f in sorted(files):
                full = os.path.join(root, f)
                info = zipfile.ZipInfo(os.path.relpath(full, os.path.dirname(pkg_dir)), date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(full, "rb") as fh:
                    z.writestr(info, fh.read())
    data = buf.getvalue()
    private = tempfile.mkdtemp(prefix="octopack-pyfiles-")
    atexit.register(shutil.rmtree, private, True)
    out = os.path.join(private, f"{pkg_name}-{hashlib.sha256(data).hexdigest()[:16]}.zip")
    with open(out, "xb") as f:
        f.write(data)
    _ZIPS[pkg_name] = out
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
    # What the user already set outside the config file: spark-submit --conf, spark-defaults.conf,
    # PYSPARK_SUBMIT_ARGS, or an active session. Never override those with our defaults.
    already = user_set_keys(active)
    launching = not submitted and active is None
    defaults = dict(DEFAULTS)
    if launching and _is_local_master(master):
        defaults["spark.driver.memory"] = local_driver_memory()
        defaults.update(LOCAL_DEFAULTS)
    if launching:
        from octopack_spark.spark.diagnose import log4j_options, session_log_path

        # Spark's own log (and its stack traces) to a file; the console gets one-line errors only.
        defaults["spark.driver.extraJavaOptions"] += " " + log4j_options(session_log_path(app_name or cfg.app_name))
    for k, v in defaults.items():
        if k in already or k in cfg.conf:
            continue
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
    ui = spark.sparkContext.uiWebUrl
    # The UI's address goes on the session's one start-up line (stderr, through logging): no extra line.
    log.info("spark session: master=%s version=%s driver.memory=%s%s", eff_master, spark.version,
             spark.sparkContext.getConf().get("spark.driver.memory", "1g (Spark default)"),
             f"; Spark UI {ui} (off with --no-spark-ui)" if ui else "")
    return spark


_RECORDED = ("spark.master", "spark.driver.memory", "spark.executor.memory", "spark.executor.cores",
             "spark.executor.instances", "spark.executor.memoryOverhead", "spark.executor.pyspark.memory",
             "spark.default.parallelism", "spark.sql.", "spark.hadoop.parquet.")


def recorded_conf(spark) -> dict[str, str]:
    """The Spark settings a run's manifest records (effective values: the user's wherever they set them,
    else ours), without machine-local paths and with secrets masked."""
    from octopack_spark.redact import redact_config

    if spark is None:
        return {}
    conf = {k: v for k, v in spark.sparkContext.getConf().getAll()
            if k in _RECORDED or k.startswith(tuple(x for x in _RECORDED if x.endswith(".")))}
    return redact_config(dict(sorted(conf.items())))


def user_set_keys(active=None) -> set[str]:
    """Spark properties already given by the user outside our config: the submitted SparkConf (system
    properties from spark-submit --conf / spark-defaults.conf when a JVM gateway exists), `--conf`
    in PYSPARK_SUBMIT_ARGS, and the settings of an active session."""
    keys: set[str] = set()
    if active is not None:
        keys |= {k for k, _v in active.sparkContext.getConf().getAll()}
        try:
            keys |= set(active.conf.getAll.keys()) if hasattr(active.conf, "getAll") else set()
        except Exception:
            pass
    elif os.environ.get("PYSPARK_GATEWAY_PORT"):
        from pyspark import SparkConf, SparkContext

        SparkContext._ensure_initialized()  # connect to spark-submit's JVM: SparkConf then loads its properties
        keys |= {k for k, _v in SparkConf().getAll()}
    args = os.environ.get("PYSPARK_SUBMIT_ARGS", "").split()
    for i, a in enumerate(args):
        if a == "--conf" and i + 1 < len(args) and "=" in args[i + 1]:
            keys.add(args[i + 1].split("=", 1)[0])
        elif a.startswith("--conf=") and "=" in a[7:]:
            keys.add(a[7:].split("=", 1)[0])
        elif a == "--driver-memory":
            keys.add("spark.driver.memory")
    return keys
