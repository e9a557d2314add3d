"""Fixtures for the training tests: a CommitPackFT dataset in the layout `octopack ft` publishes
(manifest.json + commitpackft/lang=<Language>/*.parquet, lang only in directory names), an
OASST-like JSONL file, and a byte-level BPE tokenizer trained on the dataset."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from training.synthetic import write_commitpackft_dataset, write_instruction_jsonl

ROWS = {"Python": 24, "JavaScript": 18, "Go": 12}


@pytest.fixture(scope="session")
def ft_dataset(tmp_path_factory) -> Path:
    """A dataset root: 3 languages x 2 files, row groups of 8 rows (10 units in all)."""
    root = tmp_path_factory.mktemp("ft") / "ft-run"
    write_commitpackft_dataset(str(root), ROWS, files_per_lang=2, row_group_size=8)
    return root


@pytest.fixture(scope="session")
def trainer_dataset(tmp_path_factory, request) -> Path:
    """Data for the end-to-end training runs: shards the pipeline itself produced (sample repositories
    -> `octopack mine` -> `octopack ft`), or a copy of an existing ft output root named by
    OCTOPACK_TEST_FT_DATASET."""
    import shutil

    real = os.environ.get("OCTOPACK_TEST_FT_DATASET")
    if not real:
        from tests.helpers.pipeline_data import build_pipeline_dataset

        spark = request.getfixturevalue("spark")
        hep = request.getfixturevalue("humanevalpack_dir")
        return build_pipeline_dataset(tmp_path_factory.mktemp("pipeline"), spark, hep)
    dst = tmp_path_factory.mktemp("real-ft") / "ft"
    shutil.copytree(real, dst, ignore=shutil.ignore_patterns("_tokenized", "_staging"))
    return dst


@pytest.fixture(scope="session")
def oasst_jsonl(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("oasst") / "oasst.jsonl"
    write_instruction_jsonl(str(p), 20)
    return p


@pytest.fixture(scope="session")
def tiny_tokenizer(ft_dataset, tmp_path_factory):
    from training.config import load_train_config
    from training.model import corpus_texts, train_bpe_tokenizer
    from octopack_spark.storage.fs import Storage

    cfg = load_train_config(None, overrides={"data.path": str(ft_dataset)})
    tok = train_bpe_tokenizer(corpus_texts(cfg, Storage(), 500), vocab_size=400, min_frequency=2)
    d = tmp_path_factory.mktemp("tok")
    tok.save_pretrained(str(d))
    tok.saved_dir = str(d)
    return tok


@pytest.fixture()
def copy_dataset(ft_dataset, tmp_path):
    """A private copy (tests that write the tokenized cache beside the data)."""
    import shutil

    dst = tmp_path / "ft"
    shutil.copytree(ft_dataset, dst, ignore=shutil.ignore_patterns("_tokenized"))
    return dst


@pytest.fixture(scope="session", autouse=True)
def _training_env():
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
