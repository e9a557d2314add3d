"""`octopack train` argument handling: dry run plan and clear errors (no training here)."""

import subprocess
import sys

from octopack_spark.cli.main import main


def test_dry_run_prints_config_deepspeed_and_data_plan(ft_dataset, capsys):
    rc = main(["train", "--config", "tiny-cpu", "--data", str(ft_dataset), "--output", "/tmp/x", "--nproc", "2",
               "--dry-run", "--set", "train.zero_stage=3"])
    out = capsys.readouterr().out
    assert rc == 0
    assert '"stage": 3' in out and '"train_batch_size": 16' in out  # 4 x 2 accumulation x 2 processes
    assert "source commitpackft" in out and "(manifest) files=6 units=10 rows>=54" in out
    assert "units_per_rank(epoch0)=[5, 5]" in out


def test_bad_input_is_one_line_exit_2(tmp_path, capsys):
    assert main(["train", "--config", "tiny-cpu", "--data", str(tmp_path / "none"), "--dry-run"]) == 2
    assert "nothing found" in capsys.readouterr().err
    assert main(["train", "--config", "tiny-cpu", "--set", "train.zero_stage=9", "--dry-run"]) == 2
    assert "zero_stage" in capsys.readouterr().err


def test_no_output_dir_is_refused(ft_dataset):
    r = subprocess.run([sys.executable, "-m", "training", "--config", "tiny-cpu", "--data", str(ft_dataset)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no output directory" in r.stderr
