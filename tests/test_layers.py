"""The layers import one way: analyse <- describe <- store <- run <- present <- interface.

Read from the source (every import, including those inside functions; ``if TYPE_CHECKING:``
blocks are type-only and skipped). Present (reports, plots) reads stored runs but never imports
the run layer, so a report never starts ngspice. No module imports another module's private name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "neurospice"

#: Layer of each top-level part of the package, bottom first.
LAYERS: dict[str, int] = {
    "analysis": 0,
    "units": 1, "grid": 1, "studyfile": 1, "params": 1, "options": 1, "stimulus": 1, "netlists": 1, "ngspice_models": 1, "circuits": 1,
    "store": 2,
    "engine": 3, "vacask": 3, "simulation": 3, "characterization": 3, "montecarlo": 3, "studies": 3, "doctor": 3,
    "report": 4, "plot": 4,
    "cli": 5, "__main__": 5,
}  # fmt: skip
RUN, PRESENT = 3, 4


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, module: str | None = None) -> list[tuple[str, list[str]]]:
    """``(absolute module, imported names)`` for every runtime import of ``path`` (module ``module``)."""
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, list[str]]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((target, [alias.name for alias in node.names]))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def _part(module: str) -> str | None:
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 and pieces[0] == "neurospice" else None


SOURCES = sorted(p for p in ROOT.rglob("*.py") if p.name != "__init__.py" or p.parent != ROOT)


def test_every_module_has_a_layer() -> None:
    parts = {_part(_module_name(p)) for p in SOURCES}
    assert parts <= set(LAYERS), parts - set(LAYERS)


def _layer_violations(module: str, imports: list[tuple[str, list[str]]]) -> list[str]:
    own = _part(module)
    assert own is not None
    found = []
    for target, _ in imports:
        other = _part(target)
        if other is None or other == own:
            continue
        if LAYERS[other] > LAYERS[own] or (LAYERS[own] == PRESENT and LAYERS[other] == RUN):
            found.append(f"{module} (layer {LAYERS[own]}) imports {target} (layer {LAYERS[other]})")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=[_module_name(p) for p in SOURCES])
def test_imports_go_one_way(path: Path) -> None:
    assert _layer_violations(_module_name(path), _imports(path)) == []


@pytest.mark.parametrize("path", SOURCES, ids=[_module_name(p) for p in SOURCES])
def test_no_private_name_crosses_a_module(path: Path) -> None:
    own = _module_name(path)
    for target, names in _imports(path):
        if target.startswith("neurospice") and target != own:
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            assert not private, f"{own} imports {private} from {target}"


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The rules can fail: describe importing run, present importing run, analysis importing describe."""
    fake = tmp_path / "x.py"
    fake.write_text(
        "import numpy\nif TYPE_CHECKING:\n    from ..engine import Engine\ndef f():\n    from ..engine import get_engine\n"
    )
    imports = _imports(fake, "neurospice.circuits.x")
    assert imports == [("numpy", []), ("neurospice.engine", ["get_engine"])]  # the type-only import is skipped
    assert _layer_violations("neurospice.circuits.x", imports)
    assert _layer_violations("neurospice.report", [("neurospice.simulation", ["simulate"])])
    assert _layer_violations("neurospice.analysis.cv", [("neurospice.params", ["Param"])])
    assert not _layer_violations("neurospice.report", [("neurospice.store", ["load_run"])])
