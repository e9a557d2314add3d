import json

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
    again.write_text(dump_config(cfg, redact=False))
    assert load_config(again) == cfg


# Bad config files and their messages: tests/test_yaml_io.py (BAD_FILES, with every YAML reader's).


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


LEAKY_CONFIG = """
spark:
  conf:
    spark.hadoop.fs.s3a.secret.key: S3A-SECRET-111
    spark.hadoop.fs.s3a.access.key: S3A-ACCESS-222
    spark.executor.memory: 3g
storage:
  endpoint_url: http://minio:ENDPOINT-PASSWORD-333@localhost:9000
  secret_access_key: STORAGE-SECRET-444
  session_token: SESSION-TOKEN-555
mine:
  repos:
    - https://user:REPO-TOKEN-666@git.example.com/org/repo.git
  author_salt: AUTHOR-SALT-777
"""
LEAKED = ["S3A-SECRET-111", "S3A-ACCESS-222", "ENDPOINT-PASSWORD-333", "STORAGE-SECRET-444", "SESSION-TOKEN-555",
          "REPO-TOKEN-666", "AUTHOR-SALT-777"]


def test_redacted_dict_and_dump_hold_no_secret(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text(LEAKY_CONFIG)
    cfg = load_config(f)
    for text in (json.dumps(cfg.redacted_dict()), dump_config(cfg)):
        assert [s for s in LEAKED if s in text] == []
        assert "3g" in text and "localhost:9000" in text and "git.example.com/org/repo.git" in text
    d = cfg.redacted_dict()
    assert d["spark"]["conf"]["spark.hadoop.fs.s3a.secret.key"] == "***"
    assert d["storage"]["endpoint_url"] == "http://***@localhost:9000"
    # the complete dump is still available to code that must write the config back
    assert "STORAGE-SECRET-444" in dump_config(cfg, redact=False)


@pytest.mark.parametrize("command", ["mine", "ft"])
def test_print_config_prints_no_secret(tmp_path, capsys, command):
    from octopack_spark.cli.main import main

    f = tmp_path / "c.yaml"
    f.write_text(LEAKY_CONFIG)
    assert main([command, "--config", str(f), "--print-config"]) == 0
    out = capsys.readouterr().out
    assert [s for s in LEAKED if s in out] == []
    assert "secret_access_key: '***'" in out and "spark.executor.memory: 3g" in out


def test_set_spark_conf_keys_with_dots():
    cfg = load_config(sets=["spark.conf.spark.driver.memory=8g", "spark.conf.spark.sql.shuffle.partitions=7",
                            "spark.conf.spark.ui.enabled=true"])
    assert cfg.spark.conf == {"spark.driver.memory": "8g", "spark.sql.shuffle.partitions": "7",
                              "spark.ui.enabled": "true"}
