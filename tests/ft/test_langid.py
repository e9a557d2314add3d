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
