"""The secrets detector (octopack_spark.governance.secrets): recall on planted secrets, spans, redaction."""

from __future__ import annotations

from octopack_spark.governance.secrets import find_secrets, placeholder, redact, scan_fields
from tests.governance.planted_secrets import planted_files


def _covered(findings, start: int, end: int) -> bool:
    return any(f.start <= start and end <= f.end for f in findings)


def test_recall_on_planted_corpus_is_at_least_95_percent():
    files = planted_files()
    total = found = 0
    kinds = set()
    missed = []
    for pf in files:
        findings = find_secrets(pf.text)
        for kind, value in pf.secrets:
            kinds.add(kind)
            total += 1
            start = pf.text.index(value)
            if _covered(findings, start, start + len(value)):
                found += 1
            else:
                missed.append((pf.path, kind))
    print(f"secrets recall: {found}/{total} = {found / total:.1%} over {len(kinds)} kinds; missed {missed[:10]}")
    assert total >= 200 and len(kinds) >= 10
    assert found / total >= 0.95, missed


def test_redaction_removes_every_planted_value_and_keeps_the_rest():
    for pf in planted_files(n_sets=3):
        out = redact(pf.text)
        for _kind, value in pf.secrets:
            assert value not in out
        assert "<SECRET_" in out
    assert redact("port: 8080\nname: demo\n") == "port: 8080\nname: demo\n"


def test_findings_name_kind_and_span_never_the_value():
    text = 'token = "ghp_' + "a1B2" * 9 + '"\n'
    rows = scan_fields({"new_contents": text, "message": "Fix typo"}, ["new_contents", "message"])
    assert rows == [{"kind": "github_token", "field": "new_contents", "start": 9, "end": 49}]
    assert placeholder("github_token") == "<SECRET_GITHUB_TOKEN>"


def test_ordinary_code_is_not_flagged():
    samples = [
        'password = request.form["password"]\n',
        "api_key = settings.API_KEY\nSECRET_KEY = os.environ['SECRET_KEY']\n",
        'token_type = "bearer"\nDB_PASSWORD=changeme\naws_secret_access_key = "<your-secret-key>"\n',
        "const token = getToken(user.id);\nlet password_field = document.getElementById('pw');\n",
        'sha = "3f786850e387550fdab836ed7e6dc881de23001b"\nversion = "1.2.3"\n',
    ]
    for s in samples:
        assert find_secrets(s) == [], (s, find_secrets(s))
