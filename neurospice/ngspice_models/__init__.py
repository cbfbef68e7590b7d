"""Technologies (MOSFET models): ``gf180mcu`` (default, fetched PDK) and ``ekv`` (embedded)."""

from __future__ import annotations

from .base import DeviceKind, MosDevice, Technology, TechnologyError
from .ekv import EKV
from .gf180mcu import GF180MCU, cache_dir, fetch_gf180mcu

__all__ = [
    "DEFAULT_TECHNOLOGY",
    "TECHNOLOGIES",
    "DeviceKind",
    "MosDevice",
    "Technology",
    "TechnologyError",
    "cache_dir",
    "fetch_gf180mcu",
    "get_technology",
]

TECHNOLOGIES: dict[str, type[Technology]] = {"gf180mcu": GF180MCU, "ekv": EKV}
DEFAULT_TECHNOLOGY = "gf180mcu"


def get_technology(name: str) -> Technology:
    """The technology called ``name``; ``ValueError`` lists the accepted names."""
    try:
        return TECHNOLOGIES[name]()
    except KeyError:
        raise ValueError(f"unknown technology {name!r}; accepted: {', '.join(TECHNOLOGIES)}") from None
