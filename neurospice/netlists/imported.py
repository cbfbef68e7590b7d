"""A user's SPICE netlist, as xschem or another tool exports it, made safe to embed in a neurospice deck.

What is kept, removed or replaced (each removal or replacement is recorded in ``notes``):

- the first line is the title (SPICE's rule) and is dropped; comments and ``+`` continuations are
  kept as written;
- ``.control ... .endc`` blocks are removed: neurospice runs the analysis;
- analysis lines (``.tran``, ``.dc``, ``.op``, ``.ac``, ``.noise``), ``.save``, ``.option(s)``,
  ``.probe``, ``.print``, ``.plot``, ``.end`` are removed: neurospice writes its own;
- a ``.lib``/``.include`` of a PDK's model file (``sky130.lib.spice``, GF180MCU's
  ``sm141064.ngspice``/``design.ngspice``), wherever it points on the author's machine, is
  replaced by the technology's own verified files; any other ``.lib``/``.include`` must name a
  file that exists (relative to the netlist) and is written with its absolute path;
- ``.param`` lines with a plain number become parameters (their value is the default);
- every other line (elements, ``.subckt``/``.ends``, ``.global``, ``.model``, ``.func``, behavioural
  sources) is kept.

Anything else that cannot be handled is refused with :class:`NetlistImportError`, naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..params import ParameterError
from ..units import parse_si

__all__ = [
    "PDK_DEVICES",
    "Call",
    "ImportedDevice",
    "ImportedNetlist",
    "Instance",
    "NetlistImportError",
    "parse_subckt",
    "read_user_netlist",
]

#: Transistor subcircuits of the supported PDKs: name -> (technology, nmos or pmos)
PDK_DEVICES: dict[str, tuple[str, str]] = {
    "sky130_fd_pr__nfet_01v8": ("sky130", "nmos"),
    "sky130_fd_pr__nfet_01v8_lvt": ("sky130", "nmos"),
    "sky130_fd_pr__pfet_01v8": ("sky130", "pmos"),
    "sky130_fd_pr__pfet_01v8_lvt": ("sky130", "pmos"),
    "sky130_fd_pr__pfet_01v8_hvt": ("sky130", "pmos"),
    "nmos_3p3": ("gf180mcu", "nmos"),
    "pmos_3p3": ("gf180mcu", "pmos"),
}
#: PDK model files a netlist may load from wherever its author keeps them
PDK_FILES = {"sky130.lib.spice": "sky130", "sm141064.ngspice": "gf180mcu", "design.ngspice": "gf180mcu"}
_DROPPED = ("tran", "dc", "op", "ac", "noise", "save", "option", "options", "probe", "print", "plot", "end", "meas",
            "measure", "four", "tf", "sens", "pz", "disto", "temp")  # fmt: skip
#: statistics switches of the PDKs: the technology sets them (off in nominal runs, on in Monte Carlo)
TECH_SWITCHES = ("mc_mm_switch", "mc_pr_switch", "sw_stat_mismatch", "sw_stat_global")
_KEPT = ("subckt", "ends", "global", "model", "func", "param", "lib", "include", "inc", "ic", "nodeset", "csparam")
_MAX_BYTES = 20_000_000


class NetlistImportError(ParameterError):
    """A user netlist that cannot be embedded: the message names the file, the line and why."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        where = f"{path}" + (f", line {line}" if line is not None else "")
        super().__init__("circuit", f"{where}: {message}")


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


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first physical line number, text) with ``+`` continuations joined."""
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if line.lstrip().startswith("+") and out and not out[-1][1].lstrip().startswith("*"):
            out[-1] = (out[-1][0], out[-1][1] + " " + line.lstrip()[1:])
        else:
            out.append((number, line))
    return out


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
    for _, line in _logical_lines(text):
        tokens = _tokens(line.strip())
        if not tokens or tokens[0].startswith("*"):
            continue
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


def _tokens(line: str) -> list[str]:
    """Whitespace tokens with quoted and braced values kept as one token each."""
    return re.sub(r"\{[^}]*\}", lambda m: m.group(0).replace(" ", ""), re.sub(r"'[^']*'", "''", line)).split()


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise NetlistImportError(path, None, "no such file")
    data = path.read_bytes()
    if len(data) > _MAX_BYTES:
        raise NetlistImportError(path, None, f"{len(data)} bytes; a netlist of at most {_MAX_BYTES} is accepted")
    if b"\x00" in data:
        raise NetlistImportError(path, None, "a binary file, not a SPICE netlist")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _model_and_sizes(tokens: list[str]) -> tuple[str, dict[str, str]]:
    """The subcircuit name of an X line (last token that is not key=value) and its key=value parameters."""
    positional = [t for t in tokens if "=" not in t]
    params = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if sep:
            params[key.lower()] = value
    return positional[-1].lower(), params


def read_user_netlist(path: str | Path) -> ImportedNetlist:
    """Read ``path`` and make it embeddable (see the module's rules); :class:`NetlistImportError` otherwise."""
    path = Path(path)
    lines = _logical_lines(_read_text(path))[1:]  # the first line is the title
    body: list[str] = []
    notes: list[str] = []
    params: dict[str, float] = {}
    devices: list[ImportedDevice] = []
    nodes: set[str] = set()
    technologies: set[str] = set()
    depth = 0
    control = None
    subckts: dict[str, dict[str, str]] = {}
    calls: list[Call] = []
    inside: list[str] = []
    for number, line in lines:
        stripped = line.strip()
        lower = stripped.lower()
        if control is not None:
            if lower.startswith(".endc"):
                notes.append(f"line {control}-{number}: .control block removed (neurospice runs the analysis)")
                control = None
            continue
        if not stripped or stripped.startswith("*") or stripped.startswith("$") or stripped.startswith(";"):
            body.append(line)
            continue
        if stripped.startswith("."):
            word = lower[1:].split()[0] if len(lower) > 1 else ""
            if word == "control":
                control = number
            elif word in _DROPPED:
                notes.append(f"line {number}: {stripped.split()[0]} removed")
            elif word in ("lib", "include", "inc"):
                body.append(_library(path, number, stripped, notes, technologies))
            elif word == "param":
                body.append(_without_switches(line, number, notes))
                params.update({k: v for k, v in _numeric_params(stripped).items() if k not in TECH_SWITCHES})
            elif word == "subckt":
                depth += 1
                tokens = _tokens(stripped)
                if len(tokens) < 2:
                    raise NetlistImportError(path, number, ".subckt without a name")
                inside.append(tokens[1].lower())
                subckts[inside[-1]] = dict((k.lower(), v) for k, v in (t.split("=", 1) for t in tokens[2:] if "=" in t))
                body.append(line)
            elif word == "ends":
                depth -= 1
                if inside:
                    inside.pop()
                body.append(line)
            elif word in _KEPT:
                body.append(line)
            else:
                raise NetlistImportError(path, number, f"{stripped.split()[0]} is not supported")
            continue
        if not re.match(r"^[A-Za-z]\S*(\s|$)", stripped):
            raise NetlistImportError(path, number, f"not a SPICE element or command: {stripped[:60]!r}")
        tokens = _tokens(stripped)  # quoted and braced values as one token each
        if len(tokens) < 3:
            raise NetlistImportError(path, number, f"element {tokens[0]} has too few nodes: {stripped[:60]!r}")
        body.append(line)
        if depth == 0:
            nodes.update(t.lower() for t in tokens[1:3] if "=" not in t and not t.startswith("{"))
        if tokens[0][0] in "Xx":
            model, sizes = _model_and_sizes(tokens[1:])
            if depth == 0:  # an X line's nodes are every positional token before its subcircuit's name
                nodes.update(t.lower() for t in [t for t in tokens[1:] if "=" not in t][:-1])
            if model in PDK_DEVICES:
                tech, kind = PDK_DEVICES[model]
                technologies.add(tech)
                mult = "*".join(sizes[k] for k in ("m", "mult") if k in sizes) or "1"
                devices.append(ImportedDevice(tokens[0].lower(), model, tech, kind, sizes.get("w", "?"),
                                              sizes.get("l", "?"), depth == 0, inside[-1] if inside else None,
                                              mult))  # fmt: skip
            else:
                calls.append(Call(tokens[0].lower(), model, sizes, inside[-1] if inside else None))
    if control is not None:
        raise NetlistImportError(path, control, ".control without .endc")
    if depth != 0:
        raise NetlistImportError(path, None, ".subckt and .ends do not pair up")
    if not devices:
        raise NetlistImportError(path, None, "no transistor of a supported PDK (" + ", ".join(PDK_DEVICES) + ")")
    nodes -= {"0", "gnd"}  # ngspice's names for ground
    return ImportedNetlist(path, tuple(body), params, tuple(devices), tuple(sorted(nodes)), frozenset(technologies),
                           tuple(notes), subckts, tuple(calls))  # fmt: skip


def _library(path: Path, number: int, stripped: str, notes: list[str], technologies: set[str]) -> str:
    tokens = stripped.split()
    if len(tokens) < 2:
        raise NetlistImportError(path, number, f"{tokens[0]} without a file")
    target = tokens[1].strip("'\"")
    name = Path(target).name.lower()
    if name in PDK_FILES:
        technologies.add(PDK_FILES[name])
        notes.append(f"line {number}: {tokens[0]} {target} replaced by the technology's own verified models")
        return f"* {stripped}  (replaced by neurospice: the technology header loads the PDK)"
    local = (path.parent / target).resolve()
    if not local.is_file():
        raise NetlistImportError(path, number, f"{tokens[0]} {target}: no such file, and not a PDK model file "
                                 f"neurospice knows ({', '.join(PDK_FILES)})")  # fmt: skip
    if "'" in str(local) or "\n" in str(local):
        raise NetlistImportError(path, number, f"{tokens[0]} {target}: a path neurospice cannot quote")
    return " ".join([tokens[0], f"'{local}'", *tokens[2:]])


def _without_switches(line: str, number: int, notes: list[str]) -> str:
    """A ``.param`` line without the PDK's statistics switches (the technology sets them per run)."""
    pattern = re.compile(r"\b(" + "|".join(TECH_SWITCHES) + r")\s*=\s*\S+", re.IGNORECASE)
    if not pattern.search(line):
        return line
    notes.append(f"line {number}: {', '.join(m.group(1) for m in pattern.finditer(line))} left to the technology "
                 "(off in nominal runs, on in Monte Carlo)")  # fmt: skip
    rest = pattern.sub("", line)
    return rest if re.search(r"\w+\s*=", rest) else f"* {line.strip()}  (removed by neurospice)"


def _numeric_params(stripped: str) -> dict[str, float]:
    found = {}
    for name, value in re.findall(r"([A-Za-z_]\w*)\s*=\s*([^\s{}'=]+)", stripped[6:]):
        try:
            found[name.lower()] = parse_si(value)
        except ValueError:
            continue  # an expression: kept as written, not a parameter
    return found
