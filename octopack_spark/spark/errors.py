"""Turn a failed Spark action into one clear line (the root cause), instead of a JVM stack trace."""

from __future__ import annotations

from octopack_spark.errors import UserFacingError


class SparkJobError(UserFacingError):
    pass


def root_cause(exc: BaseException) -> str:
    """Innermost message of a Py4J/Java exception chain (e.g. 'Connection refused'), else str(exc)."""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        try:
            cur, last = java, None
            for _ in range(20):
                if cur is None:
                    break
                last = cur
                cur = cur.getCause()
            msg = last.toString() if last is not None else ""
            if msg:
                return msg
        except Exception:  # the gateway may be gone when the JVM died
            pass
    text = str(exc).strip().splitlines()
    for line in text:
        line = line.strip()
        if line and not line.startswith(("at ", "File ", "Traceback")):
            return line[:500]
    return type(exc).__name__
