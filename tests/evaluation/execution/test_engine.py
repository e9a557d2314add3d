"""evaluation/execution/engine.py + api.execute: request validation, ordering, batched compiles that isolate
one sample's errors, reference-scaled timeouts and their cache, use from another process (Spark-like)."""

from __future__ import annotations

import json
import multiprocessing
import random

import pytest

from evaluation.execution import api, engine, reference
from evaluation.execution.assemble import program_for


NO_MEASURE = api.ExecConfig(measure_reference=False, default_timeout_s=10)


# ------------------------------------------------------------------------------------ no toolchain needed
@pytest.mark.parametrize("req, message", [
    (api.ExecRequest("cobol", "Python/0", "x"), "unknown language 'cobol'"),
    (api.ExecRequest("python", "Python/0", "x", layout="diff"), "unknown layout 'diff'"),
    (api.ExecRequest("python", "Python/999", "x"), "'Python/999' is not in problems"),
    (api.ExecRequest("js", "Python/0", "x"), "'Python/0' is not a js task"),
    (api.ExecRequest("python", "Python/0", b"x"), "program must be a str"),
])
def test_bad_requests_are_rejected_before_anything_runs(probs, req, message):
    with pytest.raises(ValueError, match=message):
        api.execute([api.ExecRequest("python", "Python/1", "ok"), req], probs, NO_MEASURE)


def test_empty_request_list():
    assert api.execute([], {}, NO_MEASURE) == []


def test_timeout_formula():
    cfg = api.ExecConfig(timeout_floor_s=5, timeout_multiplier=10, timeout_cap_s=60, default_timeout_s=12)
    rt = {"A/1": 0.1, "A/2": 0.9, "A/3": 30.0}
    assert engine.timeout_for("A/1", cfg, rt) == 5.0      # floor
    assert engine.timeout_for("A/2", cfg, rt) == 9.0      # multiplier x reference
    assert engine.timeout_for("A/3", cfg, rt) == 60.0     # cap
    assert engine.timeout_for("A/4", cfg, rt) == 12.0     # never measured


def test_config_is_strict_and_serialisable():
    with pytest.raises(Exception, match="extra"):
        api.ExecConfig(worker=2)
    cfg = api.ExecConfig(workers=3, reference_runtimes_s={"Python/0": 0.2})
    assert api.ExecConfig.model_validate_json(cfg.model_dump_json()) == cfg


def test_chunks_batch_compiled_languages_and_keep_everything(probs):
    from evaluation.execution.runners.base import Sample

    samples = [Sample(i, api.ExecRequest(l, t, ""), probs[t], "", 1.0)
               for i, (l, t) in enumerate([("java", f"Java/{k}") for k in range(70)] +
                                          [("python", f"Python/{k}") for k in range(20)])]
    chunks = engine.make_chunks(samples, workers=2, batch_size=32)
    # 70 Java samples, at most 32 a batch: 4 chunks (a multiple of the 2 workers) of 18, the last one 16.
    assert [len(c) for l, c in chunks if l == "java"] == [18, 18, 18, 16]
    assert [l for l, _ in chunks][:4] == ["java"] * 4
    assert sorted(s.index for _, c in chunks for s in c) == list(range(90))
    sizes = [len(c) for l, c in engine.make_chunks(samples[:64], workers=2, batch_size=32)]
    assert sizes == [32, 32]


# ------------------------------------------------------------------------------------ toolchains
@pytest.mark.toolchain
def test_mixed_languages_shuffled_results_follow_request_order(probs):
    rng = random.Random(7)
    reqs = []
    for lang, prefix in [("python", "Python"), ("js", "JavaScript"), ("java", "Java"), ("go", "Go"),
                         ("cpp", "CPP"), ("rust", "Rust")]:
        for n in (0, 2, 4):
            p = probs[f"{prefix}/{n}"]
            reqs.append(api.ExecRequest(lang, p["task_id"], program_for(p, "canonical_solution"), sample_id=n))
            reqs.append(api.ExecRequest(lang, p["task_id"], program_for(p, "buggy_solution"), sample_id=100 + n))
    rng.shuffle(reqs)
    res = api.execute(reqs, probs, NO_MEASURE)
    assert [(r.task_id, r.sample_id, r.language) for r in res] == [(q.task_id, q.sample_id, q.language) for q in reqs]
    for q, r in zip(reqs, res):
        assert r.passed == (q.sample_id < 100), (q.task_id, q.sample_id, r.status, r.detail)
        assert r.passed == (r.status == api.STATUS_PASSED)
        assert r.timeout_s == 10


