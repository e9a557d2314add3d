"""Sandboxed execution of HumanEvalPack programs in six languages (see api.py for the contract)."""

from evaluation.execution.api import ExecConfig, ExecRequest, ExecResult, execute

__all__ = ["ExecConfig", "ExecRequest", "ExecResult", "execute"]
