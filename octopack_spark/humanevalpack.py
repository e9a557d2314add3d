"""HumanEvalPack loading: the bundled copy, a local folder of per-language jsonl files or the HF hub dataset.

Part of the library because ft decontamination (octopack_spark.ft.decont) and evaluation both read it;
``evaluation.data`` re-exports it. ``LANGUAGES`` is the one tuple of the six languages.

Rows come back as plain dicts with every field present (missing per-language fields such as Go's `import`
and `test_setup` or Python/Java's `text` become ""), so callers never need `row.get(k, "")`.

``source`` is ``"bundled"`` (the default: the copy shipped in ``octopack_spark/data/humanevalpack``, MIT,
checked against its SHA256SUMS), a local folder in one of these layouts:
  - ``<dir>/<lang>.jsonl``                          (the bundled copy's layout)
  - ``<dir>/data/<lang>/data/humanevalpack.jsonl``  (the hub / bigcode-project/octopack layout)
or a hub dataset name such as ``bigcode/humanevalpack``, loaded with ``datasets`` (config = language,
split ``test``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence

from octopack_spark.data import BUNDLED, BundledDataError, humanevalpack_dir
from octopack_spark.errors import UserFacingError

LANGUAGES: tuple[str, ...] = ("python", "js", "java", "go", "cpp", "rust")

# task_id prefix used by the dataset for each language ("CPP/12", "JavaScript/0", ...).
TASK_PREFIX: dict[str, str] = {
    "python": "Python",
    "js": "JavaScript",
    "java": "Java",
    "go": "Go",
    "cpp": "CPP",
    "rust": "Rust",
}
_PREFIX_TO_LANG = {v: k for k, v in TASK_PREFIX.items()}

# Human-readable language names (prompts say "Write a C++ function", ...).
DISPLAY_NAME: dict[str, str] = {
    "python": "Python",
    "js": "JavaScript",
    "java": "Java",
    "go": "Go",
    "cpp": "C++",
    "rust": "Rust",
}

REQUIRED_FIELDS: tuple[str, ...] = (
    "task_id", "prompt", "declaration", "canonical_solution", "buggy_solution", "entry_point", "test",
)
ALL_FIELDS: tuple[str, ...] = REQUIRED_FIELDS + (
    "bug_type", "failure_symptoms", "example_test", "signature", "docstring", "instruction",
    "import", "test_setup", "text",
)

DEFAULT_HUB_NAME = "bigcode/humanevalpack"
_HUB_NAME = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")


class DataError(UserFacingError, ValueError):
    """HumanEvalPack data that cannot be used (missing file, bad row, wrong language)."""


def normalize_language(language: str) -> str:
    """Accept the dataset's names and common aliases ("javascript", "c++", "CPP") -> one of LANGUAGES."""
    key = language.strip().lower()
    aliases = {"javascript": "js", "c++": "cpp", "golang": "go", "py": "python", "rs": "rust"}
    key = aliases.get(key, key)
    if key not in LANGUAGES:
        raise DataError(f"unknown HumanEvalPack language {language!r}; expected one of {', '.join(LANGUAGES)}")
    return key


def language_of_task(task_id: str) -> str:
    """'CPP/12' -> 'cpp'."""
    prefix = task_id.split("/", 1)[0]
    if prefix not in _PREFIX_TO_LANG:
        raise DataError(f"task_id {task_id!r} has no known language prefix ({', '.join(_PREFIX_TO_LANG)})")
    return _PREFIX_TO_LANG[prefix]


def task_number(task_id: str) -> int:
    """'CPP/12' -> 12."""
    try:
        return int(task_id.split("/", 1)[1])
    except (IndexError, ValueError):
        raise DataError(f"task_id {task_id!r} is not of the form <Lang>/<n>") from None


def _local_file(root: Path, language: str) -> Optional[Path]:
    for cand in (root / f"{language}.jsonl", root / "data" / language / "data" / "humanevalpack.jsonl"):
        if cand.is_file():
            return cand
    return None


