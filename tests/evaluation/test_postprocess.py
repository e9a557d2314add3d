"""Post-processing per language, on hand-written model outputs (rules: spec §4 / bigcode harness)."""

import pytest

from evaluation.postprocess import (
    EOS,
    cut_at_stop_words,
    is_finished,
    postprocess_code,
    postprocess_description,
    stop_words,
    truncate_block,
)


def pp(language, completion, base, prompt="PROMPT"):
    return postprocess_code(completion, prompt, base, language, stop_words(language))


class TestPython:
    base = "def f(x):\n    \"\"\"Add one.\"\"\"\n"

    def test_stop_word_def(self):
        got = pp("python", "\n    return x + 1\n\ndef other():\n    pass\n", self.base)
        assert got == 'def f(x):\n    """Add one."""\n    return x + 1\n'

    def test_first_unindented_line_ends_function(self):
        got = pp("python", "\n    y = x\n\n    return y + 1\nresult = f(2)\n", self.base)
        assert got.endswith("    y = x\n\n    return y + 1")

    def test_tabs_count_as_indentation_and_eos(self):
        got = pp("python", "\n\treturn x + 1" + EOS + "\nimport os", self.base)
        assert got.endswith('"""\n\treturn x + 1')

    def test_every_python_stop_word(self):
        for w in ("\nclass", "\ndef", "\n#", "\n@", "\nprint", "\nif", "\nassert"):
            got = pp("python", "\n    return 1" + w + " rest", self.base)
            assert got.endswith("    return 1"), w

    def test_prompt_echo_is_stripped(self):
        prompt = "Question: q\n\nAnswer:\ndef f(x):"
        got = pp("python", prompt + "\n    return 2\n", self.base, prompt=prompt)
        assert got.endswith('"""\n    return 2')


# (language, completion, base, expected): the completion cut where the function's block closes.
BRACE_CUTS = [
    pytest.param("js", "\n  if (x) { return 1; }\n  return 2;\n}\nconsole.log(f(1));\n", "const f = (x) => {\n",
                 "const f = (x) => {\n  if (x) { return 1; }\n  return 2;\n}", id="js_cut_at_function_end"),
    pytest.param("cpp", "\n    return x;\n}\nint main(){ return 0; }\n", "int f(int x){\n",
                 "int f(int x){\n    return x;\n}", id="cpp_drops_main"),
    pytest.param("rust", "\n    if x { 1 } else { 2 }\n    // wandering", "fn f(x: bool) -> i32 {\n",
                 "fn f(x: bool) -> i32 {\n    if x { 1 } else { 2 }", id="rust_unclosed_keeps_up_to_last_brace"),
    pytest.param("rust", "\n    x + 1\n}\n\nfn main() {}\n", "fn f(x: i32) -> i32 {\n",
                 "fn f(x: i32) -> i32 {\n    x + 1\n}", id="rust_closed"),
]


class TestBraceLanguages:
    @pytest.mark.parametrize("language,completion,base,expected", BRACE_CUTS)
    def test_cut_at_block_end(self, language, completion, base, expected):
        assert pp(language, completion, base) == expected

    def test_go_stop_words(self):
        base = "func F(x int) int {\n"
        assert pp("go", "\n\treturn x\n}\n\nfunc main() {\n}\n", base) == base.rstrip() + "\n\treturn x\n}"
        # The harness also stops at any `struct` (CodeGeeX list), even inside the body.
        assert pp("go", "\n\ts := struct{}{}\n\treturn x\n}", base) == base.rstrip() + "\n\ts := "
        assert pp("go", "\n\treturn x // done\n}\n// Example\n", base) == base.rstrip() + "\n\treturn x // done\n}"

    def test_java_counts_from_two(self):
        base = "class Solution {\n    public int f(int x) {\n"
        comp = "\n        return x;\n    }\n}\n\npublic class Main {\n    public static void main(String[] a) {}\n}\n"
        assert pp("java", comp, base) == base.rstrip() + "\n        return x;\n    }\n}"

    def test_java_cuts_before_main_when_class_never_closes(self):
        base = "class Solution {\n    public int f(int x) {\n"
        comp = "\n        return x;\n    }\n    public static void main(String[] a) {\n        System.out.println(1);"
        assert pp("java", comp, base) == base.rstrip() + "\n        return x;\n    }\n    }"

    def test_java_closes_class_after_unfinished_block(self):
        assert truncate_block("\n        if (x) {\n            return 1;", "java") == "\n        if (x) {\n            return 1;\n}"

    def test_no_brace_at_all_is_kept(self):
        assert truncate_block("\n    return x;", "cpp") == "\n    return x;"


def test_stop_words_order_and_extras():
    s = stop_words("python", ["<|end|>", "\ndef"])
    assert s[-1] == EOS and s.count("\ndef") == 1 and "<|end|>" in s
    assert stop_words("java") == (EOS,)
    with pytest.raises(ValueError):
        stop_words("cobol")
    assert cut_at_stop_words("a X b Y c", ["Y", "X"]) == "a "


def test_description_cap_and_code_stripping():
    canonical = "    return sorted(list(set(numbers)))\n    x = 1\n"
    comp = "  Sorts unique numbers: return sorted(list(set(numbers))) then x = 1 ok and more text here"
    doc = "d" * 70
    got = postprocess_description(comp, "PROMPT", doc, canonical, stop_words("js"))
    # capped at 70 chars (trailing space dropped), then the long canonical line (not the short one) removed
    assert got == "Sorts unique numbers:  then x = 1 ok"
    assert len(postprocess_description("x" * 500, "P", "d" * 42, "", (EOS,))) == 42
    assert postprocess_description("Adds.<|endoftext|>junk", "P", "d" * 100, "", (EOS,)) == "Adds."


def test_is_finished():
    stops = stop_words("python")
    assert not is_finished("\n    return 1", "python", stops)
    assert is_finished("\n    return 1\nx = 2", "python", stops)
    assert is_finished("\n    return 1\ndef", "python", stops)
    assert not is_finished("\n  return 1;", "js", (EOS,))
    assert is_finished("\n  return 1;\n}", "js", (EOS,))
    assert not is_finished("\n  return 1;\n}", "java", (EOS,))
    assert is_finished("\n  return 1;\n}\n}", "java", (EOS,))
    assert not is_finished("text with } braces", "python", (EOS,), code=False)
    assert is_finished("text" + EOS, "python", (EOS,), code=False)
