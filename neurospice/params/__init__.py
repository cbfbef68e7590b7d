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

__all__ = ["Param", "ParamSpec", "ParameterError", "Value", "Values", "stored"]

Value = float | int | str | tuple[float, ...]
#: "bool" and "text" describe settings (study-file keys), not circuit parameters
Kind = Literal["float", "int", "choice", "floats", "bool", "text"]


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
        if self.kind in ("bool", "text"):
            return "true or false" if self.kind == "bool" else "non-empty text"
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
        if self.kind in ("bool", "text"):
            return self._setting(raw)
        if self.kind == "floats":
            items = raw.split(",") if isinstance(raw, str) else raw
            if not isinstance(items, (list, tuple)):
                raise ParameterError(self.name, f"got {raw!r}; accepted: {self.accepted()}")
            values = tuple(self._number(item) for item in items if not (isinstance(item, str) and not item.strip()))
            return tuple(sorted(values))
        if self.kind == "int":
            return self._whole(raw)
        return self._number(raw)

    def _setting(self, raw: object) -> Value:
        """A true/false value (``bool``: an int record) or non-empty text (``text``)."""
        if self.kind == "bool" and isinstance(raw, bool):
            return int(raw)
        if self.kind == "text" and isinstance(raw, str) and raw.strip():
            return raw
        raise ParameterError(self.name, f"got {raw!r}; accepted: {self.accepted()}")

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
    _defaults: dict[str, Value] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {p.name: p for p in self.params}
        if len(index) != len(self.params):
            raise ValueError("duplicate parameter names")
        # defaults must themselves be valid: validated once, here
        defaults = {p.name: p.coerce(list(p.default) if isinstance(p.default, tuple) else p.default) for p in self}
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_defaults", defaults)

    def __iter__(self) -> Iterator[Param]:
        return iter(self.params)

    def __getitem__(self, name: str) -> Param:
        return self._index[name]

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def param(self, name: str) -> Param:
        """The parameter called ``name``; :class:`ParameterError` listing the accepted names otherwise."""
        if name not in self._index:
            raise ParameterError(name, f"unknown parameter; accepted names: {', '.join(self._index)}")
        return self._index[name]

    def defaults(self) -> dict[str, Value]:
        """The default value of every parameter."""
        return {p.name: p.default for p in self.params}

    def resolve(self, overrides: Mapping[str, object] | None = None) -> Values:
        """Defaults updated with validated ``overrides``; unknown names raise :class:`ParameterError`."""
        if overrides is not None and not isinstance(overrides, Mapping):
            raise ParameterError("overrides", f"got {overrides!r}; accepted: a mapping of parameter names to values")
        values = dict(self._defaults)
        for name, raw in (overrides or {}).items():
            values[name] = self.param(name).coerce(raw)
        return Values(self, values)


def stored(value: object) -> object:
    """A value as a manifest or a JSON record stores it: a ``floats`` parameter's tuple as a list."""
    return list(value) if isinstance(value, tuple) else value


class Values(Mapping[str, Value]):
    """Resolved parameter values: complete, validated against their :class:`ParamSpec`, and frozen.

    Read a value typed (``values.number("i_tau")``, ``values.word("input_kind")``) or as a
    mapping; change one with :meth:`replace`, which validates again and returns a new record.
    Equal records hash equal, so a record can key a cache.
    """

    __slots__ = ("_data", "_spec")
    _spec: ParamSpec
    _data: dict[str, Value]

    def __init__(self, spec: ParamSpec, data: Mapping[str, Value]) -> None:
        if set(data) != {p.name for p in spec}:
            raise ValueError("a value record needs exactly its spec's parameters")
        object.__setattr__(self, "_spec", spec)
        object.__setattr__(self, "_data", {p.name: data[p.name] for p in spec})

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Values is frozen: use replace()")

    def __reduce__(self) -> tuple[object, ...]:
        return (Values, (self._spec, self._data))

    def __getitem__(self, name: str) -> Value:
        return self._data[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))

    def __repr__(self) -> str:
        return "Values(" + ", ".join(f"{k}={v!r}" for k, v in self._data.items()) + ")"

    @property
    def spec(self) -> ParamSpec:
        """The declarations these values were validated against."""
        return self._spec

    def number(self, name: str) -> float:
        """A numeric value (``float`` or ``int`` parameter) as a float."""
        value = self._data[name]
        if isinstance(value, (int, float)):
            return float(value)
        raise TypeError(f"parameter {name!r} is a {self._spec[name].kind}, not a number")

    def numbers(self) -> dict[str, float]:
        """Every numeric value (``float`` or ``int`` parameter) as a float, by name: the scope a SPICE expression of
        the parameters is evaluated in."""
        return {k: float(v) for k, v in self._data.items() if isinstance(v, (int, float))}

    def whole(self, name: str) -> int:
        """An ``int`` parameter's value."""
        value = self._data[name]
        if isinstance(value, int):
            return value
        raise TypeError(f"parameter {name!r} is a {self._spec[name].kind}, not a whole number")

    def word(self, name: str) -> str:
        """A ``choice`` parameter's value."""
        value = self._data[name]
        if isinstance(value, str):
            return value
        raise TypeError(f"parameter {name!r} is a {self._spec[name].kind}, not a word")

    def floats(self, name: str) -> tuple[float, ...]:
        """A ``floats`` parameter's values (sorted)."""
        value = self._data[name]
        if isinstance(value, tuple):
            return value
        raise TypeError(f"parameter {name!r} is a {self._spec[name].kind}, not a list of numbers")

    def replace(self, changes: Mapping[str, object]) -> Values:
        """A new record with ``changes`` validated like any override (unknown names refused)."""
        for name in changes:
            self._spec.param(name)  # unknown names refused before any value is coerced
        data = dict(self._data)
        data.update({name: self._spec[name].coerce(raw) for name, raw in changes.items()})
        return Values(self._spec, data)

    def asdict(self) -> dict[str, Value]:
        """A plain (mutable) copy, for storing."""
        return dict(self._data)
