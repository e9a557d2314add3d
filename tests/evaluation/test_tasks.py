"""Prompt building on the real HumanEvalPack rows, checked by hand against the harness formats (spec §4)."""

import pytest

from evaluation.data import load_language
from evaluation.prompts import get_template
from evaluation.tasks import (
    LANGUAGES,
    RUN_TASKS,
    TASKS,
    build_prompts,
    get_task,
    languages_arg,
    postprocess_completion,
)
from octopack_spark.errors import UserFacingError

OCTO = get_template("octocoder")


@pytest.fixture(scope="module")
def data(humanevalpack_dir):
    return {lang: load_language(lang, humanevalpack_dir) for lang in LANGUAGES}


def test_python_synthesize_octocoder(data):
    p = build_prompts("synthesize", "python", data["python"], OCTO)[0]
    assert p.task_id == "Python/0" and p.key == "synthesize/python/Python/0"
    assert p.text == (
        "Question: Write a Python function `has_close_elements(numbers: List[float], threshold: float) -> bool` "
        "to solve the following problem:\n"
        "Check if in given list of numbers, are any two numbers closer to each other than\ngiven threshold.\n"
        ">>> has_close_elements([1.0, 2.0, 3.0], 0.5)\nFalse\n"
        ">>> has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)\nTrue\n\n"
        "Answer:\nfrom typing import List\n\n\n"
        "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
        '    """ Check if in given list of numbers, are any two numbers closer to each other than\n'
        "    given threshold.\n    >>> has_close_elements([1.0, 2.0, 3.0], 0.5)\n    False\n"
        "    >>> has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)\n    True\n"
        '    """'
    )
    assert p.prompt_base == p.program_base == data["python"][0]["prompt"]


def test_js_fix_tests_and_docs(data):
    row = data["js"][2]
    tests = build_prompts("fix-tests", "js", data["js"], OCTO)[2]
    decl = "\nconst truncateNumber = (number) => {\n"
    assert row["declaration"] == decl
    assert tests.text == (
        "Question: Fix bugs in truncateNumber.\n" + decl + "  return number % 1.0 + 1.0;\n}\n\n"
        + "\n" + row["test"] + "\n\nAnswer:\n" + decl.rstrip()  # only the whole prompt is stripped
    )
    assert tests.prompt_base == decl == tests.program_base
    docs = build_prompts("fix-docs", "js", data["js"], OCTO)[2]
    assert docs.text.startswith("Question: Fix bugs in truncateNumber.\n/* Given a positive floating point number")
    assert row["test"].strip() not in docs.text  # the docs variant shows no tests
    assert docs.text.endswith("Answer:\n" + row["prompt"].strip())
    assert get_task("fix-tests").exec_layout == "decl" and get_task("fix-docs").exec_layout == "prompt"


def test_rust_fix_prepends_main_go_fix_uses_declaration(data):
    p = build_prompts("fix-tests", "rust", data["rust"], OCTO)[0]
    assert p.prompt_base == "fn main(){}\n" + data["rust"][0]["declaration"]
    assert p.text.startswith("Question: Fix bugs in has_close_elements.\nfn main(){}\n\nuse std::")
    g = build_prompts("fix-tests", "go", data["go"], OCTO)[2]
    assert g.prompt_base == "\nfunc TruncateNumber(number float64) float64 {\n"
    assert g.text.endswith("Answer:\n\nfunc TruncateNumber(number float64) float64 {")
    assert "    return math.Mod(number,1)+1\n}" in g.text  # the buggy solution is shown


def test_java_explain_describe_cap_and_no_code_base(data):
    row = data["java"][0]
    assert len(row["docstring"]) == 235
    p = build_prompts("explain-describe", "java", data["java"], OCTO)[0]
    assert p.prompt_base == ""
    assert p.text == (
        "Question: Provide a concise natural language description of the code using at most 235 characters.\n"
        + row["declaration"] + row["canonical_solution"].rstrip() + "\n\nAnswer:"
    )


def test_explain_synthesize_one_prompt_per_description(data):
    rows = data["cpp"][:2]
    descs = [["adds numbers", "checks closeness"], ["third"]]
    ps = build_prompts("explain-synthesize", "cpp", rows, OCTO, descs)
    assert [p.key for p in ps] == [
        "explain-synthesize/cpp/CPP/0#0", "explain-synthesize/cpp/CPP/0#1", "explain-synthesize/cpp/CPP/1#0"]
    assert ps[1].text == (
        "Question: Write functional code in C++ according to the description.\nchecks closeness\n\nAnswer:\n"
        + rows[0]["declaration"].strip())
    assert ps[0].program_base == rows[0]["prompt"]  # answers are appended to the docstring prompt
    with pytest.raises(UserFacingError, match="one list of descriptions per problem"):
        build_prompts("explain-synthesize", "cpp", rows, OCTO, [["x"]])


def test_instruct_template_context_first(data):
    p = build_prompts("fix-docs", "python", data["python"], get_template("instruct"))[0]
    assert p.text.startswith("from typing import List")
    assert "\nFix bugs in has_close_elements.\n\nfrom typing import List" in p.text


EXPECTED_LOST_HELPERS = {"Go/72", "Go/90", "Go/158", "CPP/94", "Rust/137", "Rust/145"}


def test_canonical_answers_survive_postprocessing(data):
    """A model answering with the canonical body (plus junk after it) gets back prompt + canonical, except
    where the harness rules cut a helper defined after the function (Go `struct`/`\\nfunc`, Rust/CPP)."""
    junk = {"python": "\n\ndef check(x):\n    pass\n", "js": "\nconst x = () => {\n}\n",
            "java": "\npublic class Main {\n}\n", "go": "\nfunc main() {\n}\n", "cpp": "\nint main(){\n}\n",
            "rust": "\nfn other() {\n}\n"}
    changed = set()
    for lang in LANGUAGES:
        for task in ("synthesize", "fix-tests", "fix-docs"):
            for p, row in zip(build_prompts(task, lang, data[lang], OCTO), data[lang]):
                lead_ws = p.prompt_base[len(p.prompt_base.rstrip()):]
                prog = postprocess_completion(p, lead_ws + row["canonical_solution"] + junk[lang], row)
                if prog.rstrip() != (p.program_base + row["canonical_solution"]).rstrip():
                    changed.add(row["task_id"])
    assert changed == EXPECTED_LOST_HELPERS


def test_describe_postprocess_uses_row(data):
    row = data["python"][0]
    p = build_prompts("explain-describe", "python", data["python"], OCTO)[0]
    line = "distance = abs(elem - elem2)"
    got = postprocess_completion(p, " It checks pairs: " + line + " below threshold." + "z" * 400, row)
    assert len(got) <= len(row["docstring"]) and line not in got and got.startswith("It checks pairs:")


def test_task_tables_and_language_args():
    assert set(RUN_TASKS["explain"]) == {"explain-describe", "explain-synthesize"}
    assert RUN_TASKS["fix"] == ("fix-tests",)
    assert all(TASKS[s] for stages in RUN_TASKS.values() for s in stages)
    assert languages_arg("all") == list(LANGUAGES)
    assert languages_arg("python,javascript") == ["python", "js"]
    with pytest.raises(UserFacingError):
        languages_arg("cobol")
    with pytest.raises(UserFacingError):
        get_task("fixit")


def test_missing_field_names_problem():
    row = {"task_id": "Python/7", "prompt": "def f():\n", "declaration": "def f():\n"}
    with pytest.raises(UserFacingError, match=r"problem 0 \(Python/7\).*instruction"):
        build_prompts("synthesize", "python", [row], OCTO)
