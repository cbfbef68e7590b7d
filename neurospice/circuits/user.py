"""A user's own netlist as a circuit: its ``.param`` values are parameters, every node is a probe.

Its sources and stimulus are the netlist's own; neurospice adds the technology's models, its
options and the transient. With ``spike_node`` set, the node's upward crossings of the middle of
its own swing are spikes, and the spike metrics (count, rate, ISI rate, latency, ISI CV) are
measured. Monte Carlo runs use the technology's statistical model (``pdk`` mode): the PDK's
device subcircuits draw their own offsets.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..analysis.spikes import detect_spikes
from ..netlists.imported import ImportedDevice, ImportedNetlist, NetlistImportError, read_user_netlist
from ..ngspice_models import Technology, TechnologyFacts
from ..params import Param, ParameterError, ParamSpec, Values
from ..units import parse_si, spice_number
from .base import Circuit, Device, Probe, Waveforms
from .neurons import SPIKE_METRICS, spike_metrics

__all__ = ["UserCircuit", "looks_like_a_path"]

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def looks_like_a_path(name: str) -> bool:
    """A circuit argument that names a netlist file rather than a built-in circuit."""
    return "/" in name or name.lower().endswith((".spice", ".sp", ".cir", ".net", ".spi", ".ckt"))


class UserCircuit(Circuit):
    """A netlist file exported by xschem or any SPICE tool (see :mod:`neurospice.netlists.imported`)."""

    description = "a user netlist"
    netlists = ()
    needs_facts = False
    metrics = SPIKE_METRICS

    def __init__(self, path: str | Path) -> None:
        self.source: ImportedNetlist = read_user_netlist(path)
        self.name = str(Path(path).resolve())  # what a worker process opens again
        self.title = f"user netlist {Path(path).name}"
        nodes = self.source.nodes
        side = _sidecar(Path(path).with_suffix(".toml"), self.source)
        self.probes = tuple(Probe(f"v_{n}", n, "V", f"voltage of node {n}") for n in nodes if _NAME.match(n))
        spec = [side["params"].get(n) or Param(n, "", f".param {n} of the netlist", v)
                for n, v in self.source.params.items() if _NAME.match(n)]  # fmt: skip
        spec.append(Param("spike_node", "", "node whose spikes are measured (none: no spike metrics)",
                          side["spike_node"], kind="choice", choices=("none", *nodes)))  # fmt: skip
        self.params = ParamSpec(tuple(spec))
        self.default_tstop = side["tstop"]

    def provenance(self) -> dict[str, str]:
        """The netlist file and its SHA-256 (a resume refuses a changed netlist)."""
        return {"netlist": self.name, "sha256": hashlib.sha256(Path(self.name).read_bytes()).hexdigest()}

    def values(self, overrides: Mapping[str, object] | None, tech: Technology) -> Values:
        """Validated values; the netlist's devices must belong to ``tech``."""
        foreign = sorted(self.source.technologies - {tech.name})
        if foreign:
            first = next(d for d in self.source.devices if d.technology == foreign[0])
            raise ParameterError("technology", f"{self.name} uses {foreign[0]} devices ({first.instance}: "
                                 f"{first.model}); run it with --tech {foreign[0]}")  # fmt: skip
        return self.params.resolve(overrides)

    def devices(self, values: Values) -> list[Device]:
        """The netlist's top-level PDK transistors, sized in metres (Pelgrom mode needs a number for W and L)."""
        found = []
        for d in self.source.devices:
            if d.top_level:
                w, l = (self._metres(d, text, values) for text in (d.w, d.l))
                found.append(Device("top", d.instance, "nmos" if d.kind == "nmos" else "pmos", w, l))
        return found

    def _metres(self, device: ImportedDevice, text: str, values: Values) -> float:
        name = text.strip("{}'\" ").lower()
        value = values.get(name)
        try:
            number = float(value) if isinstance(value, (int, float)) else parse_si(text)
        except ValueError:
            raise ParameterError("mismatch", f"pelgrom mode: {device.instance} has W or L {text!r}, which is not a "
                                 "number or a .param of the netlist; use pdk") from None  # fmt: skip
        return number * 1e-6 if device.technology == "sky130" else number  # sky130's models set scale=1e-6

    def testbench(
        self, values: Values, tech: Technology, tstop: float, offsets: Mapping[str, float] | None = None
    ) -> str:
        """The netlist's body with the ``.param`` values resolved; each offset (keyed ``top.<instance>``) as a
        source in series with that device's gate (the PDK's subcircuits take no threshold parameter): the
        nFET's V_T rises by dvt, the pFET's |V_T| too."""
        kinds = {d.instance: d.kind for d in self.source.devices if d.top_level}
        lines = []
        for line in self.source.body:
            if line.strip().lower().startswith(".param"):
                line = re.sub(r"([A-Za-z_]\w*)(\s*=\s*)([^\s{}'=]+)", lambda m: _param(m, values), line)
            tokens = line.split()
            name = tokens[0].lower() if tokens else ""
            if offsets and f"top.{name}" in offsets and name in kinds:
                gate, inner = tokens[2], f"{tokens[2]}_dvt_{name}"
                ends = (gate, inner) if kinds[name] == "nmos" else (inner, gate)
                lines.append(f"Vdvt_{name} {ends[0]} {ends[1]} {spice_number(offsets[f'top.{name}'])}")
                line = " ".join([*tokens[:2], inner, *tokens[3:]])
            lines.append(line)
        return "\n".join(lines)

    def measure(self, waves: Waveforms, values: Values, facts: TechnologyFacts) -> dict[str, float]:
        if values.word("spike_node") == "none":
            return {}
        return spike_metrics(waves["time"], self.spike_times(waves, values), 0.0)

    def spike_times(self, waves: Waveforms, values: Values) -> NDArray[np.float64]:
        """Upward crossings of the middle of the spike node's own swing (none if it swings less than 0.1 V)."""
        node = values.word("spike_node")
        if node == "none":
            return np.empty(0)
        v = waves[f"v_{node}"]
        low, high = float(np.min(v)), float(np.max(v))
        if high - low < 0.1:
            return np.empty(0)
        return detect_spikes(waves["time"], v, (low + high) / 2, hysteresis=0.1 * (high - low))

    def waveforms(self, vectors: Mapping[str, NDArray[np.float64]]) -> Waveforms:
        waves: Waveforms = {"time": vectors["time"]}
        for probe in self.probes:
            if probe.vector in vectors:
                waves[probe.name] = vectors[probe.vector]
        return waves


