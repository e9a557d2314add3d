"""The mining-time scanner (octopack_spark.governance.secrets_fast) finds exactly what find_secrets finds."""

from __future__ import annotations

import os

import pytest

from octopack_spark.governance import secrets_fast
from octopack_spark.governance.secrets import find_secrets
from octopack_spark.governance.secrets_fast import scan_buffer, scan_text_fast
from tests.governance.planted_secrets import planted_files

CORPUS = os.environ.get("OCTOPACK_SECRETS_CORPUS", "/work/corpus")
GH = "ghp_" + "a1B2" * 9


def _same(text: str) -> None:
    expected = find_secrets(text)
    assert scan_text_fast(text) == expected, text[:200]
    assert scan_buffer(text.encode("utf-8")) == expected
    assert scan_buffer(memoryview(text.encode("utf-8"))) == expected


def test_same_findings_as_find_secrets_on_the_planted_corpus():
    files = planted_files()
    n = 0
    for pf in files:
        _same(pf.text)
        n += len(find_secrets(pf.text))
    assert n >= 200


EDGE_CASES = [
    "",
    "nothing here\n",
    f"token = \"{GH}\"\n",
    f"é€ prefix ünïcode\nx = 1\ntoken = \"{GH}\"  # ü\n",  # character offsets after multi-byte text
    "db:\n  password:\n    Xk9pQ2vL7mZr4TfW\n",  # name and value on different lines
    "API_KEY =\n\n   'q8Vd0pL3xZ7rT2mK'\nother = 1\n",
    "password\u3000=\u3000Xk9pQ2vL7mZr4TfW\n",  # non-ASCII whitespace
    "//registry.npmjs.org/:_authToken=\n   npm_" + "a" * 36 + "\n",  # npm token on the next line
    "head\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY-----\ntail token=1\n",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n",  # no END: to the end of the text
    "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
    "-----BEGIN EC PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----\n" + GH + "\n",  # END of another label
    f"a={GH}\nb=AKIAIOSFODNN7EXAMPLQ\r\nc=sk_live_{'4eC39HqLyjWDarjtT1zdp7dc'}\n",
    "https://user:Zx8kP2qL9vRt@db.example.org/app\n",
    "AKIAIOSFODNN7EXAMPLQx\nxAKIAIOSFODNN7EXAMPLQ\n",  # not whole words
    "aws_secret_access_key = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'\n",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlc2lnbmF0dXJl\n",
    "secret: " + "ab12" * 100 + "\n",  # value longer than the trigger's prefix
    "Client_Secret = 'Qz8vL2xK9mRt4WpY'\nAuthToken: 'Zr5tY8uI2oP4aS6d'\n",
    "conn = 'redis://:Pq9wE3rT7yU1iO5p@cache:6379'\nNPM_AUTH=//npm.pkg.github.com/:_authToken=abcdef01-2345-6789-abcd-ef0123456789\n",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_same_findings_on_edge_cases(text):
    _same(text)


def test_non_utf8_contents_have_no_findings():
    # the miner drops contents that are not UTF-8 (skip_reason not_utf8), so there is nothing to name
    assert scan_buffer(b"\xff\xfe token = \"" + GH.encode() + b"\"\n") == []
    assert scan_buffer(None) == [] and scan_buffer(b"") == []


def test_fallback_without_hyperscan_gives_the_same_findings(monkeypatch):
    monkeypatch.setattr(secrets_fast, "_database", lambda: None)
    assert secrets_fast.backend() == "python-regex"
    for text in [pf.text for pf in planted_files(n_sets=2)] + EDGE_CASES:
        _same(text)
    assert scan_buffer(b"plain text\n") == []


def _real_files(limit: int):
    import pygit2

    taken = 0
    for name in ("requests", "click", "express", "prometheus", "rails"):
        path = os.path.join(CORPUS, name)
        if not os.path.isdir(path):
            continue
        repo = pygit2.Repository(path)
        stack = [repo.head.peel(pygit2.Commit).tree]
        per_repo = 0
        while stack and per_repo < limit // 5:
            for e in stack.pop():
                if e.id not in repo:
                    continue
                if e.type_str == "tree":
                    stack.append(repo[e.id])
                elif e.type_str == "blob":
                    blob = repo[e.id]
                    if blob.size <= 200_000 and not blob.is_binary:
                        per_repo += 1
                        taken += 1
                        yield blob
    if not taken:
        pytest.skip(f"no repositories under {CORPUS}")


def test_same_findings_on_real_files():
    n = flagged = 0
    for blob in _real_files(600):
        data = blob.data
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            assert scan_buffer(blob) == []
            continue
        expected = find_secrets(text)
        assert scan_buffer(blob) == expected, blob.id
        n += 1
        flagged += bool(expected)
    print(f"secrets_fast: {n} real files, {flagged} with findings, identical")
    assert n >= 300


def test_every_detector_kind_has_a_trigger():
    # windows run only the detectors whose triggers fired, so every kind needs at least one trigger
    from octopack_spark.governance.secrets import _detectors

    kinds = {k for k, _rx in _detectors()} | {"private_key", "high_entropy_assignment"}
    assert kinds == set(secrets_fast._KINDS)
