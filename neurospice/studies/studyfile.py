"""Study files: one TOML file names what to run, on what, and where the results go.

.. code-block:: toml

    kind = "sweep"                 # sweep | mismatch | budget
    circuit = "dpi-synapse"        # a built-in circuit or a netlist path (relative to this file)
    technology = "gf180mcu"
    samples = 16                   # mismatch samples (per point for a sweep; per scale for a budget)
    seed = 1
    mismatch = "pdk"               # pdk | pelgrom (default: pdk on ngspice, pelgrom on vacask)
    sampling = "random"            # pelgrom mode: random | lhs | sobol
    engine = "ngspice"             # ngspice | vacask (sweep and mismatch studies; GF180MCU)
    accuracy = "default"           # fast | default | reference | legacy (simulator options; docs/benchmarks/)
    tstop = "0.2"                  # SI prefixes allowed
    out = "runs/tau"               # relative to this file; the CLI's --out wins
    report = true                  # mismatch: report.html; sweep and budget: their PNG

    [params]                       # fixed circuit parameters, validated like --set
    i_w = "500p"

    [vary]                         # sweep: one axis per key (START:STOP:N[:log] or a list); zip = true pairs them
    i_tau = "2p:40p:4:log"

    [specs]                        # limits judged after the run: METRIC = "LOW:HIGH", or a table of min/max/typ
    tau_s = "5m:20m"
    peak_current_a = { min = "50p", typ = "100p" }

    [stopping]                     # mismatch and sweep: stop when every interval is narrow enough (samples: the cap)
    target_ci = ["tau_s:cv=5%"]    # METRIC:STAT=WIDTH, as --target-ci
    estimator = "regression"       # plain | regression | closed-form | equation (the last two: mismatch only)
    pilot = 32
    batch = 16

    [budget]                       # budget: the metric and what to try
    metric = "isi_rate_hz"
    scales = [1, 2, 4, 8]
    clusters = [1, 2, 4, 8, 16]
    bits = [6, 8, 10]

Every error names the key and its line in the file, before anything runs.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..params import Param, ParameterError, ParamSpec
from ..params.options import ACCURACY_NAMES, ENGINES, accuracy, default_mismatch

__all__ = ["SCHEMA", "Study", "StudyError", "read_study"]

KINDS = ("sweep", "mismatch", "budget")

#: The study file's single-valued keys, declared and validated like circuit parameters.
SCHEMA = ParamSpec(
    (
        Param("kind", "", "what the study runs", "sweep", kind="choice", choices=KINDS),
        Param("circuit", "", "a built-in circuit name or a netlist path (relative to the file)", "x", kind="text"),
        Param("describe", "", "the netlist's description TOML (relative to the file)", "x", kind="text"),
        Param("technology", "", "the technology", "gf180mcu", kind="text"),
        Param("samples", "", "mismatch samples (per point; per scale for a budget)", 0, 0, 10_000_000, kind="int"),
        Param("seed", "", "master seed", 1, 0, 2**63 - 1, kind="int"),
        Param("workers", "", "worker processes", 1, 1, 1024, kind="int"),
        Param("mismatch", "", "mismatch mode", "pdk", kind="choice", choices=("pdk", "pelgrom")),
        Param("sampling", "", "pelgrom mode's design", "random", kind="choice", choices=("random", "lhs", "sobol")),
        Param("engine", "", "simulator", "ngspice", kind="choice", choices=ENGINES),
        Param("accuracy", "", "simulator options preset", "default", kind="choice", choices=ACCURACY_NAMES),
        Param("tstop", "s", "transient length (SI prefixes allowed)", 0.1, 1e-9, 1e3),
        Param("out", "", "run folder (relative to the file)", "x", kind="text"),
        Param("report", "", "write the report or plot", False, kind="bool"),
        Param("zip", "", "pair the axes of [vary] position by position", False, kind="bool"),
        Param("allow_large", "", "a sweep of more than 10 000 simulations", False, kind="bool"),
        Param("description", "", "free text", "x", kind="text"),
    )
)
#: its tables and lists
TABLES = ("params", "vary", "budget", "include_dirs", "specs", "stopping")
_BUDGET = {"metric", "scales", "clusters", "bits"}
_STOPPING = {"target_ci", "estimator", "pilot", "batch"}


class StudyError(ParameterError):
    """A study file that cannot be run: names the file, the key and its line."""

    def __init__(self, path: Path, key: str, line: int | None, message: str) -> None:
        where = f"{path}" + (f", line {line}" if line else "")
        super().__init__("study", f"{where}: {key}: {message}")


@dataclass(frozen=True)
class Study:
    """A validated study file (values still as text where the circuit validates them)."""

    path: Path
    text: str
    kind: str
    circuit: str
    describe: str | None = None
    #: folders besides the netlist's own that its includes may read (relative to the study file)
    include_dirs: tuple[str, ...] = ()
    technology: str = "gf180mcu"
    samples: int = 0
    seed: int = 1
    mismatch: str = "pdk"
    sampling: str = "random"
    engine: str = "ngspice"
    accuracy: str = "default"
    tstop: float | None = None
    out: Path | None = None
    report: bool = False
    workers: int | None = None
    params: dict[str, object] = field(default_factory=dict)
    #: each axis as the file gives it: a range ``"START:STOP:N[:log]"`` or a list of values (numbers or text)
    vary: dict[str, str | list[object]] = field(default_factory=dict)
    zipped: bool = False
    #: a sweep of more simulations than the CLI runs without ``--allow-large``
    allow_large: bool = False
    budget: dict[str, Any] = field(default_factory=dict)
    #: each spec as the file gives it: ``"LOW:HIGH"`` or a table of ``min``/``max``/``typ`` (the circuit's metrics
    #: check them)
    specs: dict[str, str | dict[str, Any]] = field(default_factory=dict)
    #: the ``[stopping]`` table as the file gives it (``target_ci`` a list of METRIC:STAT=WIDTH)
    stopping: dict[str, Any] = field(default_factory=dict)

    def line_of(self, key: str) -> int | None:
        """The line where ``key`` (``section.name`` or ``name``) is set."""
        return _line_of(self.text, key)


def _line_of(text: str, key: str) -> int | None:
    section, _, name = key.rpartition(".")
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[([^\]]+)\]", stripped)
        if header:
            current = header.group(1).strip()
            if not section and current == name:  # the key is a table: its header
                return number
            continue
        if current == section and re.match(rf"^\"?{re.escape(name)}\"?\s*=", stripped):
            return number
    return None


def read_study(path: str | Path) -> Study:
    """Parse and check ``path``; :class:`StudyError` names the key and line of the first problem."""
    path = Path(path)
    if not path.is_file():
        raise StudyError(path, "file", None, "no such file")
    text = path.read_text(errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        raise StudyError(path, "syntax", int(found.group(1)) if found else None, f"not valid TOML ({exc})") from None

    def fail(key: str, message: str) -> StudyError:
        return StudyError(path, key, _line_of(text, key), message)

    known = [p.name for p in SCHEMA] + list(TABLES)
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise fail(unknown[0], f"unknown key; accepted: {', '.join(sorted(known))}")
    values: dict[str, Any] = {}
    for key in [p.name for p in SCHEMA if p.name in data]:
        try:
            values[key] = SCHEMA[key].coerce(data[key])
        except ParameterError as exc:
            raise fail(key, str(exc).removeprefix(f"parameter {key!r}: ")) from None
    for key in ("kind", "circuit"):
        if key not in values:
            raise fail(key, f"missing; accepted: {SCHEMA[key].description} ({SCHEMA[key].accepted()})")
    kind, engine = values["kind"], values.get("engine", "ngspice")
    _check_engine(engine, kind, values.get("accuracy"), fail)
    tables = _tables(data, kind, fail)
    if kind == "mismatch" and values.get("samples", 0) < 1:
        raise fail("samples", "a mismatch study needs samples >= 1")
    return Study(
        path=path,
        text=text,
        kind=kind,
        circuit=_circuit_path(values["circuit"], path),
        describe=str((path.parent / values["describe"]).resolve()) if "describe" in values else None,
        include_dirs=_include_dirs(data.get("include_dirs", []), path, fail),
        technology=values.get("technology", "gf180mcu"),
        samples=values.get("samples", 0),
        seed=values.get("seed", 1),
        workers=values.get("workers"),
        mismatch=values.get("mismatch", default_mismatch(engine)),
        sampling=values.get("sampling", "random"),
        engine=engine,
        accuracy=values.get("accuracy", "default"),
        tstop=values.get("tstop"),
        out=(path.parent / values["out"]).resolve() if "out" in values else None,
        report=bool(values.get("report", False)),
        zipped=bool(values.get("zip", False)),
        allow_large=bool(values.get("allow_large", False)),
        **tables,
    )


def _check_engine(engine: str, kind: str, preset: str | None, fail: Callable[[str, str], StudyError]) -> None:
    """The engine runs this kind of study, and the accuracy preset is one of the engine's."""
    if engine != "ngspice" and kind == "budget":
        raise fail("engine", f"got {engine!r}; accepted for a budget: ngspice")
    if preset is not None:
        try:
            accuracy(preset, engine)
        except ParameterError as exc:
            raise fail("accuracy", str(exc).removeprefix("parameter 'accuracy': ")) from None


