"""Multifidelity estimates of a pelgrom-mode run: which cheap model, built from what, for which metric.

Four estimators (:data:`ESTIMATORS`), each a function of the samples so far
(:data:`~neurospice.montecarlo.sequential.Estimator`), for the stopping rule of a run
(:func:`estimator_for`) or for a stored run (:func:`estimate_run`):

- ``plain``: the SPICE samples alone (plain Monte Carlo, bootstrap interval).
- ``regression``: a log-linear surrogate of the metric on the stored offsets, fitted to the run
  itself (any circuit, any metric; :func:`~neurospice.analysis.multifidelity.regression_estimate`).
- ``closed-form``: the circuit's own closed-form sensitivities (those of
  :meth:`Circuit.predicted_cv <neurospice.circuits.Circuit.predicted_cv>`),
  :math:`x = \\exp(\\sum_d S_d \\Delta V_{T,d})`, whose moments are exact: no SPICE beyond the run's.
- ``equation``: the calibrated DPI equation of the export (``dpi-neuron`` only): the nominal
  parameters and their sensitivities measured with SPICE once per machine (cached:
  :func:`~neurospice.studies.extract.cached_extraction`, ``cached_sensitivities``), each sample's
  parameters from its offsets, its rate from the closed-form time to threshold; evaluated on the
  run's samples and on :data:`FRESH` fresh draws of the offsets.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.dpi_mismatch import MODEL_PARAMETERS, sample_parameters, table_rates
from ..analysis.multifidelity import MFEstimate, Statistic, control_variate, lognormal_moments
from ..circuits import Circuit, circuit_of_run, get_circuit, values_of_run
from ..montecarlo.sequential import (
    ESTIMATORS,
    MIN_REGRESSION,
    Estimator,
    Stopping,
    Target,
    check_estimator,
    offset_estimator,
    ok_rows,
    plain_estimator,
)
from ..ngspice_models import Technology, get_technology
from ..params import ParameterError
from ..sim.simulation import technology_facts
from ..store.runs import load_run, read_manifest

__all__ = [
    "ESTIMATORS",
    "FRESH",
    "equation_metrics",
    "estimate_run",
    "estimator_for",
    "rule_with_models",
    "stopping_rule",
]

#: fresh draws of the offsets the calibrated equation is evaluated on (about 20 ms in all)
FRESH = 100_000
#: the SPICE metric -> the equation's quantity that stands for it
_EQUATION = {
    "isi_rate_hz": "rate",
    "rate_hz": "rate",
    "refractory_s": "refractory_s",
    "tau_mem_s": "tau_mem_s",
}


def equation_metrics() -> tuple[str, ...]:
    """The ``dpi-neuron`` metrics the calibrated equation predicts per sample."""
    return tuple(_EQUATION)


def _sigmas(circuit: Circuit, values: Any, tech: Technology) -> dict[str, float]:
    """Each device's Pelgrom sigma (V), keyed by its stored column ``dvt_<instance>.<device>``."""
    return {f"dvt_{d.key}": d.sigma_vt(tech) for d in circuit.devices(values)}


def _by_name(sigmas: Mapping[str, float], name: str) -> str:
    """The column of device ``name`` (``md5`` -> ``dvt_xsyn.md5``); ``KeyError`` if none or several."""
    found = [c for c in sigmas if c.rsplit(".", 1)[-1] == name or c == f"dvt_{name}"]
    if len(found) != 1:
        raise KeyError(name)
    return found[0]


def closed_form_estimator(
    circuit: Circuit, values: Any, tech: Technology, metric: str, confidence: float = 0.95
) -> Estimator:
    """The control variate on the circuit's closed-form sensitivities of ``metric`` (exact moments)."""
    facts = technology_facts(tech, values)
    predicted = circuit.predicted_cv(values, tech, facts).get(metric)
    if not predicted or not isinstance(predicted.get("sensitivity"), dict):
        have = ", ".join(circuit.predicted_cv(values, tech, facts)) or "none"
        raise ParameterError(
            "estimator", f"closed-form: {circuit.name} has no closed form for {metric!r}; it has: {have}"
        )
    sigmas = _sigmas(circuit, values, tech)
    sensitivity: dict[str, float] = dict(predicted["sensitivity"])  # type: ignore[call-overload]
    weights = {_by_name(sigmas, d): float(s) for d, s in sensitivity.items()}
    moments = lognormal_moments(list(weights.values()), [sigmas[c] for c in weights])
    model = "closed form: exp(" + " + ".join(f"{w:.4g} {c[4:]}" for c, w in weights.items()) + ")"

    def estimate(rows: pd.DataFrame, target: Target) -> MFEstimate:
        ok = ok_rows(rows, [target.metric, *weights])
        y = ok[target.metric].to_numpy(dtype=float)
        x = np.exp(sum(w * ok[c].to_numpy(dtype=float) for c, w in weights.items()))
        est = control_variate(y, x, None, target.statistic, moments=moments, confidence=confidence)
        return dataclasses.replace(est, model=model)

    return estimate


