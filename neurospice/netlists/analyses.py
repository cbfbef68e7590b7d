"""A netlist's own analyses and measures, read as data and rewritten by neurospice.

A designer's testbench says what to run: ``.op``, ``.dc``, ``.ac``, ``.tran`` cards, or the same
commands inside its ``.control`` block, and ``.meas``/``.measure`` statements (or ``meas``
commands) that turn the waveforms into numbers. neurospice runs none of that text. The reader
(:mod:`.reader`) hands the lines here; each is parsed against a small grammar and rewritten from
its parsed parts, so what reaches ngspice is neurospice's own text:

- an analysis is one of ``op``; ``dc SRC start stop step`` (one sweep of a source, a resistor or
  ``temp``); ``ac dec|oct|lin N fstart fstop``; ``tran step stop [start [max]]``, every number
  plain (SI prefixes allowed) or a ``{name}`` of the netlist's ``.param`` values;
- a measure is ``meas ANALYSIS NAME`` followed by ngspice's measure keywords (``trig targ val
  rise fall cross td when find at avg max min pp rms integ deriv from to last``), numbers,
  ``{name}`` values and vectors ``v(...)``, ``vdb(...)``, ``vm vp vr vi`` and ``i(...)`` of plain
  node or source names; or ``meas ANALYSIS NAME param='expression'`` over earlier measures and
  parameters, which neurospice evaluates itself. Its unit is inferred from what it measures
  (a time, a frequency, a voltage, a current, dB...) where it can be;
- anything else in such a line is refused, naming the line and the word.

A measure runs as ngspice's ``meas`` command on the plot of its analysis after the run
(:meth:`neurospice.engines.ngspice.Engine.measure`); a measure that finds nothing is NaN with
ngspice's message recorded. Each measure becomes a declared metric of the circuit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ..ngspice_models.cards import evaluate
from ..params.units import spice_number
from .reader import SourceLine

__all__ = ["ANALYSIS_KINDS", "Analysis", "Measure", "read_analysis", "read_measure"]

AnalysisKind = Literal["op", "dc", "ac", "tran"]
#: the analyses a netlist may ask for, in the order neurospice lists them
ANALYSIS_KINDS: tuple[AnalysisKind, ...] = ("op", "dc", "ac", "tran")
#: ngspice's measure keywords (``meas`` in the manual, chapter 15.4.19)
_KEYWORDS = frozenset(
    {
        *("trig", "targ", "val", "rise", "fall", "cross", "td", "when", "find", "at", "from", "to", "last"),
        *("avg", "max", "min", "pp", "rms", "integ", "integral", "deriv", "derivative"),
    }
)
_FUNCTIONS = frozenset({"v", "vdb", "vm", "vp", "vr", "vi", "i"})
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_NODE = re.compile(r"^[a-z0-9_.#:+\-\[\]]+$")
#: a token of a measure line: a vector, a braced value, ``=``, or a word
_TOKEN = re.compile(r"[a-z]+\([^()]*\)|\{[^{}]*\}|=|[^\s=]+")
_BRACED = re.compile(r"\{[^{}]*\}")
_MEASURED = {"v": "V", "vm": "V", "vr": "V", "vi": "V", "vdb": "dB", "vp": "rad", "i": "A"}


@dataclass(frozen=True)
class Analysis:
    """One analysis the netlist asks for: its kind and its arguments as neurospice writes them."""

    kind: AnalysisKind
    words: tuple[str, ...]
    #: the swept element of a ``.dc`` (lower case), "" otherwise
    sweep: str = ""

    def card(self) -> str:
        """The analysis card for the deck."""
        return " ".join((f".{self.kind}", *self.words))

    @property
    def axis_unit(self) -> str:
        """The unit of the analysis' independent variable (its ``WHEN`` and ``TRIG``/``TARG`` measures)."""
        if self.kind == "tran":
            return "s"
        if self.kind == "ac":
            return "Hz"
        if self.kind == "dc":
            return {"v": "V", "i": "A", "r": "Ω"}.get(self.sweep[:1], "°C" if self.sweep == "temp" else "")
        return ""


