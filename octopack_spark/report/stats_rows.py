"""ft's stats.json (and an eval result) shaped into the rows the charts in `figures` take. Pure: no files,
no project imports, so `ft/report.py` can draw the data card's PNGs with the report's charts."""

from __future__ import annotations

from typing import Optional

# Harness task names (the keys of an eval result) -> labels, in the order the paper's tables use.
EVAL_TASK_LABELS = {
    "humanevalfixtests": "HumanEvalFix (tests)", "humanevalfixdocs": "HumanEvalFix (docs)",
    "humanevalexplainsynthesize": "HumanEvalExplain", "humanevalsynthesize": "HumanEvalSynthesize",
    "humanevalexplaindescribe": "HumanEvalExplain (describe)",
}


def funnel_rows(stats: dict) -> tuple[list[dict], list[dict]]:
    """stats.json's funnel -> (stages with the input first, rules with their drops), for funnel_chart."""
    steps = stats.get("funnel", [])
    stages = [{"name": "input", "rows": int(stats.get("rows_in", 0))}]
    stages += [{"name": s["name"], "rows": int(s["rows_out"])} for s in steps if s["kind"] == "stage"]
    rules = [{"name": s["name"], "stage": s["stage"], "dropped": int(s["rows_dropped"])}
             for s in steps if s["kind"] == "rule"]
    return stages, rules


def language_rows(stats: dict, top: Optional[int] = None) -> list[dict]:
    """Rows per language in (mined) and out (kept) of ft; `top`: only the languages with most kept rows."""
    langs_in, langs_out = stats.get("languages_in", {}), stats.get("languages_out", {})
    if top is not None:
        ranked = sorted(langs_out.items(), key=lambda kv: (-kv[1]["rows"], kv[0]))[:top]
        keep = {k for k, _ in ranked}
        langs_in = {k: v for k, v in langs_in.items() if k in keep}
        langs_out = {k: v for k, v in langs_out.items() if k in keep}
    rows = [{"lang": k, "rows": int(v["rows"]), "series": "mined"} for k, v in langs_in.items()]
    return rows + [{"lang": k, "rows": int(v["rows"]), "series": "kept"} for k, v in langs_out.items()]


def eval_rows(result: dict, display_names: dict[str, str]) -> tuple[list[dict], list[dict]]:
    """An eval result (task name -> {pass@k.., status_counts}) -> (pass@k rows in %, outcome rows).
    Keys are `<harness task>-<language>`; `display_names` maps language ids to names."""
    scores, outcomes = [], []
    for name, entry in result.items():
        if not isinstance(entry, dict) or "-" not in name:
            continue
        task, lang = name.rsplit("-", 1)
        label, language = EVAL_TASK_LABELS.get(task, task), display_names.get(lang, lang)
        scores += [{"task": label, "language": language, "metric": k, "value": round(100 * float(v), 2)}
                   for k, v in entry.items() if k.startswith("pass@") and v is not None]
        outcomes += [{"stage": f"{label} / {language}", "status": s, "samples": int(n)}
                     for s, n in (entry.get("status_counts") or {}).items()]
    order = {name: i for i, name in enumerate(display_names.values())}
    scores.sort(key=lambda r: order.get(r["language"], len(order)))
    return scores, outcomes
