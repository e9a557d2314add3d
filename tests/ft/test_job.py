"""The whole `octopack ft` stage on local Spark over a planted commits dataset."""

from __future__ import annotations

import json
import os

import pyarrow.dataset as pads
import pytest

from octopack_spark.config import load_config
from octopack_spark.ft.tables import PAPER_COLUMNS
from octopack_spark.storage.fs import Storage
from octopack_spark.storage.manifest import read_manifest
from tests.ft.job_data import load_humaneval, planted, write_commits_dataset

pytestmark = pytest.mark.spark


def ft_cfg(inp, out, hep, **extra):
    over = {
        "ft.input": str(inp), "ft.output": str(out), "ft.decont.source": str(hep),
        "ft.tokens.tokenizer": "/nonexistent/tokenizer", "ft.tokens.fallback": "chars",
        "ft.tokens.chars_per_token": 16,
    }
    over.update(extra)
    return load_config(overrides=over)


def read_table(root, table):
    m = read_manifest(Storage(), str(root))
    files = [os.path.join(root, f) for f in m.tables[table].files]
    part = "hive" if m.tables[table].partitioning else None
    return pads.dataset(files, partitioning=part, partition_base_dir=os.path.join(root, table) if part else None).to_table() \
        if files else None


@pytest.mark.slow
def test_planted_dataset_end_to_end_and_rerun(spark, tmp_path, humanevalpack_dir):
    from octopack_spark.ft.job import run_ft

    rows, expect = planted(load_humaneval(humanevalpack_dir))
    inp, out = tmp_path / "mined", tmp_path / "ft"
    write_commits_dataset(str(inp), rows)
    summary = run_ft(ft_cfg(inp, out, humanevalpack_dir), spark=spark)

    m = read_manifest(Storage(), str(out))
    assert m.kind == "ft" and set(m.tables) == {"scored", "commitpackft", "stats"}
    scored = read_table(out, "scored")
    assert scored.num_rows == len(rows) == m.tables["scored"].rows
    got = dict(zip(scored.column("row_id").to_pylist(), scored.column("drop_reason").to_pylist()))
    assert got == expect
    d = {r["row_id"]: r for r in scored.to_pylist()}
    # SQL step 2 merged repos on the survivor; opt-out judged on the merged list
    up6 = [r for r in rows if r["repo"] == "up6/proj"][0]
    assert d[up6["row_id"]]["repos"] == "fork6/proj,up6/proj"
    sitmo = [r for r in rows if r["repo"] == "sitmo/shared"][0]
    assert d[sitmo["row_id"]]["repos"] == "other8/shared,sitmo/shared" and d[sitmo["row_id"]]["keep"]
    # the decont hit says what matched
    dec = [rid for rid, why in expect.items() if why == "decontaminated"][0]
    assert d[dec]["decont_hit"].split(":")[1] == "Python/0"
    near = [rid for rid, why in expect.items() if why == "near_dup"][0]
    assert d[near]["near_dup_of"] is not None and d[d[near]["near_dup_of"]]["keep"]
    # every verdict column is there
    for col in ("drop_reasons", "drop_stage", "keep", "n_tokens", "nl_lang", "nl_score", "bump_draw", "repo_langs",
                "inplace_files", "exact_commit_dup_of", "exact_content_dup_of", "near_dup_cluster", "subject_clean"):
        assert col in scored.column_names
    assert d[dec]["drop_stage"] == "decontamination"

    cpft = read_table(out, "commitpackft")
    kept = sorted(rid for rid, why in expect.items() if why is None)
    assert sorted(cpft.column("row_id").to_pylist()) == kept and summary.rows_out == len(kept)
    assert cpft.column_names[:len(PAPER_COLUMNS) - 1] == [c for c in PAPER_COLUMNS if c != "lang"]
    assert set(cpft.column("lang").to_pylist()) == {"Python"}
    assert all(os.path.basename(os.path.dirname(os.path.join(out, f))) == "lang=Python"
               for f in m.tables["commitpackft"].files)

    stats = json.loads((out / "stats.json").read_text())
    assert stats["rows_in"] == len(rows) and stats["rows_out"] == len(kept)
    by = {s["name"]: s for s in stats["funnel"] if s["kind"] == "rule"}
    for reason in set(expect.values()) - {None}:
        assert by[reason]["rows_dropped"] == sum(1 for v in expect.values() if v == reason), reason
    assert stats["token_counter"] == "chars/16"
    assert stats["steps"]["near_dedup"]["rows_in"] > 0
    card = (out / "README.md").read_text()
    assert f"**{len(kept)} samples**" in card
    assert (out / "languages.png").read_bytes()[:4] == b"\x89PNG" and (out / "funnel.png").exists()
    assert "CommitPackFT funnel" in summary.render() and "near_dup" in summary.render()
    st = read_table(out, "stats")
    assert st.num_rows == m.tables["stats"].rows and "total" in st.column("kind").to_pylist()

    # rerun into the same output: same verdicts, the previous run's files are gone
    old_files = {f for t in m.tables.values() for f in t.files}
    run_ft(ft_cfg(inp, out, humanevalpack_dir), spark=spark)
    m2 = read_manifest(Storage(), str(out))
    new_files = {f for t in m2.tables.values() for f in t.files}
    assert not (old_files & new_files)
    assert all(not (out / f).exists() for f in old_files)
    again = read_table(out, "scored")
    assert dict(zip(again.column("row_id").to_pylist(), again.column("drop_reason").to_pylist())) == expect
    assert not (out / "_staging").exists() or not any((out / "_staging").iterdir())


