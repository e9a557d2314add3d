"""Launcher command lines (deepspeed / torchrun, single and multi node)."""

from training.launch import child_env, launcher_command


def test_deepspeed_single_node_cpu():
    cmd = launcher_command("deepspeed", 2, ["--config", "c.yaml"], master_port=29555)
    assert cmd[0].endswith("deepspeed")
    i = cmd.index("--num_accelerators")
    assert cmd[i + 1] == "2"  # the CPU accelerator would otherwise count NUMA nodes (1)
    assert cmd[cmd.index("--master_port") + 1] == "29555"
    assert cmd[-4:] == ["--module", "training", "--config", "c.yaml"]


def test_deepspeed_multi_node_hostfile():
    cmd = launcher_command("deepspeed", 8, ["--config", "c.yaml"], hostfile="hosts", nnodes=2, master_addr="10.0.0.1")
    assert cmd[cmd.index("--hostfile") + 1] == "hosts" and cmd[cmd.index("--num_nodes") + 1] == "2"
    assert cmd[cmd.index("--master_addr") + 1] == "10.0.0.1"


def test_torchrun():
    cmd = launcher_command("torchrun", 4, ["--config", "c.yaml"], nnodes=2, node_rank=1, master_addr="h0")
    assert cmd[1:3] == ["-m", "torch.distributed.run"]
    for flag, val in (("--nproc_per_node", "4"), ("--nnodes", "2"), ("--node_rank", "1"), ("--master_addr", "h0")):
        assert cmd[cmd.index(flag) + 1] == val
    assert cmd[-4:] == ["-m", "training", "--config", "c.yaml"]


def test_child_env_splits_cores_and_drops_rank_vars(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("RANK", "3")
    env = child_env(2, on_gpu=False)
    assert "RANK" not in env and env["DS_ACCELERATOR"] == "cpu"
    assert int(env["OMP_NUM_THREADS"]) >= 1 and env["TORCH_EXTENSIONS_DIR"]
