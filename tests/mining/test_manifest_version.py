"""The commits schema version a mine manifest records when units of several releases make up the table."""

from octopack_spark.config import load_config
from octopack_spark.mining.job import MineSummary, build_manifest
from octopack_spark.schema import COMMITS_VERSION


def _unit(name: str, version=None, commits=True) -> dict:
    extra = {"run_id": name, "outcomes": []}
    if version:
        extra["commits_version"] = version
    files = [{"src": "s", "dst": f"commits/lang=Python/{name}-part.parquet", "size": 10}] if commits else []
    return {"unit": name, "tables": {"commits": files}, "extra": extra}


def _version(units) -> str:
    m = build_manifest(load_config(), units, MineSummary(run_id="r", output="o"), None)
    return m.tables["commits"].schema_version


def test_a_table_of_new_units_has_the_current_version():
    assert COMMITS_VERSION == "1.1"
    assert _version([_unit("a", "1.1"), _unit("b", "1.1")]) == "1.1"


def test_one_unit_from_before_1_1_makes_the_table_1_0():
    # files written before 1.1 lack old_chars/new_chars/same_contents: readers must not expect them
    assert _version([_unit("old"), _unit("new", "1.1")]) == "1.0"


def test_units_without_commit_files_do_not_count():
    assert _version([_unit("validate", commits=False), _unit("new", "1.1")]) == "1.1"
