"""Fixtures for the analyst-query tests: small datasets laid out as the jobs write them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from octopack_spark.storage.fs import Storage
from tests.sql.datasets import build_quickstart


@pytest.fixture(scope="session")
def storage() -> Storage:
    return Storage.for_config()


@pytest.fixture(scope="session")
def quickstart(tmp_path_factory, storage) -> str:
    """`out/quickstart`-like folder holding mine/ and ft/ (read-only: tests that damage data copy it)."""
    root = str(tmp_path_factory.mktemp("quickstart"))
    build_quickstart(storage, root)
    return root


@pytest.fixture
def mine_copy(tmp_path, quickstart) -> Path:
    """A writable copy of the quickstart mine dataset, for tests that damage it."""
    root = tmp_path / "mine"
    shutil.copytree(os.path.join(quickstart, "mine"), root)
    return root
