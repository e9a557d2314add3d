"""The data card (README.md in Hugging Face dataset-card style) and its PNG plots (drawn with the
charts of `octopack report`, octopack_spark/report/figures.py).

Everything comes from the stats dict ft.job writes to stats.json, so the card can be rebuilt from a
published dataset without rerunning the stage (`render_card(json.load(open("stats.json")))`).
"""

from __future__ import annotations

from typing import Optional

from octopack_spark.ft.secrets_step import secrets_section
from octopack_spark.ft.tables import COMMITPACKFT_COLUMNS, PAPER_COLUMNS

LANG_PNG = "languages.png"
FUNNEL_PNG = "funnel.png"

_COLUMN_DOCS = {
    "commit": "commit SHA",
    "old_file": "path before the change (always equal to new_file)",
    "new_file": "path after the change",
    "old_contents": "full file before the change",
    "new_contents": "full file after the change (the training target)",
    "subject": "cleaned first line of the message (the instruction)",
    "message": "full commit message",
    "lang": "programming language from the file name (partition column)",
    "license": "repository license (SPDX id, lower case)",
    "repos": "comma-separated repositories holding this commit",
    "row_id": "stable id: hash of (repo, commit, path)",
    "repo": "repository the row was mined from (the dedup survivor's)",
    "subject_raw": "subject before cleaning",
    "stars": "repository stars when known",
    "committer_time": "commit time (UTC)",
    "n_tokens": "tokens of old + separator + new (see token counting below)",
    "nl_lang": "fastText lid.176 language of the subject",
    "nl_score": "its probability",
    "near_dup_cluster": "MinHash cluster (survivor row_id) when the row had near-duplicates",
}


def _size_category(n: int) -> str:
    for lim, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                      (10_000_000, "1M<n<10M")):
        if n < lim:
            return name
    return "10M<n<100M"


def plot_languages(stats: dict, top: int = 20) -> bytes:
    """PNG: rows per language before and after ft, the `top` languages by kept rows, log scale (the
    same chart as `octopack report`'s, which shows every language)."""
    from octopack_spark.report.figures import languages_chart, to_png
    from octopack_spark.report.stats_rows import language_rows

    rows = language_rows(stats, top)
    if not any(r["series"] == "kept" for r in rows):
        rows = []  # nothing kept: say so rather than draw the input alone
    return to_png(languages_chart(rows, f"CommitPackFT samples per language (top {top}, log scale)"), scale=1.5)


def plot_funnel(stats: dict) -> bytes:
    """PNG: rows left after each stage and each rule's drops, log scale, so small stages stay visible."""
    from octopack_spark.report.figures import funnel_chart, to_png
    from octopack_spark.report.stats_rows import funnel_rows

    return to_png(funnel_chart(*funnel_rows(stats)), scale=1.5)


