import glob
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest
from pydantic import ValidationError

from octopack_spark.humanevalpack import load_humanevalpack
from octopack_spark.ft.decont.config import DecontConfig
from octopack_spark.ft.decont.index import build_index, ngram_hashes, normalize_ws


@pytest.fixture(scope="module")
def problems(humanevalpack_dir):
    return load_humanevalpack("all", str(humanevalpack_dir))


@pytest.fixture(scope="module")
def index(problems, humanevalpack_dir):
    return build_index(problems, DecontConfig(source=str(humanevalpack_dir)))


def by_id(problems, task_id):
    lang = {"Python": "python", "JavaScript": "js", "Java": "java", "Go": "go", "CPP": "cpp", "Rust": "rust"}
    return next(r for r in problems[lang[task_id.split("/")[0]]] if r["task_id"] == task_id)


def test_index_covers_all_six_languages(index):
    assert index.stats["items"] > 6 * 164 * 3
    assert {it.task_id.split("/")[0] for it in index.items} == {"Python", "JavaScript", "Java", "Go", "CPP", "Rust"}
    assert index.stats["common_ngrams"] > 0  # boilerplate exists and is excluded


def test_exact_hit_survives_reindentation(problems, index):
    sol = by_id(problems, "Python/12")["canonical_solution"]
    reindented = "class Wrapper:\n    def longest(self, strings):\n" + \
        "\n".join("        " + ln.strip() for ln in sol.splitlines()) + "\n"
    assert index.match([None, reindented]) == "exact:Python/12:canonical_solution"
    test = by_id(problems, "JavaScript/3")["test"]
    assert index.match(["// my tests\n" + test.replace("\n", "\r\n"), None]) == "exact:JavaScript/3:test"


def test_each_language_prompt_and_test_found_in_old_or_new(problems, index):
    for lang in ("python", "js", "java", "go", "cpp", "rust"):
        row = problems[lang][40]
        assert index.match(["int unrelated = 0;\n" + row["prompt"], None]) == f"exact:{row['task_id']}:prompt"
        assert index.match([None, row["test"] + "\n// end"]) == f"exact:{row['task_id']}:test"


def test_ngram_hit_on_a_partial_edited_copy(problems, index):
    prompt = by_id(problems, "Java/25")["prompt"]
    lines = prompt.splitlines()
    # drop two lines and rename the class: no long exact substring is left intact
    edited = "\n".join(("class Solver {" if "class Solution" in ln else ln) for i, ln in enumerate(lines)
                       if i not in (5, 9))
    assert normalize_ws(prompt) not in normalize_ws(edited)
    assert index.match([edited]) == "ngram13:Java/25:prompt"


def test_tiny_and_generic_snippets_do_not_hit(problems, index):
    assert index.match(["}", "    return len(string)\n"]) is None  # Python/23's whole canonical solution
    assert index.match(["import java.util.*;\nimport java.lang.*;\n\nclass Solution {\n}"]) is None
    assert index.match(["#include<stdio.h>\n#include<math.h>\n#include<vector>\nusing namespace std;\n"
                        "int main(){\n}\n"]) is None
    one_line = by_id(problems, "Go/10")["prompt"].splitlines()[2]  # one docstring line alone
    assert index.match([f"// {one_line}\n"]) is None
    assert index.match([None, ""]) is None


def test_first_hit_is_deterministic(problems, index):
    a = by_id(problems, "Rust/7")["canonical_solution"]
    b = by_id(problems, "Python/30")["prompt"]
    # two exact hits: the longer benchmark string is reported, whatever the text order
    want = "exact:Python/30:prompt" if len(normalize_ws(b)) > len(normalize_ws(a)) else "exact:Rust/7:canonical_solution"
    assert index.match([a + "\n" + b]) == want
    assert index.match([b, a]) == index.match([a, b]) == want


def _real_code(limit):
    """CPython's stdlib (always there), plus Go's stdlib and libstdc++ headers when installed."""
    stdlib = sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py"))[: 2 * limit]
    go = []
    if shutil.which("go"):
        goroot = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True).stdout.strip()
        go = sorted(glob.glob(os.path.join(goroot, "src", "**", "*.go"), recursive=True))[:limit]
    cpp = sorted(glob.glob("/usr/include/c++/*/**/*", recursive=True))[:limit]
    return [p for p in list(stdlib) + go + cpp if os.path.isfile(p)]


def test_no_false_positives_on_real_code(index):
    hits = []
    n = 0
    for p in _real_code(350):
        try:
            text = Path(p).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        n += 1
        r = index.match([text])
        if r:
            hits.append((p, r))
    assert n >= 650
    assert hits == []


def test_ngram_hashes_and_config_validation(humanevalpack_dir):
    assert len(ngram_hashes("a b c d", 3)) == 2 and len(ngram_hashes("a b", 3)) == 0
    assert len(ngram_hashes("a b c a b c", 3)) == 3  # unique
    with pytest.raises(ValidationError):
        DecontConfig(languages=["cobol"])
    with pytest.raises(ValidationError):
        DecontConfig(fields=["docstring_typo"])
    from octopack_spark.errors import UserFacingError
    from octopack_spark.ft.decont.index import load_index
    with pytest.raises(UserFacingError):
        load_index(DecontConfig(source=str(humanevalpack_dir / "missing-folder")))