def normalize_row(row: Mapping, language: str, where: str = "") -> dict:
    """Check required fields and fill optional ones with "" (string-typed, as the hub copy has them)."""
    missing = [f for f in REQUIRED_FIELDS if f not in row]
    if missing:
        raise DataError(f"{where}row {row.get('task_id', '?')!r} lacks field(s) {', '.join(missing)}")
    out = dict(row)
    for f in ALL_FIELDS:
        v = out.get(f)
        out[f] = "" if v is None else v
    tid = out["task_id"]
    if language_of_task(tid) != language:
        raise DataError(f"{where}task_id {tid!r} does not belong to language {language!r}")
    return out


def read_jsonl(path: Path, language: str) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"{path}:{lineno}: not valid JSON ({e.msg})") from None
            rows.append(normalize_row(raw, language, where=f"{path}:{lineno}: "))
    if not rows:
        raise DataError(f"{path} holds no rows")
    _check_unique(rows, str(path))
    return rows


def _check_unique(rows: Sequence[Mapping], where: str) -> None:
    seen: set[str] = set()
    for r in rows:
        if r["task_id"] in seen:
            raise DataError(f"{where}: duplicate task_id {r['task_id']!r}")
        seen.add(r["task_id"])


def _load_hub(name: str, language: str) -> list[dict]:
    try:
        import datasets  # heavy import, only for the hub path
    except ImportError:
        raise DataError(
            f"{name!r} is not a local folder and the `datasets` package is not installed to fetch it from the hub"
        ) from None
    try:
        ds = datasets.load_dataset(name, language, split="test")
    except Exception as e:  # network, offline mode, unknown name: one clear line for the CLI
        raise DataError(f"could not load {name!r} (config {language!r}) from the hub: {e}") from None
    rows = [normalize_row(r, language, where=f"{name}/{language}: ") for r in ds]
    _check_unique(rows, f"{name}/{language}")
    return rows


def load_language(language: str, source: str | os.PathLike | None = None) -> list[dict]:
    """All rows of one language in dataset order. ``source``: "bundled", a local folder (see module doc), a
    hub name, or None = $OCTOPACK_HUMANEVALPACK_DIR if set, else the bundled copy."""
    language = normalize_language(language)
    if source is None:
        source = os.environ.get("OCTOPACK_HUMANEVALPACK_DIR") or BUNDLED
    if str(source) == BUNDLED:
        try:
            source = humanevalpack_dir()
        except BundledDataError as e:
            raise DataError(str(e)) from None
    p = Path(source)
    if p.exists():
        if not p.is_dir():
            raise DataError(f"{p} is not a folder of HumanEvalPack jsonl files")
        f = _local_file(p, language)
        if f is None:
            raise DataError(
                f"no {language} data in {p}: expected {language}.jsonl or data/{language}/data/humanevalpack.jsonl"
            )
        return read_jsonl(f, language)
    if not _HUB_NAME.fullmatch(str(source)):
        raise DataError(f"HumanEvalPack folder {source} does not exist (and it is not a hub name owner/name)")
    return _load_hub(str(source), language)


def load_humanevalpack(
    languages: Iterable[str] | str = LANGUAGES, source: str | os.PathLike | None = None
) -> dict[str, list[dict]]:
    """{language: rows} for the given languages ("all" = every language)."""
    if isinstance(languages, str):
        languages = LANGUAGES if languages == "all" else [languages]
    return {normalize_language(l): load_language(l, source) for l in languages}


def problems_by_id(rows: Iterable[Mapping]) -> dict[str, dict]:
    """task_id -> row: the ``problems`` mapping that evaluation.execution.api.execute takes."""
    return {r["task_id"]: dict(r) for r in rows}


def dataset_hash(rows: Iterable[Mapping], fields: Sequence[str] = ALL_FIELDS) -> str:
    """Stable sha256 over the given fields of the rows (order-independent); keys caches of derived data."""
    h = hashlib.sha256()
    for r in sorted(rows, key=lambda r: r["task_id"]):
        h.update(json.dumps({f: r.get(f, "") for f in fields}, sort_keys=True, ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()
