"""A user's own netlist as a circuit: its ``.param`` values are parameters, every node is a probe.

Its sources and stimulus are the netlist's own; neurospice adds the technology's models, its
options and the transient. With ``spike_node`` set, the node's upward crossings of the middle of
its own swing are spikes, and the spike metrics (count, rate, ISI rate, latency, ISI CV) are
measured. Monte Carlo runs use the technology's statistical model (``pdk`` mode): the PDK's
device subcircuits draw their own offsets.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import math
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..analysis.spikes import detect_spikes
from ..netlists.analyses import Measure
from ..netlists.imported import (
    MAX_NESTING,
    Call,
    ImportedDevice,
    ImportedNetlist,
    NetlistImportError,
    read_user_netlist,
    spice_tokens,
)
from ..netlists.xschem import netlist_schematic
from ..ngspice_models import DeviceKind, Technology
from ..ngspice_models.cards import evaluate
from ..ngspice_models.gf180mcu import cache_dir
from ..params import Param, ParameterError, ParamSpec, Values
from ..params.units import parse_si, spice_number
from .base import CONDITIONS, Circuit
from .bench import Bench
from .cost import SPIKE_ENERGY, mean_over
from .neurons import SPIKE_METRICS, spike_metrics
from .records import STUCK, Device, Element, Metric, Probe, Waveforms

__all__ = ["UserCircuit", "looks_like_a_path"]

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def looks_like_a_path(name: str) -> bool:
    """A circuit argument that names a netlist file rather than a built-in circuit."""
    return "/" in name or name.lower().endswith((".spice", ".sp", ".cir", ".net", ".spi", ".ckt", ".sch"))


class UserCircuit(Circuit):
    """A netlist file exported by xschem or any SPICE tool (see :mod:`neurospice.netlists.imported`)."""

    description = "a user netlist"
    netlists = ()
    needs_facts = False
    metrics: tuple[Metric, ...] = (
        *SPIKE_METRICS,
        Metric("area_transistors_um2", "", "transistor area in µm² (W L m of every PDK transistor)", "setting"),
        Metric(
            "power_w",
            "W",
            "power the netlist's DC voltage sources deliver after spike_onset (their bias "
            "and stimulus currents included)",
        ),
        Metric("power_static_w", "W", "the same before spike_onset"),
        SPIKE_ENERGY,
    )

    def __init__(
        self, path: str | Path, describe: str | Path | None = None, include_dirs: tuple[str, ...] = ()
    ) -> None:
        self.include_dirs = tuple(str(Path(d).expanduser().resolve()) for d in include_dirs)
        self.schematic = ""
        if Path(path).suffix.lower() == ".sch":  # netlisted by xschem (once: kept under its files' SHA-256)
            self.schematic = str(Path(path).resolve())
            self.include_dirs = (str(Path(path).resolve().parent), *self.include_dirs)
            path = netlist_schematic(path, cache_dir())
        self.source: ImportedNetlist = read_user_netlist(path, self.include_dirs)
        self._digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        self.name = self.schematic or str(Path(path).resolve())  # what a worker process opens again
        self.netlist_path = Path(path).resolve()
        self.title = f"user {'schematic' if self.schematic else 'netlist'} {Path(self.name).name}"
        nodes = self.source.nodes
        if describe is not None:
            if not Path(describe).is_file():
                raise ParameterError("describe", f"{describe}: no such file; accepted: a TOML description")
            self.describe = str(Path(describe).resolve())
        beside = Path(self.schematic or path).with_suffix(".toml")  # NETLIST.toml, or SCHEMATIC.toml
        self._sidecar_path = Path(self.describe) if self.describe else beside
        side = _sidecar(self._sidecar_path, self.source)
        self.supplies = _dc_sources(self.source.body, self.source.params)
        self.probes = (
            *(Probe(f"v_{n}", n, "V", f"voltage of node {n}") for n in nodes if _NAME.match(n)),
            *(
                Probe(f"i_{s}", f"{s}#branch", "A", f"current the voltage source {s} delivers", -1.0)
                for s in self.supplies
            ),
        )
        spec = [
            side["params"].get(n) or Param(n, "", f".param {n} of the netlist", v)
            for n, v in self.source.params.items()
            if _NAME.match(n)
        ]
        spec.append(
            Param(
                "spike_node",
                "",
                "node whose spikes are measured (none: no spike metrics)",
                side["spike_node"],
                kind="choice",
                choices=("none", *nodes),
            )
        )
        spec.append(
            Param(
                "spike_onset",
                "s",
                "stimulus onset: rate, ISIs and latency are measured from it (earlier spikes are start-up)",
                side["onset"],
                0.0,
                1e3,
            )
        )
        temp, corner = CONDITIONS  # the netlist's own .temp and corner are the defaults
        spec.append(dataclasses.replace(temp, default=self.source.temp if self.source.temp is not None else 27.0))
        spec.append(dataclasses.replace(corner, default=self.source.corner or "typical"))
        self.params = ParamSpec(tuple(spec))
        # the description's length, else the netlist's own transient, else none when its own analyses hold no
        # transient (an .op, .dc or .ac testbench: --tstop adds one), else 0.1 s
        own = self.source.transient
        default = 0.0 if self.source.analyses else 0.1
        self.default_tstop = side["tstop"] if "tstop" in side else (own[1] if own is not None else default)
        self.metrics = (*type(self).metrics, *self._own_metrics())

    def _own_metrics(self) -> tuple[Metric, ...]:
        """A metric for each measure of the netlist and, with an ``.op``, for each probe at the operating point."""
        found = [Metric(m.name, m.unit, m.description) for m in self.source.measures]
        clash = sorted({m.name for m in found} & {m.name for m in type(self).metrics})
        if clash:
            raise NetlistImportError(
                self.source.path, None, f"a measure named {clash[0]}, which is a metric of every netlist; rename it"
            )
        if any(a.kind == "op" for a in self.source.analyses):
            found += [Metric(f"op_{p.name}", p.unit, f"{p.description} at the operating point") for p in self.probes]
        return tuple(found)

    def analysis_cards(self) -> tuple[str, ...]:
        """The netlist's own ``.op``, ``.dc`` and ``.ac`` (its ``.tran`` is the run's transient)."""
        return tuple(a.card() for a in self.source.analyses if a.kind != "tran")

    @property
    def measures(self) -> tuple[Measure, ...]:
        return self.source.measures

    def engine_limits(self) -> str:
        kinds = [f".{a.kind}" for a in self.source.analyses if a.kind != "tran"]
        kinds += [".meas"] if self.source.measures else []

        return f"the netlist's own {', '.join(kinds)}" if kinds else ""

    def results(
        self, bench: Bench, vectors: Mapping[str, NDArray[np.float64]], measured: Mapping[str, float]
    ) -> dict[str, float]:
        """Its measures' values and, with an ``.op``, every probe at the operating point; without a transient,
        the power of its DC sources at that operating point."""
        found = {m.name: float(measured.get(m.name, math.nan)) for m in self.source.measures}
        if not any(a.kind == "op" for a in self.source.analyses):
            return found
        op = {p.name: float(p.scale * vectors[f"op:{p.vector}"][0]) for p in self.probes if f"op:{p.vector}" in vectors}
        found.update({f"op_{p.name}": op.get(p.name, math.nan) for p in self.probes})
        if bench.tstop == 0:
            volts = self._supply_volts(bench.values)
            parts = [v * op[f"i_{name}"] for name, v in volts.items() if f"i_{name}" in op]
            power = sum(parts) if parts else math.nan
            found.update(power_w=power, power_static_w=power)
        return found

    def model_sections(self) -> tuple[str, ...]:
        return self.source.sections

    def transient_step(self, tstop: float) -> float | None:
        """The netlist's own transient step, when it runs for the netlist's own length."""
        own = self.source.transient
        return own[0] if own is not None and math.isclose(own[1], tstop, rel_tol=1e-12) else None

    def technology_hint(self) -> str | None:
        named = self.source.named_technologies
        return next(iter(named)) if len(named) == 1 else None

    def deck_title(self) -> str:
        return f"user netlist {self._digest[:12]}"

    def provenance(self) -> dict[str, str]:
        """The netlist file, the files it includes, its description file and their SHA-256 (a resume refuses a
        changed one)."""
        digest = hashlib.sha256(self.netlist_path.read_bytes()).hexdigest()
        found = {"netlist": str(self.netlist_path), "sha256": digest}
        if self.schematic:
            found["schematic"] = self.schematic
            found["schematic_sha256"] = hashlib.sha256(Path(self.schematic).read_bytes()).hexdigest()
        for number, included in enumerate(self.source.files[1:], start=1):
            found[f"include_{number}"] = str(included)
            found[f"include_{number}_sha256"] = hashlib.sha256(included.read_bytes()).hexdigest()
        if self._sidecar_path.is_file():
            found["description"] = str(self._sidecar_path.resolve())
            found["description_sha256"] = hashlib.sha256(self._sidecar_path.read_bytes()).hexdigest()
        return found

    def values(self, overrides: Mapping[str, object] | None, tech: Technology) -> Values:
        """Validated values; the netlist's devices must belong to ``tech``."""
        foreign = sorted(self.source.named_technologies - {tech.name})
        if foreign:
            device = next((d for d in self.source.devices if d.technology == foreign[0]), None)
            if device is not None:
                raise ParameterError(
                    "technology",
                    f"{self.name} uses {foreign[0]} devices ({device.instance}: "
                    f"{device.model}); run it with --tech {foreign[0]}",
                )
            line = next((ln for ln, t in self.source.pdk if t == foreign[0]), None)
            if line is None:  # only devices neurospice does not model name that PDK
                raise ParameterError(
                    "technology", f"{self.name} uses {foreign[0]} devices; run it with --tech {foreign[0]}"
                )
            raise ParameterError(
                "technology",
                f"{line.path}, line {line.number} loads {foreign[0]}'s models, and "
                f"its devices are {tech.name}'s; accepted: one PDK per netlist (remove that line, "
                f"or run it with --tech {foreign[0]})",
            )
        return self.params.resolve(overrides)

    def devices(self, values: Values) -> list[Device]:
        """Every PDK transistor of the netlist, at the top level and inside its own subcircuits (once per
        instance path: ``top.x1.xm3``), sized in metres (Pelgrom mode needs a number for W, L and mult)."""
        found = []
        for path, d, env in self._walk(values):
            w, l = (self._metres(d, text, env) for text in (d.w, d.l))
            kind: DeviceKind = "nmos" if d.kind == "nmos" else "pmos"
            found.append(Device("top", path, kind, w, l, d.model, self._mult(d, env)))
        return found

    def _walk(self, values: Values) -> Iterator[tuple[str, ImportedDevice, dict[str, float]]]:
        """(instance path, device, the numbers its W/L/mult may name) for every device reachable from the top."""
        src = self.source
        top = values.numbers()

        def walk(sub: str | None, prefix: str, env: dict[str, float], chain: tuple[str, ...]) -> Iterator[Any]:
            for d in src.devices:
                if d.subckt == sub:
                    yield prefix + _pelgrom_name(d.instance), d, env
            for call in src.calls:
                if call.subckt != sub or call.model not in src.subckts:
                    continue
                if call.model in chain:
                    raise ParameterError("mismatch", f"pelgrom mode: subcircuit {call.model} instantiates itself")
                if len(chain) >= MAX_NESTING:
                    raise ParameterError(
                        "mismatch",
                        f"pelgrom mode: subcircuit instances nested deeper than "
                        f"{MAX_NESTING} levels ({call.model}); use pdk",
                    )
                given = {**src.subckts[call.model], **call.params}
                numbers = ((k, _number_in(t, env)) for k, t in given.items())
                inner = {**top, **{k: v for k, v in numbers if v is not None}}
                yield from walk(call.model, prefix + _pelgrom_name(call.instance) + ".", inner, (*chain, call.model))

        yield from walk(None, "", top, ())

    def _metres(self, device: ImportedDevice, text: str, env: Mapping[str, float]) -> float:
        number = _number_in(text, env)
        if number is None:
            raise ParameterError(
                "mismatch",
                f"pelgrom mode: {device.instance} has W or L {text!r}, which is not a "
                "number or a parameter of the netlist; use pdk",
            )
        return number * 1e-6 if device.technology == "sky130" else number  # sky130's models set scale=1e-6

    def _mult(self, device: ImportedDevice, env: Mapping[str, float]) -> float:
        total = 1.0
        for factor in device.mult.split("*"):
            number = _number_in(factor, env)
            if number is None or number < 1:
                raise ParameterError(
                    "mismatch",
                    f"pelgrom mode: {device.instance} has m/mult {device.mult!r}, which "
                    "is not a number of at least 1; use pdk",
                )
            total *= number
        return total

    def elements(self, values: Values, tech: Technology, tstop: float) -> tuple[Element, ...]:
        """The netlist's body with the ``.param`` values resolved (the netlist's own lines, as text)."""
        return tuple(_with_values(line, values) for line in self.source.body)

    def render(self, bench: Bench, offsets: Mapping[str, float] | None = None) -> str:
        """The netlist's body with the ``.param`` values resolved.

        With ``offsets`` (keyed ``top.<instance path>``), each device gets a source in series with its gate
        (the PDK's subcircuits take no threshold parameter): the nFET's V_T rises by dvt, the pFET's |V_T|
        too. A device inside the netlist's own subcircuit takes its source's value from a subcircuit
        parameter ``dvt_<path>`` that every instance line passes down, so each instance has its own offset.
        """
        if not offsets:
            return "\n".join(str(e) for e in bench.elements)
        leaves = self._leaves()
        lines: list[str] = []
        inside: str | None = None
        for element in bench.elements:
            line = str(element)
            tokens = line.split()
            head = tokens[0].lower() if tokens else ""
            if head == ".subckt" and len(tokens) > 1:
                inside = tokens[1].lower()
                extra = "".join(f" dvt_{_param_name(p)}=0" for p in leaves.get(inside, ()))
                lines.append(line + extra)
                continue
            if head == ".ends":
                inside = None
            device = self._device(head, inside)
            call = self._call(head, inside)
            if device is not None and (inside is not None or f"top.{head}" in offsets):
                dvt = spice_number(offsets[f"top.{head}"]) if inside is None else f"{{dvt_{_param_name(head)}}}"
                gate, inner = tokens[2], f"{tokens[2]}_dvt_{head}"
                ends = (gate, inner) if device.kind == "nmos" else (inner, gate)
                lines.append(f"Vdvt_{head} {ends[0]} {ends[1]} {dvt}")
                line = " ".join([*tokens[:2], inner, *tokens[3:]])
            elif call is not None and leaves.get(call.model):
                passed = []
                for p in leaves[call.model]:
                    path = f"{head}.{p}"
                    if inside is None and f"top.{path}" not in offsets:
                        continue
                    value = spice_number(offsets[f"top.{path}"]) if inside is None else f"{{dvt_{_param_name(path)}}}"
                    passed.append(f" dvt_{_param_name(p)}={value}")
                line += "".join(passed)
            lines.append(line)
        return "\n".join(lines)

    def _leaves(self) -> dict[str, tuple[str, ...]]:
        """Per subcircuit, the device paths below it (its own devices, then each instance's), as in :meth:`devices`."""
        src = self.source
        memo: dict[str, tuple[str, ...]] = {}

        def leaves(sub: str, chain: tuple[str, ...]) -> tuple[str, ...]:
            if sub not in memo:
                own = [_pelgrom_name(d.instance) for d in src.devices if d.subckt == sub]
                if len(chain) >= MAX_NESTING:
                    raise ParameterError(
                        "mismatch",
                        f"pelgrom mode: subcircuit instances nested deeper than {MAX_NESTING} levels ({sub}); use pdk",
                    )
                for call in src.calls:
                    if call.subckt == sub and call.model in src.subckts and call.model not in chain:
                        own += [f"{_pelgrom_name(call.instance)}.{p}" for p in leaves(call.model, (*chain, sub))]
                memo[sub] = tuple(own)
            return memo[sub]

        return {sub: leaves(sub, ()) for sub in src.subckts}

    def _device(self, head: str, inside: str | None) -> ImportedDevice | None:
        return next((d for d in self.source.devices if d.instance == head and d.subckt == inside), None)

    def _call(self, head: str, inside: str | None) -> Call | None:
        return next((c for c in self.source.calls if c.instance == head and c.subckt == inside), None)

    def measure(self, bench: Bench, waves: Waveforms) -> dict[str, float]:
        values = bench.values
        if values.word("spike_node") == "none" or "time" not in waves:
            return {}
        return spike_metrics(waves["time"], self.spike_times(waves, values), values.number("spike_onset"))

    def sized_devices(self, values: Values) -> tuple[tuple[Device, ...], bool]:
        """No devices, unsized, when a W, L or m is not a number (an expression only ngspice evaluates): the
        area is then NaN, and pelgrom mode refuses the netlist (:meth:`devices` says why)."""
        try:
            return tuple(self.devices(values)), True
        except ParameterError:
            return (), False

    def cost(self, bench: Bench, waves: Waveforms) -> dict[str, float]:
        """Transistor area (NaN when a W or L is not a number) and the power of the netlist's DC sources."""
        values = bench.values
        area = sum(d.w * d.l * d.mult for d in bench.devices) * 1e12 if bench.sized else float("nan")
        if "time" not in waves:  # no transient: the operating point's power, if it has one (:meth:`results`)
            nan = float("nan")
            return {"area_transistors_um2": area, "power_w": nan, "power_static_w": nan, "energy_per_spike_j": nan}
        t = waves["time"]
        onset = min(values.number("spike_onset"), float(t[-1]))
        volts = self._supply_volts(values)
        found = [(v, waves[f"i_{name}"]) for name, v in volts.items() if f"i_{name}" in waves]
        active = sum(v * mean_over(t, i, onset, float(t[-1])) for v, i in found) if found else float("nan")
        static = sum(v * mean_over(t, i, float(t[0]), onset) for v, i in found) if found else float("nan")
        spikes = int(np.sum(self.spike_times(waves, values) >= onset))
        energy = active * (float(t[-1]) - onset) / spikes if spikes else float("nan")
        return {"area_transistors_um2": area, "power_w": active, "power_static_w": static, "energy_per_spike_j": energy}

    def checks(self, bench: Bench, waves: Waveforms) -> list[str]:
        """A spiking netlist whose node voltages never left their t = 0 operating point (all within 1 mV): an
        equilibrium the integrator held, or a circuit that does not spike there; either way not mismatch."""
        if bench.values.word("spike_node") == "none" or "time" not in waves:
            return []
        voltages = [w for name, w in waves.items() if name.startswith("v_") and w.size]
        moved = max((float(np.max(np.abs(w - w[0]))) for w in voltages), default=0.0)
        if moved >= 1e-3:
            return []
        return [
            f"{STUCK}: no node moved more than {moved * 1e3:.2g} mV from its t = 0 value; "
            "an unstable equilibrium the integrator held, or no input: try another --accuracy, an .ic, or a "
            "start-up pulse"
        ]

    def _supply_volts(self, values: Values) -> dict[str, float]:
        """Each DC voltage source's value with the run's parameters (``V1 vdd 0 {vdd}``)."""
        numbers = {**self.source.params, **values.numbers()}
        found = {}
        for name, text in self.supplies.items():
            with contextlib.suppress(ValueError, ZeroDivisionError):
                found[name] = evaluate(text, numbers)
        return found

    def spike_times(self, waves: Waveforms, values: Values) -> NDArray[np.float64]:
        """Upward crossings of the middle of the spike node's own swing (none if it swings less than 0.1 V)."""
        node = values.word("spike_node")
        if node == "none" or "time" not in waves:
            return np.empty(0)
        v = waves[f"v_{node}"]
        low, high = float(np.min(v)), float(np.max(v))
        if high - low < 0.1:
            return np.empty(0)
        return detect_spikes(waves["time"], v, (low + high) / 2, hysteresis=0.1 * (high - low))

    def waveforms(self, vectors: Mapping[str, NDArray[np.float64]]) -> Waveforms:
        """The probes of its transient (none when it ran none: its own analyses are read by :meth:`results`)."""
        plot = "tran:" if "tran:time" in vectors else ""  # ngspice names each plot's vectors; VACASK runs one
        if f"{plot}time" not in vectors:
            return {}
        waves: Waveforms = {"time": vectors[f"{plot}time"]}
        for probe in self.probes:
            if f"{plot}{probe.vector}" in vectors:
                waves[probe.name] = probe.scale * vectors[f"{plot}{probe.vector}"]
        return waves


