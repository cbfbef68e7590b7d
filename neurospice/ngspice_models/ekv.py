"""``ekv``: the embedded textbook EKV transistor (offline, analytic cross-checks).

ngspice 39 has no EKV level, so the model is written as a subcircuit (``ekv.lib`` beside
this file): one B-source for the EKV channel current and two linear gate capacitances.

Parameter sources:

- Form of the model: Enz, Krummenacher, Vittoz, "An analytical MOS transistor model valid
  in all regions of operation...", Analog Integr. Circuits Signal Process. 8:83-114, 1995;
  ``I_D = I_spec (F(v_f) - F(v_r))`` with ``F(v) = ln^2(1 + e^{v/2})``,
  ``I_spec = 2 n KP (W/L) U_T^2``.
- Values are textbook figures for a 180 nm process's 3.3 V (7.5 nm oxide) devices, not a fit
  to any foundry: ``n = 1.40 / 1.45`` (kappa 0.71 / 0.69; GF180MCU's 3.3 V devices measure
  1.41 / 1.45), ``KP = 200 / 60 uA/V^2`` (mu*Cox with Cox = 4.6 fF/um^2), ``V_T0 = 0.60 /
  0.65 V``, overlap capacitance 0.3 fF/um.
- Mismatch: pair Pelgrom coefficients 7.0 / 6.7 mV*um, the rule of thumb of about 1 mV*um per
  nm of oxide, close to GF180MCU's 7.148 / 6.66 mV*um (Pelgrom et al., IEEE JSSC 24(5), 1989).
"""

from __future__ import annotations

from pathlib import Path

from .base import MosDevice, Technology, TechnologyError

__all__ = ["EKV"]

LIB = Path(__file__).with_name("ekv.lib")


class EKV(Technology):
    """Textbook EKV transistors, 3.3 V supply, no files to fetch."""

    name = "ekv"
    description = "embedded textbook EKV model (180 nm-class 3.3 V devices), ideal capacitors"
    vdd = 3.3
    nmos = MosDevice(model="ekv_nmos", a_vt=7.0e-9, l_min=0.28e-6, w_min=0.22e-6)
    pmos = MosDevice(model="ekv_pmos", a_vt=6.7e-9, l_min=0.28e-6, w_min=0.22e-6)

    def model_paths(self) -> tuple[Path, ...]:
        return (LIB,)

    def model_files(self) -> dict[str, Path]:
        if not LIB.is_file():
            raise TechnologyError(f"ekv: {LIB} is missing from the installed package")
        return {"ekv.lib": LIB}

    def header(self, mismatch: bool, sections: tuple[str, ...] = (), corner: str = "typical") -> str:
        if sections:
            raise TechnologyError(f"{self.name}: no separate device sections ({', '.join(sections)})")
        self.corner_section(corner)  # the embedded model has one corner
        lib = self.model_files()["ekv.lib"]
        return "\n".join(
            [
                f".include '{lib}'",
                f".param sw_stat_mismatch={int(mismatch)}",
                ".subckt nfet d g s b w=1e-6 l=1e-6 dvt=0",
                "X0 d g s b ekv_nmos w={w} l={l} dvt={dvt}",
                ".ends nfet",
                ".subckt pfet d g s b w=1e-6 l=1e-6 dvt=0",
                "X0 d g s b ekv_pmos w={w} l={l} dvt={dvt}",
                ".ends pfet",
                ".subckt nfet_bias d g s b w=1e-6 l=1e-6",
                "X0 d g s b ekv_nmos w={w} l={l} stat=0",
                ".ends nfet_bias",
                ".subckt pfet_bias d g s b w=1e-6 l=1e-6",
                "X0 d g s b ekv_pmos w={w} l={l} stat=0",
                ".ends pfet_bias",
                ".subckt cap a b c=1e-12",
                "C0 a b {c}",
                ".ends cap",
            ]
        )
