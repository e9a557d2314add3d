"""The per-rank data pipeline: exact continuation from saved state, rank coverage, mixing, S3."""

import json

import pytest

from octopack_spark.storage.fs import Storage
from training.config import load_train_config
from training.data.discover import DataSourceError
from training.data.pipeline import build_pipeline
from tests.training.conftest import ROWS


def cfg_for(path, **over):
    base = {"data.path": str(path), "tokenize.seq_len": 256, "packing.open_bins": 3}
    base.update(over)
    return load_train_config(None, overrides=base)


def batches(p, n, mbs=2):
    return [{k: v.tolist() for k, v in p.next_batch(mbs).items()} for _ in range(n)]


def with_oasst(cfg_dict, oasst):
    cfg_dict["data.extra_sources"] = [{"name": "oasst", "path": str(oasst), "template": "oasst", "weight": 0.5}]
    return cfg_dict


@pytest.mark.parametrize("mode", ["whole", "split"])
def test_saved_state_reproduces_the_following_batches(copy_dataset, oasst_jsonl, tiny_tokenizer, mode):
    over = with_oasst({"packing.mode": mode}, oasst_jsonl)
    cfg = cfg_for(copy_dataset, **over)
    a = build_pipeline(cfg, tiny_tokenizer, Storage(), rank=1, world=2)
    batches(a, 9)  # crosses unit and epoch boundaries of this rank
    state = json.loads(json.dumps(a.state()))
    expected = batches(a, 8)
    b = build_pipeline(cfg, tiny_tokenizer, Storage(), rank=1, world=2)
    b.load_state(state)
    assert batches(b, 8) == expected
    # the first run wrote the tokenized cache; the second read it and produced identical data
    c = b.all_counters()
    assert c["commitpackft:cache_hits"] > 0 and (copy_dataset / "_tokenized").is_dir()


def test_two_ranks_read_disjoint_halves_of_an_epoch(ft_dataset, tiny_tokenizer):
    cfg = cfg_for(ft_dataset)
    seen = []
    for rank in range(2):
        p = build_pipeline(cfg, tiny_tokenizer, Storage(), rank=rank, world=2)
        s = p.streams[0]
        ex = []
        while True:
            ids, _ = s.next_example()
            if s.epoch == 1:
                break
            ex.append(tuple(ids.tolist()))
        seen.append(ex)
    assert seen[0] and seen[1]
    assert len(seen[0]) + len(seen[1]) == sum(ROWS.values())
    assert sorted(seen[0] + seen[1]) == sorted(set(seen[0] + seen[1]))  # no row on both ranks


def test_same_config_same_batches_and_seed_changes_them(ft_dataset, tiny_tokenizer):
    a = batches(build_pipeline(cfg_for(ft_dataset), tiny_tokenizer, Storage(), 0, 1), 3)
    b = batches(build_pipeline(cfg_for(ft_dataset), tiny_tokenizer, Storage(), 0, 1), 3)
    c = batches(build_pipeline(cfg_for(ft_dataset, **{"train.seed": 99}), tiny_tokenizer, Storage(), 0, 1), 3)
    assert a == b and a != c


def test_mixing_ratio_is_exact(ft_dataset, oasst_jsonl, tiny_tokenizer):
    cfg = cfg_for(ft_dataset, **with_oasst({"packing.mode": "none"}, oasst_jsonl))
    p = build_pipeline(cfg, tiny_tokenizer, Storage(), 0, 1)
    for _ in range(30):
        p.next_sequence()
    c = p.all_counters()
    assert c["commitpackft:samples"] == 20 and c["oasst:samples"] == 10  # weights 1.0 : 0.5


def test_language_filter_and_skip_counts(ft_dataset, tiny_tokenizer):
    cfg = cfg_for(ft_dataset, **{"data.languages": ["Go"], "data.shuffle": False})
    p = build_pipeline(cfg, tiny_tokenizer, Storage(), 0, 1)
    s = p.streams[0]
    n = 0
    while s.epoch == 0:
        s.next_example()
        n += 1
    assert n - 1 == ROWS["Go"]


def test_too_small_seq_len_counts_truncations(ft_dataset, tiny_tokenizer):
    cfg = cfg_for(ft_dataset, **{"tokenize.seq_len": 64, "tokenize.overflow": "drop"})
    p = build_pipeline(cfg, tiny_tokenizer, Storage(), 0, 1)
    with pytest.raises(DataSourceError, match="without one sample that fits"):
        p.next_batch(1)  # every synthetic sample is longer than 64 tokens: a clear error, not a hang


@pytest.mark.s3
def test_s3_source_gives_the_same_batches_as_local(ft_dataset, tiny_tokenizer, s3_endpoint):
    import boto3

    bucket = "train-data"
    cli = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    cli.create_bucket(Bucket=bucket)
    for f in ft_dataset.rglob("*"):
        if f.is_file() and "_tokenized" not in f.parts:
            cli.upload_file(str(f), bucket, f"runs/ft/{f.relative_to(ft_dataset).as_posix()}")
    local = batches(build_pipeline(cfg_for(ft_dataset, **{"cache.enabled": False}), tiny_tokenizer, Storage(), 1, 2), 6)
    cfg = cfg_for(f"s3://{bucket}/runs/ft", **{"storage.endpoint_url": s3_endpoint})
    storage = Storage.for_config(cfg.storage)
    remote = build_pipeline(cfg, tiny_tokenizer, storage, 1, 2)
    assert batches(remote, 6) == local
    # the tokenized shards were written beside the data on S3, and a new pipeline reads them back
    keys = [o["Key"] for o in cli.list_objects_v2(Bucket=bucket, Prefix="runs/ft/_tokenized/")["Contents"]]
    assert any(k.endswith(".parquet") for k in keys) and any(k.endswith("info.json") for k in keys)
    again = build_pipeline(cfg, tiny_tokenizer, storage, 1, 2)
    assert batches(again, 6) == local
    assert again.all_counters()["commitpackft:cache_hits"] > 0
