"""Calibrated mismatch for network simulators: per-sample DPI-equation parameters of a Monte Carlo run.

A pelgrom-mode run of ``dpi-neuron`` holds each sample's transistor offsets. :func:`calibrate_run`
measures the nominal equation parameters with SPICE at the run's values
(:func:`~neurospice.studies.extract.cached_extraction`), maps the offsets to per-sample parameters
(:mod:`neurospice.analysis.dpi_mismatch`), and checks the result: the equation, integrated with each
sample's parameters, against the rate SPICE measured for that sample.

:func:`export_document` writes one of three documents, each versioned (``format``, ``version``):

- ``json``: neurospice's names, the nominal values with their SPICE sources, per-parameter mean,
  CV (bootstrap interval) and ln-correlations, the per-sample table, the sensitivities, the check;
- ``dynapsim``: rockpool's ``DynapSim`` keyword arguments, one value per neuron, with the time step the
  values need (:func:`dynapsim_arguments` turns the document into what ``DynapSim`` accepts);
- ``brian2``: teili's DPI neuron (Brian2) parameter names, SI values with their Brian2 unit names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.bibliography import cite, reference
from ..analysis.cv import coefficient_of_variation
from ..analysis.dpi_mismatch import (
    ADAPTATION_PARAMETERS,
    MODEL_PARAMETERS,
    correlation,
    generator_guess,
    guess_rates,
    model_rates,
    models_from,
    sample_parameters,
    sensitivity,
)
from ..ngspice_models import get_technology
from ..params import ParameterError
from ..store.runs import IncompleteRunError, RunFolderError, load_run, read_manifest
from .extract import Extraction, cached_extraction, cached_sensitivities

__all__ = [
    "DYNAPSIM_DT",
    "DYNAPSIM_VTH",
    "EXPORT_FORMATS",
    "EXPORT_VERSION",
    "Calibration",
    "calibrate_run",
    "dynapsim_arguments",
    "export_document",
]

#: 2: DynapSim's refractory period through C_ref (Vth left at its default), its time step, the run's adaptation
#: weight and pulse; teili's feedback onset in the threshold's current unit
EXPORT_VERSION = 2
#: DynapSim's default Vth (rockpool 3.1 ``lookup/defaults.py``): it also sets every pulse width (t = C Vth/I),
#: so the export keeps it and calibrates the refractory period through C_ref
DYNAPSIM_VTH = 0.7
#: the forward-Euler step DynapSim needs with these values (s): at its default 1 ms the rate came out 47 % low
#: (issue 26's measurement), at 10 us 1.5 % low; 1 us is within 0.3 % of 0.5 us (``tests/test_peers.py``)
DYNAPSIM_DT = 1e-6
#: DynapSim's default C_pulse_ahp (F), kept: the adaptation pulse is set through Ipulse_ahp
DYNAPSIM_C_PULSE_AHP = 0.5e-12
EXPORT_FORMATS = ("json", "dynapsim", "brian2")
#: the SPICE metric the equation's per-sample rate is checked against
RATE_METRIC = "isi_rate_hz"


@dataclass(frozen=True)
class Calibration:
    """A run's per-sample equation parameters, where they come from, and how well they reproduce SPICE."""

    run: str
    manifest: dict[str, Any]
    extraction: Extraction
    #: one row per usable sample: sample, seed, then each parameter (SI)
    table: pd.DataFrame
    weights: dict[str, dict[str, float]]
    check: dict[str, Any]
    #: where each parameter's sensitivities come from (SPICE, or the analytic subthreshold weights)
    weight_sources: dict[str, str]

    @property
    def parameters(self) -> list[str]:
        return [c for c in self.table.columns if c not in ("sample", "seed")]


