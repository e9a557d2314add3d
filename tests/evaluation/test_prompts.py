import pytest

from evaluation.prompts import PromptTemplate, available_templates, get_template
from octopack_spark.errors import UserFacingError


def test_all_builtin_templates_load_and_keep_prompt_base():
    names = available_templates()
    assert {"octocoder", "instruct", "continue", "starchat", "wizardcoder", "codellama", "octogeex",
            "instructcodet5p", "starcodercommit"} <= set(names)
    for n in names:
        t = get_template(n)
        assert t.name == n
        out = t.render("INSTR", "BASE", None if not t.allows_context else "CTX")
        assert out.endswith("BASE") or n == "continue"


def test_octocoder_format_and_strip():
    t = get_template("octocoder")
    got = t.render("Fix bugs in f.", "def f(x):\n", "def f(x):\n    return x\n")
    assert got == "Question: Fix bugs in f.\ndef f(x):\n    return x\n\n\nAnswer:\ndef f(x):"


def test_instruct_puts_context_first_and_octogeex_strips_input():
    assert get_template("instruct").render("I", "B", "C") == "C\nI\n\nB"
    assert get_template("octogeex").render("I", "B", "C\n\n") == "Question: I\nC\n\nAnswer:\nB"
    assert get_template("codellama").render(" I", "B") == "[INST] I [/INST] B"


def test_continue_refuses_context():
    t = get_template("continue")
    assert t.render("ignored", "def f():\n") == "def f():"
    with pytest.raises(UserFacingError, match="Synthesize only"):
        t.render("I", "B", "C")


def test_task_specific_template_override():
    t = get_template("starcodercommit")
    assert t.render("Fix bugs in f.", "BASE", "OLD", family="fix") == \
        "<commit_before>OLD<commit_msg>Fix bugs in f.<commit_after>BASE"
    assert t.render("Write f.", "BASE", None, family="synthesize") == "<commit_before><commit_msg>Write f.<commit_after>BASE"
    assert "<commit_before>" in t.stop_words


def test_placeholders_in_code_are_not_expanded():
    t = get_template("octocoder")
    code = 'fmt.Println("{prompt_base} {input}")\nvar m = map[string]int{}\n'
    got = t.render("I", "B", code)
    assert '"{prompt_base} {input}"' in got and "map[string]int{}" in got and got.endswith("B")


def test_template_file_and_validation(tmp_path):
    p = tmp_path / "mine.yaml"
    p.write_text('name: mine\ntemplate: "### Q\\n{input}\\n### A\\n{prompt_base}"\n')
    t = get_template(str(p))
    assert t.render("I", "B") == "### Q\nI\n### A\nB"
    # template files without {prompt_base} or with unknown keys: tests/test_yaml_io.py (BAD_FILES)
    with pytest.raises(UserFacingError, match="unknown prompt template"):
        get_template("no-such-format")
    with pytest.raises(ValueError):
        PromptTemplate(name="x", template="{prompt_base}", task_templates={"nope": "{prompt_base}"})
