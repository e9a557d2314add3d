"""One runner per HumanEvalPack language."""

from evaluation.execution.runners.base import Runner
from evaluation.execution.runners.cpp import CppRunner
from evaluation.execution.runners.go import GoRunner
from evaluation.execution.runners.java import JavaRunner
from evaluation.execution.runners.js import JsRunner
from evaluation.execution.runners.python import PythonRunner
from evaluation.execution.runners.rust import RustRunner

RUNNERS: dict[str, type[Runner]] = {
    "python": PythonRunner,
    "js": JsRunner,
    "java": JavaRunner,
    "go": GoRunner,
    "cpp": CppRunner,
    "rust": RustRunner,
}