def _param(match: re.Match[str], values: Values) -> str:
    name = match.group(1).lower()
    value = values.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return f"{match.group(1)}{match.group(2)}{spice_number(float(value))}"
    return match.group(0)


_SIDECAR_KEYS = {"tstop", "spike_node", "description", "params"}
_PARAM_KEYS = {"unit", "low", "high", "description"}


def _sidecar(path: Path, source: ImportedNetlist) -> dict[str, Any]:
    """What ``NETLIST.toml`` beside the netlist declares: parameters' units, ranges and meaning, the spike node,
    the transient length. Absent: every ``.param`` unbounded, no spike node, 0.1 s."""
    found: dict[str, Any] = {"params": {}, "spike_node": "none", "tstop": 0.1}
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
    if "spike_node" in data:
        if str(data["spike_node"]).lower() not in source.nodes:
            raise NetlistImportError(path, None, f"spike_node {data['spike_node']!r} is not a node of the netlist")
        found["spike_node"] = str(data["spike_node"]).lower()
    for name, decl in dict(data.get("params", {})).items():
        key = str(name).lower()
        if key not in source.params or not isinstance(decl, dict) or set(decl) - _PARAM_KEYS:
            raise NetlistImportError(path, None, f"params.{name}: a .param of the netlist with keys "
                                     f"{sorted(_PARAM_KEYS)} is expected")  # fmt: skip
        unit = str(decl.get("unit", ""))
        low = _number(path, f"params.{name}.low", decl["low"], unit) if "low" in decl else -math.inf
        high = _number(path, f"params.{name}.high", decl["high"], unit) if "high" in decl else math.inf
        try:
            found["params"][key] = Param(key, unit, str(decl.get("description", f".param {key} of the netlist")),
                                         source.params[key], low, high)  # fmt: skip
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
