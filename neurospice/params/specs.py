"""Specs as the command line and study files write them: ``METRIC=LOW:HIGH`` (either side may be empty), in the
metric's unit with SI prefixes (``rate_hz=100:200``, ``tau_s=5m:``, ``power_w=:20n``)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from ..analysis.specs import Spec
from . import ParameterError
from .units import parse_si

__all__ = ["parse_spec", "spec_from_table"]


def parse_spec(text: str, units: Mapping[str, str]) -> Spec:
    """A :class:`Spec` from ``METRIC=LOW:HIGH``; ``units`` maps each metric the circuit declares to its unit.
    :class:`ParameterError` naming ``spec`` otherwise."""
    name, sep, limits = str(text).partition("=")
    name = name.strip()
    if not sep or ":" not in limits:
        raise ParameterError("spec", f"got {text!r}; accepted: METRIC=LOW:HIGH (either side may be empty)")
    if name not in units:
        raise ParameterError("spec", f"got {name!r}; accepted: a metric of the circuit ({', '.join(units)})")
    low_text, high_text = (part.strip() for part in limits.split(":", 1))
    try:
        low = parse_si(low_text, units[name]) if low_text else -math.inf
        high = parse_si(high_text, units[name]) if high_text else math.inf
        return Spec(name, low, high)
    except ValueError as exc:
        raise ParameterError("spec", f"{name}: {exc}; accepted: METRIC=LOW:HIGH, LOW <= HIGH") from None


def spec_from_table(name: str, table: Mapping[str, object], units: Mapping[str, str]) -> Spec:
    """A :class:`Spec` from a study file's ``[specs.METRIC]`` table (``min``, ``max``; ``typ`` is kept for the
    reader, not judged)."""
    unknown = set(table) - {"min", "max", "typ"}
    if unknown:
        raise ParameterError("spec", f"{name}: unknown keys {sorted(unknown)}; accepted: min, max, typ")
    low, high = table.get("min", ""), table.get("max", "")
    return parse_spec(f"{name}={low}:{high}", units)
