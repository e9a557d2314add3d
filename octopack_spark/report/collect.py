"""What a run recorded, turned into the report's sections: facts (a few numbers) and figures.

A run folder is an `octopack ft` output (manifest.json of kind ft, stats.json, the `scored` table), an
`octopack mine` output (manifest.json of kind mine, the `commits` table) or an `octopack eval` result
(`<name>.json` with one pass@k entry per task-language, `<name>.samples.jsonl` beside it). A folder
holding several of these one level down (the quickstart's out/quickstart/{mine,ft}) gives one section
each. Tables are read with DuckDB through the manifest, selecting only small columns (never the file
contents), and aggregated before anything reaches Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from octopack_spark.errors import UserFacingError
from octopack_spark.report import figures as fg
from octopack_spark.report.stats_rows import eval_rows, funnel_rows, language_rows

TOP_REPOS = 25


@dataclass
class Section:
    kind: str  # ft, mine or eval
    source: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    figures: list[fg.Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def find_runs(path: Path) -> list[tuple[str, Path]]:
    """(kind, path) of each run at `path` or, when it is none, in its immediate sub-folders."""
    kind = run_kind(path)
    if kind:
        return [(kind, path)]
    found = [(k, p) for p in sorted(path.iterdir()) if p.is_dir() for k in [run_kind(p)] if k] \
        if path.is_dir() else []
    if not found:
        raise UserFacingError(f"{path}: not an octopack run: expected an ft or mine output (manifest.json) or "
                              "an eval result (.json with pass@k), or a folder holding some")
    return found


def run_kind(path: Path) -> Optional[str]:
    if path.is_file():
        return "eval" if path.suffix == ".json" and _is_eval_result(path) else None
    if (path / "manifest.json").is_file():
        kind = json.loads((path / "manifest.json").read_text(encoding="utf-8")).get("kind")
        return kind if kind in ("ft", "mine") else None
    return "eval" if _eval_result_file(path) else None


def _is_eval_result(path: Path) -> bool:
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(d, dict) and any(isinstance(v, dict) and any(str(k).startswith("pass@") for k in v)
                                       for v in d.values())


def _eval_result_file(folder: Path) -> Optional[Path]:
    """`octopack eval run` writes evaluation_results.json; `eval score --output` any <name>.json."""
    preferred = folder / "evaluation_results.json"
    if preferred.is_file():
        return preferred
    hits = [p for p in sorted(folder.glob("*.json")) if _is_eval_result(p)]
    return hits[0] if len(hits) == 1 else None


def collect(kind: str, path: Path, top_repos: int = TOP_REPOS) -> Section:
    if kind == "eval":
        return eval_section(path if path.is_file() else _eval_result_file(path))
    if kind == "ft":
        return ft_section(path, top_repos)
    return mine_section(path, top_repos)


def _query(sql: str, root: Path) -> list[dict]:
    from octopack_spark import api

    return api.query(sql, str(root)).to_pylist()


def _series(rows: list[dict], key: str, kept: bool) -> list[dict]:
    """Aggregates with `rows` (and `kept`) columns -> one row per series, as the charts take them."""
    out = [dict({key: r[key]}, rows=int(r["rows"]), series="mined") for r in rows]
    if kept:
        out += [dict({key: r[key]}, rows=int(r["kept"] or 0), series="kept") for r in rows]
    return out


def table_figures(root: Path, table: str, kept: bool, top_repos: int) -> list[fg.Figure]:
    """Commits over time, top repositories, row sizes (and languages for mine) from `table`'s small
    columns. `kept`: the table has ft's `keep` column, so each figure shows mined and kept rows."""
    keep = "sum(CASE WHEN keep THEN 1 ELSE 0 END)" if kept else "0"
    months = _query(f"SELECT CAST(date_trunc('month', CAST(committer_time AS TIMESTAMP)) AS DATE) AS month, "
                    f"count(DISTINCT commit) AS commits, count(DISTINCT CASE WHEN {'keep' if kept else 'false'} "
                    f"THEN commit END) AS kept FROM {table} GROUP BY 1 ORDER BY 1", root)
    month_rows = [{"month": str(r["month"]), "commits": int(r["commits"]), "series": "mined"} for r in months]
    if kept:
        month_rows += [{"month": str(r["month"]), "commits": int(r["kept"]), "series": "kept"} for r in months]
    repos = _query(f"SELECT repo, count(*) AS rows, {keep} AS kept FROM {table} GROUP BY repo "
                   f"ORDER BY rows DESC, repo LIMIT {int(top_repos)}", root)
    # Log-spaced bins, four per power of ten, over old + new file bytes (recorded sizes, not contents).
    sizes = _query(f"SELECT floor(log10(greatest(coalesce(old_size, 0) + coalesce(new_size, 0), 1)) * 4) AS b, "
                   f"count(*) AS rows, {keep} AS kept FROM {table} GROUP BY 1 ORDER BY 1", root)
    size_rows = [{"lo": 10 ** (r["b"] / 4), "hi": 10 ** ((r["b"] + 1) / 4), "rows": int(r["rows"]),
                  "series": "mined"} for r in sizes]
    if kept:
        size_rows += [dict(s, rows=int(r["kept"] or 0), series="kept") for s, r in zip(size_rows, sizes)]
    return [
        fg.Figure("commits_over_time", "Commits over time",
                  "Distinct commits per month of committer time" + (", mined and kept." if kept else "."),
                  fg.commits_over_time_chart(month_rows)),
        fg.Figure("top_repositories", "Top repositories",
                  f"The {top_repos} repositories with the most rows (file changes).",
                  fg.top_repos_chart(_series(repos, "repo", kept), f"Top {top_repos} repositories by rows")),
        fg.Figure("row_sizes", "Row-size distribution",
                  "Rows by size of the file before plus after the change, in log-spaced bins.",
                  fg.row_size_chart([r for r in size_rows if r["rows"] > 0])),
    ]


