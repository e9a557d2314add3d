"""ft's secrets step on Arrow batches (octopack_spark.ft.secrets_step.redact_batch), without Spark."""

import pyarrow as pa

from octopack_spark.ft.config import SecretsConfig
from octopack_spark.ft.secrets_step import redact_batch, secrets_stats

KEY = "AKIA" + "Q7XK2M4P9R3T6W8Y"
TOKEN = "ghp_" + "x9K2m4P7q1R8s3T6v0W5y2Z4a6B8c1D3e5F7"


def _batch():
    return pa.RecordBatch.from_pylist([
        {"row_id": "a", "new_contents": f"AWS_ACCESS_KEY_ID={KEY}\n", "message": "Add config", "n": 1},
        {"row_id": "b", "new_contents": "print('hi')\n", "message": f"Rotate token {TOKEN}", "n": 2},
        {"row_id": "c", "new_contents": "x = 1\n", "message": "Fix bug", "n": 3},
    ])


def test_redact_mode_replaces_each_secret_with_its_placeholder():
    out, counts = redact_batch(_batch(), ["new_contents", "message"], "redact")
    rows = out.to_pylist()
    assert [r["row_id"] for r in rows] == ["a", "b", "c"]
    assert rows[0]["new_contents"] == "AWS_ACCESS_KEY_ID=<SECRET_AWS_KEY>\n"
    assert rows[1]["message"] == "Rotate token <SECRET_GITHUB_TOKEN>"
    assert rows[2] == _batch().to_pylist()[2]
    assert out.schema == _batch().schema
    assert counts == {"rows_with_secrets": 2, "rows_dropped": 0, "kind:aws_key": 1, "kind:github_token": 1}


def test_drop_mode_leaves_rows_with_secrets_out():
    out, counts = redact_batch(_batch(), ["new_contents", "message"], "drop")
    assert out.column("row_id").to_pylist() == ["c"] and counts["rows_dropped"] == 2


def test_stats_hold_counts_not_values():
    _, counts = redact_batch(_batch(), ["new_contents", "message"], "redact")
    s = secrets_stats(counts, SecretsConfig())
    assert s == {"mode": "redact", "rows_with_secrets": 2, "rows_dropped": 0,
                 "findings_by_kind": {"aws_key": 1, "github_token": 1}}
    assert KEY not in str(s) and TOKEN not in str(s)


def test_card_section_names_kinds_and_counts():
    from octopack_spark.ft.report import render_card

    _, counts = redact_batch(_batch(), ["new_contents", "message"], "redact")
    s = secrets_stats(counts, SecretsConfig())
    from octopack_spark.ft.secrets_step import secrets_section

    text = "\n".join(secrets_section(s))
    assert "## Secrets" in text and "aws_key 1" in text and "2 kept rows" in text and KEY not in text
    assert callable(render_card)


def test_personal_data_in_messages_is_replaced_when_asked(monkeypatch):
    monkeypatch.delenv("OCTOPACK_PII_KEY", raising=False)
    b = pa.RecordBatch.from_pylist([{"row_id": "a", "new_contents": "x = 1\n",
                                     "message": "Fix bug\n\nSigned-off-by: Jane Doe <jane@example.org>"}])
    out, _ = redact_batch(b, ["new_contents", "message"], "redact", personal=True)
    assert out.column("message").to_pylist() == ["Fix bug\n\nSigned-off-by: <PERSON_1> <EMAIL_1>"]
    out, _ = redact_batch(b, ["new_contents", "message"], "off", personal=False)
    assert out.to_pylist() == b.to_pylist()


def test_a_repeated_message_is_scanned_once_and_counted_per_row(monkeypatch):
    """A commit's message repeats on every file it changed: one scan per distinct text (also across batches
    sharing a TextCache), the same output and per-row counts as scanning each row."""
    from octopack_spark.ft import secrets_step

    calls = []
    real = secrets_step.find_secrets
    monkeypatch.setattr(secrets_step, "find_secrets", lambda t: calls.append(t) or real(t))
    rows = [{"row_id": str(i), "message": f"Rotate token {TOKEN}" if i % 2 else "Fix bug"} for i in range(6)]
    cache = secrets_step.TextCache()
    outs, counts = [], []
    for part in (rows[:3], rows[3:]):
        out, c = redact_batch(pa.RecordBatch.from_pylist(part), ["message"], "redact", cache=cache)
        outs += out.to_pylist()
        counts.append(c)
    assert sorted(calls) == ["Fix bug", f"Rotate token {TOKEN}"]
    assert [r["message"] for r in outs] == ["Fix bug", "Rotate token <SECRET_GITHUB_TOKEN>"] * 3
    assert sum(c["rows_with_secrets"] for c in counts) == 3
    assert sum(c["kind:github_token"] for c in counts) == 3


def test_long_texts_are_not_cached():
    from octopack_spark.ft.secrets_step import TextCache

    cache = TextCache(max_chars=10)
    b = pa.RecordBatch.from_pylist([{"message": "x" * 11}, {"message": "short"}])
    redact_batch(b, ["message"], "redact", cache=cache)
    assert [k[-1] for k in cache.results] == ["short"]
