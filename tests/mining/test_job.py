"""The mining job on local Spark: tables, errors, manifest, readers, incremental reruns."""

from __future__ import annotations

import json
import os

import pyarrow.dataset as ds
import pytest

from octopack_spark.config import PipelineConfig
from octopack_spark.errors import UserFacingError
from octopack_spark.mining.job import run_mine
from octopack_spark.schema import COMMITS_SCHEMA, ERRORS_SCHEMA, STATE_SCHEMA
from octopack_spark.storage.fs import Storage
from octopack_spark.storage.manifest import read_manifest, table_file_uris
from tests.helpers.gitrepo import RepoBuilder
from tests.helpers.sample_repos import build_rich_repo, git, make_corrupt_repo, make_empty_repo

pytestmark = pytest.mark.spark


def _cfg(root, out, repos, **mine):
    cfg = PipelineConfig()
    cfg.mine.repos = repos
    cfg.mine.output = str(out)
    cfg.mine.allowed_roots = [str(root)]
    cfg.mine.max_file_bytes = 1000
    cfg.mine.max_files_per_commit = 6
    cfg.mine.batch_repos = 2
    for k, v in mine.items():
        setattr(cfg.mine, k, v)
    return cfg


def _table(out, name):
    st = Storage()
    m = read_manifest(st, str(out))
    files = table_file_uris(str(out), m.table(name))
    if not files:
        return None, m
    part = "hive" if m.table(name).partitioning else None
    dataset = ds.dataset(files, format="parquet", partitioning=part, partition_base_dir=os.path.join(str(out), name))
    return dataset.to_table(), m


@pytest.fixture(scope="module")
def mined(tmp_path_factory, spark):
    root = tmp_path_factory.mktemp("jobrepos")
    rich = build_rich_repo(str(root / "demo"))
    other = RepoBuilder(str(root / "tool"))
    other.commit({"main.rs": "fn main() {}\n"}, "Create the tool")
    other.commit({"main.rs": "fn main() { println!(\"hi\"); }\n"}, "Print a greeting")
    make_empty_repo(str(root / "empty.git"))
    make_corrupt_repo(str(root / "broken"))
    repos = [rich.path, str(root / "tool"), str(root / "empty.git"), str(root / "broken"),
             str(root / "missing"), "ext::sh -c id", "/etc"]
    out = root / "out"
    summary = run_mine(_cfg(root, out, repos), spark=spark)
    return root, rich, out, summary


def test_summary_counts(mined):
    _, rich, _, s = mined
    assert s.repos == 7
    # broken lacks its head commit's tree: that commit is an error, its older commit is mined (partial).
    assert (s.repos_ok, s.repos_empty, s.repos_failed, s.repos_partial) == (2, 1, 3, 1)
    assert s.commits == 8 + 2 + 1
    assert s.batches == 3  # 5 valid repos in batches of 2


def test_commits_table(mined):
    _, rich, out, s = mined
    t, m = _table(out, "commits")
    assert t.num_rows == s.rows == m.tables["commits"].rows == m.counts["rows"]
    rows = t.to_pylist()
    assert {r["repo"] for r in rows} == {"demo", "tool", "broken"}
    demo = [r for r in rows if r["repo"] == "demo"]
    assert len(demo) == 22
    # Partition values come back as the language names (null language -> Spark's default partition).
    langs = {r["lang"] for r in demo}
    assert {"Python", "JavaScript", "Go", "C", "Rust", "Dockerfile", "Markdown"} <= langs
    # Every data column of the schema is present with its type (lang comes back from the path).
    for f in COMMITS_SCHEMA:
        if f.name != "lang":
            assert t.schema.field(f.name).type == f.type, f.name
    one = next(r for r in demo if r["commit"] == rich.commits["rename"])
    assert one["new_contents"].encode() == git(rich.path, "show", f"{one['commit']}:web/main.js")
    assert len({r["row_id"] for r in rows}) == len(rows)


def test_errors_and_state_tables(mined):
    _, _, out, _ = mined
    errors, m = _table(out, "errors")
    assert errors.schema.equals(ERRORS_SCHEMA)
    got = sorted((r["repo"], r["stage"], r["reason"]) for r in errors.to_pylist())
    assert got == sorted([
        ("empty", "open", "empty"),
        ("broken", "open", "license_unreadable"),
        ("broken", "walk", "corrupt"),
        ("missing", "clone", "not_found"),
        ("ext::sh -c id", "validate", "refused_transport"),
        ("etc", "validate", "outside_allowed_root"),
    ])
    state, _ = _table(out, "state")
    assert state.schema.equals(STATE_SCHEMA)
    st = {r["repo"]: r for r in state.to_pylist()}
    assert st["demo"]["status"] == "ok" and st["demo"]["last_head"] and st["missing"]["last_head"] is None
    assert st["broken"]["status"] == "partial" and st["broken"]["rows"] == 1
    assert m.counts["repos_by_status"] == {"ok": 2, "empty": 1, "failed": 3, "partial": 1}


