"""FLOPs per token, peak FLOP/s, and the step log."""

import pytest

from training.metrics import StepLog, flops_per_token, gpu_peak, measure_cpu_peak, read_log, resolve_peak


def test_flops_per_token_formula():
    c = {"matmul": 1_000_000, "trainable": 1_000_000}
    assert flops_per_token(c, n_layers=2, d_model=64, seq_len=128, lora=False) == 6e6 + 12 * 2 * 64 * 128
    lora = {"matmul": 1_000_000, "trainable": 10_000}
    assert flops_per_token(lora, 2, 64, 128, lora=True) == 4e6 + 2e4 + 12 * 2 * 64 * 128


def test_gpu_peak_table_and_config_override():
    assert gpu_peak("NVIDIA H100 80GB HBM3", "bf16") == 989.4e12
    assert gpu_peak("NVIDIA A100-SXM4-80GB", "fp32") == 19.5e12
    assert gpu_peak("Some New GPU", "bf16") is None
    assert resolve_peak(1e12, "cuda", "anything", "bf16", 64) == (1e12, "config")
    assert resolve_peak(None, "cuda", "NVIDIA H200", "bf16", 64) == (989.4e12, "table:NVIDIA H200")


def test_cpu_peak_is_measured_and_plausible():
    p = measure_cpu_peak(64, "fp32", trials=2, trial_s=0.05)
    assert 1e8 < p < 1e13


def test_step_log_resume_drops_rows_past_the_checkpoint(tmp_path):
    log = StepLog(str(tmp_path), True, False, 0)
    for s in range(1, 6):
        log.write({"step": s, "loss": 1.0 / s, "lr": 0.1, "grad_norm": 1.0, "tokens": s * 10, "target_tokens": s,
                   "tokens_per_s": 1.0, "mfu": 0.5, "step_time_s": 0.1, "epoch": 0, "elapsed_s": s * 0.1})
    log.close()
    log = StepLog(str(tmp_path), True, False, resume_step=3)  # the killed run had logged steps 4-5
    log.close()
    rows = read_log(str(tmp_path / "train_log.csv"))
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert rows[2]["loss"] == 1.0 / 3  # repr round-trips floats exactly


def test_tensorboard_without_package_is_a_clear_error(tmp_path):
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        from octopack_spark.errors import UserFacingError

        with pytest.raises(UserFacingError, match="tensorboard"):
            StepLog(str(tmp_path), True, True, 0)
    else:
        log = StepLog(str(tmp_path), True, True, 0)
        log.close()
        assert (tmp_path / "tensorboard").is_dir()
