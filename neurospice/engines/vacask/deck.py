"""A neurospice deck as a flat list of devices: what a second simulator needs from it.

neurospice writes one ngspice deck per run (:meth:`neurospice.circuits.Circuit.deck`): the
technology header (model files, device wrappers), the circuit's subcircuits, the testbench,
``.nodeset``, ``.options`` and ``.tran``. :func:`flatten` reads that deck back, expands every
subcircuit call with its parameters evaluated (as ngspice does: an instance's parameters in the
caller's scope, the body in the subcircuit's), and returns transistors, capacitors, resistors and
sources with numeric parameters, nodes named as ngspice names them (``xn.reqn``), and the analysis.

Only what neurospice's decks and plain user netlists use is read: ``M C R V I X`` elements,
``.subckt``/``.ends``, ``.param``, ``.nodeset``, ``.options``, ``.tran``. Anything else
(behavioural sources, ``.model`` cards of the user's own, ``.ic``...) is refused with
:class:`DeckError` naming the line: a second engine must not silently simulate another circuit.
The technology's ``.include``/``.lib`` lines are skipped: its models come from
:meth:`neurospice.ngspice_models.Technology.binned_models`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ...ngspice_models.cards import evaluate, logical_lines
from ...params import ParameterError

__all__ = ["DeckError", "Element", "FlatDeck", "flatten"]

_TOKEN = re.compile(r"[^\s=(),]+\s*=\s*(?:\{[^}]*\}|'[^']*'|[^\s,()]+)|\{[^}]*\}|'[^']*'|[^\s,()]+|\(|\)")
_NODESET = re.compile(r"v\(\s*([^)\s]+)\s*\)\s*=\s*(\S+)")
_GROUND = frozenset({"0", "gnd"})
_SKIPPED = (".include", ".inc", ".lib", ".global", ".end", ".title")


class DeckError(ParameterError):
    """The deck holds something the translation does not handle (named, with its line)."""

    def __init__(self, line: str, why: str) -> None:
        super().__init__("engine", f"vacask cannot translate {line[:80]!r}: {why}")


@dataclass(frozen=True)
class Element:
    """One device of the flat circuit.

    ``kind`` is the SPICE letter (``m c r v i``); ``model`` the MOSFET model name (``nmos_3p3``);
    ``params`` numeric instance parameters; ``wave`` a source's waveform: ``("dc", v)``,
    ``("pwl", t0, v0, t1, v1 ...)`` or ``("pulse", v1, v2, td, tr, tf, pw, per)``.
    """

    kind: str
    name: str
    nodes: tuple[str, ...]
    model: str = ""
    params: tuple[tuple[str, float], ...] = ()
    wave: tuple[object, ...] = ()


@dataclass
class FlatDeck:
    """The flat circuit and its analysis: elements, nodesets (node -> V), options, ``.tran`` step and stop."""

    elements: list[Element] = field(default_factory=list)
    nodesets: dict[str, float] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    step: float = 0.0
    stop: float = 0.0


@dataclass(frozen=True)
class _Subckt:
    name: str
    ports: tuple[str, ...]
    defaults: tuple[tuple[str, str], ...]
    body: tuple[str, ...]


def _split(line: str) -> tuple[list[str], dict[str, str]]:
    """Positional words and ``key=value`` pairs of an element or directive line."""
    words: list[str] = []
    pairs: dict[str, str] = {}
    for token in _TOKEN.findall(line):
        key, eq, value = token.partition("=")
        if eq and not token.startswith(("{", "'")):
            pairs[key.strip()] = value.strip()
        elif token not in "()":
            words.append(token)
    return words, pairs


def _number(expr: str, scope: Mapping[str, float], line: str) -> float:
    try:
        return evaluate(expr, scope)
    except ValueError as exc:
        raise DeckError(line, str(exc)) from None


def flatten(deck: str) -> FlatDeck:
    """The flat circuit of ``deck`` (see the module's documentation for what is read)."""
    flat = FlatDeck()
    subckts: dict[str, _Subckt] = {}
    top: list[str] = []
    scope: dict[str, float] = {}
    lines = logical_lines(deck)
    i = 0
    while i < len(lines):
        line = lines[i]
        word = line.split()[0]
        if word == ".subckt":
            i = _read_subckt(lines, i, subckts)
        elif word == ".lib" and line.split()[-1].rsplit("_", 1)[-1] in ("ff", "ss", "fs", "sf"):
            raise DeckError(line, "a process corner other than typical (VACASK runs the binned typical cards)")
        elif word.startswith(".") and not word.startswith(_SKIPPED):
            _directive(line, word, scope, flat)
        elif not word.startswith("."):
            top.append(line)
        i += 1
    if flat.stop <= 0:
        raise DeckError(".tran", "the deck has no transient analysis")
    _expand(top, "", {}, scope, subckts, flat.elements, ())
    return flat


def _read_subckt(lines: list[str], i: int, subckts: dict[str, _Subckt]) -> int:
    """Read the ``.subckt`` starting at ``lines[i]`` into ``subckts``; the index of its ``.ends``."""
    words, pairs = _split(lines[i])
    body: list[str] = []
    i += 1
    while i < len(lines) and lines[i].split()[0] != ".ends":
        if lines[i].split()[0] == ".subckt":
            raise DeckError(lines[i], "a subcircuit defined inside another")
        body.append(lines[i])
        i += 1
    subckts[words[1]] = _Subckt(words[1], tuple(words[2:]), tuple(pairs.items()), tuple(body))
    return i


def _directive(line: str, word: str, scope: dict[str, float], flat: FlatDeck) -> None:
    """A top-level ``.param``, ``.nodeset``, ``.options`` or ``.tran`` into ``scope`` or ``flat``; any other refused."""
    if word == ".param":
        for key, expr in _split(line)[1].items():
            scope[key] = _number(expr, scope, line)
    elif word == ".nodeset":
        found = _NODESET.findall(line)
        if len(found) != line.count("="):
            raise DeckError(line, "a nodeset other than v(node)=value")
        for node, expr in found:
            flat.nodesets[node] = _number(expr, scope, line)
    elif word in (".options", ".option"):
        flat.options.update(_split(line)[1])
    elif word == ".temp":
        if _number(_split(line)[0][1], scope, line) != 27.0:
            raise DeckError(line, "a temperature other than 27 °C (the binned cards are translated at 27 °C)")
    elif word == ".tran":
        words = _split(line)[0]
        if len(words) != 3:
            raise DeckError(line, "a .tran other than '.tran step stop'")
        flat.step, flat.stop = (_number(w, scope, line) for w in words[1:])
    else:
        raise DeckError(line, f"the directive {word} is not translated")


def _expand(
    body: list[str] | tuple[str, ...],
    prefix: str,
    ports: Mapping[str, str],
    scope: Mapping[str, float],
    subckts: Mapping[str, _Subckt],
    out: list[Element],
    stack: tuple[str, ...],
) -> None:
    def node(name: str) -> str:
        if name in _GROUND:
            return "0"
        return ports.get(name, prefix + name)

    for line in body:
        words, pairs = _split(line)
        name, letter = words[0], words[0][0]
        if letter == "x":
            sub = subckts.get(words[-1])
            if sub is None:
                raise DeckError(line, f"no subcircuit {words[-1]!r}")
            if sub.name in stack:
                raise DeckError(line, "a subcircuit that calls itself")
            nodes = [node(n) for n in words[1:-1]]
            if len(nodes) != len(sub.ports):
                raise DeckError(line, f"{len(nodes)} nodes for {len(sub.ports)} ports")
            inner = dict(scope)
            for key, expr in sub.defaults:
                inner[key] = _number(expr, inner, line)
            for key, expr in pairs.items():
                inner[key] = _number(expr, scope, line)
            _expand(
                sub.body,
                f"{prefix}{name}.",
                dict(zip(sub.ports, nodes, strict=True)),
                inner,
                subckts,
                out,
                (*stack, sub.name),
            )
        elif letter == "m":
            if len(words) != 6:
                raise DeckError(line, "a MOSFET needs 4 nodes and a model")
            params = tuple((k, _number(v, scope, line)) for k, v in pairs.items())
            out.append(Element("m", prefix + name, tuple(node(n) for n in words[1:5]), words[5], params))
        elif letter in "cr":
            if len(words) != 4 or pairs:
                raise DeckError(line, "a capacitor or resistor other than 'name a b value'")
            out.append(
                Element(
                    letter,
                    prefix + name,
                    (node(words[1]), node(words[2])),
                    params=((letter, _number(words[3], scope, line)),),
                )
            )
        elif letter in "vi":
            out.append(
                Element(letter, prefix + name, (node(words[1]), node(words[2])), wave=_wave(line, words[3:], scope))
            )
        else:
            raise DeckError(line, f"the element type {letter.upper()} is not translated")


def _wave(line: str, words: list[str], scope: Mapping[str, float]) -> tuple[object, ...]:
    if words and words[0] == "dc":
        words = words[1:]
    if len(words) == 1:
        return ("dc", _number(words[0], scope, line))
    if words and words[0] in ("pwl", "pulse"):
        numbers = [_number(w, scope, line) for w in words[1:]]
        if words[0] == "pwl" and (len(numbers) < 2 or len(numbers) % 2):
            raise DeckError(line, "a PWL needs time-value pairs")
        if words[0] == "pulse" and len(numbers) != 7:
            raise DeckError(line, "a PULSE needs all 7 values (v1 v2 td tr tf pw per)")
        return (words[0], *numbers)
    raise DeckError(line, "a source other than DC, PWL or PULSE")
