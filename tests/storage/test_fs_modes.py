"""Files written through a temporary name and a rename (manifest.json, _log records, the data card, PNGs,
`octopack sql --output`) get the mode of any new file, 0666 minus the umask, like the Parquet files beside
them: not mkstemp's 0600."""

from __future__ import annotations

import os
import stat

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from octopack_spark.sql.output import write_result
from octopack_spark.sql.result import QueryResult
from octopack_spark.storage.fs import Storage, create_temp_file
from octopack_spark.storage.manifest import Manifest, write_manifest
from octopack_spark.storage.publish import publish


@pytest.fixture(params=[0o022, 0o077, 0o002], ids=["umask022", "umask077", "umask002"])
def umask(request):
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_writes_get_the_mode_of_a_normal_file(tmp_path, umask):
    storage = Storage.for_config()
    expected = 0o666 & ~umask
    with open(tmp_path / "plain.txt", "w") as f:  # what "a normal file creation" gives under this umask
        f.write("x")
    pq.write_table(pa.table({"a": [1]}), str(tmp_path / "data.parquet"))
    assert mode(tmp_path / "plain.txt") == expected == mode(tmp_path / "data.parquet")

    storage.write_text_atomic(str(tmp_path / "README.md"), "# card\n")
    storage.write_bytes_atomic(str(tmp_path / "funnel.png"), b"\x89PNG")
    storage.write_parquet(str(tmp_path / "small.parquet"), pa.table({"a": [1]}))
    write_manifest(storage, str(tmp_path), Manifest(kind="mine"))
    for name in ("README.md", "funnel.png", "small.parquet", "manifest.json"):
        assert mode(tmp_path / name) == expected, name
    assert (tmp_path / "README.md").read_text() == "# card\n"


def test_publish_intent_record_mode(tmp_path, umask):
    storage = Storage.for_config()
    staged = tmp_path / "_staging" / "u1" / "commits"
    staged.mkdir(parents=True)
    pq.write_table(pa.table({"a": [1]}), str(staged / "part-0.parquet"))
    publish(storage, str(tmp_path), "u1", {"commits": (str(staged), "commits")})
    logs = [p for p in (tmp_path / "_log").iterdir()]
    assert logs and all(mode(p) == 0o666 & ~umask for p in logs)


def test_sql_output_file_mode(tmp_path, umask):
    schema = pa.schema([("n", pa.int64())])
    out = tmp_path / "r.csv"
    write_result(QueryResult(schema, iter([pa.record_batch([pa.array([1])], schema=schema)])), "csv", str(out),
                 Storage.for_config())
    assert mode(out) == 0o666 & ~umask and out.read_text().splitlines() == ['"n"', "1"]


def test_create_temp_file_names_are_unique_and_exclusive(tmp_path):
    made = {create_temp_file(str(tmp_path)) for _ in range(50)}
    paths = {p for _, p in made}
    for fd, _ in made:
        os.close(fd)
    assert len(paths) == 50 and all(os.path.basename(p).startswith(".tmp-") for p in paths)