def calibrate_run(run: str | Path, *, n_boot: int = 2000) -> Calibration:
    """Per-sample DPI-equation parameters of pelgrom-mode ``dpi-neuron`` run ``run``, checked against its rates."""
    path = Path(run)
    if not path.is_dir():
        raise ParameterError("run", f"{path}: no such folder (a Monte Carlo run's --out)")
    try:
        manifest = read_manifest(path)
    except (FileNotFoundError, RunFolderError) as exc:
        raise ParameterError("run", str(exc)) from None
    params: dict[str, Any] = dict(manifest.get("params") or {})
    if manifest.get("circuit") != "dpi-neuron":
        raise ParameterError("run", f"{path}: a {manifest.get('circuit')!r} run; export reads dpi-neuron runs")
    if manifest.get("mismatch") != "pelgrom":
        raise ParameterError(
            "run",
            f"{path}: {manifest.get('mismatch')} mode; export needs per-device offsets: "
            "run neurospice mismatch dpi-neuron --mismatch pelgrom",
        )
    if params.get("input_kind", "none") != "none" or not float(params.get("i_in", 0)) > 0:
        raise ParameterError("run", f"{path}: export needs a DC input (i_in > 0, input_kind=none)")
    try:
        table = load_run(path, strict=True)
    except IncompleteRunError as exc:
        raise ParameterError("run", f"{exc}; finish it with neurospice mismatch ... --resume") from None
    table = table[table["status"] == "ok"].reset_index(drop=True)
    if len(table) < 3:
        raise ParameterError("run", f"{path}: {len(table)} usable samples; export needs at least 3")
    tech = get_technology(manifest["technology"]["technology"])
    extraction = cached_extraction(tech, params)
    fig = extraction.figures
    analytic = sensitivity(fig["kappa_n"], fig["kappa_p"], fig["ut_v"], fig["vdd_v"] - fig["v_release_v"])
    measured = cached_sensitivities(tech, extraction)
    weights = {k: measured.get(k, w) for k, w in analytic.items()}
    adapting = float(params.get("i_ahw", 0.0)) > 0
    names = MODEL_PARAMETERS + (ADAPTATION_PARAMETERS if adapting else ())
    nominal = {k: extraction.model.as_dict()[k] if k in MODEL_PARAMETERS else fig[k] for k in names}
    devices = {d for k in names for d in weights[k]}
    offsets = {d: table[f"dvt_xn.{d}"].to_numpy(dtype=float) for d in sorted(devices)}
    per_sample = sample_parameters(nominal, offsets, weights)
    out = pd.DataFrame({"sample": table["sample"].astype(int), "seed": table["seed"], **per_sample})
    check = _check(table, per_sample, extraction, float(params["i_in"]), adapting, n_boot)
    sources = {
        k: "SPICE: one device at a time +10 mV" if k in measured else "analytic: subthreshold currents" for k in names
    }
    return Calibration(str(path), manifest, extraction, out, {k: weights[k] for k in names}, check, sources)


def _ci(x: np.ndarray, n_boot: int) -> dict[str, float]:
    est = coefficient_of_variation(x, n_boot=n_boot)
    return {"cv": est.cv, "low": est.ci_low, "high": est.ci_high, "n": est.n}


def _check(
    table: pd.DataFrame,
    per_sample: dict[str, np.ndarray],
    extraction: Extraction,
    i_in: float,
    adapting: bool,
    n_boot: int,
) -> dict[str, Any]:
    """The equation with each sample's parameters against SPICE's per-sample rate and refractory period."""
    spice = table[RATE_METRIC].to_numpy(dtype=float)
    check: dict[str, Any] = {
        "i_in_a": i_in,
        "metric": RATE_METRIC,
        "spice_rate": _ci(spice, n_boot),
        "spice_refractory": _ci(table["refractory_s"].to_numpy(dtype=float), n_boot),
        "equation_refractory": _ci(per_sample["refractory_s"], n_boot),
    }
    # rockpool's mismatch generator on the nominal values (GUESS_NAMES), for comparison
    fig = extraction.figures
    guessed = generator_guess(extraction.model, i_in, 4096, kappa_n=fig["kappa_n"], kappa_p=fig["kappa_p"])
    check["guess_refractory"] = _ci(np.array([m.refractory_s for m in guessed[0]]), n_boot)
    if adapting:  # the integrated equation has no adaptation: its rate would not be the run's
        check["note"] = "adaptation on (i_ahw > 0): the integrated equation has none, so rates are not compared"
        return check
    rates = model_rates(models_from(per_sample, extraction.model), i_in)
    guess = guess_rates(guessed)
    ok = np.isfinite(spice) & np.isfinite(rates) & (rates > 0)
    check.update(
        equation_rate=_ci(rates, n_boot),
        guess_rate=_ci(guess, n_boot),
        per_sample_correlation=float(np.corrcoef(rates[ok], spice[ok])[0, 1]) if ok.sum() > 2 else math.nan,
        nominal_rate_hz=float(extraction.model.rate_hz(i_in)),
        mean_rate_error=float(np.mean(rates[ok]) / np.mean(spice[ok]) - 1) if ok.any() else math.nan,
    )
    low, high = check["spice_rate"]["low"], check["spice_rate"]["high"]
    check["within_interval"] = bool(low <= check["equation_rate"]["cv"] <= high)
    return check