@dataclass(frozen=True)
class Measure:
    """A measure of the netlist: the analysis it reads, its name, its words as rewritten, its unit and source."""

    analysis: AnalysisKind
    name: str
    words: tuple[str, ...]
    unit: str
    #: where it was written (for its metric's description and its errors)
    where: str
    #: ``param='...'``: an expression over earlier measures and parameters, evaluated by neurospice
    expression: str = ""

    def command(self, values: Mapping[str, float]) -> str:
        """ngspice's ``meas`` command, with every ``{name}`` replaced by its number from ``values``."""
        words = [_BRACED.sub(lambda m: spice_number(evaluate(m.group(0), values)), w) for w in self.words]
        return " ".join(("meas", self.analysis, self.name, *words))

    def evaluate(self, scope: Mapping[str, float]) -> float:
        """The value of a ``param=`` measure from the measures before it and the parameters."""
        return evaluate(self.expression, scope)

    @property
    def description(self) -> str:
        shown = f"param={self.expression}" if self.expression else " ".join(self.words)
        return f"the netlist's .meas {self.analysis} {self.name} {shown} ({self.where})"


def read_analysis(line: SourceLine, params: Mapping[str, float]) -> Analysis:
    """The analysis a ``.op/.dc/.ac/.tran`` card or ``.control`` command asks for; refused naming the line."""
    words = line.text.split()
    kind = words[0].lower().lstrip(".")
    args = words[1:]
    if kind == "op":
        if args:
            raise line.fail(".op takes no arguments")
        return Analysis("op", ())
    if kind == "dc":
        if len(args) != 4:
            raise line.fail(".dc: one sweep is accepted, as SOURCE START STOP STEP")
        element = args[0].lower()
        if element != "temp" and (not _NAME.match(element) or element[0] not in "vir"):
            raise line.fail(f".dc: {line.show(repr(args[0]))} is not a source, a resistor or temp")
        numbers = [_number(line, w, params) for w in args[1:]]
        if numbers[2] == 0:
            raise line.fail(".dc: the step is 0")
        return Analysis("dc", (element, *map(spice_number, numbers)), element)
    if kind == "ac":
        if len(args) != 4 or args[0].lower() not in ("dec", "oct", "lin"):
            raise line.fail(".ac: DEC|OCT|LIN POINTS FSTART FSTOP is expected")
        points = _number(line, args[1], params)
        start, stop = (_number(line, w, params) for w in args[2:])
        if points < 1 or points != int(points) or not 0 < start < stop:
            raise line.fail(".ac: a whole number of points and 0 < FSTART < FSTOP are expected")
        return Analysis("ac", (args[0].lower(), str(int(points)), spice_number(start), spice_number(stop)))
    if kind == "tran":
        times = [w for w in args if w.lower() != "uic"]
        if not 2 <= len(times) <= 4:
            raise line.fail(".tran: STEP STOP [START [MAX]] is expected")
        numbers = [_number(line, w, params) for w in times]
        if numbers[0] <= 0 or numbers[1] <= 0:
            raise line.fail(".tran: the step and the stop time must be positive")
        return Analysis("tran", tuple(map(spice_number, numbers)))
    raise line.fail(f"{line.show(words[0])} is not an analysis neurospice runs (op, dc, ac, tran)")


