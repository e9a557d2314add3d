"""Generations -> ExecRequests -> verdicts -> pass@k per task x language.

A *stage* is one (task, language) pair with its post-processed programs: a list with one list of program
strings per problem, in dataset order (the bigcode-evaluation-harness generations layout). All stages of a run
are executed in one go (locally or on Spark), so the sandbox pool stays full across languages.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

from evaluation.execution.api import ExecConfig, ExecRequest, ExecResult
from evaluation.metrics import pass_at_ks
from evaluation.tasks import get_task
from octopack_spark.errors import UserFacingError

log = logging.getLogger(__name__)

ExecuteFn = Callable[[Sequence[ExecRequest], Mapping[str, Mapping], ExecConfig], list[ExecResult]]


@dataclass
class Stage:
    task: str  # a key of evaluation.tasks.TASKS
    language: str
    rows: Sequence[Mapping]
    programs: list[list[str]]

    @property
    def name(self) -> str:
        """The harness's task name, e.g. humanevalfixtests-python."""
        return f"{get_task(self.task).harness_name}-{self.language}"


@dataclass
class SampleRecord:
    task: str
    language: str
    task_id: str
    index: int
    sample_id: int
    passed: bool
    status: str
    duration_s: float
    detail: str


@dataclass
class StageScore:
    name: str
    task: str
    language: str
    metrics: dict[str, float]
    n_problems: int
    samples_per_problem: list[int]
    status_counts: dict[str, int]
    per_problem_passed: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = dict(self.metrics)
        ns = sorted(set(self.samples_per_problem))
        d.update(n_problems=self.n_problems, n_samples=ns[0] if len(ns) == 1 else ns,
                 status_counts=dict(sorted(self.status_counts.items())))
        return d


def validate_generations(value: Any, n_problems: int, where: str) -> list[list[str]]:
    """A list with one non-empty list of strings per problem; errors name the problem index."""
    if not isinstance(value, list):
        raise UserFacingError(f"{where}: expected a JSON list with one list of strings per problem, "
                              f"got {type(value).__name__}")
    if len(value) != n_problems:
        raise UserFacingError(f"{where}: has {len(value)} entries but the dataset has {n_problems} problems "
                              "(one list of generations per problem, in dataset order)")
    for i, item in enumerate(value):
        if not isinstance(item, list):
            raise UserFacingError(f"{where}: problem {i}: expected a list of strings, got {type(item).__name__}")
        if not item:
            raise UserFacingError(f"{where}: problem {i}: no generations (pass@k needs at least one)")
        for j, s in enumerate(item):
            if not isinstance(s, str):
                raise UserFacingError(f"{where}: problem {i}, generation {j}: expected a string, "
                                      f"got {type(s).__name__}")
    return value


