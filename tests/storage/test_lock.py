"""The dataset write lock: one writer at a time, on local disk and S3; dead holders are taken over."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from octopack_spark.storage.fs import Storage
from octopack_spark.storage.lock import LOCK_NAME, DatasetLocked, dataset_lock
from tests.helpers.mine_cli import child_env, mine_cmd
from tests.mining.test_resume import _commit_rows, _make_repos


def _exercise(storage: Storage, root: str) -> None:
    with dataset_lock(storage, root, "mine") as me:
        assert json.loads(storage.read_text(f"{root}/{LOCK_NAME}"))["run"] == me["run"]
        with pytest.raises(DatasetLocked, match="being written by another run .*octopack mine"):
            with dataset_lock(storage, root, "ft"):
                pass
    assert not storage.exists(f"{root}/{LOCK_NAME}")  # released
    with dataset_lock(storage, root, "ft"):  # and free again
        pass


def test_local_lock(tmp_path):
    _exercise(Storage(), str(tmp_path / "ds"))


def test_lock_of_a_dead_or_expired_holder_is_taken_over(tmp_path):
    st = Storage()
    root = str(tmp_path / "ds")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for holder in ({"run": "x", "host": socket.gethostname(), "pid": dead.pid, "expires": time.time() + 999},
                   {"run": "y", "host": "elsewhere", "pid": 1, "expires": time.time() - 1}):
        st.write_bytes_atomic(f"{root}/{LOCK_NAME}", json.dumps(holder).encode())
        with dataset_lock(st, root, "mine") as me:
            assert json.loads(st.read_text(f"{root}/{LOCK_NAME}"))["run"] == me["run"]
    # A live holder elsewhere is respected.
    st.write_bytes_atomic(f"{root}/{LOCK_NAME}", json.dumps(
        {"run": "z", "host": "elsewhere", "pid": 1, "expires": time.time() + 999, "command": "mine"}).encode())
    with pytest.raises(DatasetLocked, match="host elsewhere"):
        with dataset_lock(st, root, "mine"):
            pass


@pytest.mark.s3
def test_s3_lock(s3_endpoint):
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    s3.create_bucket(Bucket="locks")
    from octopack_spark.config import StorageConfig

    st = Storage.for_config(StorageConfig(endpoint_url=s3_endpoint, access_key_id="testing",
                                          secret_access_key="testing", region="us-east-1"))
    _exercise(st, "s3://locks/ds")


@pytest.mark.spark
def test_two_mine_runs_on_one_output(tmp_path):
    """Two `octopack mine` on the same output 0.5 s apart: one refuses with one line naming the holder,
    and the table equals a single run's rows."""
    repos = _make_repos(tmp_path, 4)
    ref = tmp_path / "single"
    res = subprocess.run(mine_cmd(ref, tmp_path, repos), env=child_env(), capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    out = tmp_path / "shared"
    first = subprocess.Popen(mine_cmd(out, tmp_path, repos), env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    time.sleep(0.5)
    second = subprocess.Popen(mine_cmd(out, tmp_path, repos), env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    results = [(p.wait(timeout=900), *p.communicate()) for p in (first, second)]
    codes = sorted(r[0] for r in results)
    assert codes == [0, 2], [(r[0], r[2][-1500:]) for r in results]
    refused = next(r for r in results if r[0] == 2)
    assert [x for x in refused[2].splitlines() if x.startswith("error:")][0].count("being written by another run") == 1
    assert _commit_rows(out) == _commit_rows(ref)
