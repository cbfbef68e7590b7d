"""Technologies (MOSFET models): ``gf180mcu`` (default, fetched PDK) and ``ekv`` (embedded)."""

from __future__ import annotations

from pathlib import Path

from ..params import ParameterError
from .base import Conditions, DeviceKind, MosDevice, Technology, TechnologyError, TechnologyFacts
from .ekv import EKV
from .gf180mcu import GF180MCU, cache_dir, fetch_gf180mcu
from .sky130 import Sky130, fetch_sky130

__all__ = [
    "DEFAULT_TECHNOLOGY",
    "TECHNOLOGIES",
    "Conditions",
    "DeviceKind",
    "MosDevice",
    "Technology",
    "TechnologyError",
    "TechnologyFacts",
    "cache_dir",
    "fetch_gf180mcu",
    "fetch_sky130",
    "get_technology",
    "trusted_model_files",
]

TECHNOLOGIES: dict[str, type[Technology]] = {"gf180mcu": GF180MCU, "sky130": Sky130, "ekv": EKV}
DEFAULT_TECHNOLOGY = "gf180mcu"


def get_technology(name: str | Technology) -> Technology:
    """A technology by name: ``gf180mcu`` (default), ``sky130`` or the embedded ``ekv`` model.

    Parameters
    ----------
    name : str or Technology
        The technology's name; a :class:`Technology` is returned as it is.

    Returns
    -------
    Technology
        Its devices, supply, model files (fetched and verified by SHA-256 on first use) and mismatch laws.

    Raises
    ------
    ParameterError
        If no technology has that name.

    Examples
    --------
    >>> from neurospice import get_technology
    >>> tech = get_technology("gf180mcu")
    >>> tech.name, tech.vdd
    ('gf180mcu', 3.3)
    """
    if isinstance(name, Technology):
        return name
    if not isinstance(name, str) or name not in TECHNOLOGIES:
        raise ParameterError("technology", f"unknown technology {name!r}; accepted: {', '.join(TECHNOLOGIES)}")
    return TECHNOLOGIES[name]()


def trusted_model_files() -> frozenset[Path]:
    """Every technology's model files (as their headers name them): the only files a deck may include."""
    return frozenset(p for cls in TECHNOLOGIES.values() for p in cls().model_paths())
