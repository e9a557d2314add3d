"""Result files.

- `<name>.json`: the bigcode-evaluation-harness layout, one key per task (`humanevalsynthesize-python`:
  {"pass@1": .., "pass@10": .., n_problems, n_samples, status_counts}) plus `config` (the resolved settings).
- `<name>.samples.jsonl`: one line per executed sample: task, language, task_id, index, sample_id, passed,
  status (error kind: passed / compile_error / wrong_answer / runtime_error / timeout / ...), duration_s, detail.
- `<name>.summary.md`: pass@k tables (rows = tasks, columns = languages + average, in %) and error kinds.
- `<name>.png`: pass@1 bar chart per task and language (`octopack report` draws every pass@k).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from evaluation.data import DISPLAY_NAME, LANGUAGES
from evaluation.scoring import SampleRecord, StageScore, sample_to_json
from evaluation.tasks import TASKS

# Row labels and order in tables and charts.
TASK_LABELS = {name: label for name, label in (
    ("fix-tests", "HumanEvalFix (tests)"), ("fix-docs", "HumanEvalFix (docs)"),
    ("explain-synthesize", "HumanEvalExplain"), ("synthesize", "HumanEvalSynthesize"))}


def result_paths(output: str | Path) -> dict[str, Path]:
    """The files a result named ``output`` consists of. A name ending in .json is the results file itself, as
    given (``run.result.json`` stays ``run.result.json``; Path.with_suffix would turn it into ``run.json``);
    any other name gets ``.json`` appended. The other files sit beside it: ``<name>.samples.jsonl``, ..."""
    text = str(output)
    stem = text[: -len(".json")] if text.endswith(".json") and len(text) > len(".json") else text
    return {"json": Path(f"{stem}.json"), "samples": Path(f"{stem}.samples.jsonl"),
            "summary": Path(f"{stem}.summary.md"), "chart": Path(f"{stem}.png")}


def results_json(scores: Sequence[StageScore], config: Mapping[str, Any]) -> dict[str, Any]:
    d: dict[str, Any] = {s.name: s.to_json() for s in scores}
    d["config"] = dict(config)
    return d


def _pct(v: Optional[float]) -> str:
    return "-" if v is None else f"{100 * v:.1f}"


def summary_table(scores: Sequence[StageScore], metric: str = "pass@1") -> str:
    """Markdown: rows = tasks, columns = the languages present + Avg (mean over those languages)."""
    langs = [lang for lang in LANGUAGES if any(s.language == lang for s in scores)]
    tasks = [t for t in TASKS if any(s.task == t for s in scores)]
    by = {(s.task, s.language): s.metrics.get(metric) for s in scores}
    head = "| task | " + " | ".join(DISPLAY_NAME[lang] for lang in langs) + " | Avg |"
    lines = [head, "|" + "---|" * (len(langs) + 2)]
    for t in tasks:
        vals = [by.get((t, lang)) for lang in langs]
        present = [v for v in vals if v is not None]
        avg = sum(present) / len(present) if present else None
        lines.append(f"| {TASK_LABELS.get(t, t)} | " + " | ".join(_pct(v) for v in vals) + f" | {_pct(avg)} |")
    return "\n".join(lines)


def status_table(scores: Sequence[StageScore]) -> str:
    kinds = sorted({k for s in scores for k in s.status_counts})
    lines = ["| stage | samples | " + " | ".join(kinds) + " |", "|" + "---|" * (len(kinds) + 2)]
    for s in scores:
        total = sum(s.status_counts.values())
        lines.append(f"| {s.name} | {total} | " + " | ".join(str(s.status_counts.get(k, 0)) for k in kinds) + " |")
    return "\n".join(lines)


def summary_markdown(scores: Sequence[StageScore], title: str = "HumanEvalPack results") -> str:
    metrics = sorted({m for s in scores for m in s.metrics}, key=lambda m: int(m.split("@")[1]))
    parts = [f"# {title}", ""]
    for m in metrics:
        parts += [f"## {m} (%)", "", summary_table(scores, m), ""]
    parts += ["## Error kinds per stage", "", status_table(scores), ""]
    return "\n".join(parts)


def write_chart(scores: Sequence[StageScore], path: Path, metric: str = "pass@1") -> None:
    """`metric` per task and language as a PNG, drawn with the chart `octopack report` shows for a result."""
    from octopack_spark.report.figures import pass_at_k_chart, to_png

    rows = [{"task": TASK_LABELS.get(s.task, s.task), "language": DISPLAY_NAME[s.language], "metric": metric,
             "value": round(100 * s.metrics[metric], 2)} for s in scores if s.metrics.get(metric) is not None]
    path.write_bytes(to_png(pass_at_k_chart(rows, f"HumanEvalPack {metric} (%)")))


def write_results(output: str | Path, scores: Sequence[StageScore], samples: Sequence[SampleRecord],
                  config: Mapping[str, Any], chart: bool = True) -> dict[str, Path]:
    paths = result_paths(output)
    paths["json"].parent.mkdir(parents=True, exist_ok=True)
    paths["json"].write_text(json.dumps(results_json(scores, config), indent=2, sort_keys=False) + "\n",
                             encoding="utf-8")
    with open(paths["samples"], "w", encoding="utf-8") as fh:
        for s in samples:
            fh.write(json.dumps(sample_to_json(s), ensure_ascii=False) + "\n")
    paths["summary"].write_text(summary_markdown(scores), encoding="utf-8")
    if chart and scores:
        write_chart(scores, paths["chart"])
    else:
        paths.pop("chart")
    return paths
