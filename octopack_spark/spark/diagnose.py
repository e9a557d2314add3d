"""When a Spark stage dies: one line that says which stage, what ran out and which setting to change.

The full Python and Java traces go to a log file (its path is part of the line); Spark's own console
logging is routed there too when this process starts the JVM (`log4j_options`), so a failed run prints
a diagnosis instead of hundreds of lines of stack trace.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import traceback
from dataclasses import dataclass
from typing import Optional

from octopack_spark.redact import redact_text

LOG_DIR_ENV = "OCTOPACK_LOG_DIR"

_current_stage = {"name": None}
_log = {"path": None}  # the log file Spark's own logging goes to, when this process started the JVM


def set_stage(spark, name: str) -> None:
    """Name the stage that runs next (shown in the Spark UI and in a failure's diagnosis)."""
    _current_stage["name"] = name
    if spark is not None:
        spark.sparkContext.setJobDescription(name)


def current_stage() -> Optional[str]:
    return _current_stage["name"]


def log_dir() -> str:
    d = os.environ.get(LOG_DIR_ENV) or os.path.join(os.getcwd(), ".octopack", "logs")
    os.makedirs(d, exist_ok=True)
    return d


def new_log_path(command: str) -> str:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    return os.path.join(log_dir(), f"{command}-{stamp}-{os.getpid()}.log")


def session_log_path(app_name: str) -> str:
    """The log file of this process (created on first use)."""
    if _log["path"] is None:
        _log["path"] = new_log_path(app_name.replace("octopack-", "").replace("/", "_") or "spark")
    return _log["path"]


def log4j_options(log_path: str) -> str:
    """-D option for a log4j2 configuration that writes everything to `log_path` and only one-line
    ERROR messages (no stack traces) to the console."""
    conf = log_path + ".log4j2.properties"
    with open(conf, "w") as f:
        f.write("\n".join([
            "rootLogger.level = warn",
            "rootLogger.appenderRef.file.ref = file",
            "rootLogger.appenderRef.console.ref = console",
            "rootLogger.appenderRef.console.level = error",
            "appender.file.type = File",
            "appender.file.name = file",
            f"appender.file.fileName = {log_path}",
            "appender.file.layout.type = PatternLayout",
            "appender.file.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c: %m%n",
            "appender.console.type = Console",
            "appender.console.name = console",
            "appender.console.target = SYSTEM_ERR",
            "appender.console.layout.type = PatternLayout",
            "appender.console.layout.pattern = %p %c{1}: %m%n",
            "appender.console.layout.alwaysWriteExceptions = false",
            "",
        ]))
    return f"-Dlog4j2.configurationFile=file:{conf}"


@dataclass
class Diagnosis:
    ran_out: str  # what ran out, in words
    setting: str  # the setting to change
    suggestion: str  # a suggested value or action


def _double(size: Optional[str], default: str) -> str:
    m = re.fullmatch(r"(\d+)([kmgt]?)b?", (size or default).strip().lower())
    if not m:
        return default
    n, unit = int(m.group(1)), m.group(2) or "b"
    mib = n * {"b": 1 / 1024**2, "k": 1 / 1024, "m": 1, "g": 1024, "t": 1024**2}[unit]
    return f"{max(2, int(mib * 2 / 1024 + 0.999))}g"


def diagnose(text: str, conf: dict[str, str], local: bool) -> Optional[Diagnosis]:
    """What ran out, from the text of a failure (exception message and Java trace)."""
    heap_key = "spark.driver.memory" if local else "spark.executor.memory"
    heap = conf.get(heap_key)
    if re.search(r"OutOfMemoryError|Cannot reserve additional contiguous bytes|GC overhead limit exceeded|"
                 r"Java heap space|Unable to acquire \d+ bytes of memory", text):
        return Diagnosis(
            f"Java heap exhausted ({heap_key}={heap or '1g (Spark default)'})", heap_key,
            f"--set spark.conf.{heap_key}={_double(heap, '1g')}, or lower "
            "spark.sql.parquet.columnarReaderBatchSize / spark.sql.execution.arrow.maxRecordsPerBatch")
    if re.search(r"No space left on device|Disk quota exceeded", text):
        d = conf.get("spark.local.dir", "/tmp")
        return Diagnosis(f"disk full under spark.local.dir ({d}) or the output", "spark.local.dir",
                         "--set spark.conf.spark.local.dir=/a/bigger/disk (shuffle and spill files go there)")
    if re.search(r"Too many open files", text):
        return Diagnosis("too many open files", "ulimit -n",
                         "raise the open-file limit (ulimit -n 65536) or lower spark.sql.shuffle.partitions")
    if re.search(r"Python worker exited unexpectedly|MemoryError|worker.*(killed|crashed)|exit code 137|"
                 r"SIGKILL", text):
        return Diagnosis("a Python worker died (memory, most likely)", "spark.executor.pyspark.memory",
                         "lower mine.arrow_batch_bytes or spark.sql.execution.arrow.maxBytesPerBatch, or set "
                         "spark.executor.pyspark.memory / give the machine more memory")
    if re.search(r"ExecutorLostFailure|Executor heartbeat timed out|Container killed|exited caused by one of "
                 r"the running tasks", text):
        return Diagnosis("an executor was lost (killed for memory, most likely)", "spark.executor.memoryOverhead",
                         f"--set spark.conf.spark.executor.memoryOverhead=2g or raise {heap_key}")
    if re.search(r"Py4JNetworkError|Answer from Java side is empty|Connection refused|"
                 r"SparkContext was shut down|Py4JError", text):
        return Diagnosis(f"the Spark JVM died (usually the heap: {heap_key}={heap or '1g'})", heap_key,
                         f"--set spark.conf.{heap_key}={_double(heap, '1g')}")
    return None


# A data file that is not a readable Parquet file (truncated, overwritten, not Parquet at all). Spark
# says it in several ways depending on where the read failed (schema inference, footer, pages); pyarrow
# (the training loader, DuckDB's Arrow path) in others.
# Only Parquet-specific wording: a bare EOFException is also what a dying Python worker leaves in a trace.
_CORRUPT_PARQUET = re.compile(
    r"is not a Parquet file|Could not read footer|CANNOT_READ_FILE_FOOTER|ParquetDecodingException|"
    r"Can not read value at \d+ in block|Parquet magic bytes not found|Couldn't deserialize thrift|"
    r"too small to be a Parquet file|No magic bytes found at end of file|Invalid Parquet file",
    re.IGNORECASE)
# A data file named in such a message: a URI or an absolute path ending in .parquet (Spark prints
# `file:/abs/x.parquet`, `s3a://b/k.parquet`, or FileStatus{path=file:/...; ...}).
_PARQUET_PATH = re.compile(r"(?:(?:file|s3a?|gs|hdfs|abfss?)://?|/)[^\s'\"\[\]{}();,<>|]*?\.parquet\b")


def corrupt_parquet(text: str) -> Optional[str]:
    """The file a corrupt-Parquet failure names (as a plain local path or a URI), None when `text` is
    not such a failure or names no file."""
    m = _CORRUPT_PARQUET.search(text)
    if not m:
        return None
    # Prefer a path near the matched message (a trace may name other files elsewhere).
    window = text[max(0, m.start() - 2000):m.end() + 2000]
    status = re.search(r"path=([^;}\n]+?\.parquet)\b", window)  # FileStatus{path=...; ...}: spaces allowed
    if status:
        return re.sub(r"^file:/+", "/", status.group(1))
    paths = _PARQUET_PATH.findall(window) or _PARQUET_PATH.findall(text)
    if not paths:
        return None
    near = min(paths, key=lambda p: abs(window.find(p) - (m.start() - max(0, m.start() - 2000))))
    return re.sub(r"^file:/+", "/", near)


def failure_line(command: str, exc: BaseException, conf: dict[str, str], local: bool,
                 log_path: Optional[str] = None, published: str = "nothing was published") -> str:
    """Write the full trace to a log file and return the one-line diagnosis for the CLI."""
    log_path = log_path or _log["path"] or new_log_path(command)
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    java = getattr(exc, "java_exception", None)
    if java is not None:
        try:
            text += "\nJava stack trace:\n" + str(java.toString())
        except Exception:
            pass
    text = redact_text(text)
    spark_log = ""
    try:  # Spark's own log of this run holds the executor-side cause (e.g. the OutOfMemoryError)
        with open(log_path, "rb") as f:
            f.seek(max(0, os.path.getsize(log_path) - 4 * 1024**2))
            spark_log = f.read().decode("utf-8", "replace")
    except OSError:
        pass
    with open(log_path, "a", encoding="utf-8") as f:
        f.write(text + "\n")
    stage = current_stage() or "startup"
    bad = corrupt_parquet(text)
    if bad:
        return (f"{command} stage '{stage}' failed: {bad} is not a readable Parquet file (truncated or corrupt); "
                f"restore or rewrite it (or rerun the job that wrote it); {published}; full trace: {log_path}")
    d = diagnose(text + "\n" + spark_log, conf, local)
    if d is None:
        from octopack_spark.spark.errors import root_cause

        cause = redact_text(root_cause(exc))[:300]
        return f"{command} stage '{stage}' failed: {cause}; {published}; full trace: {log_path}"
    return (f"{command} stage '{stage}' failed: {d.ran_out}; change {d.setting}: {d.suggestion}; "
            f"{published}; full trace: {log_path}")


def effective_conf(fallback: dict[str, str]) -> tuple[dict[str, str], bool]:
    """(Spark properties, local mode?) of the running session; `fallback` when the JVM is gone."""
    conf = dict(fallback)
    try:
        from pyspark.sql import SparkSession

        s = SparkSession.getActiveSession()
        if s is not None:
            conf.update(dict(s.sparkContext.getConf().getAll()))
    except Exception:  # the JVM died with the stage
        pass
    master = conf.get("spark.master", "local[*]")
    return conf, master.startswith("local")


def stage_failed(command: str, exc: BaseException, spark_cfg, published: str = "nothing was published"):
    """A SparkJobError (one CLI line) for a failed stage of `command`."""
    from octopack_spark.spark.errors import SparkJobError

    conf, local = effective_conf({"spark.master": spark_cfg.master, **spark_cfg.conf})
    return SparkJobError(failure_line(command, exc, conf, local, published=published))
