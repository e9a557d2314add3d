"""A stand-in for evaluation.execution.execute in flow tests that must not depend on toolchains: a sample
passes iff its program is the problem's prompt (or declaration) + canonical solution, up to trailing space."""

from __future__ import annotations

from evaluation.execution.api import ExecResult


def fake_execute(requests, problems, config):
    out = []
    for r in requests:
        row = problems[r.task_id]
        good = {(row[base] + row["canonical_solution"]).rstrip() for base in ("prompt", "declaration")}
        ok = r.program.rstrip() in good
        status = "passed" if ok else ("compile_error" if "SYNTAX" in r.program else "wrong_answer")
        out.append(ExecResult(task_id=r.task_id, sample_id=r.sample_id, language=r.language, status=status,
                              passed=ok, duration_s=0.01, detail="" if ok else f"layout={r.layout}"))
    return out