def _statistics(cal: Calibration, n_boot: int = 2000) -> dict[str, dict[str, float]]:
    stats = {}
    for name in cal.parameters:
        x = cal.table[name].to_numpy(dtype=float)
        est = _ci(x, n_boot)
        stats[name] = {
            "mean": float(np.mean(x)),
            "sd": float(np.std(x, ddof=1)),
            "cv": est["cv"],
            "cv_low": est["low"],
            "cv_high": est["high"],
        }
    return stats


#: the works every export cites (the equation, the mismatch law, the peers' models)
EXPORT_REFERENCES = ("chicca2014", "livi2009", "pelgrom1989", "rockpool", "teili", "stimberg2019")


def _provenance(cal: Calibration) -> dict[str, Any]:
    m = cal.manifest
    return {
        "run": cal.run,
        "circuit": m["circuit"],
        "technology": cal.extraction.technology,
        "mismatch": m["mismatch"],
        "seed": m["seed"],
        "samples": m["samples"],
        "usable": len(cal.table),
        "tstop_s": m.get("tstop_s"),
        "params": m.get("params"),
        "versions": m.get("versions"),
        # the works the document's equations and names come from, by key of neurospice's one bibliography
        "references": {key: reference(key) for key in EXPORT_REFERENCES},
    }


def export_document(cal: Calibration, target: str) -> dict[str, Any]:
    """The document for ``target`` (one of :data:`EXPORT_FORMATS`)."""
    if target not in EXPORT_FORMATS:
        raise ParameterError("to", f"got {target!r}; accepted: {', '.join(EXPORT_FORMATS)}")
    if target == "json":
        return _neurospice(cal)
    return _dynapsim(cal) if target == "dynapsim" else _teili(cal)


def _neurospice(cal: Calibration) -> dict[str, Any]:
    names = cal.parameters
    ex = cal.extraction
    nominal = {**ex.model.as_dict(), **ex.figures}
    return {
        "format": "neurospice-dpi-parameters",
        "version": EXPORT_VERSION,
        "model": f"DPI neuron equation ({cite('chicca2014')}, eq. 6; neurospice.analysis.dpi_model)",
        "provenance": _provenance(cal),
        "nominal": nominal,
        "sources": ex.sources,
        "varying": names,
        "sensitivity_per_volt": cal.weights,
        "sensitivity_sources": cal.weight_sources,
        "statistics": _statistics(cal),
        "log_correlation": {
            "names": names,
            "matrix": correlation({k: cal.table[k].to_numpy(dtype=float) for k in names}, names).tolist(),
        },
        "samples": cal.table.to_dict(orient="list"),
        "check": cal.check,
    }


def _leak(fig: dict[str, float], capacitance: float, tau: np.ndarray) -> np.ndarray:
    """The I_tau whose C U_T/(kappa I_tau) is ``tau``, kappa averaged over n and p as DynapSim and teili do."""
    return fig["ut_v"] * capacitance / ((fig["kappa_n"] + fig["kappa_p"]) / 2 * tau)


def _currents(cal: Calibration) -> dict[str, np.ndarray]:
    """Per-sample currents in the published equations' terms."""
    ex, t = cal.extraction, cal.table
    fig, v = ex.figures, ex.params
    itau = _leak(fig, v["c_mem"], t["tau_mem_s"].to_numpy(dtype=float))
    return {
        "itau": itau,
        "igain": t["gain"].to_numpy(dtype=float) * itau,
        "ispkthr": t["threshold_a"].to_numpy(dtype=float),
        "t_ref": t["refractory_s"].to_numpy(dtype=float),
    }


def _run_weight(cal: Calibration) -> float:
    """The run's own adaptation weight (its manifest): the extraction's values switch adaptation off."""
    return float((cal.manifest.get("params") or {}).get("i_ahw", 0.0))