def _equation_inputs(params: Mapping[str, Any]) -> float:
    """The DC input of a run the equation can stand for (refused otherwise)."""
    if params.get("input_kind", "none") != "none" or not float(params.get("i_in", 0)) > 0:
        raise ParameterError(
            "estimator", "equation: the calibrated equation needs a DC input (i_in > 0, input_kind=none)"
        )
    return float(params["i_in"])


def equation_estimator(
    tech: Technology,
    params: Mapping[str, Any],
    metric: str,
    *,
    confidence: float = 0.95,
    seed: int = 0,
    fresh: int = FRESH,
) -> Estimator:
    """The control variate on the calibrated DPI equation (``dpi-neuron``, pelgrom mode, a DC input).

    Measures (or reads from the cache) the nominal parameters and their SPICE sensitivities at ``params``,
    draws ``fresh`` (default :data:`FRESH`) fresh offsets of the weighted devices from ``default_rng(seed)``,
    and returns the
    estimator of ``metric`` (one of :func:`equation_metrics`).
    """
    from ..analysis.dpi_mismatch import sensitivity
    from .extract import cached_extraction, cached_sensitivities

    if metric not in _EQUATION:
        raise ParameterError(
            "estimator", f"equation: no equation quantity for {metric!r}; accepted: {', '.join(_EQUATION)}"
        )
    i_in = _equation_inputs(params)
    adapting = float(params.get("i_ahw", 0.0)) > 0
    if adapting and _EQUATION[metric] == "rate":
        raise ParameterError(
            "estimator", "equation: adaptation is on (i_ahw > 0) and the equation has none; use regression"
        )
    extraction = cached_extraction(tech, params)
    fig = extraction.figures
    analytic = sensitivity(fig["kappa_n"], fig["kappa_p"], fig["ut_v"], fig["vdd_v"] - fig["v_release_v"])
    measured = cached_sensitivities(tech, extraction)
    weights = {k: measured.get(k, w) for k, w in analytic.items() if k in MODEL_PARAMETERS}
    nominal = extraction.model.as_dict()
    neuron = get_circuit("dpi-neuron")
    sigmas = _sigmas(neuron, neuron.values(dict(params), tech), tech)
    devices = sorted({d for w in weights.values() for d in w})
    columns = {d: _by_name(sigmas, d) for d in devices}
    rng = np.random.default_rng(seed)
    draws = {d: rng.standard_normal(fresh) * sigmas[columns[d]] for d in devices}
    quantity = _EQUATION[metric]

    def predict(offsets: Mapping[str, np.ndarray]) -> np.ndarray:
        per = sample_parameters(nominal, offsets, weights)
        return table_rates(per, i_in) if quantity == "rate" else per[quantity]

    fresh_values = predict(draws)
    model = f"calibrated DPI equation ({quantity}), {len(devices)} devices' offsets, {fresh} fresh draws"

    def estimate(rows: pd.DataFrame, target: Target) -> MFEstimate:
        ok = ok_rows(rows, [target.metric, *columns.values()])
        x = predict({d: ok[columns[d]].to_numpy(dtype=float) for d in devices})
        y = ok[target.metric].to_numpy(dtype=float)
        est = control_variate(y, x, fresh_values, target.statistic, confidence=confidence)
        return dataclasses.replace(est, model=model)

    return estimate


def estimator_for(
    name: str,
    circuit: Circuit,
    tech: Technology,
    values: Any,
    metric: str,
    *,
    mismatch: str = "pelgrom",
    confidence: float = 0.95,
) -> Estimator:
    """The estimator ``name`` (:data:`ESTIMATORS`) of ``metric`` for runs of ``circuit`` at ``values``."""
    check_estimator(name, mismatch)
    if name == "plain":
        return plain_estimator(confidence)
    if name == "regression":
        return offset_estimator(_sigmas(circuit, values, tech), confidence)
    if name == "closed-form":
        return closed_form_estimator(circuit, values, tech, metric, confidence)
    if circuit.name != "dpi-neuron":
        raise ParameterError(
            "estimator", f"equation: the calibrated equation is dpi-neuron's; {circuit.name}: use regression"
        )
    return equation_estimator(tech, dict(values.items()), metric, confidence=confidence)


def rule_with_models(rule: Stopping, circuit: Circuit, tech: Technology, values: Any) -> Stopping:
    """``rule`` with one estimator per target built for ``circuit`` at ``values`` (what ``monte_carlo`` takes
    for ``closed-form`` and ``equation``; ``plain`` and ``regression`` it builds itself)."""
    models = tuple(
        estimator_for(rule.estimator, circuit, tech, values, t.metric, confidence=rule.confidence) for t in rule.targets
    )
    return dataclasses.replace(rule, models=models)


