"""commits 1.1 `secrets`: the miner names each secret in new_contents and message (kind, field, span),
never its value, and mine.secrets_scan=false leaves the column null."""

from __future__ import annotations

import glob

import pyarrow as pa
import pyarrow.parquet as pq

from octopack_spark.config import MineConfig
from octopack_spark.governance.secrets import find_secrets
from octopack_spark.mining.sources import RepoSpec, resolve_sources
from octopack_spark.mining.walk import RepoOutcome, mine_repository
from octopack_spark.mining.writer import CommitsWriter
from octopack_spark.schema import COMMITS_SCHEMA
from octopack_spark.storage.fs import Storage
from tests.helpers.gitrepo import RepoBuilder

GH = "ghp_" + "Zq7x" * 9
AWS = "AKIAQ7ZX4MPLV2KD8RTW"
PW = "Xk9pQ2vL7mZr4TfW"
GL = "glpat-" + "Ab3dE5fG7hJ9kL1mN3pQ"
CONFIG = f"# settings ünïcode\nDEBUG = False\nDB_PASSWORD = \"{PW}\"\nAWS_KEY = '{AWS}'\n"
MESSAGE = f"Add deploy config\n\nOops, the CI token was {GL} (revoked)\n"


def _build(path: str) -> None:
    b = RepoBuilder(path)
    b.commit({"app.py": "print('hi')\n"}, "Initial commit")
    b.commit({"settings.py": CONFIG, "app.py": "print('hello')\n"}, MESSAGE)
    b.commit({"settings.py": None, "ci.yml": f"env:\n  token: {GH}\n"}, "Move the token to CI")


def _mine(tmp_path, **kw):
    root = str(tmp_path)
    _build(str(tmp_path / "demo"))
    src = resolve_sources([RepoSpec(str(tmp_path / "demo"))], allowed_roots=[root])
    cfg = MineConfig(allowed_roots=[root], **{"secrets_scan": True, **kw})
    outcome = RepoOutcome(src.specs[0].name, src.specs[0].url)
    batches = list(mine_repository(src.specs[0], cfg, outcome))
    assert outcome.status == "ok", outcome.errors
    return batches


def _by_path(batches):
    rows = pa.Table.from_batches(batches, schema=COMMITS_SCHEMA).to_pylist()
    return {(r["new_file"] or r["old_file"], r["commit"][:7]): r for r in rows}, rows


def test_secrets_column_names_kind_field_and_span(tmp_path):
    batches = _mine(tmp_path)
    _, rows = _by_path(batches)
    settings = next(r for r in rows if r["new_file"] == "settings.py")
    secrets = settings["secrets"]
    assert {(s["kind"], s["field"]) for s in secrets} == {
        ("high_entropy_assignment", "new_contents"), ("aws_key", "new_contents"), ("gitlab_token", "message")}
    for s in secrets:  # character offsets into that field; they cover exactly the planted value
        text = settings[s["field"]]
        assert text[s["start"]:s["end"]] in (PW, AWS, GL)
    assert [s for s in secrets if s["field"] == "new_contents"] == [
        f.to_dict("new_contents") for f in find_secrets(CONFIG)]
    # the message's findings are on every row of its commit, also rows without contents secrets
    app = next(r for r in rows if r["new_file"] == "app.py" and r["commit"] == settings["commit"])
    assert app["secrets"] == [s for s in secrets if s["field"] == "message"]
    ci = next(r for r in rows if r["new_file"] == "ci.yml")
    assert [(s["kind"], ci["new_contents"][s["start"]:s["end"]]) for s in ci["secrets"]] == [("github_token", GH)]
    # a deletion has no new side; the first commit holds nothing
    deleted = next(r for r in rows if r["old_file"] == "settings.py" and r["new_file"] is None)
    assert deleted["secrets"] is None
    first = next(r for r in rows if r["message"] == "Initial commit")
    assert first["secrets"] is None


def test_secret_values_are_not_in_the_secrets_column(tmp_path):
    batches = _mine(tmp_path)
    out = str(tmp_path / "out")
    w = CommitsWriter(Storage(), out, "part-0.parquet")
    for b in batches:
        w.write(b)
    w.close()
    files = glob.glob(f"{out}/**/*.parquet", recursive=True)
    assert files
    column = pa.concat_tables([pq.read_table(f, columns=["secrets"]) for f in files]).column("secrets")
    flat = repr(column.to_pylist())
    assert "high_entropy_assignment" in flat and "gitlab_token" in flat
    for value in (GH, AWS, PW, GL):
        assert value not in flat


def test_secrets_scan_off_leaves_the_column_null(tmp_path):
    _, rows = _by_path(_mine(tmp_path, secrets_scan=False))
    assert rows and all(r["secrets"] is None for r in rows)
    assert MineConfig().secrets_scan is False  # off by default (cost over the mining budget; docs/governance.md)
