import json

import pytest

from octopack_spark.ft.decont.config import DecontConfig
from octopack_spark.ft.decont.humanevalpack import decontaminate
from tests.ft.dedup.commit_rows import make_row, sha, stdlib_sources, to_table

pytestmark = pytest.mark.spark


def _load(path, task_id):
    with open(path) as fh:
        return next(r for r in map(json.loads, fh) if r["task_id"] == task_id)


def test_decontaminate_marks_rows_and_reports_why(spark, humanevalpack_dir):
    py = _load(humanevalpack_dir / "python.jsonl", "Python/12")
    go = _load(humanevalpack_dir / "go.jsonl", "Go/3")
    clean = [make_row(f"clean{i}/r", sha("clean", str(i)), f"{m}.py", t, t + "\n# more\n", "Add more")
             for i, (m, t) in enumerate(stdlib_sources(6))]
    old_hit = make_row("solutions/he", sha("he1"), "sol.py", py["prompt"] + py["canonical_solution"],
                       "# removed\n", "Remove solution")
    new_hit = make_row("gotests/x", sha("he2"), "x_test.go", "package main\n",
                       "package main\n" + go["test"], "Add tests")
    tiny = make_row("tiny/x", sha("he3"), "t.py", "x = 1\n", "    return len(string)\n", "Fix len")
    rows = clean + [old_hit, new_hit, tiny]
    df = spark.createDataFrame(to_table(rows))
    out, stats = decontaminate(df, DecontConfig(source=str(humanevalpack_dir)))
    assert out.columns == df.columns + ["decont_hit"]
    got = {r.row_id: r.decont_hit for r in out.select("row_id", "decont_hit").collect()}
    assert len(got) == len(rows)
    assert got[old_hit["row_id"]] in ("exact:Python/12:prompt", "exact:Python/12:canonical_solution")
    assert got[new_hit["row_id"]] == "exact:Go/3:test"
    assert got[tiny["row_id"]] is None and all(got[r["row_id"]] is None for r in clean)
    assert stats["rows_in"] == len(rows) and stats["contaminated"] == 2
    assert stats["by_kind"] == {"exact": 2} and stats["by_language"] == {"Python": 1, "Go": 1}
    assert stats["params"]["ngram_size"] == 13 and stats["index"]["items"] > 2000

    # only the new contents searched: the old-contents hit disappears
    out2, stats2 = decontaminate(df, DecontConfig(source=str(humanevalpack_dir), columns=["new_contents"]))
    assert stats2["contaminated"] == 1
    with pytest.raises(ValueError, match="lacks column"):
        decontaminate(df.drop("new_contents"), DecontConfig(source=str(humanevalpack_dir)))
