"""The import graph of ``bench``, ``metrics`` and ``scenes`` has no circle, and ``metrics`` never imports ``bench``.

Read from the code with :mod:`ast`, not by importing it: every ``import`` and
``from ... import`` statement counts, at module level or inside a function (a
lazy import is still a dependency), relative imports included.  ``from pkg
import name`` is an edge to the submodule ``pkg.name`` when that is a module,
else to ``pkg``; a package's ``__init__.py`` is the module ``pkg`` and its
imports of submodules are edges like any other.  The parent packages that
Python runs implicitly before a submodule are not edges (every package whose
``__init__`` imports a submodule would otherwise be a circle).  Imports by a
computed name (``importlib.import_module(variable)``) cannot be read and are
not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bench", "metrics", "scenes")


def modules(root: Path, packages=PACKAGES) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of the packages under ``root``."""
    out = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def import_graph(mods: dict[str, Path]) -> dict[str, dict[str, int]]:
    """module -> {imported module: line of the first such import}, internal modules only."""

    def known(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, dict[str, int]] = {}
    for mod, path in mods.items():
        edges: dict[str, int] = {}
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str | None] = []
            if isinstance(node, ast.Import):
                targets = [known(a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in mods else known(source) for a in node.names]
            for t in targets:
                if t is not None and t != mod:
                    edges.setdefault(t, node.lineno)
        graph[mod] = edges
    return graph


def find_cycle(graph: dict[str, dict[str, int]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None (depth-first search, deterministic order)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph.get(m, {})):
            if state.get(n) == 1:
                return path[path.index(n):] + [n]
            if n not in state:
                found = visit(n)
                if found:
                    return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def describe(cycle: list[str], graph, mods) -> str:
    steps = [f"{mods[a].relative_to(ROOT) if mods[a].is_relative_to(ROOT) else mods[a]}:{graph[a][b]} imports {b}"
             for a, b in zip(cycle, cycle[1:])]
    return "import circle: " + " -> ".join(cycle) + " (" + "; ".join(steps) + ")"


def test_no_import_circle():
    mods = modules(ROOT)
    assert "bench.cli" in mods and "metrics.registry" in mods and "bench.generators" in mods
    graph = import_graph(mods)
    cycle = find_cycle(graph)
    assert cycle is None, describe(cycle, graph, mods)


def test_metrics_never_imports_bench():
    """The scorers are the layer below the application: they must work without it."""
    mods = modules(ROOT)
    graph = import_graph(mods)
    up = sorted(f"{m} imports {t} (line {line})" for m, edges in graph.items() if m.split(".")[0] == "metrics"
                for t, line in edges.items() if t.split(".")[0] == "bench")
    assert up == []


def test_errors_module_is_the_bottom():
    graph = import_graph(modules(ROOT))
    assert graph["bench.errors"] == {} and graph["metrics.registry"] == {}


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_the_check_finds_and_names_circles(tmp_path):
    """The check itself: lazy, relative and package-__init__ imports all make circles it names."""
    cases = {
        "lazy": {"bench/__init__.py": "", "bench/a.py": "def f():\n    from bench.b import x\n",
                 "bench/b.py": "import bench.a\n"},
        "relative": {"bench/__init__.py": "", "bench/a.py": "from . import b\n", "bench/b.py": "from .a import f\n"},
        "package init": {"bench/__init__.py": "", "bench/gen/__init__.py": "def make():\n    from bench.gen import backend\n",
                         "bench/gen/backend.py": "from bench.gen import Base\n"},
        "across packages": {"bench/__init__.py": "", "bench/w.py": "from metrics.s import x\n", "metrics/__init__.py": "",
                            "metrics/s.py": "def g():\n    from bench.w import y\n"},
    }
    for name, files in cases.items():
        root = tmp_path / name.replace(" ", "-")
        _write(root, files)
        mods = modules(root, ("bench", "metrics"))
        graph = import_graph(mods)
        cycle = find_cycle(graph)
        assert cycle is not None and cycle[0] == cycle[-1] and len(cycle) >= 3, (name, graph)
        assert "import circle: " in describe(cycle, graph, mods)
    root = tmp_path / "fine"
    _write(root, {"bench/__init__.py": "", "bench/gen/__init__.py": "def make():\n    from bench.gen import backend\n",
                  "bench/gen/base.py": "class Base: pass\n", "bench/gen/backend.py": "from bench.gen.base import Base\n"})
    assert find_cycle(import_graph(modules(root, ("bench",)))) is None