def _dynapsim(cal: Calibration) -> dict[str, Any]:
    ex, n = cal.extraction, len(cal.table)
    fig, v = ex.figures, ex.params
    c = _currents(cal)
    i_ref = v["i_ref"]
    params: dict[str, Any] = {
        "Itau_mem": c["itau"],
        "Igain_mem": c["igain"],
        "Ispkthr": c["ispkthr"],
        "Iref": np.full(n, i_ref),
        "Idc": np.full(n, v["i_in"]),
        "C_mem": np.full(n, v["c_mem"]),
        # DynapSim: t_ref = Vth C_ref / Iref; Vth stays at its default (it sets every pulse width too)
        "C_ref": c["t_ref"] * i_ref / DYNAPSIM_VTH,
        "Io": np.full(n, ex.model.i_reset_a),
        "kappa_n": np.full(n, fig["kappa_n"]),
        "kappa_p": np.full(n, fig["kappa_p"]),
        "Ut": np.full(n, fig["ut_v"]),
        "Vth": np.full(n, DYNAPSIM_VTH),
    }
    notes = [
        "Load with neurospice.studies.export.dynapsim_arguments(doc), or: "
        "DynapSim(n, dt=doc['dt_s'], **{k: numpy.asarray(v) for k, v in doc['parameters'].items()}) "
        "(DynapSim takes arrays, not lists).",
        f"dt_s: the forward-Euler step these values need ({DYNAPSIM_DT:g} s); at DynapSim's default 1 ms the rate "
        "is about half of SPICE's.",
        "Itau_mem is set so that DynapSim's tau = C_mem Ut/(kappa Itau_mem), kappa = (kappa_n + kappa_p)/2, "
        "equals each sample's SPICE-calibrated tau; Igain_mem = gain x Itau_mem.",
        f"C_ref is set so that DynapSim's t_ref = Vth C_ref/Iref equals each sample's refractory period, with "
        f"Iref the run's I_ref and Vth DynapSim's default {DYNAPSIM_VTH:g} V: Vth also sets DynapSim's synaptic "
        "and adaptation pulse widths, so it is not used to calibrate.",
        "The refractory period is the one at the run's input: SPICE's shortens as the input grows (the release "
        "level V_R* rises with it), DynapSim's does not.",
        "Ispkthr is the effective threshold (gain x the SPICE rheobase), not the comparator's bias.",
        "DynapSim's positive feedback has no free parameter (Io exp(kappa' Vmem/Ut)); the measured sigmoid is in "
        "the json export.",
        "Mismatch is in these values: do not add DynapSim's own mismatch generator on top.",
    ]
    if "tau_ahp_s" in cal.table:
        itau_ahp = _leak(fig, v["c_ahp"], cal.table["tau_ahp_s"].to_numpy(dtype=float))
        weight, gain = _run_weight(cal), v["i_ahthr"] / itau_ahp
        # DynapSim adds (Igain/Itau) Iw (1 - exp(-t_pulse_ahp/tau_ahp)) per spike: the pulse that gives each
        # sample's measured increment with the run's weight (SPICE's acknowledge pulse is pulse_s)
        fraction = np.clip(cal.table["ahp_increment_a"].to_numpy(dtype=float) / (gain * weight), 1e-12, 0.999)
        t_pulse = -cal.table["tau_ahp_s"].to_numpy(dtype=float) * np.log1p(-fraction)
        c_pulse = DYNAPSIM_C_PULSE_AHP
        params.update(
            Itau_ahp=itau_ahp,
            Igain_ahp=np.full(n, v["i_ahthr"]),
            Iw_ahp=np.full(n, weight),
            C_ahp=np.full(n, v["c_ahp"]),
            C_pulse_ahp=np.full(n, c_pulse),
            Ipulse_ahp=DYNAPSIM_VTH * c_pulse / t_pulse,
        )
        notes.append(
            f"Adaptation: Iw_ahp is the run's I_ahw; Ipulse_ahp sets t_pulse_ahp = C_pulse_ahp Vth/Ipulse_ahp "
            f"(mean {1e6 * float(np.mean(t_pulse)):.3g} us) so that DynapSim's increment per spike is each "
            f"sample's measured one (SPICE's acknowledge pulse, which gates the AHP DPI: "
            f"{1e6 * fig['pulse_s']:.3g} us)."
        )
    return {
        "format": "neurospice-dynapsim",
        "version": EXPORT_VERSION,
        "target": "rockpool.devices.dynapse.DynapSim keyword arguments, one value per neuron (SI units)",
        "dt_s": DYNAPSIM_DT,
        "provenance": _provenance(cal),
        "parameters": {k: np.asarray(x, dtype=float).tolist() for k, x in params.items()},
        "notes": notes,
    }


