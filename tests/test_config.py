import pytest

from octopack_spark.config import ConfigError, PipelineConfig, dump_config, load_config


def test_defaults_and_yaml_and_overrides(tmp_path):
    assert load_config().spark.master == "local[*]"
    f = tmp_path / "c.yaml"
    f.write_text("spark:\n  master: spark://h:7077\nmine:\n  max_commits: 10\n  repos: [a, b]\n")
    cfg = load_config(f, overrides={"mine.max_commits": 3, "mine.output": None},
                      sets=["mine.max_file_bytes=2000", "ft.tokens.fallback=chars"])
    assert cfg.spark.master == "spark://h:7077"
    assert cfg.mine.max_commits == 3 and cfg.mine.repos == ["a", "b"] and cfg.mine.output is None
    assert cfg.mine.max_file_bytes == 2000 and cfg.ft.tokens.fallback == "chars"
    assert load_config(f, sets=["mine.since=2024-01-02"]).mine.since.tzinfo is not None
    again = tmp_path / "again.yaml"
    again.write_text(dump_config(cfg))
    assert load_config(again) == cfg


@pytest.mark.parametrize("text,needle", [
    ("mine:\n  max_commits: -1\n", "mine.max_commits"),
    ("mine:\n  no_such_field: 1\n", "mine.no_such_field"),
    ("- a\n- b\n", "must hold a mapping"),
    ("mine: [unclosed\n", "not valid YAML"),
])
def test_bad_configs_give_clear_errors(tmp_path, text, needle):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=None) as e:
        load_config(f)
    assert needle in str(e.value)


def test_bad_overrides(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="section.field=value"):
        load_config(sets=["mine.max_commits"])
    with pytest.raises(ConfigError, match="is not a section"):
        load_config(sets=["mine.max_commits=3", "mine.max_commits.x=1"])


def test_redaction_and_hash():
    cfg = PipelineConfig()
    cfg.storage.secret_access_key = "s3cr3t"
    cfg.storage.access_key_id = "AKIA"
    d = cfg.redacted_dict()
    assert d["storage"]["secret_access_key"] == "***" and d["mine"]["author_salt"] == "***"
    assert "s3cr3t" not in str(d)
    other = PipelineConfig()
    other.mine.max_commits = 5
    assert cfg.config_hash() != other.config_hash() and len(cfg.config_hash()) == 16