def _dc_sources(body: tuple[str, ...], params: Mapping[str, float]) -> dict[str, str]:
    """Top-level voltage sources with a constant value (``V1 vdd 0 1.8``, ``V1 vdd 0 DC 1.8``, ``V1 vdd 0 {vdd}``),
    by name: the value as written (a number, or an expression of the netlist's ``.param`` values)."""
    found: dict[str, str] = {}
    depth = 0
    for line in body:
        tokens = spice_tokens(line)
        head = tokens[0].lower() if tokens else ""
        depth += head == ".subckt"
        depth -= head == ".ends"
        if depth or not head.startswith("v") or len(tokens) < 4 or not _NAME.match(head):
            continue
        text = tokens[4] if tokens[3].lower() == "dc" and len(tokens) > 4 else tokens[3]
        try:
            evaluate(text, params)
        except (ValueError, ZeroDivisionError):
            continue  # a stimulus (PULSE, PWL), or an expression of more than the parameters: not a supply
        found[head] = text
    return found


def _pelgrom_name(instance: str) -> str:
    """An instance name that can be part of a SPICE parameter name (xschem's ``xm1``, ``x2``...)."""
    if not re.fullmatch(r"[a-z0-9_]+", instance):
        raise ParameterError(
            "mismatch",
            f"pelgrom mode: instance name {instance!r} cannot carry an offset "
            "parameter (letters, digits and _ only); use pdk",
        )
    return instance


