"""The folders are the layers, and they import one way: analyse <- parameters <- describe <- store <- run <-
present <- interface.

Read from the source (every import, including those inside functions). Type-only imports
(``if TYPE_CHECKING:``) count for the direction of the layers but not for cycles. Present (reports, plots) reads stored runs but never imports
the run layers, so a report never starts a simulator. No module imports another module's private
name; no set of modules imports itself round a cycle; the package's top level holds only folders
and the facade (``__init__``, ``__main__``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "neurospice"

#: Layer of each folder of the package, bottom first (``__main__`` is the facade of the interface).
LAYERS: dict[str, int] = {
    "analysis": 0,
    "params": 1,
    "netlists": 2,
    "ngspice_models": 2,
    "circuits": 3,
    "store": 4,
    "engines": 5,
    "sim": 6,
    "montecarlo": 7,
    "studies": 8,
    "present": 9,
    "cli": 10,
    "__main__": 10,
}
#: the run layers, which present must not import
RUN = {"engines", "sim", "montecarlo", "studies"}
PRESENT = "present"
FACADE = {"__init__.py", "__main__.py", "py.typed"}  # py.typed: the PEP 561 marker, not code


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


def _imports(path: Path, module: str | None = None, types: bool = False) -> list[tuple[str, list[str]]]:
    """``(absolute module, imported names)`` for every runtime import of ``path`` (module ``module``); with
    ``types``, the type-only ones (``if TYPE_CHECKING:``) too."""
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, list[str]]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node) and not types:
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
MODULES = {_module_name(p) for p in ROOT.rglob("*.py")}


def test_every_module_has_a_layer() -> None:
    parts = {_part(_module_name(p)) for p in SOURCES}
    assert parts <= set(LAYERS), parts - set(LAYERS)


def _loose(top: Path) -> list[str]:
    """Names at the package's top level that are neither a layer's folder nor the facade."""
    return sorted(
        p.name
        for p in top.iterdir()
        if not p.name.startswith((".", "__pycache__"))
        and not (p.is_dir() and p.name in LAYERS)
        and not (p.is_file() and p.name in FACADE)
    )


def test_the_top_level_is_folders_and_the_facade() -> None:
    assert _loose(ROOT) == []


def _edges(module: str, imports: list[tuple[str, list[str]]], modules: set[str] = MODULES) -> set[str]:
    """The modules ``module`` runs at import or call time: ``from pkg import mod`` names the submodule."""
    found = set()
    for target, names in imports:
        subs = {f"{target}.{n}" for n in names} & modules
        if len(subs) < max(len(names), 1):  # some names are not submodules: the package itself runs
            found |= {target} & modules
        found |= subs
    found.discard(module)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle() -> None:
    """Over runtime imports (those inside functions included, type-only ones not), no module reaches itself.

    The facade (``neurospice/__init__.py``) is left out: it imports the public API on attribute access only.
    """
    graph = {_module_name(p): _edges(_module_name(p), _imports(p)) for p in SOURCES}
    assert _cycles(graph) == []


def test_the_structure_checks_can_fail(tmp_path: Path) -> None:
    """A loose module at the top level and a lazy import that closes a cycle are both seen."""
    (tmp_path / "circuits").mkdir()
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "helpers.py").write_text("")
    assert _loose(tmp_path) == ["helpers.py"]
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("from .b import f\n")
    b.write_text("def g():\n    from .a import h\n")
    names = {"neurospice.circuits.a", "neurospice.circuits.b"}
    graph = {m: _edges(m, _imports(f, m), names) for m, f in zip(sorted(names), (a, b), strict=True)}
    assert graph == {
        "neurospice.circuits.a": {"neurospice.circuits.b"},
        "neurospice.circuits.b": {"neurospice.circuits.a"},
    }
    assert _cycles(graph) == [sorted(names)]
    assert _cycles({"x": {"y"}, "y": set()}) == []


def _layer_violations(module: str, imports: list[tuple[str, list[str]]]) -> list[str]:
    own = _part(module)
    assert own is not None
    found = []
    for target, _ in imports:
        other = _part(target)
        if other is None or other == own:
            continue
        if LAYERS[other] > LAYERS[own] or (own == PRESENT and other in RUN):
            found.append(f"{module} (layer {LAYERS[own]}) imports {target} (layer {LAYERS[other]})")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=[_module_name(p) for p in SOURCES])
def test_imports_go_one_way(path: Path) -> None:
    """Type-only imports too: a layer does not even name a type of the layers above it (the store owns the
    records it writes)."""
    assert _layer_violations(_module_name(path), _imports(path, types=True)) == []


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
        "import numpy\nif TYPE_CHECKING:\n    from ..engines import Engine\ndef f():\n    from ..engines import get_engine\n"
    )
    imports = _imports(fake, "neurospice.circuits.x")
    assert imports == [("numpy", []), ("neurospice.engines", ["get_engine"])]  # the type-only import is skipped
    assert _layer_violations("neurospice.circuits.x", imports)
    typed = _imports(fake, "neurospice.circuits.x", types=True)
    assert ("neurospice.engines", ["Engine"]) in typed  # the direction rule reads type-only imports too
    assert _layer_violations("neurospice.store.simrun", [("neurospice.sim.simulation", ["SimulationResult"])])
    assert _layer_violations("neurospice.present.report", [("neurospice.sim.simulation", ["simulate"])])
    assert _layer_violations("neurospice.analysis.cv", [("neurospice.params", ["Param"])])
    assert not _layer_violations("neurospice.present.report", [("neurospice.store", ["load_run"])])