def read_measure(line: SourceLine, analyses: Mapping[str, Analysis]) -> Measure:
    """A ``.meas``/``.measure`` card or ``meas`` command, rewritten from its parsed words; refused naming the line."""
    text = line.text.lower()
    words = text.split(maxsplit=3)
    if len(words) < 4:
        raise line.fail("a measure needs an analysis, a name and what to measure")
    _, kind, name, rest = words
    if kind not in ("dc", "ac", "tran"):
        raise line.fail(f"measure of {line.show(repr(kind))}; accepted: dc, ac, tran")
    if not _NAME.match(name):
        raise line.fail(f"measure name {line.show(repr(name))}; accepted: letters, digits and _")
    where = line.where
    param = re.fullmatch(r"param\s*=\s*'([^']*)'|param\s*=\s*\{([^{}]*)\}|param\s*=\s*(\S+)", rest.strip())
    if param is not None:
        expression = next(g for g in param.groups() if g is not None)
        if not re.fullmatch(r"[a-z0-9_.+\-*/()^ ,]+", expression):
            raise line.fail("param=: an arithmetic expression of measures and parameters is expected")
        return Measure(kind, name, (), "", where, expression)  # type: ignore[arg-type]
    tokens = _TOKEN.findall(rest)
    if "".join(tokens) != re.sub(r"\s+", "", rest):
        raise line.fail("a measure holds only keywords, numbers, {names} and vectors such as v(out) or i(vdd)")
    checked = [_measure_word(line, t) for t in tokens]
    analysis = analyses.get(kind)
    unit = _unit(checked, analysis.axis_unit if analysis is not None else "")
    return Measure(kind, name, tuple(_joined(checked)), unit, where)  # type: ignore[arg-type]


def _measure_word(line: SourceLine, token: str) -> str:
    if token == "=" or token in _KEYWORDS:
        return token
    vector = re.fullmatch(r"([a-z]+)\(([^()]*)\)", token)
    if vector is not None:
        function, inside = vector.groups()
        nodes = [n.strip() for n in inside.split(",")]
        if function not in _FUNCTIONS or not 1 <= len(nodes) <= 2 or not all(_NODE.match(n) for n in nodes):
            accepted = "v(node), v(a,b), vdb, vm, vp, i(source)"
            raise line.fail(f"measure vector {line.show(repr(token))}; accepted: {accepted}")
        return f"{function}({','.join(nodes)})"
    if token.startswith("{"):
        if not re.fullmatch(r"\{[a-z0-9_.+\-*/() ]+\}", token):
            accepted = "arithmetic of the netlist's .param names"
            raise line.fail(f"measure value {line.show(repr(token))}; accepted: {accepted}")
        return token
    try:
        evaluate(token, {})
    except (ValueError, ZeroDivisionError):
        raise line.fail(
            f"measure word {line.show(repr(token))}; accepted: "
            "ngspice's measure keywords, numbers, {names} and vectors"
        ) from None
    return token


def _joined(tokens: list[str]) -> list[str]:
    """``key = value`` as ngspice's ``key=value``."""
    out: list[str] = []
    for token in tokens:
        if out and (token == "=" or out[-1].endswith("=")):
            out[-1] += token
        else:
            out.append(token)
    return out


def _unit(tokens: list[str], axis: str) -> str:
    """What a measure's value is in: the analysis' axis for a time/frequency (``trig``/``targ``, a ``when``
    without ``find``), the measured vector's unit for ``find``/``avg``/``max``..., "" where it cannot be told."""
    if "trig" in tokens or ("when" in tokens and "find" not in tokens):
        return axis
    function = next((t.split("(")[0] for t in tokens if "(" in t), "")
    measured = _MEASURED.get(function, "")
    if "integ" in tokens or "integral" in tokens:
        return "C" if measured == "A" and axis == "s" else ""
    if "deriv" in tokens or "derivative" in tokens:
        return ""
    return measured


def _number(line: SourceLine, word: str, params: Mapping[str, float]) -> float:
    try:
        return evaluate(word, params)  # SPICE's numbers: 1g, 10ns, 1meg; a {name} or {expression}
    except (ValueError, TypeError, ZeroDivisionError):
        raise line.fail(
            f"{line.show(repr(word))} is not a number or a {{name}} of the netlist's .param values"
        ) from None
