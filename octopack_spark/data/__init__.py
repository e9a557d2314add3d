"""Bundled data files (see ATTRIBUTION.md): the CommitPack language table and HumanEvalPack."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
# The name that selects the bundled HumanEvalPack wherever a source is configured
# (ft.decont.source, octopack eval --data, evaluation.data.load_language).
BUNDLED = "bundled"
HUMANEVALPACK_DIR = DATA_DIR / "humanevalpack"

_verified: set[Path] = set()
_lock = threading.Lock()


class BundledDataError(RuntimeError):
    """A bundled file is missing or differs from its recorded checksum."""


def verify_checksums(folder: Path) -> None:
    """Check every file listed in `folder`/SHA256SUMS (`sha256sum` format) against its SHA-256."""
    sums = folder / "SHA256SUMS"
    if not sums.is_file():
        raise BundledDataError(f"{sums} is missing: the bundled data cannot be verified")
    for line in sums.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        want, name = line.split(None, 1)
        f = folder / name.lstrip("*").strip()
        if not f.is_file():
            raise BundledDataError(f"bundled file {f} is missing (reinstall octopack-spark)")
        h = hashlib.sha256()
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        if h.hexdigest() != want:
            raise BundledDataError(
                f"bundled file {f} does not match its SHA-256 in {sums} (changed or truncated; reinstall "
                "octopack-spark or point the source at another copy)")


def humanevalpack_dir(verify: bool = True) -> Path:
    """The folder of the bundled HumanEvalPack (`<lang>.jsonl` for 6 languages, MIT; SOURCE.md), its files
    checked against SHA256SUMS once per process."""
    d = HUMANEVALPACK_DIR
    if verify and d not in _verified:
        with _lock:
            if d not in _verified:
                verify_checksums(d)
                _verified.add(d)
    return d
