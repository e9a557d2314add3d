import pyarrow as pa

from octopack_spark.ft.context import add_context


def test_repo_langs_and_inplace_files():
    t = pa.table({
        "repo": ["a", "a", "a", "b"],
        "commit": ["c1", "c1", "c2", "c1"],  # c1 also mined from fork b: same commit, same files
        "lang": ["Python", "Markdown", None, "Go"],
        "old_file": ["x.py", "R.md", None, "x.py"],
        "new_file": ["x.py", "R.md", "n.py", "x.py"],
    })
    out = add_context(t)
    assert out.column("repo_langs").to_pylist() == [["Markdown", "Python"]] * 3 + [["Go"]]
    # c1 modifies x.py and R.md in place (counted once across forks); c2 only adds a file
    assert out.column("inplace_files").to_pylist() == [2, 2, 0, 2]
