"""The package's shape: no import cycle between kerasguide's modules, and small modules.

Read from the source with ``ast`` (nothing is imported): an edge ``a -> b`` is an import of
module ``b`` in ``a`` at any depth (function-level imports count too, since they run), except
inside ``if TYPE_CHECKING:`` blocks. ``from package import submodule`` is an edge to the
submodule only; the package's ``__init__`` re-exports do not make its children depend on it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kerasguide"
MAX_LINES = 450  # "a module that passes ~450 lines is usually two" (the design guide)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        is_type_checking = isinstance(node, ast.If) and (
            (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
            or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
        )
        if is_type_checking:
            skipped.update(id(child) for child in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return {name for name in found if name in MODULES}


def _cycles() -> list[list[str]]:
    graph = {name: _imports(path) - {name} for name, path in MODULES.items()}
    cycles: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return cycles


def test_the_package_has_the_expected_modules() -> None:
    # The checks below would pass on an empty folder: make sure they see the package.
    assert {"kerasguide.training._fit", "kerasguide.env._report", "kerasguide.layers"} <= set(
        MODULES
    )
    assert "kerasguide._checks" in _imports(MODULES["kerasguide.training._fit"])


def test_no_import_cycle_inside_kerasguide() -> None:
    assert _cycles() == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name}: {lines} lines (split it: one idea per module)"
