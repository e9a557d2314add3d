import pyarrow as pa
import pytest

from octopack_spark.ft.config import FtConfig
from octopack_spark.ft.score import Scorer, score_table, scored_schema
from octopack_spark.ft.tables import SCORE_FIELDS
from octopack_spark.schema import COMMITS_SCHEMA
from tests.ft.rows import commits_record


def cfg(**tokens):
    return FtConfig(tokens={"tokenizer": "/nonexistent/tok", "fallback": "chars", "chars_per_token": 1.0, **tokens})


def table(records):
    return pa.Table.from_pylist(records, schema=COMMITS_SCHEMA)


def test_scores_and_verdicts():
    recs = [
        commits_record(0),
        commits_record(1, license="gpl-3.0"),
        commits_record(2, subject="fix it", message="fix it\n"),
        commits_record(3, subject="Behebe Fehler im Parser beim Lesen der Datei",
                       message="Behebe Fehler im Parser beim Lesen der Datei\n"),
        commits_record(4, old_contents=None, new_contents=None, skip_reason="binary"),
        commits_record(5, lang=None),
    ]
    out = score_table(table(recs), cfg())
    assert out.num_rows == 6
    assert [f.name for f in SCORE_FIELDS] == out.column_names[-len(SCORE_FIELDS):]
    d = out.to_pydict()
    assert d["drop_reasons"][0] == []
    assert d["drop_reasons"][1] == ["license_not_allowed"]
    assert d["drop_reasons"][2][:2] == ["subject_length", "subject_length_clean"]
    # langid scope=candidates: row 3 fails verb_start already, so it gets no language ID
    assert "nl_language" not in d["drop_reasons"][3] and d["nl_lang"][3] is None
    assert d["drop_reasons"][4] == ["contents_missing"]  # not tokenized: already dropped
    assert d["lang"][5] == "Python"  # filled from the file name
    assert d["nl_lang"][0] == "en" and 0 < d["nl_score"][0] <= 1
    assert d["subject_clean"][0] == "Add retry loop around fetch calls"
    assert d["old_chars"][0] == len(recs[0]["old_contents"]) and d["old_chars"][4] is None
    assert d["repo_langs"][0] == ["Python"] and d["inplace_files"][0] == 1
    # chars fallback with 1 char/token: old + new + 1 separator
    assert d["n_tokens"][0] == len(recs[0]["old_contents"]) + len(recs[0]["new_contents"]) + 1
    # scope=candidates: rows dropped by another rule are not tokenized
    assert d["n_tokens"][1] is None
    assert all(0 <= x < 1 for x in d["bump_draw"])
    base = pa.schema([f for f in out.schema if f.name not in {x.name for x in SCORE_FIELDS}])
    assert scored_schema(base) == out.schema


def test_langid_scope_all_identifies_every_row():
    recs = [commits_record(0),
            commits_record(3, subject="Behebe Fehler im Parser beim Lesen der Datei",
                           message="Behebe Fehler im Parser beim Lesen der Datei\n")]
    every = FtConfig(tokens={"tokenizer": "/nonexistent/tok", "fallback": "chars"}, langid={"scope": "all"})
    d = score_table(table(recs), every).to_pydict()
    assert d["nl_lang"] == ["en", "de"] and d["message_nl_lang"][1] == "de"
    assert d["drop_reasons"][1][-1] == "nl_language" and "verb_start" in d["drop_reasons"][1]
    # the default judges the same candidates the same way
    assert score_table(table(recs[:1]), cfg()).to_pydict()["nl_lang"] == ["en"]


def test_german_candidate_fails_nl_language():
    subject = "Fix die Fehlerbehandlung beim Laden der Konfigurationsdatei"
    d = score_table(table([commits_record(0, subject=subject, message=subject + "\n")]), cfg()).to_pydict()
    assert d["drop_reasons"] == [["nl_language"]] and d["nl_lang"] == ["de"]


def test_token_scope_all_counts_every_row():
    recs = [commits_record(0), commits_record(1, license="gpl-3.0"), commits_record(2, skip_reason="binary",
                                                                                   old_contents=None)]
    out = score_table(table(recs), cfg(scope="all"))
    assert out.column("n_tokens").to_pylist()[:2] == [out.column("n_tokens")[0].as_py()] * 2
    assert out.column("n_tokens")[0].as_py() is not None
    assert out.column("drop_reasons").to_pylist()[2] == ["contents_missing", "token_length"]


def test_token_window_drop():
    out = score_table(table([commits_record(0)]), FtConfig(
        tokens={"tokenizer": "/nonexistent", "fallback": "chars", "chars_per_token": 0.1}))
    assert out.column("drop_reasons").to_pylist() == [["token_length"]]


def test_empty_input_keeps_schema():
    out = score_table(COMMITS_SCHEMA.empty_table(), cfg())
    assert out.num_rows == 0 and "drop_reasons" in out.column_names and "repo_langs" in out.column_names


def test_scorer_times_every_rule():
    s = Scorer(cfg())
    score_table(table([commits_record(0)]), cfg(), scorer=s)
    assert s.rows == 1
    assert {"prepare", "langid", "tokens", "rule:license_not_allowed", "rule:token_length"} <= set(s.seconds)


def test_unloadable_tokenizer_without_fallback_fails_early():
    from octopack_spark.ft.tokens import TokenizerUnavailable

    with pytest.raises(TokenizerUnavailable):
        Scorer(FtConfig(tokens={"tokenizer": "/nonexistent/tok2"}))
