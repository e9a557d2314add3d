"""The project's import graph, read from the source with ``ast`` (nothing is imported).

Project modules: every ``.py`` file under ``octopack_spark/``, ``evaluation/``, ``training/`` and ``jobs/``
(a package is its ``__init__.py``).

What counts as an edge A -> B:
- every ``import`` / ``from ... import`` in A that names project module B, at module level **and inside
  functions and methods**: an import deferred into a function still makes A depend on B at run time, and
  deferring it is the usual way a cycle gets hidden rather than removed;
- ``from pkg import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``; a dotted
  target ``a.b.c`` that is not a module resolves to its longest project-module prefix;
- relative imports are resolved against A's package.

What does not count:
- imports under ``if TYPE_CHECKING:`` (they never run; annotations only);
- the implicit import of a parent package's ``__init__`` when a submodule is imported (otherwise every
  package that re-exports a submodule would be "in a cycle" with it).

Rules checked: the graph has no cycle (a failure names one cycle, A -> B -> ... -> A), and no module under
``octopack_spark/`` imports ``evaluation`` or ``training`` (the library sits below the applications).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("octopack_spark", "evaluation", "training", "jobs")


def project_modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for top in PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if "__pycache__" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = path
    return mods


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every Import/ImportFrom node, skipping the bodies of ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def _owner(name: str, mods: dict[str, Path]) -> str | None:
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    mods = project_modules()
    graph: dict[str, set[str]] = {}
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        targets: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                if node.level:
                    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    base = base[:len(base) - (node.level - 1)]
                    pkg = ".".join(base + ([node.module] if node.module else []))
                else:
                    pkg = node.module or ""
                names = [f"{pkg}.{a.name}" if f"{pkg}.{a.name}" in mods else pkg for a in node.names]
            for n in names:
                owner = _owner(n, mods)
                if owner and owner != mod:
                    targets.add(owner)
        graph[mod] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None (iterative DFS, deterministic order)."""
    state: dict[str, int] = {}   # 1 = on the current path, 2 = done
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        iters = [iter(sorted(graph[start]))]
        state[start] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_graph_sees_the_project():
    graph = import_graph()
    assert "octopack_spark.ft.config" in graph and "evaluation.execution.api" in graph
    assert "training.trainer" in graph and "jobs.mine_commits" in graph
    # Function-level imports are edges; TYPE_CHECKING-only ones are not.
    assert "evaluation.execution.engine" in graph["evaluation.execution.api"]
    assert "octopack_spark.ft.config" not in graph["octopack_spark.ft.filters.base"]


def test_find_cycle_reports_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_project_modules():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_library_does_not_import_the_applications():
    upward = sorted(
        f"{mod} -> {dep}"
        for mod, deps in import_graph().items() if mod.split(".")[0] == "octopack_spark"
        for dep in deps if dep.split(".")[0] in ("evaluation", "training")
    )
    assert not upward, "octopack_spark imports evaluation/training: " + "; ".join(upward)
