"""The code's shape, checked by machine (issue 11): no import cycles, even inside functions,
and no module reaching into another module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = {  # the package-dir mapping of pyproject.toml
    "twinlens": REPO / "packaging" / "twinlens",
    "twinlens.engine": REPO / "engine",
    "twinlens.desktop": REPO / "desktop",
    "twinlens.training": REPO / "training",
    "twinlens.resources": REPO / "resources",
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


MODULES = _modules()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _imports(module: str) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import outside TYPE_CHECKING."""
    tree = ast.parse(MODULES[module].read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    base = module if _is_package(module) else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                parts = base.split(".")
                parts = parts[: len(parts) - node.level + 1]
                target = ".".join(parts + ([node.module] if node.module else []))
            names = [alias.name for alias in node.names]
            found.append((target, names, node.lineno))
            found += [
                (f"{target}.{n}", [], node.lineno) for n in names if f"{target}.{n}" in MODULES
            ]
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for target, _, _ in _imports(module):
            if target in MODULES and target != module:
                graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_even_inside_functions() -> None:
    graph = _graph()
    # A package's __init__ re-exporting its own modules is not a cycle of the code's layers.
    for module in graph:
        if _is_package(module):
            graph[module] = {t for t in graph[module] if not t.startswith(module + ".")}
    assert _cycles(graph) == []


def test_no_module_imports_another_modules_private_names() -> None:
    offences = [
        f"{module}:{line} takes {name} from {target}"
        for module in MODULES
        for target, names, line in _imports(module)
        if target.startswith("twinlens")
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert offences == []


def test_the_checks_see_the_code() -> None:
    """Guards the two tests above against an empty module map (a moved folder)."""
    assert len(MODULES) > 60
    assert "twinlens.engine.storage.store" in MODULES
    assert "twinlens.engine.storage.store" in _graph()["twinlens.engine.indexing.scanner"]