def _table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def render_card(stats: dict, title: Optional[str] = None, plots: bool = True) -> str:
    rows_out = int(stats.get("rows_out", 0))
    langs = stats.get("languages_out", {})
    licenses = sorted({k for k in stats.get("licenses_out", {})})
    lines = [
        "---",
        "pretty_name: " + (title or "CommitPackFT"),
        "license: other  # per-row permissive licenses, see `license` column: " + (", ".join(licenses) or "none"),
        "language:",
        *[f"  - {x}" for x in (stats.get("nl_languages_allowed") or ["multilingual"])],
        "tags: [code, commits, instruction-tuning, octopack]",
        f"size_categories: [{_size_category(rows_out)}]",
        "configs:",
        "  - config_name: default",
        "    data_files: commitpackft/**/*.parquet",
        "---",
        "",
        f"# {title or 'CommitPackFT'}",
        "",
        f"Commit-based instruction data in the style of CommitPackFT (OctoPack, arXiv 2308.07124): each row is a "
        f"single-file commit whose cleaned subject is an instruction, with the file before (`old_contents`) and "
        f"after (`new_contents`). **{rows_out:,} samples** in **{len(langs)} languages**, "
        f"{stats.get('bytes_out', 0) / 1e6:,.2f} MB of file text, filtered from {stats.get('rows_in', 0):,} mined "
        f"file changes.",
        "",
        "## Build",
        "",
        f"- input: `{stats.get('input')}` (commits table of `octopack mine`)",
        f"- created: {stats.get('created')}, code {stats.get('code_version')}, config hash `{stats.get('config_hash')}`",
        f"- token counting: `{stats.get('token_counter')}`" + (
            " (approximate: characters / chars_per_token, not a real tokenizer)"
            if str(stats.get("token_counter", "")).startswith("chars/") else ""),
        f"- natural-language ID: fastText lid.176 (`{stats.get('langid_model')}`), allowed: "
        f"{', '.join(stats.get('nl_languages_allowed') or ['any'])}",
        f"- wall time {stats.get('seconds', 0):.1f} s, {stats.get('rows_per_second', 0):,.0f} input rows/s",
        "",
        "The rules are the paper's (BigQuery SQL steps, pre-scrape rules, `commitpackft_filters1.py`, "
        "`commitpackft_filters2.py`, in that order) with its known bugs fixed: extension lookups with the dot, "
        "the `plug` verb, `wip` as a whole word, and a deterministic Bump sample drawn from a hash of the row id. "
        "Exact dedup, MinHash near-dedup and HumanEvalPack decontamination are added.",
        "",
        "## Languages",
        "",
    ]
    if plots:
        lines += [f"![samples per language]({LANG_PNG})", ""]
    top = sorted(langs.items(), key=lambda kv: (-kv[1]["rows"], kv[0]))
    lines += _table(["language", "samples", "MB"], [[k, f"{v['rows']:,}", f"{v['bytes'] / 1e6:,.2f}"] for k, v in top])
    lines += ["", "## Filter funnel", ""]
    if plots:
        lines += [f"![filter funnel]({FUNNEL_PNG})", ""]
    funnel_rows = []
    for s in stats.get("funnel", []):
        if s["kind"] == "rule" and not s["rows_dropped"]:
            continue
        name = f"**{s['name']}**" if s["kind"] == "stage" else s["name"]
        sec = "" if s.get("seconds") is None else f"{s['seconds']:.2f}"
        funnel_rows.append([name, f"{s['rows_in']:,}", f"{s['rows_dropped']:,}", f"{s['rows_out']:,}",
                            f"{s['bytes_dropped'] / 1e6:,.2f}", sec])
    lines += _table(["stage / rule", "rows in", "dropped", "rows out", "MB dropped", "seconds"], funnel_rows)
    lines += ["", "Every input row with all verdicts and scores is in `scored/` (`drop_reasons` lists every rule a "
              "row fails, `drop_reason` the first one), so thresholds can be changed without recomputing.", ""]
    steps = stats.get("steps", {})
    if steps:
        lines += ["## Dedup and decontamination", ""]
        for name, st in steps.items():
            keys = {k: v for k, v in st.items() if k not in ("params", "stage") and not isinstance(v, (dict, list))}
            lines.append(f"- **{name}**: " + ", ".join(f"{k} {v}" for k, v in keys.items()))
            if st.get("params"):
                lines.append("  - params: " + ", ".join(f"{k}={v}" for k, v in st["params"].items()))
            hits = st.get("by_reason") or {}
            if hits:  # decontamination: what matched, so a reader can check the drops
                shown = list(hits.items())[:10]
                lines.append("  - hits (kind:task:field, rows): " + ", ".join(f"`{k}` {v}" for k, v in shown) +
                             (f", ... ({len(hits) - len(shown)} more in stats.json)" if len(hits) > len(shown) else ""))
        lines.append("")
    if stats.get("licenses_out"):
        lines += ["## Licenses", ""]
        lines += _table(["license", "samples"], [[k, f"{v:,}"] for k, v in sorted(stats["licenses_out"].items(),
                                                                                  key=lambda kv: -kv[1])])
        lines.append("")
    lines += secrets_section(stats.get("secrets"))
    lines += ["## Columns", ""]
    lines += _table(["column", "description"], [[f"`{c}`" + (" (paper)" if c in PAPER_COLUMNS else ""),
                                                 _COLUMN_DOCS.get(c, "")] for c in COMMITPACKFT_COLUMNS])
    lines += [
        "",
        "## Limitations",
        "",
        "- The repository-language rule of SQL step 1 uses the languages of the mined files, not GitHub's "
        "language statistics.",
        "- Licenses are detected from the repository's LICENSE/COPYING file at HEAD, not per file.",
        "- Instructions are commit subjects written by developers; they can be vague or describe only part "
        "of the change.",
        "",
        "## Citation",
        "",
        "Muennighoff et al., *OctoPack: Instruction Tuning Code Large Language Models*, arXiv 2308.07124.",
        "",
    ]
    return "\n".join(lines)