def dynapsim_arguments(doc: dict[str, Any]) -> dict[str, Any]:
    """A ``dynapsim`` document as ``DynapSim``'s keyword arguments: each parameter a float64 array of one value
    per neuron, and ``dt`` the step the values need. ``DynapSim(len(kw["Idc"]), **kw)``."""
    if doc.get("format") != "neurospice-dynapsim":
        raise ParameterError("doc", f"got format {doc.get('format')!r}; accepted: neurospice-dynapsim")
    if int(doc.get("version", 0)) < 2:
        raise ParameterError("doc", f"version {doc.get('version')}: export it again (accepted: version 2 or later)")
    return {"dt": float(doc["dt_s"]), **{k: np.asarray(x, dtype=np.float64) for k, x in doc["parameters"].items()}}


#: teili's DPI neuron parameter names (Brian2) and their Brian2 units
TEILI_UNITS = {
    "Itau": "amp",
    "Ith": "amp",
    "Ispkthr": "amp",
    "Ireset": "amp",
    "refP": "second",
    "Cmem": "farad",
    "Iconst": "amp",
    "kn": "1",
    "kp": "1",
    "Ut": "volt",
    "Io": "amp",
    "Iagain": "amp",
    "Iath": "amp",
    "Ianorm": "amp",
    "Itauahp": "amp",
    "Ithahp": "amp",
    "Cahp": "farad",
    "Ica": "amp",
}


def _teili(cal: Calibration) -> dict[str, Any]:
    ex, n = cal.extraction, len(cal.table)
    fig, v = ex.figures, ex.params
    c = _currents(cal)
    params: dict[str, Any] = {
        "Itau": c["itau"],
        "Ith": c["igain"],
        "Ispkthr": c["ispkthr"],
        "Ireset": np.full(n, ex.model.i_reset_a),
        "refP": c["t_ref"],
        "Cmem": np.full(n, v["c_mem"]),
        "Iconst": np.full(n, v["i_in"]),
        "kn": np.full(n, fig["kappa_n"]),
        "kp": np.full(n, fig["kappa_p"]),
        "Ut": np.full(n, fig["ut_v"]),
        "Io": np.full(n, ex.model.i_reset_a),
        "Iagain": np.full(n, fig["ia_gain_a"]),
        # the sigmoid was fitted against I_mem read through one nFET (the comparator trips at I_spkthr there);
        # the equation's threshold is in the DPI's own current unit: onset and width scaled with each threshold
        "Iath": c["ispkthr"] * fig["ia_th_a"] / v["i_spkthr"],
        "Ianorm": c["ispkthr"] * fig["ia_norm_a"] / v["i_spkthr"],
    }
    if "tau_ahp_s" in cal.table:
        itauahp = _leak(fig, v["c_ahp"], cal.table["tau_ahp_s"].to_numpy(dtype=float))
        # teili adds Iahpmax = Ica Ithahp/Itauahp per spike: Ica gives each sample's measured increment
        ica = cal.table["ahp_increment_a"].to_numpy(dtype=float) * itauahp / v["i_ahthr"]
        params.update(Itauahp=itauahp, Ithahp=np.full(n, v["i_ahthr"]), Cahp=np.full(n, v["c_ahp"]), Ica=ica)
    return {
        "format": "neurospice-teili",
        "version": EXPORT_VERSION,
        "target": "teili DPI neuron (Brian2), one value per neuron: group.NAME = values * UNIT",
        "provenance": _provenance(cal),
        "units": {k: TEILI_UNITS[k] for k in params},
        "parameters": {k: np.asarray(x, dtype=float).tolist() for k, x in params.items()},
        "notes": [
            "Itau is set so that teili's tau = Cmem Ut/(kappa Itau), kappa = (kn + kp)/2, equals each sample's "
            "SPICE-calibrated tau; Ith = gain x Itau.",
            "Iagain, Iath, Ianorm: the sigmoid fitted to the SPICE DC transfer of the comparator and feedback; "
            "Iath and Ianorm in the threshold's unit (each sample's Ispkthr x their ratio to the comparator's "
            "bias I_spkthr), so the feedback switches on below each neuron's own threshold, as in the circuit.",
            "Ispkthr is the effective threshold (gain x the SPICE rheobase), not the comparator's bias.",
        ],
    }
