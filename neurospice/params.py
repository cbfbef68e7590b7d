"""Typed, documented, range-checked circuit parameters.

A circuit declares a :class:`ParamSpec` (an ordered set of :class:`Param`). User values
come in as numbers or text (``"5p"``, ``"5pA"``) and leave as validated SI floats, ints or
one of a fixed set of words; nothing a user types reaches a netlist without passing here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from .units import format_si, parse_si

__all__ = ["Param", "ParamSpec", "ParameterError", "Value", "number", "word"]

Value = float | int | str | tuple[float, ...]
Kind = Literal["float", "int", "choice", "floats"]


class ParameterError(ValueError):
    """A parameter value was refused; ``name`` is the parameter, the message says what is accepted."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"parameter {name!r}: {message}")
        self.name = name


@dataclass(frozen=True)
class Param:
    """One parameter: SI unit, description, default and the accepted range (inclusive)."""

    name: str
    unit: str
    description: str
    default: Value
    low: float = -math.inf
    high: float = math.inf
    kind: Kind = "float"
    choices: tuple[str, ...] = ()

    def accepted(self) -> str:
        """Say in words what this parameter accepts."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        what = {"float": "a number", "int": "a whole number", "floats": "comma-separated numbers"}[self.kind]
        lo, hi = (self._bound_text(b) for b in (self.low, self.high))
        return f"{what} in [{lo}, {hi}]"

    def _bound_text(self, bound: float) -> str:
        if not math.isfinite(bound):
            return "-inf" if bound < 0 else "inf"
        return str(int(bound)) if self.kind == "int" else format_si(bound, self.unit)

    def coerce(self, raw: object) -> Value:
        """Validate ``raw`` (number or text) and return the SI value; raise :class:`ParameterError`."""
        if self.kind == "choice":
            if not isinstance(raw, str) or raw not in self.choices:
                raise ParameterError(self.name, f"got {raw!r}; accepted: {self.accepted()}")
            return raw
        if self.kind == "floats":
            items = raw.split(",") if isinstance(raw, str) else raw
            if not isinstance(items, (list, tuple)):
                raise ParameterError(self.name, f"got {raw!r}; accepted: {self.accepted()}")
            values = tuple(self._number(item) for item in items if not (isinstance(item, str) and not item.strip()))
            return tuple(sorted(values))
        if self.kind == "int":
            return self._whole(raw)
        return self._number(raw)

    def _whole(self, raw: object) -> int:
        """A whole number, exact beyond 2**53 when given as an int or plain digits."""
        if isinstance(raw, int) and not isinstance(raw, bool):
            whole = raw
        elif isinstance(raw, str) and re.fullmatch(r"\s*[+-]?[0-9]+\s*", raw):
            whole = int(raw.strip())
        else:
            value = self._number(raw)
            if value != int(value):
                raise ParameterError(self.name, f"got {raw!r}; accepted: {self.accepted()}")
            return int(value)
        if not self.low <= whole <= self.high:
            raise ParameterError(self.name, f"got {raw!r}; accepted: {self.accepted()}")
        return whole

    def _number(self, raw: object) -> float:
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise ParameterError(self.name, f"got {raw!r}; accepted: {self.accepted()}")
        try:
            value = parse_si(raw, self.unit) if isinstance(raw, str) else float(raw)
        except ValueError:
            raise ParameterError(self.name, f"got {raw!r}; accepted: {self.accepted()}") from None
        if not math.isfinite(value):
            raise ParameterError(self.name, f"got {raw!r}; accepted: {self.accepted()}")
        for bound in (self.low, self.high):  # "100n" is 1.0000000000000001e-07: the printed bound is accepted
            if math.isfinite(bound) and math.isclose(value, bound, rel_tol=1e-12):
                return bound
        if not self.low <= value <= self.high:
            raise ParameterError(self.name, f"got {raw!r}; accepted: {self.accepted()}")
        return value


@dataclass(frozen=True)
class ParamSpec:
    """An ordered set of parameters; :meth:`resolve` turns overrides into a complete value map."""

    params: tuple[Param, ...]
    _index: dict[str, Param] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {p.name: p for p in self.params}
        if len(index) != len(self.params):
            raise ValueError("duplicate parameter names")
        for p in self.params:  # defaults must themselves be valid
            p.coerce(p.default if not isinstance(p.default, tuple) else list(p.default))
        object.__setattr__(self, "_index", index)

    def __iter__(self) -> Iterator[Param]:
        return iter(self.params)

    def __getitem__(self, name: str) -> Param:
        return self._index[name]

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def defaults(self) -> dict[str, Value]:
        """The default value of every parameter."""
        return {p.name: p.default for p in self.params}

    def resolve(self, overrides: Mapping[str, object] | None = None) -> dict[str, Value]:
        """Defaults updated with validated ``overrides``; unknown names raise :class:`ParameterError`."""
        if overrides is not None and not isinstance(overrides, Mapping):
            raise ParameterError("overrides", f"got {overrides!r}; accepted: a mapping of parameter names to values")
        values = self.defaults()
        for name, raw in (overrides or {}).items():
            if name not in self._index:
                known = ", ".join(self._index)
                raise ParameterError(name, f"unknown parameter; accepted names: {known}")
            values[name] = self._index[name].coerce(raw)
        return values


def number(values: Mapping[str, Value], name: str) -> float:
    """The numeric value ``name`` of a resolved value map, as a float."""
    value = values[name]
    if isinstance(value, (int, float)):
        return float(value)
    raise TypeError(f"parameter {name!r} is not a number")


def word(values: Mapping[str, Value], name: str) -> str:
    """The choice value ``name`` of a resolved value map."""
    value = values[name]
    if isinstance(value, str):
        return value
    raise TypeError(f"parameter {name!r} is not a word")
