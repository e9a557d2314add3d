"""Secrets in a training config are never written (issue 12): not into train_config.yaml, the DeepSpeed
config, checkpoints, train_summary.json, the export's octopack_train.json, the tokenized cache's info.json,
the step log, launch_config.yaml, nor printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from training.config import load_train_config

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "storage.secret_access_key": "SECRETKEY0001",
    "storage.session_token": "SECRETTOKEN0002",
    "storage.access_key_id": "AKIASECRET0003",
    "storage.endpoint_url": "http://minio:SECRETPASS0004@127.0.0.1:9",
}
# a secret-looking key in the DeepSpeed escape hatch (DeepSpeed ignores keys it does not know)
DS_SECRET = "SECRETDS0005"


def _sets() -> list[str]:
    return [f"{k}={v}" for k, v in SECRETS.items()] + [f"train.deepspeed={{my_api_key: {DS_SECRET}}}"]


def _all_secrets() -> list[str]:
    return ["SECRETKEY0001", "SECRETTOKEN0002", "AKIASECRET0003", "SECRETPASS0004", DS_SECRET]


def _grep_tree(root: Path) -> list[str]:
    hits = []
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                data = fh.read()
            hits += [f"{p}: {s}" for s in _all_secrets() if s.encode() in data]
    return hits


def test_redacted_dict_masks_every_secret_and_keeps_settings():
    cfg = load_train_config("tiny-cpu", sets=_sets() + ["data.path=https://user:SECRETPASS0004@example.com/ft"])
    d = cfg.redacted_dict()
    text = json.dumps(d)
    for s in _all_secrets():
        assert s not in text
    assert d["storage"]["secret_access_key"] == "***" and d["storage"]["access_key_id"] == "***"
    assert d["storage"]["endpoint_url"] == "http://***@127.0.0.1:9"
    assert d["data"]["path"] == "https://***@example.com/ft"
    assert d["train"]["deepspeed"]["my_api_key"] == "***"
    # settings that only look like secrets by a word of their name are kept
    assert d["model"]["config"]["num_key_value_heads"] == 4 and d["tokenize"]["seq_len"] == 512
    assert d["templates"]["octocoder"] == cfg.model_dump()["templates"]["octocoder"]
    assert cfg.config_hash() == load_train_config("tiny-cpu").model_copy(
        update={"storage": cfg.storage, "train": cfg.train, "data": cfg.data}).config_hash()


def test_secret_patch_restores_the_config_from_the_redacted_file(tmp_path):
    cfg = load_train_config("tiny-cpu", sets=_sets())
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg.redacted_dict()))
    assert not [s for s in _all_secrets() if s in path.read_text()]
    back = load_train_config(str(path), secrets=cfg.secret_patch())
    assert back == cfg
    assert load_train_config("tiny-cpu").secret_patch() is None


def test_launch_config_holds_no_secret(tmp_path, monkeypatch):
    """`octopack train --nproc 2`: the ranks' config file is redacted, the secrets reach them through the
    environment, and a rank loading that file with that environment gets the original config."""
    from training import cli

    seen = {}

    class FakePopen:
        def __init__(self, cmd, env):
            seen["cmd"], seen["env"] = cmd, env

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(cli.subprocess, "Popen", FakePopen)
    import argparse

    out = tmp_path / "run"
    p = argparse.ArgumentParser()
    cli.register(p)
    args = p.parse_args(["--config", "tiny-cpu", "--data", str(tmp_path), "--output", str(out), "--nproc", "2",
                         "--launcher", "torchrun", *sum((["--set", s] for s in _sets()), [])])
    cfg = cli._load(args)
    assert cli._spawn(cfg, args, "torchrun") == 0
    assert not _grep_tree(out)
    monkeypatch.setenv(cli.SECRETS_ENV, seen["env"][cli.SECRETS_ENV])
    rank_args = p.parse_args(["--config", str(out / "launch_config.yaml"), "--launcher", "none"])
    assert cli._load(rank_args) == cfg.model_copy(update={"output": os.path.abspath(cfg.output)})


def test_training_run_writes_no_secret(ft_dataset, tmp_path):
    """A real (tiny, single-process) run with every kind of secret in its config; every byte it wrote
    (run dir, checkpoints, export, the tokenized cache beside the data) and printed is searched."""
    import shutil

    data = tmp_path / "ft"
    shutil.copytree(ft_dataset, data, ignore=shutil.ignore_patterns("_tokenized"))
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "training", "--config", "tiny-cpu", "--data", str(data), "--output", str(out),
           "--max-steps", "2", "--set", "log.progress=false", "--set", "tokenize.seq_len=128",
           "--set", "tokenizer.train.vocab_size=300", "--set", "checkpoint.every_steps=1",
           "--set", "train.micro_batch_size=1", "--set", "train.grad_accum=1", "--set", "train.zero_stage=0",
           "--set", "model.config={hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, "
                    "num_attention_heads: 2, num_key_value_heads: 2}"]
    for s in _sets():
        cmd += ["--set", s]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT), TOKENIZERS_PARALLELISM="false")
    r = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-5000:]
    written = {p.name for p in out.rglob("*")}
    assert {"train_config.yaml", "deepspeed_config.json", "train_summary.json", "octopack_train.json",
            "latest"} <= written, written
    assert (data / "_tokenized").is_dir()
    hits = _grep_tree(out) + _grep_tree(data)
    hits += [f"stdout/stderr: {s}" for s in _all_secrets() if s in r.stdout + r.stderr]
    assert not hits, hits
    saved = yaml.safe_load((out / "train_config.yaml").read_text())
    assert saved["storage"]["secret_access_key"] == "***"
    assert json.loads((out / "deepspeed_config.json").read_text())["my_api_key"] == "***"