@pytest.mark.slow
def test_sizes_stored_at_mining_time_give_the_same_verdicts_as_sizes_from_contents(spark, tmp_path,
                                                                                 humanevalpack_dir):
    """commits 1.1 carries old_chars/new_chars/same_contents and inplace_files, so ft reads no contents for
    them and aggregates no commit; a 1.0 dataset (those columns absent) has them computed from the contents
    and the rows. Both give every row the same verdict and values."""
    from octopack_spark.ft.job import run_ft

    rows, expect = planted(load_humaneval(humanevalpack_dir))
    got = {}
    for version in ("1.0", "1.1"):
        inp, out = tmp_path / f"mined-{version}", tmp_path / f"ft-{version}"
        write_commits_dataset(str(inp), rows, version=version)
        run_ft(ft_cfg(inp, out, humanevalpack_dir), spark=spark)
        scored = read_table(out, "scored").to_pylist()
        assert "secrets" not in scored[0]  # mining's findings point into raw messages, which scored redacts
        got[version] = {r["row_id"]: (r["drop_reason"], r["old_chars"], r["new_chars"], r["content_bytes"],
                                      r["inplace_files"]) for r in scored}
        assert {k: v[0] for k, v in got[version].items()} == expect
    assert got["1.0"] == got["1.1"]
    assert any(v[1] for v in got["1.1"].values()) and any(v[3] for v in got["1.1"].values())


def test_empty_input(spark, tmp_path, humanevalpack_dir):
    from octopack_spark.ft.job import run_ft

    inp, out = tmp_path / "mined", tmp_path / "ft"
    write_commits_dataset(str(inp), [])
    s = run_ft(ft_cfg(inp, out, humanevalpack_dir), spark=spark)
    assert s.rows_in == 0 and s.rows_out == 0
    m = read_manifest(Storage(), str(out))
    assert m.tables["commitpackft"].rows == 0 and m.tables["commitpackft"].files == []
    assert "**0 samples**" in (out / "README.md").read_text()


def test_all_rows_filtered_and_unknown_languages(spark, tmp_path, humanevalpack_dir):
    from octopack_spark.ft.job import run_ft

    rows, _ = planted(load_humaneval(humanevalpack_dir))
    rows = [dict(r, license="gpl-3.0", lang=None, new_file="x.unknownext", old_file="x.unknownext",
                 new_contents=None if i % 2 else r["new_contents"]) for i, r in enumerate(rows[:8])]
    inp, out = tmp_path / "mined", tmp_path / "ft"
    write_commits_dataset(str(inp), rows)
    s = run_ft(ft_cfg(inp, out, humanevalpack_dir), spark=spark)
    assert s.rows_in == 8 and s.rows_out == 0
    scored = read_table(out, "scored")
    assert set(scored.column("drop_reason").to_pylist()) == {"license_not_allowed"}
    assert all("unknown_extension" in r for r in scored.column("drop_reasons").to_pylist())
    # published metadata holds no absolute path of this machine
    import sys

    stats, card = (out / "stats.json").read_text(), (out / "README.md").read_text()
    for text in (stats, card):
        for local in (str(tmp_path), sys.prefix, os.path.expanduser("~") + "/"):
            assert local not in text
    st = json.loads(stats)
    assert st["input"] == "../mined" and st["output"] == "." and st["langid_model"] == "lid.176.ftz"


