"""Rebuild corpus.json.gz (run by hand; the test only reads the result).

Sources (see README.md for licences and attribution):
  --spdx   spdx-full.json of the npm package spdx-license-list@6.12.0 (SPDX License List texts, CC0-1.0)
  --site   a site-packages directory holding the wheels named below (real LICENSE files shipped on PyPI)
  --regex  a checkout of rust-lang/regex (LICENSE-MIT + LICENSE-APACHE)
Usage: python tests/data/licenses/build_corpus.py --spdx spdx-full.json --site .venv/lib/python3.11/site-packages \
       --regex /path/to/regex
"""
import argparse
import gzip
import json
import os

# SPDX id -> the label our column uses (GNU families: the family id; see octopack_spark/licenses.py).
SPDX_TEXTS = {
    "MIT": "mit", "Apache-2.0": "apache-2.0", "BSD-2-Clause": "bsd-2-clause", "BSD-3-Clause": "bsd-3-clause",
    "ISC": "isc", "0BSD": "0bsd", "Unlicense": "unlicense", "CC0-1.0": "cc0-1.0", "Zlib": "zlib",
    "BSL-1.0": "bsl-1.0", "WTFPL": "wtfpl", "Artistic-2.0": "artistic-2.0", "EPL-1.0": "epl-1.0",
    "EPL-2.0": "epl-2.0", "MPL-2.0": "mpl-2.0", "MPL-1.1": "mpl-1.1", "GPL-2.0-only": "gpl-2.0",
    "GPL-3.0-only": "gpl-3.0", "LGPL-2.1-only": "lgpl-2.1", "LGPL-3.0-only": "lgpl-3.0",
    "AGPL-3.0-only": "agpl-3.0", "LGPL-2.0-only": "lgpl-2.0", "GPL-1.0-only": "gpl-1.0", "MIT-0": "mit-0",
    "PostgreSQL": "postgresql", "NCSA": "ncsa", "OFL-1.1": "ofl-1.1", "CDDL-1.0": "cddl-1.0",
    "EUPL-1.2": "eupl-1.2", "MS-PL": "ms-pl", "CC-BY-4.0": "cc-by-4.0", "CC-BY-SA-4.0": "cc-by-sa-4.0",
    "BSD-4-Clause": "bsd-4-clause", "AFL-3.0": "afl-3.0", "UPL-1.0": "upl-1.0", "OSL-3.0": "osl-3.0",
    "X11": "x11", "Apache-1.1": "apache-1.1", "Python-2.0": "python-2.0", "MulanPSL-2.0": "mulanpsl-2.0",
}

