"""DeepSpeed config derived from the training config."""

import pytest

from training.config import load_train_config
from training.ds_config import deep_merge, deepspeed_config


def test_zero2_fp32_cpu():
    cfg = load_train_config(None, overrides={"train.zero_stage": 2, "train.precision": "fp32",
                                             "train.micro_batch_size": 3, "train.grad_accum": 5})
    d = deepspeed_config(cfg, world_size=2)
    assert d["train_batch_size"] == 30 and d["train_micro_batch_size_per_gpu"] == 3
    assert d["gradient_accumulation_steps"] == 5
    assert d["zero_optimization"]["stage"] == 2 and d["zero_optimization"]["overlap_comm"] is False
    assert d["bf16"]["enabled"] is False and d["fp16"]["enabled"] is False
    assert "optimizer" not in d  # torch AdamW is passed in: no JIT-built DeepSpeed optimizer


@pytest.mark.parametrize("stage", [0, 1, 3])
def test_stages_precision_offload_and_raw_overrides(stage):
    cfg = load_train_config(None, overrides={"train.zero_stage": stage, "train.precision": "bf16",
                                             "train.deepspeed": {"zero_optimization": {"sub_group_size": 7},
                                                                 "gradient_clipping": 0.5}})
    d = deepspeed_config(cfg, 1, on_gpu=True)
    assert d["bf16"]["enabled"] is True and d["zero_optimization"]["stage"] == stage
    assert d["zero_optimization"]["sub_group_size"] == 7 and d["gradient_clipping"] == 0.5
    if stage == 3:
        assert d["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"] is True


def test_offload_needs_zero():
    cfg = load_train_config(None, overrides={"train.zero_stage": 0, "train.offload_optimizer": "cpu"})
    with pytest.raises(ValueError, match="zero_stage"):
        deepspeed_config(cfg, 1)
    cfg = load_train_config(None, overrides={"train.zero_stage": 2, "train.offload_optimizer": "cpu"})
    assert deepspeed_config(cfg, 1)["zero_optimization"]["offload_optimizer"]["device"] == "cpu"


def test_deep_merge():
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}, "d": 4}) == {"a": {"b": 1, "c": 3}, "d": 4}
