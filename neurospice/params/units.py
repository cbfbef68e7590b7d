"""SI values: parse user text such as ``5p``, ``5e-12`` or ``5pA`` and format numbers.

Inside neurospice every quantity is a float in SI base units. Text is parsed only at the
edge (CLI, configuration) and written only at the netlist boundary.
"""

from __future__ import annotations

import math
import re

__all__ = ["PREFIXES", "format_si", "parse_si", "spice_number"]

#: SI prefixes accepted after a number. ``u`` stands for micro; ``meg`` is accepted as
#: SPICE's spelling of mega. ``m`` is milli, ``M`` is mega (SI, not SPICE).
PREFIXES: dict[str, float] = {
    "T": 1e12,
    "G": 1e9,
    "M": 1e6,
    "meg": 1e6,
    "k": 1e3,
    "m": 1e-3,
    "u": 1e-6,
    "µ": 1e-6,
    "n": 1e-9,
    "p": 1e-12,
    "f": 1e-15,
    "a": 1e-18,
}

_NUMBER = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-zµΩ°]*)\s*$")


def parse_si(text: str, unit: str = "") -> float:
    """Parse ``text`` as a number with an optional SI prefix and optional ``unit``.

    ``"5p"``, ``"5e-12"``, ``"5pA"`` and ``"5 pA"`` all give ``5e-12`` for ``unit="A"``.
    A suffix equal to the unit itself means no prefix (``"2m"`` is two metres when the unit
    is ``m``). Raises ``ValueError`` naming what is accepted.
    """
    match = _NUMBER.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a number (accepted: e.g. 5e-12, 5p, 5p{unit})")
    number, suffix = float(match.group(1)), match.group(2)
    if suffix in ("", unit):
        return number
    for prefix, scale in PREFIXES.items():
        if suffix.startswith(prefix) and suffix[len(prefix) :] in ("", unit):
            return number * scale
    raise ValueError(
        f"{text!r}: unknown suffix {suffix!r} (accepted: an SI prefix "
        f"{', '.join(p for p in PREFIXES if p != 'µ')}" + (f" optionally followed by {unit!r}" if unit else "") + ")"
    )


def format_si(value: float, unit: str = "", digits: int = 4) -> str:
    """Format ``value`` with an engineering SI prefix, e.g. ``format_si(5e-12, "A") == "5 pA"``."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g} {unit}".strip()
    exponent = int(math.floor(math.log10(abs(value)) / 3) * 3)
    exponent = max(-18, min(12, exponent))
    names = {12: "T", 9: "G", 6: "M", 3: "k", 0: "", -3: "m", -6: "µ", -9: "n", -12: "p", -15: "f", -18: "a"}
    return f"{value / 10**exponent:.{digits}g} {names[exponent]}{unit}".strip()


def spice_number(value: float) -> str:
    """Write a finite float for a netlist exactly (shortest round-trip form, no prefix)."""
    if not math.isfinite(value):
        raise ValueError(f"cannot write {value!r} into a netlist")
    return repr(float(value))