def test_missing_input_and_tokenizer_errors_are_clear(tmp_path, humanevalpack_dir):
    from octopack_spark.errors import UserFacingError
    from octopack_spark.ft.job import prepare

    with pytest.raises(UserFacingError, match="no manifest.json"):
        prepare(ft_cfg(tmp_path / "nothing", tmp_path / "o", humanevalpack_dir))
    write_commits_dataset(str(tmp_path / "in"), [])
    cfg = ft_cfg(tmp_path / "in", tmp_path / "o", humanevalpack_dir, **{"ft.tokens.fallback": "none"})
    with pytest.raises(UserFacingError, match="token-fallback chars"):
        prepare(cfg)
    with pytest.raises(UserFacingError, match="must differ"):
        prepare(ft_cfg(tmp_path / "in", tmp_path / "in", humanevalpack_dir))


def test_spark_context_matches_pure_twin(spark, tmp_path, humanevalpack_dir):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from octopack_spark.ft.context import add_context
    from octopack_spark.ft.job import with_context
    from octopack_spark.schema import COMMITS_SCHEMA

    rows, _ = planted(load_humaneval(humanevalpack_dir))
    rows += [dict(rows[0], row_id="x1", new_file="src/other.py", old_file="src/other.py"),  # 2-file commit
             dict(rows[0], row_id="x2", repo="onlydocs/r", repos="onlydocs/r", lang=None)]
    table = pa.Table.from_pylist(rows, schema=COMMITS_SCHEMA)
    pure = add_context(table)
    want = {r["row_id"]: (r["repo_langs"], r["inplace_files"]) for r in pure.to_pylist()}
    pq.write_table(table, str(tmp_path / "c.parquet"))
    df = spark.read.parquet(str(tmp_path / "c.parquet"))
    got = {r["row_id"]: (list(r["repo_langs"]), r["inplace_files"]) for r in with_context(df).collect()}
    assert got == want
    assert want["x2"] == ([], 2)  # a repository with no known language; the commit edits two files in place


@pytest.mark.slow
@pytest.mark.parametrize("scope", ["candidates", "all"])
def test_tokenizer_counts_after_the_other_rules(spark, tmp_path, humanevalpack_dir, scope):
    """With a real tokenizer the scoring pass has no contents: the token rule runs afterwards on the
    rows that need it, with their contents joined back. Its counts are the tokenizer's own."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    from octopack_spark.ft.job import run_ft
    from octopack_spark.ft.tokens import count_sample_tokens, load_token_counter

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.train_from_iterator(["def f(x):\n    return x + 1\n"] * 20,
                            trainers.BpeTrainer(vocab_size=280, special_tokens=["<|endoftext|>"],
                                                initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.save(str(tmp_path / "tokenizer.json"))
    rows, _ = planted(load_humaneval(humanevalpack_dir))
    inp, out = tmp_path / "mined", tmp_path / "ft"
    write_commits_dataset(str(inp), rows)
    cfg = ft_cfg(inp, out, humanevalpack_dir, **{"ft.tokens.tokenizer": str(tmp_path / "tokenizer.json"),
                                                  "ft.tokens.fallback": "none", "ft.tokens.scope": scope,
                                                  "ft.filters.min_tokens": 5, "ft.filters.max_tokens": 400})
    run_ft(cfg, spark=spark)
    scored = {r["row_id"]: r for r in read_table(out, "scored").to_pylist()}
    assert "old_contents" not in next(iter(scored.values()))  # scored 2.0: contents stay in commits
    counter = load_token_counter(str(tmp_path / "tokenizer.json"))
    by_id = {r["row_id"]: r for r in rows}
    counted = [rid for rid, r in scored.items() if r["n_tokens"] is not None]
    assert counted
    want = count_sample_tokens(counter, [by_id[i]["old_contents"] for i in counted],
                               [by_id[i]["new_contents"] for i in counted], "<|endoftext|>", 100_000)
    for rid, n in zip(counted, want):
        r = scored[rid]
        assert r["n_tokens"] == n, rid
        assert ("token_length" in r["drop_reasons"]) == (not 5 <= n <= 400), rid
    for rid, r in scored.items():
        if scope == "candidates" and r["n_tokens"] is None:
            assert r["drop_reasons"] or r["exact_commit_dup_of"], rid  # only rows another step dropped
        if scope == "all" and by_id[rid]["old_contents"] is not None and by_id[rid]["new_contents"] is not None \
                and not by_id[rid].get("skip_reason"):
            assert r["n_tokens"] is not None, rid
    if scope == "all":
        assert len(counted) > sum(1 for r in scored.values() if not r["drop_reasons"])
