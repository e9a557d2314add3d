"""evaluation/data.py: loading HumanEvalPack from local folders, normalisation and clear errors."""

from __future__ import annotations

import json

import pytest

from evaluation import data
from evaluation.data import DataError


def test_loads_all_six_languages_from_the_shared_folder(humanevalpack_dir):
    packs = data.load_humanevalpack("all", humanevalpack_dir)
    assert list(packs) == list(data.LANGUAGES)
    for lang, rows in packs.items():
        assert len(rows) == 164
        assert [r["task_id"] for r in rows] == [f"{data.TASK_PREFIX[lang]}/{i}" for i in range(164)]
        for r in rows:
            assert set(data.ALL_FIELDS) <= set(r)
            assert all(isinstance(r[f], str) for f in data.ALL_FIELDS)
    # Fields present in only some languages are filled with "" elsewhere.
    assert packs["go"][0]["test_setup"].startswith("package main")
    assert packs["python"][0]["test_setup"] == "" and packs["rust"][0]["import"] == ""


def test_hub_layout_and_aliases(tmp_path, humanevalpack_dir):
    d = tmp_path / "data" / "cpp" / "data"
    d.mkdir(parents=True)
    lines = (humanevalpack_dir / "cpp.jsonl").read_text().splitlines()[:3]
    (d / "humanevalpack.jsonl").write_text("\n".join(lines) + "\n\n")
    rows = data.load_language("C++", tmp_path)
    assert [r["task_id"] for r in rows] == ["CPP/0", "CPP/1", "CPP/2"]
    assert data.normalize_language("JavaScript") == "js"
    assert data.language_of_task("CPP/12") == "cpp" and data.task_number("CPP/12") == 12


def _row(**kw):
    base = dict(task_id="Python/0", prompt="def f():\n", declaration="def f():\n", canonical_solution="  return 1\n",
                buggy_solution="  return 2\n", entry_point="f", test="assert f() == 1\n")
    base.update(kw)
    return base


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json\n", "python.jsonl:1: not valid JSON"),
        (json.dumps(_row(task_id="Go/0")) + "\n", "does not belong to language 'python'"),
        (json.dumps({"task_id": "Python/0"}) + "\n", "lacks field(s) prompt"),
        (json.dumps(_row()) + "\n" + json.dumps(_row()) + "\n", "duplicate task_id 'Python/0'"),
        ("\n", "holds no rows"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path, content, message):
    (tmp_path / "python.jsonl").write_text(content)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        data.load_language("python", tmp_path)


def test_missing_folder_language_and_file(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        data.load_language("python", tmp_path / "nope")
    with pytest.raises(DataError, match="no rust data"):
        data.load_language("rust", tmp_path)
    with pytest.raises(DataError, match="unknown HumanEvalPack language 'cobol'"):
        data.load_language("cobol", tmp_path)
    with pytest.raises(DataError, match="no known language prefix"):
        data.language_of_task("Cobol/1")


def test_dataset_hash_is_stable_and_content_sensitive(humanevalpack_dir):
    rows = data.load_language("python", humanevalpack_dir)
    h = data.dataset_hash(rows)
    assert h == data.dataset_hash(list(reversed(rows)))  # order-independent
    changed = [dict(r) for r in rows]
    changed[5]["test"] += "\n"
    assert data.dataset_hash(changed) != h
    probs = data.problems_by_id(rows)
    assert probs["Python/5"]["entry_point"] == rows[5]["entry_point"] and len(probs) == 164
