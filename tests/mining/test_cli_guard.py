"""`octopack mine`'s all-skipped guard: a repository whose every change is skipped (binary files) -> exit 1
and one `error:` line naming --allow-all-skipped; with the flag, exit 0."""

from __future__ import annotations

import pytest

from octopack_spark.cli.main import main
from tests.helpers.gitrepo import RepoBuilder

pytestmark = pytest.mark.spark


def test_every_row_skipped_fails_unless_allowed(spark, tmp_path, capsys):
    b = RepoBuilder(str(tmp_path / "blobs"))
    for i in range(3):
        b.commit({f"img/p{i}.bin": bytes(range(256)) * 4}, message=f"Add picture {i} to the gallery")
    args = ["mine", "--repo", str(tmp_path / "blobs"), "--allowed-root", str(tmp_path)]
    capsys.readouterr()
    assert main(args + ["--output", str(tmp_path / "out1")]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and "skipped every one of its 3 rows" in err[0] and "--allow-all-skipped" in err[0], err
    assert main(args + ["--output", str(tmp_path / "out2"), "--allow-all-skipped"]) == 0
