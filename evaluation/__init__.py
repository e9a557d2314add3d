"""Evaluation: HumanEvalPack generation, sandboxed execution and pass@k."""
