"""`octopack ft` flags, without starting Spark."""

from octopack_spark.cli.main import main


def test_list_rules_in_order(capsys):
    assert main(["ft", "--list-rules"]) == 0
    out = capsys.readouterr().out
    assert out.index("license_not_allowed") < out.index("exact_commit_dup") < out.index("token_length") < \
        out.index("wip") < out.index("near_dup")


def test_flags_reach_the_config(capsys):
    assert main(["ft", "--input", "in", "--output", "out", "--tokenizer", "./tok.json", "--token-fallback", "chars",
                 "--humanevalpack", "/data/hep", "--disable", "near_dup", "--disable", "wip",
                 "--set", "ft.filters.max_tokens=1024", "--print-config"]) == 0
    out = capsys.readouterr().out
    for s in ("input: in", "output: out", "tokenizer: ./tok.json", "fallback: chars", "source: /data/hep",
              "- near_dup", "- wip", "max_tokens: 1024"):
        assert s in out


def test_bad_input_is_one_clear_line(tmp_path, capsys):
    assert main(["ft", "--input", str(tmp_path / "nope"), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no manifest.json") and "Traceback" not in err


def test_unknown_rule_name_is_rejected(capsys):
    assert main(["ft", "--input", "a", "--output", "b", "--disable", "no_such_rule", "--print-config"]) == 2
    assert "unknown rule name" in capsys.readouterr().err