def test_manifest_written_last_and_complete(mined):
    _, _, out, _ = mined
    text = (out / "manifest.json").read_text()
    m = json.loads(text)
    assert m["kind"] == "mine" and m["tables"]["commits"]["schema_version"] == "1.1"
    assert m["config"]["storage"]["secret_access_key"] is None and m["config"]["mine"]["author_salt"] == "***"
    for t in m["tables"].values():
        for f in t["files"]:
            assert (out / f).is_file()
    assert not list((out / "_staging").glob("**/*.parquet"))


def test_readable_by_spark_duckdb_and_datasets(mined, spark):
    import duckdb
    from datasets import load_dataset

    _, _, out, s = mined
    from octopack_spark.spark.io import read_table

    df = read_table(spark, Storage(), str(out), "commits")
    assert df.count() == s.rows
    assert df.filter("lang = 'Python'").count() == len(
        [r for r in _table(out, "commits")[0].to_pylist() if r["lang"] == "Python"])
    files = [str(out / f) for f in read_manifest(Storage(), str(out)).tables["commits"].files]
    con = duckdb.connect()
    n = con.execute("select count(*), count(distinct row_id) from read_parquet(?, hive_partitioning=true)",
                    [files]).fetchone()
    assert n == (s.rows, s.rows)
    py = con.execute("select count(*) from read_parquet(?, hive_partitioning=true) where lang='Python'",
                     [files]).fetchone()[0]
    assert py == df.filter("lang = 'Python'").count()
    hf = load_dataset("parquet", data_files=files, split="train")
    assert hf.num_rows == s.rows and "new_contents" in hf.column_names


def test_incremental_rerun_mines_only_new_commits(tmp_path, spark):
    b = RepoBuilder(str(tmp_path / "inc"))
    b.commit({"a.py": "a = 1\n"}, "Add a")
    b.commit({"a.py": "a = 2\n"}, "Change a")
    out = tmp_path / "out"
    cfg = _cfg(tmp_path, out, [str(tmp_path / "inc")])
    s1 = run_mine(cfg, spark=spark)
    assert (s1.commits, s1.rows) == (2, 2)
    s_again = run_mine(cfg, spark=spark)
    assert (s_again.commits, s_again.rows) == (0, 0)
    new = b.commit({"b.py": "b = 1\n", "a.py": "a = 3\n"}, "Add b and change a")
    s2 = run_mine(cfg, spark=spark)
    assert (s2.commits, s2.rows) == (1, 2)
    t, m = _table(out, "commits")
    assert t.num_rows == 4 and m.counts["rows"] == 4 and len(m.runs) == 3
    assert sorted(r["commit"] for r in t.to_pylist() if r["commit"] == str(new)) == [str(new)] * 2
    assert len(set(t.column("row_id").to_pylist())) == 4
    s3 = run_mine(_cfg(tmp_path, out, [str(tmp_path / "inc")], full_refresh=True), spark=spark)
    assert s3.rows == 4
    t, m = _table(out, "commits")
    assert t.num_rows == 4 and len(set(t.column("row_id").to_pylist())) == 4


def test_relative_output_path(tmp_path, spark, monkeypatch):
    # `octopack mine --output out/run` (the quickstart's form): a relative local output directory
    repo = RepoBuilder(str(tmp_path / "rel"))
    repo.commit({"a.py": "x = 1\n"}, "Add a")
    repo.commit({"a.py": "x = 2\n"}, "Change a")
    monkeypatch.chdir(tmp_path)
    summary = run_mine(_cfg(tmp_path, "out/run", [repo.path]), spark=spark)
    assert (summary.repos_ok, summary.rows) == (1, 2)
    table, m = _table(tmp_path / "out" / "run", "commits")
    assert table.num_rows == 2 and m.table("commits").rows == 2
    assert not (tmp_path / "out" / "run" / "_staging").exists() or not any((tmp_path / "out" / "run" / "_staging").iterdir())


def test_no_repos_is_a_clear_error(tmp_path, spark):
    cfg = _cfg(tmp_path, tmp_path / "o", [])
    with pytest.raises(UserFacingError, match="no repositories"):
        run_mine(cfg, spark=spark)


def test_tokens_in_repo_urls_are_written_nowhere(tmp_path, spark):
    from tests.conftest import free_port

    rich = build_rich_repo(str(tmp_path / "demo"))
    secret = "SECRETTOKEN4711"
    url = f"https://user:{secret}@127.0.0.1:{free_port()}/owner/private.git"
    out = tmp_path / "out"
    s = run_mine(_cfg(tmp_path, out, [rich.path, url], repo_time_budget_s=30), spark=spark)
    assert (s.repos_ok, s.repos_failed) == (1, 1)
    assert secret not in s.render()
    for dirpath, _dirs, files in os.walk(out):
        for f in files:
            with open(os.path.join(dirpath, f), "rb") as fh:
                assert secret.encode() not in fh.read(), os.path.join(dirpath, f)
    errors, _ = _table(out, "errors")
    assert [r["repo_url"] for r in errors.to_pylist()] == ["https://***@127.0.0.1:" + url.rsplit(":", 1)[1]]
