"""`eval run`: prompts -> backend -> post-processing -> (saved generations) -> scoring -> result files.

Per language, the stages of the task run in order; Explain first generates n descriptions per problem
(explain-describe, never executed), then one program per description (explain-synthesize), so n descriptions
give n programs per problem as in the paper. Every stage's raw completions and post-processed generations are
saved under the output directory in the harness's layout (`generations_<harness task>-<lang>.json`, a list per
problem), so `eval score` can re-score them and `--model file:...` can replay them; `--resume` reuses the raw
completions of stages whose prompts and settings have not changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from evaluation.backends.base import Backend, GenerationRequest, GenerationResult
from evaluation.config import EvalConfig
from evaluation.progress import generate_in_groups, generation_bar
from evaluation.prompts import get_template
from evaluation.scoring import ExecuteFn, Stage, score_stages
from evaluation.tasks import RUN_TASKS, Prompt, build_prompts, get_task, postprocess_completion

log = logging.getLogger(__name__)


def _requests(prompts: Sequence[Prompt], code: bool) -> list[GenerationRequest]:
    return [GenerationRequest(key=p.key, prompt=p.text, language=p.language, index=p.index,
                              offset=p.description_index or 0, stop_words=p.stop_words, code=code,
                              group=f"{p.task}/{p.language}") for p in prompts]


def _dump(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _fingerprint(prompts: Sequence[Prompt], per_prompt: int, cfg: EvalConfig, backend: Backend) -> str:
    """What the raw completions depend on: prompts, sample count, sampling settings, generator."""
    h = hashlib.sha256()
    h.update(json.dumps([per_prompt, cfg.generation.sampling.model_dump(), backend.describe()],
                        sort_keys=True, default=str).encode())
    for p in prompts:
        h.update(b"\0" + p.key.encode() + b"\0" + p.text.encode())
    return h.hexdigest()


def _saved_raw(out_dir: Path, name: str, fingerprint: str, prompts: Sequence[Prompt],
               per_prompt: int) -> Optional[list[GenerationResult]]:
    """Completions saved by an earlier run with the same fingerprint, per prompt; None if absent or stale."""
    try:
        meta = json.loads((out_dir / f"generations_meta_{name}.json").read_text(encoding="utf-8"))
        raw = json.loads((out_dir / f"generations_raw_{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("fingerprint") != fingerprint:
        log.info("%s: saved generations were made with other prompts/settings; generating again", name)
        return None
    out = []
    for p in prompts:
        start = p.description_index or 0
        got = raw[p.index][start:start + per_prompt] if p.index < len(raw) else []
        if len(got) != per_prompt:
            return None
        out.append(GenerationResult(p.key, got, error=meta.get("errors", {}).get(p.key)))
    return out


def generate_stage(task: str, language: str, rows: Sequence[Mapping], backend: Backend, cfg: EvalConfig,
                   out_dir: Path, descriptions: Optional[list[list[str]]] = None,
                   resume: bool = False, bar=None) -> tuple[list[list[str]], dict]:
    """Generate and post-process one (task, language): returns (per-problem outputs, stage info).

    With `resume`, raw completions saved by an earlier run with identical prompts and settings are reused
    (post-processing is always redone), so an interrupted multi-language run only generates what is missing."""
    spec = get_task(task)
    template = get_template(cfg.generation.template)
    # explain-synthesize: one program per description, so n descriptions give n programs per problem.
    per_prompt = 1 if task == "explain-synthesize" else cfg.generation.n
    prompts = build_prompts(task, language, rows, template, descriptions)
    name = f"{spec.harness_name}-{language}"
    fingerprint = _fingerprint(prompts, per_prompt, cfg, backend)
    t0 = time.monotonic()
    results = _saved_raw(out_dir, name, fingerprint, prompts, per_prompt) if resume else None
    reused = results is not None
    if results is None:
        # in groups only while a progress line is drawn (seeds are per prompt: the same completions)
        group = max(8, 4 * getattr(backend, "concurrency", 1))
        results = generate_in_groups(backend.generate, _requests(prompts, spec.generates_code), per_prompt,
                                     cfg.generation.sampling, bar, group)
    elif bar is not None:
        bar.update(len(prompts) * per_prompt)
    elapsed = time.monotonic() - t0
    outputs: list[list[str]] = [[] for _ in rows]
    raw: list[list[str]] = [[] for _ in rows]
    errors = {}
    for p, res in zip(prompts, results):
        if res.error:
            errors[p.key] = res.error
        for c in res.completions:
            raw[p.index].append(c)
            outputs[p.index].append(postprocess_completion(p, c, rows[p.index]))
    _dump(out_dir / f"generations_{name}.json", outputs)
    _dump(out_dir / f"generations_raw_{name}.json", raw)
    _dump(out_dir / f"generations_meta_{name}.json", {"fingerprint": fingerprint, "errors": errors})
    if errors:
        log.warning("%s: %d prompt(s) with generation errors, e.g. %s", name, len(errors), next(iter(errors.values())))
    info = {"prompts": len(prompts), "generation_s": round(elapsed, 2), "reused": reused, "errors": errors}
    return outputs, info


def run_eval(task: str, languages: Sequence[str], data: Mapping[str, Sequence[Mapping]], backend: Backend,
             cfg: EvalConfig, out_dir: Path, execute_fn: Optional[ExecuteFn] = None, resume: bool = False):
    """Generate for every language, then score all code stages in one execution pass."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stages: list[Stage] = []
    gen_info: dict[str, dict] = {}
    # Explain: n descriptions per problem, then one program per description: n per problem per stage.
    total = sum(len(data[lang]) for lang in languages) * len(RUN_TASKS[task]) * cfg.generation.n
    with generation_bar(total) as bar:
        for lang in languages:
            rows = list(data[lang])
            descriptions = None
            for stage_task in RUN_TASKS[task]:
                outputs, info = generate_stage(stage_task, lang, rows, backend, cfg, out_dir, descriptions, resume,
                                               bar)
                gen_info[f"{get_task(stage_task).harness_name}-{lang}"] = info
                if get_task(stage_task).generates_code:
                    stages.append(Stage(stage_task, lang, rows, outputs))
                else:
                    descriptions = outputs
    scores, samples = score_stages(
        stages, cfg.scoring.ks, cfg.exec, engine=cfg.scoring.engine, spark_config=cfg.scoring.spark,
        chunk_size=cfg.scoring.chunk_size, execute_fn=execute_fn, reference_on_driver=cfg.scoring.reference_on_driver)
    return scores, samples, gen_info
