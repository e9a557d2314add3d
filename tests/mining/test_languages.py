from octopack_spark.mining.languages import detect_language, file_extension, language_table


def test_table_is_complete():
    t = language_table()
    assert len(t) == 358 and sum(len(v) for v in t.values()) == 853


def test_dotted_lookup_fixes_the_original_bug():
    # The original looked up "py" (no dot) against ".py" entries and matched nothing.
    assert detect_language("src/main.py") == "Python"
    assert detect_language("a/b/c.rs") == "Rust"
    assert detect_language("lib.go") == "Go"


def test_compound_and_case_sensitive_extensions():
    assert detect_language("x/gen.rs.in") == "Rust"
    assert detect_language("CMakeLists.cmake.in") == "CMake"
    assert detect_language("foo.C") == "C++"  # .C is C++, .c is C
    assert detect_language("foo.c") == "C"
    assert detect_language("FOO.PY") == "Python"  # case-folded fallback


def test_whole_name_and_dotfiles():
    assert detect_language("docker/Dockerfile") == "Dockerfile"
    assert detect_language("Makefile") == "Makefile"
    assert detect_language(".emacs") == "Emacs Lisp"


def test_unknown_is_none_not_dropped():
    assert detect_language("LICENSE") is None
    assert detect_language("blob.unknownext") is None
    assert detect_language(None) is None
    assert detect_language("") is None


def test_file_extension():
    assert file_extension("a/b.tar.gz") == ".gz"
    assert file_extension("Makefile") is None
    assert file_extension(".bashrc") is None


# ---------------------------------------------------------------------------------------------------------------
# Issue 14: content rules for ambiguous extensions
# ---------------------------------------------------------------------------------------------------------------
import collections  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from octopack_spark.mining.languages import ambiguous_extensions  # noqa: E402

SNIPPETS = Path(__file__).resolve().parents[1] / "data" / "languages" / "snippets"
FAMILIES = (".h", ".m", ".pl", ".v", ".inc", ".cls")
# Languages the heuristics may name that CommitPack's table lacks (Linguist names).
ADDED_LANGUAGES = {"Objective-C", "Apex", "ObjectScript"}


def _accuracy(root: Path) -> tuple[dict, dict, list]:
    """Files under root/<Language>/ -> per-extension (correct, total) and the misses."""
    ok, total, misses = collections.Counter(), collections.Counter(), []
    for lang_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(lang_dir.iterdir()):
            ext = "." + f.name.rsplit(".", 1)[-1]
            path = f.name.split("__")[-1]  # build_real_corpus.py flattens repo paths with "__"
            got = detect_language(path, f.read_bytes())
            total[ext] += 1
            if got == lang_dir.name:
                ok[ext] += 1
            else:
                misses.append((f.name, lang_dir.name, got))
    return ok, total, misses


def _report(title: str, ok, total, misses) -> None:
    print(f"\n{title}: {sum(ok.values())}/{sum(total.values())} = {sum(ok.values()) / sum(total.values()):.1%}")
    for ext in FAMILIES:
        if total[ext]:
            print(f"  {ext:5s} {ok[ext]:4d}/{total[ext]:<4d} {ok[ext] / total[ext]:.1%}")
    for m in misses:
        print("  miss:", m)


def test_path_only_calls_are_unchanged():
    assert detect_language("include/foo.h") == "C"  # the table's answer without content
    assert detect_language("lib/Foo.pl") == "Perl"
    assert detect_language("foo.H") == "C++"
    assert detect_language("x.m") is None and detect_language("x.v") is None
    assert detect_language("x.inc") is None and detect_language("x.cls") is None
    assert set(ambiguous_extensions()) == set(FAMILIES)


def test_content_decides_ambiguous_extensions():
    assert detect_language("a.h", b"#include <vector>\nclass A {};\n") == "C++"
    assert detect_language("a.h", b"#import <Foundation/Foundation.h>\n@interface A : NSObject\n@end\n") == "Objective-C"
    assert detect_language("a.h", b'#ifdef __cplusplus\nextern "C" {\n#endif\nint f(void);\n') == "C"
    assert detect_language("a.m", "function y = f(x)\n  y = x + 1;\nend\n") == "Matlab"
    assert detect_language("a.m", b"#import \"A.h\"\n@implementation A\n@end\n") == "Objective-C"
    assert detect_language("a.pl", b"parent(tom, bob).\nanc(X, Y) :- parent(X, Y).\n") == "Prolog"
    assert detect_language("a.pl", b"#!/usr/bin/env perl\nmy $x = 1; # :- smiley\n") == "Perl"
    assert detect_language("a.v", b"Lemma l : True.\nProof. trivial. Qed.\n") == "Coq"
    assert detect_language("a.v", b"module m(input wire a, output wire b);\nassign b = a;\nendmodule\n") == "Verilog"
    assert detect_language("a.inc", b"<?php echo 1;\n") == "PHP"
    assert detect_language("a.cls", b"\\NeedsTeXFormat{LaTeX2e}\n\\ProvidesClass{x}\n") == "TeX"
    assert detect_language("a.cls", b"public with sharing class A {\n}\n") == "Apex"
    # undecidable content: the extension's default (C for .h, Perl for .pl, none for the others)
    assert detect_language("a.h", b"") == "C" and detect_language("a.pl", b"\n") == "Perl"
    assert detect_language("a.v", b"fn main() {\n\tprintln('hi')\n}\n") is None  # V, not in the table
    assert detect_language("a.v", b"hello\n") is None and detect_language("a.cls", b"\xff\xfe\x00") is None
    # content is ignored for unambiguous extensions
    assert detect_language("a.py", b"#include <vector>\n") == "Python"


def test_rule_languages_are_known():
    import json
    from importlib import resources

    spec = json.loads(resources.files("octopack_spark.data").joinpath("language_heuristics.json").read_text())
    names = {r["language"] for e in spec["extensions"].values() for r in e["rules"]}
    names |= {e["default"] for e in spec["extensions"].values()}
    assert names - set(language_table()) == ADDED_LANGUAGES | {None}


def test_snippets_accuracy():
    ok, total, misses = _accuracy(SNIPPETS)
    _report("ambiguous-extension snippets (ours)", ok, total, misses)
    assert all(total[e] >= 5 for e in FAMILIES), total
    assert sum(ok.values()) / sum(total.values()) >= 0.9
    assert all(ok[e] / total[e] >= 0.9 for e in FAMILIES), misses


def test_real_files_accuracy():
    """Real files from public projects, laid out by tests/data/languages/build_real_corpus.py; the folder is
    given by OCTOPACK_AMBIGUOUS_CORPUS (not committed: the files keep their projects' licences)."""
    root = os.environ.get("OCTOPACK_AMBIGUOUS_CORPUS")
    if not root:
        pytest.skip("OCTOPACK_AMBIGUOUS_CORPUS not set (see tests/data/languages/build_real_corpus.py)")
    ok, total, misses = _accuracy(Path(root))
    _report(f"real files in {root}", ok, total, misses)
    assert all(total[e] >= 30 for e in FAMILIES), total
    assert sum(ok.values()) / sum(total.values()) >= 0.9
    assert all(ok[e] / total[e] >= 0.9 for e in FAMILIES), [(e, ok[e], total[e]) for e in FAMILIES]
