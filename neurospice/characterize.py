"""Measure a technology's subthreshold parameters (kappa, I0) from a simulated I_D-V_G sweep."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .analysis.subthreshold import SubthresholdFit, extract_subthreshold
from .engine import SimOptions, get_engine, select
from .ngspice_models import DeviceKind, Technology
from .units import spice_number

__all__ = ["Characterization", "characterize", "idvg_deck"]


@dataclass(frozen=True)
class Characterization:
    """The sweep and its fit, for one device of one technology."""

    technology: str
    device: DeviceKind
    w_m: float
    l_m: float
    vds_v: float
    vsb_v: float
    vg_v: np.ndarray
    id_a: np.ndarray
    fit: SubthresholdFit

    def as_dict(self) -> dict[str, object]:
        """Figures for JSON output (no sweep arrays)."""
        return {
            "technology": self.technology,
            "device": self.device,
            "w_m": self.w_m,
            "l_m": self.l_m,
            "vds_v": self.vds_v,
            "vsb_v": self.vsb_v,
            **self.fit.as_dict(),
        }


def idvg_deck(
    tech: Technology, device: DeviceKind, w: float, l: float, vds: float, vsb: float = 0.0, step: float = 0.005
) -> str:
    """Gate sweep 0..1.5 V (magnitude) at |V_DS| = ``vds``, source at 0, bulk at |V_SB| = ``vsb``; nominal devices."""
    sign = 1.0 if device == "nmos" else -1.0
    wrapper = "nfet" if device == "nmos" else "pfet"
    return "\n".join(
        [
            f"* neurospice Id-Vg sweep: {device} on {tech.name}",
            tech.header(mismatch=False),
            SimOptions().spice(),
            f"VD d 0 {spice_number(sign * vds)}",
            "VG g 0 0",
            f"VB b 0 {spice_number(-sign * vsb)}",
            f"XM d g 0 b {wrapper} w={spice_number(w)} l={spice_number(l)}",
            f".dc VG 0 {spice_number(sign * 1.5)} {spice_number(sign * step)}",
            ".end",
            "",
        ]
    )


def characterize(
    tech: Technology,
    device: DeviceKind,
    *,
    w: float = 1e-6,
    l: float = 1e-6,
    vds: float = 0.5,
    vsb: float = 0.0,
    i_low: float = 1e-12,
    i_high: float = 1e-9,
) -> Characterization:
    """Sweep one nominal device (bulk reverse-biased by ``vsb``) and fit kappa and I0.

    The fit uses the points with ``i_low <= |I_D| <= i_high`` (A), both scaled by W/L.
    """
    vectors = get_engine().simulate(idvg_deck(tech, device, w, l, vds, vsb))
    vg = np.abs(select(vectors, "v-sweep"))
    i_d = np.abs(select(vectors, "vd#branch"))
    ratio = w / l
    fit = extract_subthreshold(vg, i_d, i_low=i_low * ratio, i_high=i_high * ratio)
    return Characterization(tech.name, device, w, l, vds, vsb, vg, i_d, fit)
