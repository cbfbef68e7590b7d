"""What a technology is: MOSFET model files, device wrappers, mismatch law."""

from __future__ import annotations

import hashlib
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .cards import BinnedModel

__all__ = ["Conditions", "DeviceKind", "MosDevice", "Technology", "TechnologyError", "TechnologyFacts", "sha256_file"]

DeviceKind = Literal["nmos", "pmos"]


class TechnologyError(RuntimeError):
    """A technology's model files are missing, altered or cannot be fetched."""


@dataclass(frozen=True)
class MosDevice:
    """A MOSFET of a technology as the circuits see it.

    ``a_vt`` is the Pelgrom coefficient for the threshold *difference of a pair* (V*m);
    one device has ``sigma_VT = a_vt / sqrt(2 * W_eff * L_eff)``. ``dl``/``dw`` give the
    effective size ``L_eff = L - dl``, ``W_eff = W + dw`` used by the mismatch law.
    """

    model: str
    a_vt: float
    dl: float = 0.0
    dw: float = 0.0
    l_min: float = 0.28e-6
    w_min: float = 0.22e-6

    def sigma_vt(self, w: float, l: float) -> float:
        """Per-device threshold standard deviation (V) for drawn ``w`` x ``l`` (m)."""
        area = (l - self.dl) * (w + self.dw)
        if area <= 0:
            raise ValueError(f"device {w} x {l} m is below the model's minimum size")
        return self.a_vt / math.sqrt(2.0 * area)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: Device wrappers every technology header defines, so that circuit netlists are
#: technology-neutral: ``nfet``/``pfet`` (the circuit's own transistors; mismatch follows
#: the technology's statistical model), ``nfet_bias``/``pfet_bias`` (bias-generator diodes,
#: never mismatched) and ``cap`` (a capacitor of value ``c``).
WRAPPERS = ("nfet", "pfet", "nfet_bias", "pfet_bias", "cap")


@dataclass(frozen=True)
class Conditions:
    """Where a device runs: temperature (°C) and process corner (a name in :attr:`Technology.corners`)."""

    temp: float = 27.0
    corner: str = "typical"

    @classmethod
    def of(cls, values: Mapping[str, object]) -> Conditions:
        """The conditions a circuit's validated values name (``temp``, ``corner``; the defaults where absent)."""
        temp, corner = values.get("temp", cls.temp), values.get("corner", cls.corner)
        return cls(float(temp) if isinstance(temp, (int, float)) else cls.temp, str(corner))


@dataclass(frozen=True)
class TechnologyFacts:
    """Figures of a technology measured for one run (:func:`neurospice.sim.simulation.technology_facts`).

    What the closed forms need: the subthreshold slope factors and specific currents of the
    devices at the sizes the circuit uses, and the thermal voltage.
    """

    kappa_p: float
    i0_p_a: float
    kappa_n: float
    i0_n_a: float
    ut_v: float

    @classmethod
    def unknown(cls) -> TechnologyFacts:
        """Not measured (NaN): for circuits whose metrics use none of them."""
        nan = float("nan")
        return cls(kappa_p=nan, i0_p_a=nan, kappa_n=nan, i0_n_a=nan, ut_v=nan)

    def as_dict(self) -> dict[str, float]:
        """The figures by name (for JSON)."""
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


class Technology(ABC):
    """A MOSFET technology usable by every neurospice circuit."""

    name: str
    description: str
    vdd: float
    nmos: MosDevice
    pmos: MosDevice
    #: ngspice variables this technology's models need at parse time (``set`` before loading)
    ngspice_settings: tuple[str, ...] = ()
    #: capacitance per area (F/m²) of the capacitors circuits use (MIM), for area estimates
    cap_density: float = 2e-3
    #: |V_GS| (V) of the Pelgrom check per device: deep enough in subthreshold, well above gmin's leakage floor
    pelgrom_vgs: tuple[float, float] = (0.3, 0.3)

    #: the PDK's other device flavours a user netlist may instantiate (``_lvt``, ``_hvt``), by model name
    variants: Mapping[str, MosDevice] = MappingProxyType({})
    #: the process corners of its transistors (the PDK's own section names; ``typical`` and ``tt`` name the
    #: typical one on every technology)
    corners: tuple[str, ...] = ("typical", "tt")

    def corner_section(self, corner: str) -> str:
        """The library section of process corner ``corner``; :class:`TechnologyError` naming the accepted ones."""
        if corner not in self.corners:
            raise TechnologyError(f"{self.name} has no corner {corner!r}; accepted: {', '.join(self.corners)}")
        return self._sections.get(corner, corner)

    #: corner name -> section name where they differ
    _sections: Mapping[str, str] = MappingProxyType({})

    def device(self, kind: DeviceKind, model: str = "") -> MosDevice:
        """The nmos or pmos device, or the flavour ``model`` names when the technology has it."""
        if model and model in self.variants:
            return self.variants[model]
        return self.nmos if kind == "nmos" else self.pmos

    @abstractmethod
    def model_files(self) -> dict[str, Path]:
        """Model files this technology reads, verified (raises :class:`TechnologyError`)."""

    @abstractmethod
    def model_paths(self) -> tuple[Path, ...]:
        """Where the model files :meth:`header` loads are, unverified: the only files a deck may include
        (:func:`neurospice.netlists.gate.check_deck`)."""

    @abstractmethod
    def header(self, mismatch: bool, sections: tuple[str, ...] = (), corner: str = "typical") -> str:
        """SPICE text loading the models of process corner ``corner`` (:attr:`corners`) and defining the wrappers
        in :data:`WRAPPERS`.

        ``sections`` are the PDK's other device sections a user netlist loads (gf180mcu's
        ``mimcap_typical``...: :data:`neurospice.netlists.reader.DEVICE_SECTIONS`), read from the
        same verified file (at the same corner where the PDK has it).

        ``mismatch=False`` gives nominal devices whose threshold moves by their explicit ``dvt``
        parameter (0 unless set: Pelgrom-mode Monte Carlo sets it); ``True`` switches on the
        technology's own per-device statistical mismatch (drawn by ngspice at parse time or on
        ``reset``). Positive ``dvt`` raises |V_T| (weaker device) for both device types.
        """

    def binned_models(self) -> dict[str, BinnedModel]:
        """The MOSFET models' binned cards as plain numbers, by the model name the wrappers use, for
        engines that cannot read the PDK's library (``--engine vacask``); :class:`TechnologyError` where
        the technology has none."""
        raise TechnologyError(f"{self.name}: no binned model cards for a second engine (accepted: gf180mcu)")

    def provenance(self) -> dict[str, object]:
        """Name, model files and their SHA-256, for run manifests."""
        files = self.model_files()
        return {
            "technology": self.name,
            "files": {name: {"path": str(p), "sha256": sha256_file(p)} for name, p in files.items()},
        }
