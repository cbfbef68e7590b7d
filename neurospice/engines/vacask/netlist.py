"""A flat neurospice circuit written in VACASK's netlist language.

Each transistor gets the PDK's binned BSIM4 card that ngspice would pick for its W and L (the
card's numbers written out; VACASK loads its OpenVAF build of ngspice's BSIM4, ``sp_bsim4v8``);
capacitors and resistors are SPICE's linear ones compiled for VACASK; sources are VACASK's
built-in ``vsource``/``isource`` with the same DC, PWL or PULSE waveform. Node and instance names
are made safe for VACASK (``xn.reqn`` becomes ``xn__reqn``); :class:`VacaskNetlist` keeps the map back
to ngspice's vector names, so that the same probes read the same signals on either engine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ...ngspice_models.cards import BinnedModel
from ...params.options import SimOptions
from ...params.units import spice_number
from .deck import DeckError, Element, FlatDeck

__all__ = ["VacaskNetlist", "vacask_options", "write_netlist"]

_SAFE = re.compile(r"[a-z_][a-z0-9_]*")
#: card parameters ngspice reads to choose an implementation, which VACASK's single BSIM4 does not take
_DROPPED_CARD = frozenset({"level", "version"})
#: MOSFET instance parameters passed through (ngspice name -> VACASK name)
_MOS_PARAMS = {
    "w": "w",
    "l": "l",
    "as": "as",
    "ad": "ad",
    "ps": "ps",
    "pd": "pd",
    "nrd": "nrd",
    "nrs": "nrs",
    "sa": "sa",
    "sb": "sb",
    "sd": "sd",
    "nf": "nf",
    "delvto": "delvto",
    "m": "$mfactor",
}


@dataclass
class VacaskNetlist:
    """The netlist text and the map from VACASK's vector names to ngspice's."""

    text: str
    vectors: dict[str, str] = field(default_factory=dict)


def vacask_options(options: SimOptions) -> dict[str, str]:
    """VACASK's simulator options for neurospice's :class:`SimOptions`.

    The tolerances carry over by name. ``trtol`` (ngspice's truncation-error overestimate) becomes
    ``tran_lteratio`` (VACASK's factor on the truncation-error tolerance: the same role), ``bypass``
    becomes ``nr_bypass``; trapezoidal integration is ``trap``, gear is VACASK's second-order BDF.
    """
    return {
        "gmin": spice_number(options.gmin),
        "abstol": spice_number(options.abstol),
        "chgtol": spice_number(options.chgtol),
        "reltol": spice_number(options.reltol),
        "tran_method": '"trap"' if options.method == "trap" else '"gear2"',
        "tran_lteratio": spice_number(options.trtol),
        "nr_bypass": str(int(options.bypass)),
    }


class _Names:
    """Unique VACASK-safe names for ngspice's names."""

    def __init__(self) -> None:
        self.to_vacask: dict[str, str] = {"0": "0"}
        self._used: set[str] = {"0"}

    def __call__(self, name: str, prefix: str = "") -> str:
        if name not in self.to_vacask:
            safe = prefix + re.sub(r"[^a-z0-9_]", "_", name.replace(".", "__"))
            if not _SAFE.fullmatch(safe):
                safe = "n_" + safe
            base, k = safe, 1
            while safe in self._used:
                safe, k = f"{base}_{k}", k + 1
            self._used.add(safe)
            self.to_vacask[name] = safe
        return self.to_vacask[name]


def _card(name: str, card_params: tuple[tuple[str, float], ...], kind: str) -> str:
    lines = [f"model {name} sp_bsim4v8 (", f"  type={1 if kind == 'nmos' else -1}"]
    lines += [f"  {k}={spice_number(v)}" for k, v in card_params if k not in _DROPPED_CARD]
    return "\n".join([*lines, ")"])


def _source(element: Element) -> str:
    wave = element.wave
    numbers = [float(x) for x in wave[1:]]  # type: ignore[arg-type]
    if wave[0] == "dc":
        return f"dc={spice_number(numbers[0])}"
    if wave[0] == "pwl":
        return f'type="pwl" wave=[{", ".join(spice_number(x) for x in numbers)}]'
    v1, v2, td, tr, tf, pw, per = numbers
    if tr <= 0 or tf <= 0:
        raise DeckError(f"{element.name} pulse", "a PULSE with a zero rise or fall time (ngspice takes the step)")
    values = {"val0": v1, "val1": v2, "delay": td, "rise": tr, "fall": tf, "width": pw, "period": per}
    return 'type="pulse" ' + " ".join(f"{k}={spice_number(v)}" for k, v in values.items())


def write_netlist(
    flat: FlatDeck, models: Mapping[str, BinnedModel], options: SimOptions, title: str = ""
) -> VacaskNetlist:
    """VACASK's netlist for ``flat`` with ``models`` (binned cards by ngspice model name) and ``options``."""
    nodes, insts = _Names(), _Names()
    cards: dict[str, str] = {}
    body: list[str] = []
    vectors: dict[str, str] = {}
    for el in flat.elements:
        pins = " ".join(nodes(n) for n in el.nodes)
        if el.kind == "m":
            binned = models.get(el.model)
            if binned is None:
                raise DeckError(f"{el.name} {el.model}", f"no binned model {el.model!r} (have {', '.join(models)})")
            params = dict(el.params)
            try:
                card = binned.bin_for(params.get("w", 1e-6) / params.get("nf", 1.0), params.get("l", 1e-6))
            except ValueError as exc:
                raise DeckError(el.name, str(exc)) from None
            model = re.sub(r"[^a-z0-9_]", "_", card.name)
            cards.setdefault(model, _card(model, card.params, card.kind))
            unknown = sorted(set(params) - set(_MOS_PARAMS))
            if unknown:
                raise DeckError(el.name, f"the MOSFET parameter {unknown[0]!r} is not translated")
            values = " ".join(f"{_MOS_PARAMS[k]}={spice_number(v)}" for k, v in params.items())
            body.append(f"{insts(el.name, 'm_')} ({pins}) {model} {values}")
        elif el.kind in "cr":
            ((key, value),) = el.params
            model = "cap" if el.kind == "c" else "res"
            body.append(f"{insts(el.name, el.kind + '_')} ({pins}) {model} {key}={spice_number(value)}")
        else:
            name = insts(el.name)
            body.append(f"{name} ({pins}) {'vsrc' if el.kind == 'v' else 'isrc'} {_source(el)}")
            if el.kind == "v":
                vectors[f"{name}:flow(br)"] = f"{el.name}#branch"
    for ng, vc in nodes.to_vacask.items():
        if vc != "0":
            vectors[vc] = ng
    head = [
        title or "neurospice",
        'load "spice/bsim4v8.osdi"',
        'load "spice/capacitor.osdi"',
        'load "spice/resistor.osdi"',
        "model vsrc vsource",
        "model isrc isource",
        "model cap sp_capacitor",
        "model res sp_resistor",
        *cards.values(),
    ]
    opts = " ".join(f"{k}={v}" for k, v in vacask_options(options).items())
    nodeset = ", ".join(f'"{nodes(n)}", {spice_number(v)}' for n, v in flat.nodesets.items() if n in nodes.to_vacask)
    step, stop = spice_number(flat.step), spice_number(flat.stop)
    analysis = f"analysis tran1 tran step={step} stop={stop} maxstep={step}"  # ngspice's largest step: tstep
    if nodeset:
        analysis += f" nodeset={{{nodeset}}}"
    tail = ["control", f"  options {opts}", f"  {analysis}", "endc"]
    return VacaskNetlist("\n".join([*head, "", *body, "", *tail]) + "\n", vectors)