def mine_section(root: Path, top_repos: int = TOP_REPOS) -> Section:
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest.get("counts", {})
    sec = Section("mine", str(root))
    sec.facts = [("created", str(manifest.get("created", ""))), ("code version", str(manifest.get("code_version")))]
    sec.facts += [(k.replace("_", " "), _fmt(v)) for k, v in counts.items()]
    langs = _query("SELECT coalesce(lang, '(unknown)') AS lang, count(*) AS rows FROM commits GROUP BY 1", root)
    sec.figures.append(fg.Figure("languages", "Languages", "Rows (file changes) per language, every language, "
                                 "log scale.", fg.languages_chart(_series(langs, "lang", False))))
    sec.figures += table_figures(root, "commits", False, top_repos)
    sec.notes.append("A mine output has no filter funnel or dedup clusters: run `octopack ft` on it and "
                     "report that output.")
    return sec


def _fmt(v) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float, dict)):
        return str(v)
    if isinstance(v, dict):
        return ", ".join(f"{k} {_fmt(x)}" for k, x in v.items())
    return f"{v:,}" if isinstance(v, int) else f"{v:,.2f}"


def cluster_rows(root: Path) -> list[dict]:
    """Duplicate groups by size for each dedup step of ft, from the scored table's dedup columns."""
    sql = ("WITH g AS ("
           " SELECT 'exact commit' AS kind, exact_commit_dup_of AS c FROM scored WHERE exact_commit_dup_of IS NOT NULL"
           " UNION ALL SELECT 'exact content', exact_content_dup_of FROM scored WHERE exact_content_dup_of IS NOT NULL"
           " UNION ALL SELECT 'near (MinHash)', near_dup_of FROM scored WHERE near_dup_of IS NOT NULL),"
           " s AS (SELECT kind, c, count(*) + 1 AS size FROM g GROUP BY kind, c)"  # + 1: the survivor
           " SELECT kind, size, count(*) AS clusters FROM s GROUP BY kind, size ORDER BY kind, size")
    return [{"kind": r["kind"], "size": int(r["size"]), "clusters": int(r["clusters"])} for r in _query(sql, root)]


def ft_section(root: Path, top_repos: int = TOP_REPOS) -> Section:
    stats = json.loads((root / "stats.json").read_text(encoding="utf-8"))
    sec = Section("ft", str(root))
    sec.facts = [("created", str(stats.get("created", ""))), ("input", str(stats.get("input"))),
                 ("rows in", _fmt(int(stats.get("rows_in", 0)))), ("rows kept", _fmt(int(stats.get("rows_out", 0)))),
                 ("MB kept", f"{stats.get('bytes_out', 0) / 1e6:,.2f}"),
                 ("languages kept", str(len(stats.get("languages_out", {})))),
                 ("token counting", str(stats.get("token_counter"))), ("seconds", _fmt(stats.get("seconds", 0)))]
    stages, rules = funnel_rows(stats)
    sec.figures = [
        fg.Figure("languages", "Languages", "Rows per language before (mined) and after the filters (kept), "
                  "every language, log scale.", fg.languages_chart(language_rows(stats))),
        fg.Figure("funnel", "Filter funnel", "Rows left after each stage, then the rows each rule dropped (a "
                  "row counts at its first failed rule), log scale.", fg.funnel_chart(stages, rules)),
    ]
    sec.figures += table_figures(root, "scored", True, top_repos)
    sec.figures.append(fg.Figure(
        "dedup_clusters", "Dedup cluster sizes", "Duplicate groups per size, for exact commit dedup (SQL step 2), "
        "exact content dedup and MinHash near-dedup; a cluster's size counts its survivor.",
        fg.cluster_sizes_chart(cluster_rows(root))))
    return sec


def eval_section(path: Optional[Path]) -> Section:
    if path is None:
        raise UserFacingError("no single eval result (.json with pass@k) in the folder: name the file")
    from octopack_spark.humanevalpack import DISPLAY_NAME

    result = json.loads(path.read_text(encoding="utf-8"))
    scores, outcomes = eval_rows(result, DISPLAY_NAME)
    config = result.get("config") or {}
    sec = Section("eval", str(path))
    sec.facts = [(k, str(config[k])) for k in ("model", "task", "n", "temperature", "k", "created") if k in config]
    sec.facts.append(("task-language pairs", str(len({(r["task"], r["language"]) for r in scores}))))
    sec.figures = [
        fg.Figure("pass_at_k", "pass@k per task and language", "HumanEvalPack pass@k in percent, one panel per k.",
                  fg.pass_at_k_chart(scores)),
        fg.Figure("outcomes", "Outcomes of the executed samples", "Share of samples per outcome (passed, "
                  "wrong answer, compile error, timeout, ...) per task and language.", fg.status_chart(outcomes)),
    ]
    return sec