def _circuit_path(circuit: str, path: Path) -> str:
    """A netlist path relative to the study file, resolved; a built-in circuit's name as it is."""
    if "/" in circuit or circuit.endswith((".spice", ".sp", ".cir", ".net", ".spi", ".ckt")):
        return str((path.parent / circuit).resolve())
    return circuit


def _include_dirs(given: object, path: Path, fail: Callable[[str, str], StudyError]) -> tuple[str, ...]:
    """The folders a netlist's includes may read: inside the study file's own folder tree only."""
    if not isinstance(given, list) or not all(isinstance(d, str) for d in given):
        raise fail("include_dirs", "a list of folder paths is needed")
    home = path.resolve().parent
    outside = [d for d in given if not (home / d).resolve().is_relative_to(home)]
    if outside:  # a study file is someone's file too: it may widen the includes only within its own folder tree
        raise fail(
            "include_dirs",
            f"{outside[0]!r} is outside the study file's folder; accepted: folders inside "
            "it (a folder elsewhere: --include-dir on the command line)",
        )
    return tuple(str((path.parent / d).resolve()) for d in given)


def _tables(data: dict[str, Any], kind: str, fail: Callable[[str, str], StudyError]) -> dict[str, Any]:
    """``params``, ``vary`` and ``budget``, each checked for its shape (the circuit checks the values)."""
    params = data.get("params", {})
    if not isinstance(params, dict) or any(isinstance(v, (dict, list)) for v in params.values()):
        raise fail("params", "a table of NAME = value is needed")
    vary = data.get("vary", {})
    if not isinstance(vary, dict):
        raise fail("vary", 'a table of NAME = "START:STOP:N[:log]" or a list is needed')
    for name, spec in vary.items():
        if not isinstance(spec, (str, list)) or (
            isinstance(spec, list) and any(isinstance(x, (dict, list)) for x in spec)
        ):
            raise fail(f"vary.{name}", f'got {spec!r}; accepted: "START:STOP:N[:log]" or a list of values')
    if kind == "sweep" and not vary:
        raise fail("vary", "a sweep needs at least one axis in [vary]")
    if kind != "sweep" and vary:
        raise fail("vary", f"only a sweep varies parameters (kind is {kind!r})")
    budget = data.get("budget", {})
    if not isinstance(budget, dict) or set(budget) - _BUDGET:
        raise fail("budget", f"a table with keys {', '.join(sorted(_BUDGET))} is needed")
    for key in ("scales", "clusters", "bits"):
        if key in budget and not (
            isinstance(budget[key], list)
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in budget[key])
        ):
            raise fail(f"budget.{key}", "a list of numbers is needed")
    specs = data.get("specs", {})
    if not isinstance(specs, dict):
        raise fail("specs", 'a table of METRIC = "LOW:HIGH" or METRIC = { min = ..., max = ... } is needed')
    for name, limits in specs.items():
        if not isinstance(limits, (str, dict)):
            raise fail(f"specs.{name}", f'got {limits!r}; accepted: "LOW:HIGH" or a table of min, max, typ')
    if specs and kind == "budget":
        raise fail("specs", "a budget has no specs (a sweep or a mismatch study judges them)")
    stopping = _stopping_table(data, kind, fail)
    return {"params": dict(params), "vary": dict(vary), "budget": budget, "specs": dict(specs), "stopping": stopping}


def _stopping_table(data: dict[str, Any], kind: str, fail: Callable[[str, str], StudyError]) -> dict[str, Any]:
    """``[stopping]``, checked for its shape (the circuit checks the targets)."""
    stopping = data.get("stopping", {})
    if not isinstance(stopping, dict) or set(stopping) - _STOPPING:
        raise fail("stopping", f"a table with keys {', '.join(sorted(_STOPPING))} is needed")
    if stopping and kind == "budget":
        raise fail("stopping", "a budget has no stopping rule (a sweep or a mismatch study takes one)")
    targets = stopping.get("target_ci")
    if stopping and not (isinstance(targets, list) and targets and all(isinstance(t, str) for t in targets)):
        raise fail("stopping.target_ci", 'a list of "METRIC:STAT=WIDTH" is needed (e.g. ["isi_rate_hz:cv=5%"])')
    return dict(stopping)