@pytest.mark.toolchain
@pytest.mark.parametrize("lang, prefix, broken", [
    ("java", "Java", [("int x = ;", "illegal start of expression"), ("undefinedCall();", "cannot find symbol")]),
    # A parse error, and a `go vet` failure (go test runs vet: the harness would fail it too).
    ("go", "Go", [("x := ", "expected"), ('_ = fmt.Sprintf("%d", "s")', "wrong type")]),
    ("rust", "Rust", [("let x: i32 = \"s\";", "mismatched types"), ("undefined_call();", "cannot find function")]),
])
def test_batched_compile_isolates_each_samples_errors(probs, lang, prefix, broken):
    reqs = []
    for n in range(6):
        p = probs[f"{prefix}/{n}"]
        sol = p["canonical_solution"]
        if n in (1, 4):
            bad, _ = broken[0 if n == 1 else 1]
            # Put the broken statement at the start of the solution's body.
            sol = "\n" + bad + "\n" + sol
        reqs.append(api.ExecRequest(lang, p["task_id"], p["prompt"] + sol, sample_id=n))
    res = api.execute(reqs, probs, NO_MEASURE)
    for n, r in enumerate(res):
        if n in (1, 4):
            assert r.status == api.STATUS_COMPILE_ERROR, (n, r)
            assert broken[0 if n == 1 else 1][1] in r.detail, r.detail
            other = broken[1 if n == 1 else 0][1]
            assert other not in r.detail  # only its own messages
        else:
            assert r.passed, (n, r.status, r.detail)


@pytest.mark.toolchain
def test_syntax_errors_and_the_js_assert_trap(probs):
    py, js = probs["Python/3"], probs["JavaScript/3"]
    reqs = [
        api.ExecRequest("python", "Python/3", py["prompt"] + "    return (\n"),
        api.ExecRequest("js", "JavaScript/3", js["prompt"] + "  return ((;\n}\n"),
        # Buggy JS: console.assert prints "Assertion failed" and exits 0.
        api.ExecRequest("js", "JavaScript/3", program_for(js, "buggy_solution")),
        api.ExecRequest("cpp", "CPP/3", program_for(probs["CPP/3"], "canonical_solution") + "int x = ;\n"),
    ]
    r = api.execute(reqs, probs, NO_MEASURE)
    assert [x.status for x in r] == [api.STATUS_COMPILE_ERROR, api.STATUS_COMPILE_ERROR, api.STATUS_WRONG_ANSWER,
                                     api.STATUS_COMPILE_ERROR]
    assert "SyntaxError" in r[0].detail and "SyntaxError" in r[1].detail and "Assertion failed" in r[2].detail


@pytest.mark.toolchain
def test_reference_runtimes_scale_timeouts_and_are_cached(probs, tmp_path, monkeypatch):
    cfg = api.ExecConfig(cache_dir=str(tmp_path / "cache"), timeout_floor_s=2, timeout_multiplier=10)
    subset = {t: dict(probs[t]) for t in ("Python/0", "Python/1", "Python/2")}
    calls = []
    real = engine.run_with_timeouts

    def counting(reqs, *a, **kw):
        calls.append(len(reqs))
        return real(reqs, *a, **kw)

    monkeypatch.setattr(engine, "run_with_timeouts", counting)
    rt = reference.reference_runtimes(subset, "python", cfg)
    assert set(rt) == set(subset) and all(0 < v < 5 for v in rt.values()) and calls == [3]
    cached = json.loads((tmp_path / "cache" / "reference" / "python.json").read_text())
    assert set(cached["entries"]) == set(subset) and cached["machine"]["cpus"] >= 1
    # Second time: from the cache, nothing runs.
    assert reference.reference_runtimes(subset, "python", cfg) == rt and calls == [3]
    # A changed test invalidates only that task.
    subset["Python/1"]["test"] += "\n"
    reference.reference_runtimes(subset, "python", cfg)
    assert calls == [3, 1]
    # execute() uses them: timeout = max(floor, 10 x reference).
    req = api.ExecRequest("python", "Python/0", program_for(subset["Python/0"]))
    [res] = api.execute([req], subset, cfg)
    assert res.passed and res.timeout_s == pytest.approx(max(2.0, 10 * rt["Python/0"]), abs=0.01)


@pytest.mark.toolchain
def test_a_canonical_that_never_passes_gets_the_default_timeout(probs, tmp_path):
    cfg = api.ExecConfig(cache_dir=str(tmp_path / "cache"), default_timeout_s=7)
    broken = dict(probs["Python/5"], canonical_solution="    return None\n")
    rt = reference.reference_runtimes({"Python/5": broken}, "python", cfg)
    assert rt == {}
    entry = reference.load(tmp_path / "cache", "python")["entries"]["Python/5"]
    assert entry["runtime_s"] is None and entry["attempts"] == reference.MEASURE_ATTEMPTS
    assert engine.timeout_for("Python/5", cfg, rt) == 7


def _execute_in_child(args):
    reqs, problems, cfg_json = args
    res = api.execute(reqs, problems, api.ExecConfig.model_validate_json(cfg_json))
    return [r.to_dict() for r in res]


@pytest.mark.toolchain
def test_execute_works_in_a_fresh_worker_process(probs):
    # What a Spark executor does: import the package in a new interpreter and call execute on a chunk.
    sub = {t: probs[t] for t in ("Python/7", "Go/7")}
    reqs = [api.ExecRequest("python", "Python/7", program_for(sub["Python/7"])),
            api.ExecRequest("go", "Go/7", program_for(sub["Go/7"], "buggy_solution"))]
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        [out] = pool.map(_execute_in_child, [(reqs, sub, NO_MEASURE.model_dump_json())])
    assert [o["passed"] for o in out] == [True, False] and out[1]["status"] == api.STATUS_WRONG_ANSWER