# Real root license files of projects (as shipped in their wheels): case -> ({corpus name: path}, expected)
REAL = {
    "cryptography-50.0.2 (dual, 3 files)": ({"LICENSE": "cryptography-50.0.2.dist-info/licenses/LICENSE",
                                             "LICENSE.APACHE": "cryptography-50.0.2.dist-info/licenses/LICENSE.APACHE",
                                             "LICENSE.BSD": "cryptography-50.0.2.dist-info/licenses/LICENSE.BSD"},
                                            "apache-2.0 OR bsd-3-clause"),
    "packaging-26.4 (dual, 3 files)": ({"LICENSE": "packaging-26.4.dist-info/licenses/LICENSE",
                                        "LICENSE.APACHE": "packaging-26.4.dist-info/licenses/LICENSE.APACHE",
                                        "LICENSE.BSD": "packaging-26.4.dist-info/licenses/LICENSE.BSD"},
                                       "apache-2.0 OR bsd-2-clause"),
    "hjson-3.1.0 (dual, one file)": ({"LICENSE.txt": "hjson-3.1.0.dist-info/LICENSE.txt"}, "afl-2.1 OR mit"),
    "python-dateutil-2.9.0 (both apply)": ({"LICENSE": "python_dateutil-2.9.0.post0.dist-info/LICENSE"},
                                           "apache-2.0 AND bsd-3-clause"),
    "tqdm-4.70.1 (both apply)": ({"LICENCE": "tqdm-4.70.1.dist-info/licenses/LICENCE"}, "mit AND mpl-2.0"),
    "flask-3.1.3": ({"LICENSE.txt": "flask-3.1.3.dist-info/licenses/LICENSE.txt"}, "bsd-3-clause"),
    "click-8.5.1": ({"LICENSE.txt": "click-8.5.1.dist-info/licenses/LICENSE.txt"}, "bsd-3-clause"),
    "requests-2.34.2": ({"LICENSE": "requests-2.34.2.dist-info/licenses/LICENSE"}, "apache-2.0"),
    "urllib3-2.8.0": ({"LICENSE.txt": "urllib3-2.8.0.dist-info/licenses/LICENSE.txt"}, "mit"),
    "rich-15.0.0": ({"LICENSE": "rich-15.0.0.dist-info/licenses/LICENSE"}, "mit"),
    "shellingham-1.5.4": ({"LICENSE": "shellingham-1.5.4.dist-info/LICENSE"}, "isc"),
    "cffi-2.1.1": ({"LICENSE": "cffi-2.1.1.dist-info/licenses/LICENSE"}, "mit-0"),
    "msgpack-1.2.4": ({"COPYING": "msgpack-1.2.4.dist-info/licenses/COPYING"}, "apache-2.0"),
    "jsonschema-4.26.0": ({"COPYING": "jsonschema-4.26.0.dist-info/licenses/COPYING"}, "mit"),
    "pygments-2.21.0": ({"LICENSE": "pygments-2.21.0.dist-info/licenses/LICENSE"}, "bsd-2-clause"),
    "wrapt-2.5.2": ({"LICENSE": "wrapt-2.5.2.dist-info/licenses/LICENSE"}, "bsd-2-clause"),
    "httpx2-2.16.2": ({"LICENSE.md": "httpx2-2.16.2.dist-info/licenses/LICENSE.md"}, "bsd-3-clause"),
    "psutil-7.2.2": ({"LICENSE": "psutil-7.2.2.dist-info/LICENSE"}, "bsd-3-clause"),
    "pytz-2026.6": ({"LICENSE.txt": "pytz-2026.6.dist-info/LICENSE.txt"}, "mit"),
    "sleef (torch third_party)": ({"LICENSE.txt": "torch-2.13.0.dist-info/licenses/third_party/sleef/LICENSE.txt"},
                                  "bsl-1.0"),
    "libdivide (numpy)": ({"LICENSE.txt": "numpy-2.4.6.dist-info/licenses/numpy/_core/include/numpy/libdivide/LICENSE.txt"},
                          "zlib"),
    "pythoncapi-compat (numpy)": ({"COPYING": "numpy-2.4.6.dist-info/licenses/numpy/_core/src/common/pythoncapi-compat/COPYING"},
                                  "0bsd"),
    "cpr test (torch third_party, GPL-3.0)": (
        {"LICENSE": "torch-2.13.0.dist-info/licenses/third_party/kineto/libkineto/third_party/dynolog/third_party/cpr/test/LICENSE"},
        "gpl-3.0"),
    "pygit2-1.21.0 (GPL-2.0 with linking exception)": ({"COPYING": "pygit2-1.21.0.dist-info/licenses/COPYING"},
                                                      "gpl-2.0"),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spdx", required=True)
    ap.add_argument("--site", required=True)
    ap.add_argument("--regex", required=True)
    a = ap.parse_args()
    spdx = json.load(open(a.spdx))
    cases = []
    for sid, label in SPDX_TEXTS.items():
        cases.append({"name": f"SPDX {sid}", "source": "spdx-license-list@6.12.0 (CC0-1.0)",
                      "files": {"LICENSE": spdx[sid]["licenseText"]}, "expected": label})
    for name, (files, label) in REAL.items():
        cases.append({"name": name, "source": "PyPI wheel dist-info",
                      "files": {k: open(os.path.join(a.site, p), encoding="utf-8", errors="replace").read()
                                for k, p in files.items()}, "expected": label})
    regex_files = {n: open(os.path.join(a.regex, n), encoding="utf-8").read() for n in ("LICENSE-MIT", "LICENSE-APACHE")}
    cases.append({"name": "rust-lang/regex (dual, LICENSE-MIT + LICENSE-APACHE)", "source": "github rust-lang/regex",
                  "files": regex_files, "expected": "apache-2.0 OR mit"})
    # Composite roots built from the texts above.
    cases.append({"name": "LGPL-3.0 layout: COPYING (GPL-3.0) + COPYING.LESSER (LGPL-3.0)", "source": "composite",
                  "files": {"COPYING": spdx["GPL-3.0-only"]["licenseText"],
                            "COPYING.LESSER": spdx["LGPL-3.0-only"]["licenseText"]}, "expected": "lgpl-3.0"})
    cases.append({"name": "MIT LICENSE + GPL-2.0 COPYING (both apply)", "source": "composite",
                  "files": {"LICENSE": spdx["MIT"]["licenseText"], "COPYING": spdx["GPL-2.0-only"]["licenseText"]},
                  "expected": "gpl-2.0 AND mit"})
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus.json.gz")
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(cases, f, ensure_ascii=False, sort_keys=True, indent=0)
    print(f"{len(cases)} cases -> {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
