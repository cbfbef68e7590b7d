"""Design-space grids: ``--vary`` axes and how several of them combine.

An axis is written ``NAME=START:STOP:N`` (N linear points), ``NAME=START:STOP:N:log`` (N points
spaced evenly in log), or ``NAME=V1,V2,...`` (a list). Every value passes the parameter's own
validation (SI prefixes, range) before anything runs. Several axes make the full grid (their
product, the first axis varying slowest) or, zipped, one point per position (equal lengths).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from . import ParameterError, ParamSpec, Value

__all__ = ["Axis", "Grid", "parse_axis"]

Scale = Literal["linear", "log", "list"]
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_MAX_POINTS = 10_000


@dataclass(frozen=True)
class Axis:
    """One swept parameter: its validated values (SI) and how they were spaced."""

    name: str
    values: tuple[Value, ...]
    scale: Scale = "list"

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "values": list(self.values), "scale": self.scale}


def parse_axis(text: str, spec: ParamSpec) -> Axis:
    """``NAME=START:STOP:N[:log]`` or ``NAME=V1,V2,...``, validated against ``spec``; :class:`ParameterError`."""
    name, sep, rest = text.partition("=")
    name = name.strip()
    if not sep or not _NAME.match(name) or not rest.strip():
        raise ParameterError("vary", f"got {text!r}; accepted: NAME=START:STOP:N[:log] or NAME=V1,V2,...")
    param = spec.param(name)
    if ":" in rest:
        parts = [p.strip() for p in rest.split(":")]
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] not in ("log", "lin", "linear")):
            raise ParameterError("vary", f"{text!r}: a range is START:STOP:N or START:STOP:N:log")
        if param.kind not in ("float", "int"):
            raise ParameterError(name, f"a range needs a number parameter; {name} accepts {param.accepted()}")
        start, stop = (param.coerce(p) for p in parts[:2])
        if not re.fullmatch(r"[0-9]+", parts[2]) or not 2 <= int(parts[2]) <= 1000:
            raise ParameterError("vary", f"{text!r}: N must be a whole number in [2, 1000]")
        n, log = int(parts[2]), len(parts) == 4 and parts[3] == "log"
        if log and (float(start) <= 0 or float(stop) <= 0):  # type: ignore[arg-type]
            raise ParameterError("vary", f"{text!r}: a log range needs positive ends")
        raw = (np.geomspace if log else np.linspace)(float(start), float(stop), n)  # type: ignore[arg-type]
        values = tuple(param.coerce(float(f"{x:.12g}")) for x in raw)  # 4e-12, not 4.000000000000001e-12
        if param.kind == "int" and len(set(values)) != len(values):
            raise ParameterError("vary", f"{text!r}: {name} is a whole number; these points repeat")
        return Axis(name, values, "log" if log else "linear")
    return list_axis(name, [p.strip() for p in rest.split(",") if p.strip()], spec, text)


def list_axis(name: str, items: Sequence[object], spec: ParamSpec, text: str = "") -> Axis:
    """An axis of the listed values (numbers as they are, text with SI prefixes), each validated once."""
    param = spec.param(name)
    shown = text or f"{name}={list(items)}"
    if not items:
        raise ParameterError("vary", f"{shown!r}: no values; accepted: NAME=V1,V2,... or NAME=START:STOP:N[:log]")
    values = tuple(param.coerce(item) for item in items)
    if len(set(values)) != len(values):
        raise ParameterError("vary", f"{shown!r}: a value is repeated")
    return Axis(name, values, "list")


@dataclass(frozen=True)
class Grid:
    """Axes combined as a full product (``zipped=False``) or position by position."""

    axes: tuple[Axis, ...]
    zipped: bool = False

    def __post_init__(self) -> None:
        names = [a.name for a in self.axes]
        if not self.axes:
            raise ParameterError("vary", "give at least one --vary NAME=...")
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise ParameterError(dup, "varied twice; give each parameter one --vary")
        if self.zipped and len({len(a.values) for a in self.axes}) > 1:
            sizes = ", ".join(f"{a.name}: {len(a.values)}" for a in self.axes)
            raise ParameterError("zip", f"zipped axes need the same number of values ({sizes})")
        if len(self) > _MAX_POINTS:
            raise ParameterError("vary", f"{len(self)} grid points; at most {_MAX_POINTS} are accepted")

    @classmethod
    def parse(cls, texts: Sequence[str], spec: ParamSpec, zipped: bool = False) -> Grid:
        """Axes from ``NAME=...`` texts (the command line's ``--vary``)."""
        return cls(tuple(parse_axis(t, spec) for t in texts), zipped)

    @classmethod
    def from_table(cls, table: Mapping[str, str | Sequence[object]], spec: ParamSpec, zipped: bool = False) -> Grid:
        """Axes from a study file's ``[vary]`` table: a range as text, or a list of values as TOML gives them
        (numbers stay numbers)."""
        axes = (
            parse_axis(f"{name}={raw}", spec) if isinstance(raw, str) else list_axis(name, list(raw), spec)
            for name, raw in table.items()
        )
        return cls(tuple(axes), zipped)

    def __len__(self) -> int:
        if self.zipped:
            return len(self.axes[0].values)
        return math.prod(len(a.values) for a in self.axes)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.axes)

    def points(self) -> list[dict[str, Value]]:
        """Every point as ``{name: value}``, in a fixed order (the first axis slowest)."""
        columns = [a.values for a in self.axes]
        rows = zip(*columns, strict=True) if self.zipped else itertools.product(*columns)
        return [dict(zip(self.names, row, strict=True)) for row in rows]

    def as_dict(self) -> dict[str, object]:
        return {"axes": [a.as_dict() for a in self.axes], "zipped": self.zipped}

    @classmethod
    def from_dict(cls, data: dict[str, Any], spec: ParamSpec) -> Grid:
        """The grid :meth:`as_dict` stored, validated again against ``spec``."""
        axes = []
        for axis in data["axes"]:
            name = str(axis["name"])
            axes.append(Axis(name, tuple(spec[name].coerce(v) for v in axis["values"]), axis["scale"]))
        return cls(tuple(axes), bool(data["zipped"]))
