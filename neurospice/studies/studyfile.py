"""Study files: one TOML file names what to run, on what, and where the results go.

.. code-block:: toml

    kind = "sweep"                 # sweep | mismatch | budget
    circuit = "dpi-synapse"        # a built-in circuit or a netlist path (relative to this file)
    technology = "gf180mcu"
    samples = 16                   # mismatch samples (per point for a sweep; per scale for a budget)
    seed = 1
    mismatch = "pdk"               # pdk | pelgrom (default: pdk on ngspice, pelgrom on vacask)
    engine = "ngspice"             # ngspice | vacask (sweep and mismatch studies; GF180MCU)
    accuracy = "default"           # fast | default | reference | legacy (simulator options; BENCHMARKS.md)
    tstop = "0.2"                  # SI prefixes allowed
    out = "runs/tau"               # relative to this file; the CLI's --out wins
    report = true                  # mismatch: report.html; sweep and budget: their PNG

    [params]                       # fixed circuit parameters, validated like --set
    i_w = "500p"

    [vary]                         # sweep: one axis per key (START:STOP:N[:log] or a list); zip = true pairs them
    i_tau = "2p:40p:4:log"

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..params import ParameterError
from ..params.options import ENGINES, accuracy, default_mismatch
from ..params.units import parse_si

__all__ = ["Study", "StudyError", "read_study"]

_TOP = {
    "kind",
    "circuit",
    "describe",
    "technology",
    "samples",
    "seed",
    "mismatch",
    "tstop",
    "out",
    "report",
    "workers",
    "params",
    "vary",
    "zip",
    "budget",
    "description",
    "accuracy",
    "engine",
    "include_dirs",
    "allow_large",
}
_BUDGET = {"metric", "scales", "clusters", "bits"}
KINDS = ("sweep", "mismatch", "budget")


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
    engine: str = "ngspice"
    accuracy: str = "default"
    tstop: float | None = None
    out: Path | None = None
    report: bool = False
    workers: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    vary: list[str] = field(default_factory=list)
    zipped: bool = False
    #: a sweep of more simulations than the CLI runs without ``--allow-large``
    allow_large: bool = False
    budget: dict[str, Any] = field(default_factory=dict)

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

    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise fail(unknown[0], f"unknown key; accepted: {', '.join(sorted(_TOP))}")
    kind = data.get("kind")
    if kind not in KINDS:
        raise fail("kind", f"got {kind!r}; accepted: {', '.join(KINDS)}")
    circuit = data.get("circuit")
    if not isinstance(circuit, str) or not circuit:
        raise fail("circuit", "a built-in circuit name or a netlist path is needed")
    if "/" in circuit or circuit.endswith((".spice", ".sp", ".cir", ".net", ".spi", ".ckt")):
        circuit = str((path.parent / circuit).resolve())
    describe = data.get("describe")
    if describe is not None:
        if not isinstance(describe, str):
            raise fail("describe", "a path to the netlist's description TOML is needed")
        describe = str((path.parent / describe).resolve())
    include_dirs = data.get("include_dirs", [])
    if not isinstance(include_dirs, list) or not all(isinstance(d, str) for d in include_dirs):
        raise fail("include_dirs", "a list of folder paths is needed")
    home = path.resolve().parent
    outside = [d for d in include_dirs if not (home / d).resolve().is_relative_to(home)]
    if outside:  # a study file is someone's file too: it may widen the includes only within its own folder tree
        raise fail(
            "include_dirs",
            f"{outside[0]!r} is outside the study file's folder; accepted: folders inside "
            "it (a folder elsewhere: --include-dir on the command line)",
        )
    fields: dict[str, Any] = {}
    for key, kinds in (
        ("technology", str),
        ("mismatch", str),
        ("report", bool),
        ("zip", bool),
        ("engine", str),
        ("allow_large", bool),
    ):
        if key in data and not isinstance(data[key], kinds):
            raise fail(key, f"got {data[key]!r}; accepted: a {'true/false' if kinds is bool else 'text'} value")
    for key, low in (("samples", 0), ("seed", 0), ("workers", 1)):
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise fail(key, f"got {value!r}; accepted: a whole number of at least {low}")
            fields[key] = value
    engine = data.get("engine", "ngspice")
    if engine not in ENGINES:
        raise fail("engine", f"got {engine!r}; accepted: {', '.join(ENGINES)}")
    if engine != "ngspice" and kind == "budget":
        raise fail("engine", f"got {engine!r}; accepted for a budget: ngspice")
    fields["engine"] = engine
    if "accuracy" in data:
        try:
            accuracy(data["accuracy"], engine)
        except ParameterError as exc:
            raise fail("accuracy", str(exc).removeprefix("parameter 'accuracy': ")) from None
        fields["accuracy"] = data["accuracy"]
    if "tstop" in data:
        fields["tstop"] = _seconds(data["tstop"], lambda m: fail("tstop", m))
    if "out" in data:
        if not isinstance(data["out"], str) or not data["out"].strip():
            raise fail("out", "a folder path is needed")
        fields["out"] = (path.parent / data["out"]).resolve()
    params = data.get("params", {})
    if not isinstance(params, dict) or any(isinstance(v, (dict, list)) for v in params.values()):
        raise fail("params", "a table of NAME = value is needed")
    vary = data.get("vary", {})
    if not isinstance(vary, dict):
        raise fail("vary", 'a table of NAME = "START:STOP:N[:log]" or a list is needed')
    axes = []
    for name, spec in vary.items():
        if isinstance(spec, list):
            spec = ",".join(str(x) for x in spec)
        if not isinstance(spec, str):
            raise fail(f"vary.{name}", f'got {spec!r}; accepted: "START:STOP:N[:log]" or a list of values')
        axes.append(f"{name}={spec}")
    if kind == "sweep" and not axes:
        raise fail("vary", "a sweep needs at least one axis in [vary]")
    if kind != "sweep" and axes:
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
    if kind == "mismatch" and fields.get("samples", 0) < 1:
        raise fail("samples", "a mismatch study needs samples >= 1")
    return Study(
        path=path,
        text=text,
        kind=kind,
        circuit=circuit,
        describe=describe,
        include_dirs=tuple(str((path.parent / d).resolve()) for d in include_dirs),
        technology=data.get("technology", "gf180mcu"),
        mismatch=data.get("mismatch", default_mismatch(engine)),
        report=bool(data.get("report", False)),
        params={k: str(v) for k, v in params.items()},
        vary=axes,
        zipped=bool(data.get("zip", False)),
        allow_large=bool(data.get("allow_large", False)),
        budget=budget,
        **fields,
    )


def _seconds(raw: object, fail: Any) -> float:
    try:
        value = parse_si(raw, "s") if isinstance(raw, str) else float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise fail(f"got {raw!r}; accepted: a time in seconds (SI prefixes allowed)") from None
    if not math.isfinite(value) or value <= 0:
        raise fail(f"got {raw!r}; accepted: a positive time")
    return value
