"""`octopack eval score|run`: score a generations file, or generate with a model and then score.

    octopack eval score --language python --generations gens.json --data DIR --k 1,10 --output res.json
    octopack eval run --task fix --language all --model out/model --n 20 --output out/eval
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Optional

from octopack_spark.errors import UserFacingError

log = logging.getLogger(__name__)

SCORE_TASKS = ("synthesize", "fix-tests", "fix-docs", "explain-synthesize")
RUN_TASK_CHOICES = ("fix", "fix-tests", "fix-docs", "explain", "synthesize")


def _ks(value: str) -> list[int]:
    try:
        ks = sorted({int(x) for x in value.split(",") if x.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"--k expects comma-separated integers, got {value!r}") from None
    if not ks or ks[0] < 1:
        raise argparse.ArgumentTypeError(f"--k values must be >= 1, got {value!r}")
    return ks


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--language", default="all",
                   help="python, js, java, go, cpp, rust, a comma-separated list, or all")
    p.add_argument("--data", default=None,
                   help="HumanEvalPack folder (<lang>.jsonl) or hub name "
                        "(default: config 'data', $OCTOPACK_HUMANEVALPACK_DIR, else 'bundled': the copy shipped "
                        "with the package; bigcode/humanevalpack reads the hub)")
    p.add_argument("--k", type=_ks, default=None, help="pass@k values, e.g. 1,10 (config default: 1,10,100; "
                   "a k larger than the samples per problem is left out)")
    p.add_argument("--limit", type=int, default=None, help="only the first N problems per language (smoke runs)")
    p.add_argument("--config", default=None, help="eval config YAML (a path or a name in evaluation/configs)")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                   help="override any config field, e.g. --set exec.timeout_cap_s=30 (repeatable)")
    p.add_argument("--engine", choices=("local", "spark"), default=None,
                   help="where to execute samples (config default: local)")
    p.add_argument("--spark-master", default=None, help="Spark master URL for --engine spark")
    p.add_argument("--workers", type=int, default=None, help="parallel sandboxes (0 = all cores)")
    p.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress line on stderr (there is none anyway when stderr is not a terminal)")


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="eval_command", metavar="{score,run}")
    sc = sub.add_parser("score", help="score a generations file (JSON list: one list of programs per problem)",
                        description="Execute saved, post-processed generations and compute pass@k.")
    sc.add_argument("--generations", required=True,
                    help="JSON list with one list of program strings per problem, in dataset order; for several "
                         "languages a JSON object keyed by language, or a path containing {language}")
    sc.add_argument("--output", required=True, help="results JSON, taken as given (samples, summary and chart are "
                    "written beside it as <name>.samples.jsonl, <name>.summary.md, <name>.png)")
    sc.add_argument("--overwrite", action="store_true", help="replace result files that already exist")
    sc.add_argument("--task", choices=SCORE_TASKS, default="synthesize",
                    help="which task produced the generations (fix-tests uses the declaration layout)")
    _common(sc)
    sc.set_defaults(_eval_run=cmd_score)

    rn = sub.add_parser("run", help="generate with a model, then score",
                        description="Generate HumanEvalPack answers with a model and score them.")
    rn.add_argument("--task", choices=RUN_TASK_CHOICES, required=True,
                    help="fix = fix-tests (the paper's main Fix result); explain = describe, then synthesize")
    rn.add_argument("--model", required=True,
                    help="HF model directory, http(s)://host:port[/v1] OpenAI-compatible server, or file:GENS.json")
    rn.add_argument("--output", required=True, help="output directory")
    rn.add_argument("--overwrite", action="store_true",
                    help="replace evaluation_results.* that already exist in --output (--resume implies it)")
    rn.add_argument("--n", type=int, default=None, help="samples per problem (config default: 20)")
    rn.add_argument("--temperature", type=float, default=None, help="0 = greedy (config default: 0.2)")
    rn.add_argument("--top-p", type=float, default=None, help="nucleus sampling (config default: 0.95)")
    rn.add_argument("--seed", type=int, default=None, help="base seed; each prompt derives its own (default 0)")
    rn.add_argument("--batch-size", type=int, default=None, help="samples generated together (default 5)")
    rn.add_argument("--max-length", type=int, default=None, help="prompt + generation tokens (default 2048)")
    rn.add_argument("--max-new-tokens", type=int, default=None, help="cap on generated tokens")
    rn.add_argument("--template", default=None, help="prompt format: octocoder (default), instruct, ... or a .yaml")
    rn.add_argument("--model-name", default=None, help="model name for an HTTP server (default: its first model)")
    rn.add_argument("--device", default=None, help="local models: auto, cpu, cuda, cuda:1")
    rn.add_argument("--dtype", default=None, help="local models: auto, float32, bfloat16, float16")
    rn.add_argument("--resume", action="store_true",
                    help="reuse generations already in --output when prompts and settings are unchanged")
    _common(rn)
    rn.set_defaults(_eval_run=cmd_run)
    parser.set_defaults(_eval_parser=parser)


def run(args: argparse.Namespace) -> int:
    fn = getattr(args, "_eval_run", None)
    if fn is None:
        args._eval_parser.print_help()
        return 2
    from octopack_spark.progress import JobReporter

    try:
        # generations and executions report to this (stderr, TTY only; evaluation/progress.py)
        with JobReporter("eval", quiet=bool(getattr(args, "quiet", False))):
            return fn(args)
    except RuntimeError as e:
        # A sandbox/toolchain that is not set up is a setup problem, not a crash: one line, exit 2.
        if type(e).__name__ == "SandboxError":
            raise UserFacingError(str(e)) from e
        raise


def _config(args: argparse.Namespace, extra: dict[str, Any]):
    from evaluation.config import load_eval_config

    overrides = {
        "data": args.data,
        "generation.limit": args.limit,
        "scoring.ks": args.k,
        "scoring.engine": args.engine,
        "scoring.spark.master": args.spark_master,
        "exec.workers": args.workers,
    }
    overrides.update(extra)
    return load_eval_config(args.config, overrides=overrides, sets=args.set)


def _load_data(cfg, languages):
    from evaluation.data import load_humanevalpack

    data = load_humanevalpack(languages, cfg.data)
    if cfg.generation.limit:
        data = {lang: rows[: cfg.generation.limit] for lang, rows in data.items()}
    return data


def _config_record(cfg, data, extra: dict[str, Any]) -> dict[str, Any]:
    from evaluation.data import dataset_hash

    rec = json.loads(cfg.model_dump_json())
    rec["dataset_sha256"] = {lang: dataset_hash(rows) for lang, rows in data.items()}
    rec.update(extra)
    return rec


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check_outputs(outputs, inputs, overwrite: bool) -> None:
    """Refuse (UserFacingError, one line) before any work when an output file is one of the inputs, or when it
    exists and ``overwrite`` is not set."""
    for out in outputs:
        out = Path(out)
        for inp in inputs:
            if inp and _same_file(out, Path(inp)):
                raise UserFacingError(f"output {out} is the input {inp}; choose another --output")
    if not overwrite:
        existing = [str(p) for p in outputs if Path(p).exists()]
        if existing:
            raise UserFacingError(f"{', '.join(existing)} already exist(s); pass --overwrite to replace "
                                  f"{'them' if len(existing) > 1 else 'it'}")


def _generation_inputs(generations: str, languages) -> list[str]:
    if "{language}" in generations:
        return [generations.replace("{language}", lang) for lang in languages]
    return [generations]


def _report(paths, scores) -> None:
    from evaluation.results import summary_table

    print(summary_table(scores))
    for kind, p in paths.items():
        print(f"{kind}: {p}")


def cmd_score(args: argparse.Namespace) -> int:
    from evaluation.results import write_results
    from evaluation.scoring import Stage, load_generations, score_stages
    from evaluation.tasks import languages_arg

    from evaluation.results import result_paths

    cfg = _config(args, {})
    languages = languages_arg(args.language)
    outputs = list(result_paths(args.output).values())
    check_outputs(outputs, _generation_inputs(args.generations, languages) + [args.config or ""],
                  args.overwrite)
    data = _load_data(cfg, languages)
    gens = load_generations(args.generations, languages, {lang: len(rows) for lang, rows in data.items()},
                            task=args.task)
    stages = [Stage(args.task, lang, data[lang], gens[lang]) for lang in languages]
    t0 = time.monotonic()
    scores, samples = score_stages(stages, cfg.scoring.ks, cfg.exec, engine=cfg.scoring.engine,
                                   spark_config=cfg.scoring.spark, chunk_size=cfg.scoring.chunk_size,
                                   reference_on_driver=cfg.scoring.reference_on_driver)
    record = _config_record(cfg, data, {"command": "score", "task": args.task, "generations": args.generations,
                                        "languages": languages, "scoring_s": round(time.monotonic() - t0, 2)})
    paths = write_results(args.output, scores, samples, record, chart=not args.no_chart)
    _report(paths, scores)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from evaluation.backends import load_backend
    from evaluation.results import write_results
    from evaluation.runner import run_eval
    from evaluation.tasks import RUN_TASKS, languages_arg

    if args.n is not None and args.n < 1:
        raise UserFacingError("--n must be >= 1")
    sampling = {
        "temperature": args.temperature, "top_p": args.top_p, "seed": args.seed, "batch_size": args.batch_size,
        "max_length": args.max_length, "max_new_tokens": args.max_new_tokens,
    }
    extra = {f"generation.sampling.{k}": v for k, v in sampling.items()}
    extra.update({"generation.n": args.n, "generation.template": args.template,
                  "generation.model_name": args.model_name, "generation.device": args.device,
                  "generation.dtype": args.dtype})
    from evaluation.results import result_paths

    cfg = _config(args, extra)
    languages = languages_arg(args.language)
    out_dir = Path(args.output)
    model_file = args.model[len("file:"):] if args.model.startswith("file:") else ""
    check_outputs(list(result_paths(out_dir / "evaluation_results.json").values()), [model_file, args.config or ""],
                  args.overwrite or args.resume)
    data = _load_data(cfg, languages)
    g = cfg.generation
    backend = load_backend(args.model, model_name=g.model_name, device=g.device, dtype=g.dtype,
                           trust_remote_code=g.trust_remote_code, http_concurrency=g.http_concurrency,
                           http_timeout_s=g.http_timeout_s, http_max_retries=g.http_max_retries)
    t0 = time.monotonic()
    with backend:
        scores, samples, gen_info = run_eval(args.task, languages, data, backend, cfg, out_dir, resume=args.resume)
    record = _config_record(cfg, data, {
        "command": "run", "task": args.task, "stages": list(RUN_TASKS[args.task]), "languages": languages,
        "model": args.model, "generator": backend.describe(), "generation": gen_info,
        "total_s": round(time.monotonic() - t0, 2)})
    paths = write_results(out_dir / "evaluation_results.json", scores, samples, record, chart=not args.no_chart)
    _report(paths, scores)
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    """`python -m evaluation.cli ...` without the top-level `octopack` command."""
    p = argparse.ArgumentParser(prog="octopack eval")
    register(p)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return run(args)
    except UserFacingError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
