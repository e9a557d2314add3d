"""Small CommitPackFT-layout datasets for smoke runs, benchmarks and tests (no network, no Spark).

The layout is the one `octopack ft` publishes: `<root>/manifest.json` listing the Parquet files of
table `commitpackft`, Hive-partitioned as `commitpackft/lang=<Language>/part-*.parquet`, with the
`lang` value only in the directory name (as Spark writes it). Rows are single-file commits with a
subject in CommitPackFT style (imperative verb, >4 words) and plausible before/after source files
built from a few function skeletons and edits (bug fixes, renames, docstrings, guards). Everything
is derived from the row index, so the same call writes the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Optional

import pyarrow as pa

FT_TABLE = "commitpackft"

_PY_FUNCS = [
    ("mean", "values", "total = 0\n    for v in {arg}:\n        total += v\n    return total / len({arg})"),
    ("count_words", "text", "words = {arg}.split()\n    return len(words)"),
    ("clamp", "x", "if {arg} < 0:\n        return 0\n    if {arg} > 10:\n        return 10\n    return {arg}"),
    ("last_item", "items", "return {arg}[len({arg}) - 1]"),
    ("is_even", "n", "return {arg} % 2 == 0"),
    ("join_lines", "lines", "return \"\\n\".join({arg})"),
]
_JS_FUNCS = [
    ("sum", "arr", "let s = 0;\n  for (let i = 0; i < {arg}.length; i++) {{\n    s += {arg}[i];\n  }}\n  return s;"),
    ("capitalize", "word", "return {arg}.charAt(0).toUpperCase() + {arg}.slice(1);"),
    ("maxOf", "nums", "return Math.max(...{arg});"),
    ("isEmpty", "obj", "return Object.keys({arg}).length === 0;"),
]
_GO_FUNCS = [
    ("Sum", "xs []int", "xs", "s := 0\n\tfor _, x := range xs {{\n\t\ts += x\n\t}}\n\treturn s"),
    ("Abs", "x int", "x", "if x < 0 {{\n\t\treturn -x\n\t}}\n\treturn x"),
    ("Reverse", "s string", "s", "r := []rune(s)\n\tfor i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {{\n\t\tr[i], r[j] = r[j], r[i]\n\t}}\n\treturn string(r)"),
]
_MODULES = ["utils", "helpers", "stats", "text", "core", "common", "tools", "mathx"]
_REPOS = ["acme/widgets", "octo/labs", "data/pipes", "sam/dotfiles", "kit/toolbox", "lee/notes"]
_LICENSES = ["mit", "apache-2.0", "bsd-3-clause", "isc"]


def _py(i: int) -> tuple[str, str, str, str]:
    name, arg, body = _PY_FUNCS[i % len(_PY_FUNCS)]
    mod = _MODULES[(i // len(_PY_FUNCS)) % len(_MODULES)]
    fn = f"{name}_{i // 7}" if i >= 7 else name
    header = f"\"\"\"Helpers for the {mod} module.\"\"\"\n\nimport math\n\n\n"
    func = f"def {fn}({arg}):\n    {body.format(arg=arg)}\n"
    other = f"\n\ndef helper_{i}(a, b):\n    return a + b * {i % 5}\n"
    old = header + func + other
    kind = i % 4
    if kind == 0:
        new = header + f"def {fn}({arg}):\n    \"\"\"Compute {name.replace('_', ' ')} of {arg}.\"\"\"\n" \
            f"    {body.format(arg=arg)}\n" + other
        subject = f"Add docstring to {fn} in {mod} module"
    elif kind == 1:
        new = header + f"def {fn}({arg}):\n    if not {arg}:\n        return None\n    {body.format(arg=arg)}\n" + other
        subject = f"Handle empty input in {fn} function"
    elif kind == 2:
        new_arg = arg + "_in"
        new = header + f"def {fn}({new_arg}):\n    {body.format(arg=new_arg)}\n" + other
        subject = f"Rename argument {arg} to {new_arg} in {fn}"
    else:
        new = old.replace(f"b * {i % 5}", f"b * {(i % 5) + 1}")
        subject = f"Fix wrong factor in helper_{i} computation"
    return f"{mod}/{fn}.py", old, new, subject


def _js(i: int) -> tuple[str, str, str, str]:
    name, arg, body = _JS_FUNCS[i % len(_JS_FUNCS)]
    fn = f"{name}{i // 5}" if i >= 5 else name
    old = f"'use strict';\n\nfunction {fn}({arg}) {{\n  {body.format(arg=arg)}\n}}\n\nmodule.exports = {{ {fn} }};\n"
    kind = i % 3
    if kind == 0:
        new = old.replace("'use strict';\n\n", "'use strict';\n\n// Utility function.\n")
        new = new.replace(f"function {fn}", f"/** {fn}: see README. */\nfunction {fn}")
        subject = f"Document the {fn} helper function"
    elif kind == 1:
        new = old.replace(f"function {fn}({arg}) {{\n", f"function {fn}({arg}) {{\n  if ({arg} == null) throw new TypeError('{arg}');\n")
        subject = f"Validate the {arg} argument of {fn}"
    else:
        new = old.replace("module.exports = {", "module.exports = { version: 2,")
        subject = f"Export version number along with {fn}"
    return f"lib/{fn}.js", old, new, subject


def _go(i: int) -> tuple[str, str, str, str]:
    name, params, arg, body = _GO_FUNCS[i % len(_GO_FUNCS)]
    fn = f"{name}{i // 4}" if i >= 4 else name
    ret = "string" if "string" in params else "int"
    old = f"package mathx\n\n// {fn} is a helper.\nfunc {fn}({params}) {ret} {{\n\t{body.format()}\n}}\n"
    if i % 2 == 0:
        new = old.replace(f"// {fn} is a helper.", f"// {fn} returns the result for {arg}.")
        subject = f"Improve the doc comment of {fn} function"
    else:
        new = old + f"\n// {fn}All applies {fn} to each value.\nfunc {fn}All(vs []{params.split()[-1]}) []{ret} {{\n" \
            f"\tout := make([]{ret}, 0, len(vs))\n\treturn out\n}}\n"
        subject = f"Add {fn}All helper for slices of values"
    return f"mathx/{fn.lower()}.go", old, new, subject


_LANGS = {"Python": _py, "JavaScript": _js, "Go": _go}


def synthetic_rows(lang: str, n: int, start: int = 0) -> list[dict]:
    make = _LANGS[lang]
    rows = []
    for i in range(start, start + n):
        path, old, new, subject = make(i)
        repo = _REPOS[i % len(_REPOS)]
        commit = hashlib.sha1(f"{lang}:{i}:{subject}".encode()).hexdigest()
        rows.append({
            "commit": commit,
            "old_file": path,
            "new_file": path,
            "old_contents": old,
            "new_contents": new,
            "subject": subject,
            "message": subject + "\n\nSigned off in review.\n",
            "license": _LICENSES[i % len(_LICENSES)],
            "repos": repo,
            "repo": repo,
            "row_id": hashlib.sha256(f"{repo}|{commit}|{path}".encode()).hexdigest()[:32],
        })
    return rows


def write_commitpackft_dataset(root: str, rows_per_lang: Optional[dict[str, int]] = None, files_per_lang: int = 2,
                               row_group_size: int = 8, with_manifest: bool = True) -> dict:
    """Write a dataset root; returns {"files": [...relative paths], "rows": n}."""
    import pyarrow.parquet as pq

    from octopack_spark.storage.fs import Storage
    from octopack_spark.storage.manifest import Manifest, TableEntry, write_manifest

    rows_per_lang = rows_per_lang or {"Python": 24, "JavaScript": 18, "Go": 12}
    rel_files: list[str] = []
    total = 0
    total_bytes = 0
    for lang, n in rows_per_lang.items():
        rows = synthetic_rows(lang, n)
        per = -(-n // files_per_lang)
        for k in range(files_per_lang):
            chunk = rows[k * per:(k + 1) * per]
            if not chunk:
                continue
            rel = f"{FT_TABLE}/lang={lang}/part-{k:05d}-{hashlib.md5(lang.encode()).hexdigest()[:8]}.c000.zstd.parquet"
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            pq.write_table(pa.Table.from_pylist(chunk), path, row_group_size=row_group_size, compression="zstd")
            rel_files.append(rel)
            total += len(chunk)
            total_bytes += os.path.getsize(path)
    if with_manifest:
        m = Manifest(kind="ft", tables={FT_TABLE: TableEntry(schema_version="1.0", rows=total, bytes=total_bytes,
                                                             files=sorted(rel_files), partitioning=["lang"])},
                     config={"synthetic": True}, counts={"rows": total})
        write_manifest(Storage(), root, m)
    return {"files": sorted(rel_files), "rows": total}


def write_instruction_jsonl(path: str, n: int = 20) -> int:
    """OASST-like JSONL with instruction/response columns."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    topics = ["sort a list", "read a file", "reverse a string", "merge two dicts", "parse JSON", "count lines"]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            t = topics[i % len(topics)]
            f.write(json.dumps({"instruction": f"How do I {t} in Python? (question {i})",
                                "response": f"To {t}, use the standard library; for example step {i % 3 + 1} "
                                            f"is to call the matching builtin."}) + "\n")
    return n
