"""VACASK, the optional second engine: deck translation (:mod:`.deck`, :mod:`.netlist`) and runs (:mod:`.engine`)."""

from .deck import DeckError, FlatDeck, flatten
from .engine import VacaskEngine, read_raw, vacask_available
from .netlist import VacaskNetlist, vacask_options, write_netlist

__all__ = [
    "DeckError",
    "FlatDeck",
    "VacaskEngine",
    "VacaskNetlist",
    "flatten",
    "read_raw",
    "vacask_available",
    "vacask_options",
    "write_netlist",
]
