"""Measure a technology's subthreshold parameters (kappa, I0) from a simulated I_D-V_G sweep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..analysis.subthreshold import SubthresholdFit, extract_subthreshold
from ..engines import get_engine, select
from ..ngspice_models import Conditions, DeviceKind, Technology
from ..params.options import SimOptions
from ..params.units import spice_number
from ..store.cache import cached_json

__all__ = ["NOMINAL", "Characterization", "characterize", "idvg_deck"]

#: 27 °C at the typical corner: where ngspice runs unless told otherwise
NOMINAL = Conditions()


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
    tech: Technology,
    device: DeviceKind,
    w: float,
    l: float,
    vds: float,
    vsb: float = 0.0,
    step: float = 0.005,
    at: Conditions = NOMINAL,
) -> str:
    """Gate sweep 0..1.5 V (magnitude) at |V_DS| = ``vds``, source at 0, bulk at |V_SB| = ``vsb``; nominal devices
    at the conditions ``at`` (process corner, temperature)."""
    sign = 1.0 if device == "nmos" else -1.0
    wrapper = "nfet" if device == "nmos" else "pfet"
    return "\n".join(
        [
            f"* neurospice Id-Vg sweep: {device} on {tech.name}",
            tech.header(mismatch=False, corner=at.corner),
            SimOptions().spice(),
            f".temp {spice_number(at.temp)}",
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
    window: tuple[float, float] = (1e-12, 1e-9),
    at: Conditions = NOMINAL,
) -> Characterization:
    """Sweep one nominal device's I_D-V_G and fit its subthreshold slope factor and I0.

    The bulk is reverse-biased by ``vsb``; U_T = kT/q at the temperature of ``at``. The fit uses the
    points with ``window[0] <= |I_D| <= window[1]`` (A), both scaled by W/L.

    Parameters
    ----------
    tech : Technology
        The technology (:func:`get_technology`).
    device : {"nmos", "pmos"}
        Which device.
    w, l : float
        Width and length (m), default 1 µm each.
    vds : float, default 0.5
        Drain-source voltage magnitude (V): saturation in weak inversion.
    vsb : float, default 0
        Source-bulk reverse bias (V): the body effect raises kappa.
    window : tuple of float
        The current window of the fit (A), default 1 pA to 1 nA.
    at : Conditions
        Process corner and temperature (default: typical, 27 degC).

    Returns
    -------
    Characterization
        The sweep (``vg_v``, ``id_a``) and its :class:`~neurospice.analysis.SubthresholdFit` (``fit``).

    Raises
    ------
    ParameterError
        A device or condition the technology does not have.
    SimulationError
        If ngspice fails to run the sweep (its messages attached).

    Examples
    --------
    >>> from neurospice import characterize, get_technology
    >>> result = characterize(get_technology("gf180mcu"), "nmos", vsb=2.0)
    >>> round(result.fit.kappa, 2)  # the body effect: 0.71 at V_SB = 0
    0.8
    """
    from ..analysis.closed_form import thermal_voltage

    vg, i_d = _sweep(tech, idvg_deck(tech, device, w, l, vds, vsb, at=at))
    ratio = w / l
    i_low, i_high = window
    fit = extract_subthreshold(vg, i_d, i_low=i_low * ratio, i_high=i_high * ratio, ut=thermal_voltage(at.temp))
    return Characterization(tech.name, device, w, l, vds, vsb, vg, i_d, fit)


def _sweep(tech: Technology, deck: str) -> tuple[np.ndarray, np.ndarray]:
    """|V_G| and |I_D| of an I-V deck: simulated once per machine, then read back (exact: JSON keeps every bit)."""
    engine = get_engine()

    def run() -> dict[str, Any]:
        vectors = engine.simulate(deck, tech.ngspice_settings)
        return {"vg": np.abs(select(vectors, "v-sweep")).tolist(), "id": np.abs(select(vectors, "vd#branch")).tolist()}

    key = {"deck": deck, "models": tech.provenance(), "settings": tech.ngspice_settings, "ngspice": engine.version}
    found = cached_json("idvg", key, run)
    return np.array(found["vg"], dtype=float), np.array(found["id"], dtype=float)


@dataclass(frozen=True)
class PelgromCheck:
    """Drain-current spread of mismatched single devices at several sizes (the technology's own statistics).

    ``sigma_ln_id[k]`` is the standard deviation of ln I_D over ``samples`` devices of size
    ``w[k]`` x ``l[k]``; ``sigma_vt_est = sigma_ln_id U_T / kappa`` is the threshold spread it
    implies and ``sigma_vt_law`` the spread the technology's Pelgrom law states.
    """

    technology: str
    device: DeviceKind
    w: np.ndarray
    l: np.ndarray
    area_eff: np.ndarray
    samples: int
    seed: int
    vgs_v: float
    kappa: float
    ut_v: float
    sigma_ln_id: np.ndarray
    sigma_vt_est: np.ndarray
    sigma_vt_law: np.ndarray


def pelgrom_deck(
    tech: Technology, device: DeviceKind, sizes: list[tuple[float, float]], samples: int, vgs: float, seed: int
) -> str:
    """One operating point of ``samples`` mismatched devices per size, each drain read through its own 0 V source."""
    sign = 1.0 if device == "nmos" else -1.0
    wrapper = "nfet" if device == "nmos" else "pfet"
    lines = [
        f"* neurospice Pelgrom check: {device} on {tech.name}",
        tech.header(mismatch=True),
        SimOptions().spice(),
        f".options seed={int(seed)}",
        f"VD d 0 {spice_number(sign * 0.5)}",
        f"VG g 0 {spice_number(sign * vgs)}",
    ]
    for k, (w, l) in enumerate(sizes):
        for j in range(samples):
            lines.append(f"VS{k}_{j} d d{k}_{j} 0")
            lines.append(f"XM{k}_{j} d{k}_{j} g 0 0 {wrapper} w={spice_number(w)} l={spice_number(l)}")
    return "\n".join([*lines, ".op", ".end", ""])


def pelgrom_check(
    tech: Technology,
    device: DeviceKind,
    sizes: list[tuple[float, float]],
    *,
    samples: int = 200,
    vgs: float | None = None,
    seed: int = 1,
) -> PelgromCheck:
    """Simulate ``samples`` mismatched devices per (W, L) in ``sizes`` at |V_GS| = ``vgs``, |V_DS| = 0.5 V.

    Uses the technology's own statistical model (GF180MCU's per-device V_T offsets, the EKV
    model's Pelgrom draws), seeded by ``.options seed`` (same seed, same devices).
    """
    from ..analysis.closed_form import thermal_voltage

    if not 10 <= samples <= 2000:
        raise ValueError(f"samples: got {samples}; accepted: a whole number in [10, 2000]")
    if vgs is None:  # the technology's subthreshold point for this device
        vgs = tech.pelgrom_vgs[0 if device == "nmos" else 1]
    deck = pelgrom_deck(tech, device, sizes, samples, vgs, seed)
    engine = get_engine()

    def measure() -> dict[str, Any]:
        vectors = engine.simulate(deck, tech.ngspice_settings)
        spread = [
            np.std(np.log(np.abs([select(vectors, f"vs{k}_{j}#branch")[0] for j in range(samples)])), ddof=1)
            for k in range(len(sizes))
        ]
        return {"sigma_ln_id": [float(x) for x in spread], "kappa": characterize(tech, device).fit.kappa}

    # a pure function of the verified model files, the deck and the simulator: measured once per machine
    key = {"deck": deck, "models": tech.provenance(), "settings": tech.ngspice_settings, "ngspice": engine.version}
    found = cached_json("pelgrom_check", key, measure)  # same key form as _sweep
    kappa, sig = float(found["kappa"]), np.array(found["sigma_ln_id"], dtype=float)
    ut = thermal_voltage()
    mos = tech.device(device)
    w = np.array([s[0] for s in sizes])
    l = np.array([s[1] for s in sizes])
    law = np.array([mos.sigma_vt(a, b) for a, b in sizes])
    return PelgromCheck(
        tech.name, device, w, l, (l - mos.dl) * (w + mos.dw), samples, seed, vgs, kappa, ut, sig, sig * ut / kappa, law
    )
