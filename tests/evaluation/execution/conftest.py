"""Fixtures shared by the execution tests."""

from __future__ import annotations

import pytest

from evaluation.data import LANGUAGES, load_language, problems_by_id


@pytest.fixture(scope="module")
def probs(humanevalpack_dir):
    """task_id -> row for all six languages (the ``problems`` mapping execute takes)."""
    out = {}
    for lang in LANGUAGES:
        out.update(problems_by_id(load_language(lang, humanevalpack_dir)))
    return out