def stopping_rule(
    targets: str | list[str],
    circuit: str | Circuit,
    tech: str | Technology = "gf180mcu",
    overrides: Mapping[str, object] | None = None,
    *,
    estimator: str = "plain",
    pilot: int = 32,
    batch: int = 16,
    confidence: float = 0.95,
) -> Stopping:
    """The rule ``monte_carlo(..., stopping=...)`` and ``design_sweep`` take, its cheap models built.

    Parameters
    ----------
    targets : str or list of str
        ``METRIC:STAT=WIDTH`` (or a list of them; all must be met): STAT ``mean``, ``sd`` or ``cv``; WIDTH
        ``5%`` of the estimate, ``0.5pt`` of a CV, or a value in the metric's unit (``10us``).
    circuit : str or Circuit
        The circuit (the cheap models are built for it).
    tech : str or Technology, default "gf180mcu"
        The technology.
    overrides : mapping, optional
        The values the circuit is run at.
    estimator : str, default "plain"
        One of :data:`ESTIMATORS` (``plain``, ``regression``, ``closed-form``, ``equation``).
    pilot : int, default 32
        Samples before the rule is first read.
    batch : int, default 16
        Samples between readings.
    confidence : float, default 0.95
        Level of the intervals.

    Returns
    -------
    Stopping
        The rule, checked (its cap is the run's ``samples``).

    Raises
    ------
    ParameterError
        A target, estimator or size the circuit or the rule cannot take.

    Examples
    --------
    >>> from neurospice import stopping_rule
    >>> rule = stopping_rule("tau_s:cv=3%", "dpi-synapse", estimator="closed-form", pilot=8, batch=8)
    >>> [(t.metric, t.statistic) for t in rule.targets], rule.pilot
    ([('tau_s', 'cv')], 8)
    """
    from ..montecarlo.sequential import parse_target

    c = get_circuit(circuit) if isinstance(circuit, str) else circuit
    t = get_technology(tech) if isinstance(tech, str) else tech
    units = {m.name: m.unit for m in c.metrics}
    texts = [targets] if isinstance(targets, str) else list(targets)
    rule = Stopping(
        tuple(parse_target(x, units) for x in texts),
        pilot=pilot,
        batch=batch,
        estimator=estimator,
        confidence=confidence,
    )
    rule.check(10_000_000, "pelgrom")
    if estimator in ("closed-form", "equation"):
        rule = rule_with_models(rule, c, t, c.values(dict(overrides or {}), t))
    return rule


def estimate_run(
    run: str | Path,
    metric: str,
    statistic: Statistic = "cv",
    *,
    estimator: str = "regression",
    confidence: float = 0.95,
    samples: int | None = None,
) -> MFEstimate:
    """A statistic of a metric over a stored run, with a cheap model's control variate, beside its plain estimate.

    Parameters
    ----------
    run : str or Path
        A Monte Carlo run folder (``neurospice mismatch --out``).
    metric : str
        One of the run's metrics.
    statistic : {"cv", "mean", "sd"}
        The statistic.
    estimator : str, default "regression"
        One of :data:`ESTIMATORS` (all but ``plain`` need a pelgrom-mode run).
    confidence : float, default 0.95
        Level of the interval.
    samples : int, optional
        Read only the first ``samples`` samples (what a smaller run with the same seed would have held).

    Returns
    -------
    MFEstimate
        ``value``, ``low``, ``high``; the plain estimate and its interval (``plain``, ``plain_low``,
        ``plain_high``); ``n_spice``, ``n_cheap``, ``rho`` (SPICE against the cheap model), ``gain`` and the
        ``model`` used.

    Raises
    ------
    ParameterError
        No such run or metric, an estimator the run cannot use, or a statistic other than mean, sd, cv.

    Examples
    --------
    >>> import tempfile
    >>> from neurospice import estimate_run, monte_carlo
    >>> out = tempfile.mkdtemp() + "/mc"
    >>> _ = monte_carlo("dpi-synapse", "gf180mcu", samples=24, seed=1, tstop=0.03, mismatch="pelgrom", out=out,
    ...                 workers=1, progress=False)
    >>> est = estimate_run(out, "tau_s", "cv", estimator="regression")
    >>> est.n_spice, est.low < est.value < est.high, est.rho > 0.9
    (24, True, True)
    """
    path = Path(run)
    if not (path / "manifest.json").is_file():
        raise ParameterError("run", f"{path}: not a Monte Carlo run folder (no manifest.json)")
    manifest = read_manifest(path)
    if statistic not in ("mean", "sd", "cv"):
        raise ParameterError("statistic", f"got {statistic!r}; accepted: mean, sd, cv")
    table = load_run(path)
    if metric not in table.columns:
        metrics = [m for m in manifest.get("declarations", {}).get("metrics", {})]
        raise ParameterError("metric", f"{metric!r} is not in the run; accepted: {', '.join(metrics) or 'none'}")
    if samples is not None:
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 3:
            raise ParameterError("samples", f"got {samples!r}; accepted: a whole number >= 3")
        table = table[table["sample"] < samples]
    circuit = circuit_of_run(manifest)
    tech = get_technology(manifest["technology"]["technology"])
    values = values_of_run(circuit, manifest)
    if estimator == "regression" and len(table) < MIN_REGRESSION:
        raise ParameterError(
            "estimator", f"regression reads at least {MIN_REGRESSION} samples; the run holds {len(table)}"
        )
    chosen = estimator_for(
        estimator, circuit, tech, values, metric, mismatch=str(manifest.get("mismatch")), confidence=confidence
    )
    result = chosen(table, Target(metric, statistic, math.inf, True))
    return result
