"""Training config loading: shipped configs, templates from YAML, overrides and clear errors."""

import pytest

from training.config import TrainConfigError, load_train_config


def test_tiny_cpu_config_by_name_and_path():
    a = load_train_config("tiny-cpu")
    b = load_train_config("training/configs/tiny-cpu.yaml")
    assert a == b
    assert a.train.zero_stage == 2 and a.train.precision == "fp32" and a.model.arch == "llama"
    assert a.data.template == "octocoder" and "octocoder_line_diff" in a.templates


def test_flags_and_set_override(tmp_path):
    cfg = load_train_config("tiny-cpu", overrides={"data.path": "s3://b/ft", "output": str(tmp_path), "train.max_steps": 7},
                            sets=["train.zero_stage=1", "tokenize.loss_on=all", "model.config.hidden_size=32"])
    assert cfg.data.path == "s3://b/ft" and cfg.train.max_steps == 7 and cfg.train.zero_stage == 1
    assert cfg.tokenize.loss_on == "all" and cfg.model.config["hidden_size"] == 32


def test_templates_in_config_replace_or_add(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text('data: {template: mine}\ntemplates:\n  mine: {prompt: "<{subject}>", answer: "{new_contents}"}\n')
    cfg = load_train_config(p)
    assert cfg.template("mine").prompt == "<{subject}>" and "octocoder" in cfg.templates


# Bad config files and their messages: tests/test_yaml_io.py (BAD_FILES, with every YAML reader's).


def test_missing_file():
    with pytest.raises(TrainConfigError, match="not found"):
        load_train_config("no/such/config.yaml")


def test_redaction():
    cfg = load_train_config(None, overrides={"storage.secret_access_key": "s3cr3t"})
    assert "s3cr3t" not in str(cfg.redacted_dict())