def read_json(path: str | Path) -> Any:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserFacingError(f"generations file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserFacingError(f"cannot read generations file {p}: {e}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise UserFacingError(f"generations file {p} is not valid JSON: {e.msg} at line {e.lineno} "
                              f"column {e.colno}") from None


def load_generations(path: str, languages: Sequence[str], n_problems: Mapping[str, int],
                     task: Optional[str] = None) -> dict[str, list[list[str]]]:
    """{language: generations}. One language: the file is the list. Several: `path` contains `{language}`
    (one file per language) or the file is an object keyed by language (or by `<harness task>-<language>`)."""
    out: dict[str, list[list[str]]] = {}
    if "{language}" in path:
        for lang in languages:
            p = path.replace("{language}", lang)
            out[lang] = validate_generations(read_json(p), n_problems[lang], p)
        return out
    raw = read_json(path)
    if isinstance(raw, dict):
        if task:  # also accept the harness's keys, e.g. "humanevalsynthesize-python"
            prefix = get_task(task).harness_name + "-"
            aliases = {k[len(prefix):]: v for k, v in raw.items() if k.startswith(prefix)}
            raw = {**aliases, **raw}
        missing = [lang for lang in languages if lang not in raw]
        if missing:
            raise UserFacingError(f"{path}: no generations for {', '.join(missing)} "
                                  f"(keys: {', '.join(map(str, raw)) or 'none'})")
        for lang in languages:
            out[lang] = validate_generations(raw[lang], n_problems[lang], f"{path} [{lang}]")
        return out
    if len(languages) != 1:
        raise UserFacingError(f"{path} holds one list of generations, but {len(languages)} languages were asked "
                              "for: pass a JSON object keyed by language, or a path containing {language}")
    out[languages[0]] = validate_generations(raw, n_problems[languages[0]], path)
    return out


def stage_requests(stage: Stage) -> list[ExecRequest]:
    layout = get_task(stage.task).exec_layout
    if len(stage.programs) != len(stage.rows):
        raise ValueError(f"{stage.name}: {len(stage.programs)} generation lists for {len(stage.rows)} problems")
    return [
        ExecRequest(language=stage.language, task_id=row["task_id"], program=prog, sample_id=j, layout=layout)
        for row, progs in zip(stage.rows, stage.programs)
        for j, prog in enumerate(progs)
    ]


def default_execute(requests: Sequence[ExecRequest], problems: Mapping[str, Mapping],
                    config: ExecConfig) -> list[ExecResult]:
    from evaluation.execution.api import execute

    return execute(requests, problems, config)


def run_requests(requests: Sequence[ExecRequest], problems: Mapping[str, Mapping], exec_config: ExecConfig,
                 engine: str = "local", spark_config=None, chunk_size: int = 64,
                 execute_fn: Optional[ExecuteFn] = None, reference_on_driver: bool = True) -> list[ExecResult]:
    """Execute locally or on Spark; results in request order."""
    if not requests:
        return []
    if engine == "spark":
        from evaluation.distributed import execute_on_spark

        # A stand-in executor (tests) has no reference runtimes to measure.
        return execute_on_spark(requests, problems, exec_config, spark_config=spark_config,
                                chunk_size=chunk_size, execute_fn=execute_fn,
                                reference_on_driver=reference_on_driver and execute_fn is None)
    if engine != "local":
        raise UserFacingError(f"unknown scoring engine {engine!r} (local or spark)")
    from evaluation.progress import execute_with_progress

    results = execute_with_progress(execute_fn or default_execute, requests, problems, exec_config)
    if len(results) != len(requests):
        raise RuntimeError(f"execute returned {len(results)} results for {len(requests)} requests")
    return results


def score_stages(stages: Sequence[Stage], ks: Sequence[int], exec_config: ExecConfig, engine: str = "local",
                 spark_config=None, chunk_size: int = 64, execute_fn: Optional[ExecuteFn] = None,
                 reference_on_driver: bool = True) -> tuple[list[StageScore], list[SampleRecord]]:
    """Execute every program of every stage and compute pass@k per stage."""
    problems: dict[str, Mapping] = {}
    all_reqs: list[ExecRequest] = []
    spans = []
    for st in stages:
        for row in st.rows:
            problems[row["task_id"]] = row
        reqs = stage_requests(st)
        spans.append((len(all_reqs), len(all_reqs) + len(reqs)))
        all_reqs.extend(reqs)
    log.info("executing %d programs from %d stage(s) (%s)", len(all_reqs), len(stages), engine)
    results = run_requests(all_reqs, problems, exec_config, engine, spark_config, chunk_size, execute_fn,
                           reference_on_driver)

    scores, samples = [], []
    for st, (a, b) in zip(stages, spans):
        index_of = {row["task_id"]: i for i, row in enumerate(st.rows)}
        passed: dict[str, list[bool]] = {row["task_id"]: [] for row in st.rows}
        statuses: Counter = Counter()
        for req, res in zip(all_reqs[a:b], results[a:b]):
            if (res.task_id, res.sample_id) != (req.task_id, req.sample_id):
                raise RuntimeError(f"execute returned {res.task_id}#{res.sample_id} for "
                                   f"{req.task_id}#{req.sample_id}: results out of order")
            passed[req.task_id].append(bool(res.passed))
            statuses[res.status] += 1
            samples.append(SampleRecord(st.name, st.language, req.task_id, index_of[req.task_id], req.sample_id,
                                        bool(res.passed), res.status, round(float(res.duration_s), 4), res.detail))
        counts = [(len(v), sum(v)) for v in passed.values()]
        scores.append(StageScore(
            name=st.name, task=st.task, language=st.language, metrics=pass_at_ks(counts, ks),
            n_problems=len(st.rows), samples_per_problem=[n for n, _ in counts], status_counts=dict(statuses),
            per_problem_passed={tid: sum(v) for tid, v in passed.items()},
        ))
    return scores, samples


def sample_to_json(s: SampleRecord) -> dict:
    return asdict(s)
