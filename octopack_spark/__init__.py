"""octopack-spark: Git history -> CommitPack / CommitPackFT on Spark, training and evaluation."""

__version__ = "0.1.0"


def code_version() -> str:
    """Package version plus the git commit of the source tree when it is a checkout (for manifests)."""
    import os
    import subprocess

    here = os.path.dirname(os.path.abspath(__file__))
    try:
        sha = subprocess.run(
            ["git", "-C", here, "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", here, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        return f"{__version__}+g{sha}{'.dirty' if dirty else ''}"
    except Exception:
        return __version__