def _param_name(path: str) -> str:
    return path.replace(".", "__")


def _number_in(text: str, env: Mapping[str, float]) -> float | None:
    """A W/L/mult as written: a number, or the name of a parameter in ``env``; None otherwise."""
    name = text.strip("{}'\" ").lower()
    if name in env:
        return env[name]
    try:
        return parse_si(name)
    except ValueError:
        return None


def _with_values(line: str, values: Values) -> str:
    if not line.strip().lower().startswith(".param"):
        return line
    return re.sub(r"([A-Za-z_]\w*)(\s*=\s*)([^\s{}'=]+)", lambda m: _param(m, values), line)


def _param(match: re.Match[str], values: Values) -> str:
    name = match.group(1).lower()
    value = values.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return f"{match.group(1)}{match.group(2)}{spice_number(float(value))}"
    return match.group(0)


_SIDECAR_KEYS = {"tstop", "spike_node", "onset", "description", "params"}
_PARAM_KEYS = {"unit", "low", "high", "description"}


def _sidecar(path: Path, source: ImportedNetlist) -> dict[str, Any]:
    """What ``NETLIST.toml`` beside the netlist declares: parameters' units, ranges and meaning, the spike node,
    the transient length. Absent: every ``.param`` unbounded, no spike node, the netlist's own length."""
    found: dict[str, Any] = {"params": {}, "spike_node": "none", "onset": 0.0}
    if not path.is_file():
        return found
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise NetlistImportError(path, None, f"not valid TOML ({exc})") from None
    unknown = set(data) - _SIDECAR_KEYS
    if unknown:
        raise NetlistImportError(path, None, f"unknown keys {sorted(unknown)}; accepted: {sorted(_SIDECAR_KEYS)}")
    if "tstop" in data:
        found["tstop"] = _number(path, "tstop", data["tstop"], "s")
    if "onset" in data:
        found["onset"] = _number(path, "onset", data["onset"], "s")
        if not 0 <= found["onset"] <= 1e3:
            raise NetlistImportError(path, None, f"onset: got {data['onset']!r}; a time in [0, 1000 s] is expected")
    if "spike_node" in data:
        if str(data["spike_node"]).lower() not in source.nodes:
            raise NetlistImportError(path, None, f"spike_node {data['spike_node']!r} is not a node of the netlist")
        found["spike_node"] = str(data["spike_node"]).lower()
    for name, decl in dict(data.get("params", {})).items():
        key = str(name).lower()
        if key not in source.params or not isinstance(decl, dict) or set(decl) - _PARAM_KEYS:
            raise NetlistImportError(
                path, None, f"params.{name}: a .param of the netlist with keys {sorted(_PARAM_KEYS)} is expected"
            )
        unit = str(decl.get("unit", ""))
        low = _number(path, f"params.{name}.low", decl["low"], unit) if "low" in decl else -math.inf
        high = _number(path, f"params.{name}.high", decl["high"], unit) if "high" in decl else math.inf
        try:
            found["params"][key] = Param(
                key, unit, str(decl.get("description", f".param {key} of the netlist")), source.params[key], low, high
            )
            found["params"][key].coerce(source.params[key])
        except ParameterError as exc:
            raise NetlistImportError(
                path, None, f"params.{name}: the netlist's value is out of range ({exc})"
            ) from None
    return found


def _number(path: Path, key: str, raw: object, unit: str) -> float:
    try:
        value = parse_si(raw, unit) if isinstance(raw, str) else float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise NetlistImportError(
            path, None, f"{key}: got {raw!r}; a number (SI prefixes allowed) is expected"
        ) from None
    if not math.isfinite(value):
        raise NetlistImportError(path, None, f"{key}: got {raw!r}; a finite number is expected")
    return value
