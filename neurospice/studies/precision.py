"""The population-precision experiment in SPICE (Zendrikov, Solinas & Indiveri 2023).

A core of ``neurons`` DPI neurons shares its bias generator; each neuron has its own DPI
synapse, and every transistor of neuron and synapse is mismatched (a Monte Carlo sample per
neuron, seeds spawned from ``seed``). A regular train at ``input_rate`` drives every synapse.
After ``settle`` seconds the spikes of ``duration`` seconds are split into clusters and windows
(:func:`neurospice.analysis.cluster_rate_cv`) and compared with the published table.

Runs go through :func:`neurospice.monte_carlo`, so they use every core or a Dask cluster,
stream to ``out`` and resume after a kill; the tables are written beside the samples.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import pandas as pd

from ..analysis import (
    BITS_METHODS,
    DEFAULT_WINDOWS,
    BitsMethod,
    CVEstimate,
    check_cluster_design,
    cluster_rate_cv,
    coefficient_of_variation,
    compare_cluster_cv,
    cv_slope,
)
from ..circuits import get_circuit
from ..engines import SimulationError
from ..montecarlo import RUN_OPTIONS, default_mismatch, monte_carlo
from ..montecarlo.config import RunOptions, run_config
from ..ngspice_models import Technology, get_technology
from ..params import Param, ParameterError, ParamSpec, stored
from ..params.options import accuracy_name, default_options
from ..store import atomic_write

__all__ = [
    "PRECISION_DEFAULTS",
    "STUDY_OPTIONS",
    "ClusterAnalysis",
    "PrecisionResult",
    "Recording",
    "calibrate_sizes",
    "phase_offsets",
    "precision_study",
    "scaled_sizes",
    "shifted_trains",
    "validate_study",
]

#: Neuron and synapse settings of the experiment on GF180MCU: I_in off, a regular train through
#: the DPI synapse (1 ms pulses), a slow membrane (I_tau = 1 pA: tau_mem about 55 ms) so the
#: neuron integrates well above its rheobase, and the synapse weight tuned for about 50 Hz out
#: at 200 Hz in (nominal: 54 Hz; 30 pA gives one spike in 0.5 s, 50 pA 30 Hz).
PRECISION_DEFAULTS: dict[str, object] = {
    "i_in": 0.0,
    "input_kind": "regular",
    "input_start": 0.0,
    "pulse_width": 1e-3,
    "i_tau": 1e-12,
    "syn_i_w": 80e-12,
}

#: Options of a study, declared like circuit parameters (the CLI shows and parses these).
STUDY_OPTIONS = ParamSpec(
    (
        Param("neurons", "", "neurons in the core (one mismatch sample each)", 256, 4, 100_000, kind="int"),
        Param("input_rate", "Hz", "regular input rate into every synapse", 200.0, 0.1, 1e4),
        Param("duration", "s", "recording analysed, after the settling time", 1.0, 1e-3, 100.0),
        Param("settle", "s", "onset left out of the analysis", 0.2, 0.0, 10.0),
        Param(
            "phase_spread",
            "s",
            "start offsets spread over this span, in whole input periods, drawn from each neuron's seed (0: all "
            "neurons start together)",
            0.1,
            0.0,
            10.0,
        ),
        Param("shuffles", "", "random partitions of the neurons into clusters, per cell", 10, 1, 10_000, kind="int"),
        Param("bits", "", "how a CV becomes bits", "log2_inv_cv2", kind="choice", choices=tuple(BITS_METHODS)),
        Param("pilot", "", "neurons in each calibration pilot run", 32, 4, 10_000, kind="int"),
        Param("target_cv", "", "rate CV the calibration scales devices to (0.18 for 18 %)", 0.18, 0.005, 1.0),
    )
)

#: Size parameters of the analog devices (scaled by :func:`calibrate_sizes`); switches and
#: inverters are left alone (their mismatch barely moves the rate, and they sit near minimum size).
ANALOG_SIZES = ("dpi", "lk", "mem", "rst", "ahp", "syn_in", "syn_w", "syn_thr", "syn_tau", "syn_out")


@dataclass(frozen=True)
class Recording:
    """What every neuron of the core sees and what of it is analysed: a regular train at ``input_rate`` (Hz);
    the spikes of ``duration`` seconds after ``settle`` seconds of onset.

    ``phase_spread`` (s): on silicon the neurons of a core have been running and their phases are spread;
    in SPICE every neuron starts from the same state at the same instant. Neuron i is therefore analysed as
    if its input had started d_i = k_i / input_rate earlier, k_i uniform in [0, phase_spread x input_rate)
    from its own seed (:func:`phase_offsets`): its own spikes from settle + d_i on, shifted by -d_i. The
    circuit is time-invariant, so this is exactly a neuron whose input started d_i earlier, and all neurons
    still see the same input pulses at the same instants. The transient is ``phase_spread`` longer.
    """

    input_rate: float = 200.0
    duration: float = 1.0
    settle: float = 0.2
    phase_spread: float = 0.1

    @property
    def tstop(self) -> float:
        """The transient's length: the onset left out, the phase spread, then the recording analysed."""
        return self.settle + self.phase_spread + self.duration


#: spawn key of the phase offsets' stream (a child of each neuron's seed, apart from its mismatch draws)
PHASE_KEY = 0x5048


def phase_offsets(seeds: Sequence[int], recording: Recording) -> np.ndarray:
    """Each neuron's start offset d_i (s): a whole number of input periods below ``recording.phase_spread``,
    drawn from ``SeedSequence(seed_i, spawn_key=(PHASE_KEY,))``; zeros when the spread is below one period."""
    slots = math.floor(recording.phase_spread * recording.input_rate + 1e-9)
    if slots < 1:
        return np.zeros(len(seeds))
    draws = [
        np.random.default_rng(np.random.SeedSequence(int(s), spawn_key=(PHASE_KEY,))).integers(0, slots) for s in seeds
    ]
    return np.asarray(draws, dtype=float) / recording.input_rate


def shifted_trains(trains: Sequence[np.ndarray], offsets: np.ndarray, recording: Recording) -> list[np.ndarray]:
    """Each train's spikes in [settle + d_i, settle + d_i + duration), shifted by -d_i onto the common window."""
    t0, d = recording.settle, recording.duration
    return [s[(s >= t0 + o) & (s < t0 + o + d)] - o for s, o in zip(trains, offsets, strict=True)]


@dataclass(frozen=True)
class ClusterAnalysis:
    """How the spikes are split: ``cluster_sizes`` (default: powers of two up to half the core), ``windows``
    (default: the published windows, 10 ms .. 5 s, that fit in the recording, and the recording itself),
    ``n_shuffles`` random partitions per cell (the paper: 10), and how a CV becomes bits."""

    cluster_sizes: Sequence[int] | None = None
    windows: Sequence[float] | None = None
    n_shuffles: int = 10
    bits_method: BitsMethod = "log2_inv_cv2"


@dataclass(frozen=True)
class PrecisionResult:
    """Outcome of :func:`precision_study`."""

    table: pd.DataFrame  # cluster_rate_cv's table
    comparison: pd.DataFrame  # next to the published values
    samples: pd.DataFrame  # the Monte Carlo table (one row per neuron)
    rates_hz: np.ndarray  # per neuron, counted over the analysed recording
    single_cv: CVEstimate  # rate CV across neurons (cluster size 1, whole recording)
    slope: dict[str, float]  # log CV vs log cluster size at the longest window
    t_start: float
    t_stop: float
    settings: dict[str, Any] = field(default_factory=dict)


def _slope(
    trains: list[np.ndarray], sizes: list[int], window: float, t0: float, t1: float, shuffles: int, seed: int
) -> dict[str, float]:
    if len(sizes) < 3:
        nan = float("nan")
        return {"slope": nan, "ci_low": nan, "ci_high": nan, "window_s": window, "points": float(len(sizes))}
    return cv_slope(trains, sizes, window, span=(t0, t1), n_shuffles=shuffles, rng=seed)


def _cluster_sizes(neurons: int) -> list[int]:
    return [2**k for k in range(int(math.log2(neurons // 2)) + 1)]


def validate_study(
    neurons: int,
    recording: Recording,
    overrides: Mapping[str, object] | None,
    analysis: ClusterAnalysis,
    mismatch: str = "pdk",
) -> tuple[list[int], list[float], dict[str, object]]:
    """Refuse a study that cannot run, before anything is simulated (calibration included).

    Returns the cluster sizes, windows (defaults filled in) and the neuron parameters
    (:data:`PRECISION_DEFAULTS` under ``overrides``). Raises :class:`ParameterError` or
    :class:`ValueError` naming the argument and what is accepted.
    """
    if isinstance(neurons, bool) or not isinstance(neurons, int):
        raise ParameterError("neurons", f"got {neurons!r}; accepted: {STUDY_OPTIONS['neurons'].accepted()}")
    duration, settle = recording.duration, recording.settle
    for name, value in (
        ("neurons", neurons),
        ("input_rate", recording.input_rate),
        ("duration", duration),
        ("settle", settle),
        ("phase_spread", recording.phase_spread),
        ("shuffles", analysis.n_shuffles),
        ("bits", analysis.bits_method),
    ):
        if isinstance(value, str) and name != "bits":
            raise ParameterError(name, f"got {value!r}; accepted: {STUDY_OPTIONS[name].accepted()}")
        STUDY_OPTIONS[name].coerce(value)
    RUN_OPTIONS["mismatch"].coerce(mismatch)
    sizes = list(analysis.cluster_sizes) if analysis.cluster_sizes is not None else _cluster_sizes(neurons)
    wins = (
        list(analysis.windows)
        if analysis.windows is not None
        else sorted({*(w for w in DEFAULT_WINDOWS if w <= duration), duration})
    )
    check_cluster_design(neurons, sizes, wins, settle, settle + duration, analysis.n_shuffles, analysis.bits_method)
    params = {**PRECISION_DEFAULTS, **(overrides or {}), "input_rate": recording.input_rate}
    get_circuit("dpi-neuron").params.resolve(params)
    return sizes, wins, params


def precision_study(
    tech: str | Technology = "gf180mcu",
    *,
    neurons: int = 256,
    recording: Recording | None = None,
    seed: int = 1,
    overrides: Mapping[str, object] | None = None,
    analysis: ClusterAnalysis | None = None,
    **run: Unpack[RunOptions],
) -> PrecisionResult:
    """Simulate ``neurons`` mismatched DPI neurons under a regular input and tabulate cluster-rate CVs.

    Parameters
    ----------
    tech
        Technology (name or object).
    neurons
        Neurons of the core (each a Monte Carlo sample with its own seed); at least 4.
    recording
        The input rate and the recording analysed (:class:`Recording`; default 200 Hz, 1 s after 0.2 s).
    seed
        Master seed (per-neuron seeds are spawned from it and stored).
    overrides
        Neuron and synapse parameters on top of :data:`PRECISION_DEFAULTS` (``neurospice show dpi-neuron``).
    analysis
        Cluster sizes, windows, shuffles and the bits conversion (:class:`ClusterAnalysis`).
    **run
        As for :func:`neurospice.monte_carlo` (:mod:`neurospice.montecarlo.config`), except ``tstop``: the
        recording sets it. With ``out``, the tables are written there too (``cluster_cv.csv``,
        ``bits_<method>.csv`` (rows cluster size, columns window), ``comparison.csv``, ``precision.json``;
        the heat map is drawn from them by :func:`neurospice.present.report.save_precision_heatmap`).
    """
    tech = get_technology(tech) if isinstance(tech, str) else tech
    recording, analysis = recording or Recording(), analysis or ClusterAnalysis()
    config = run_config(run, accepted=[k for k in RunOptions.__annotations__ if k != "tstop"])
    mismatch = config.mismatch or default_mismatch(config.engine)
    sizes, wins, params = validate_study(neurons, recording, overrides, analysis, mismatch)
    settle, t_end, seed_ = recording.settle, recording.settle + recording.duration, seed  # the analysed window
    per_neuron: RunOptions = {**run, "tstop": recording.tstop, "mismatch": mismatch}
    neuron = get_circuit("dpi-neuron")
    samples = monte_carlo(neuron, tech, samples=neurons, seed=seed, overrides=params, keep_spikes=True, **per_neuron)
    samples["phase_s"] = phase_offsets(samples["seed"].tolist(), recording)
    ok = samples[samples["status"] == "ok"]
    trains = shifted_trains(
        [np.asarray(s, dtype=np.float64) for s in ok["spike_times"]], ok["phase_s"].to_numpy(), recording
    )
    if len(trains) < 2 * max(sizes):
        failed = samples[samples["status"] != "ok"]["message"].head(3).tolist()
        raise SimulationError(
            f"only {len(trains)} of {neurons} neurons simulated: too few for clusters of {max(sizes)}",
            "\n".join(str(m) for m in failed),
        )
    shuffles, method = analysis.n_shuffles, analysis.bits_method
    table = cluster_rate_cv(
        trains, sizes, wins, span=(settle, t_end), n_shuffles=shuffles, rng=seed_, bits_method=method
    )
    rates = np.array([np.count_nonzero((s >= settle) & (s < t_end)) / recording.duration for s in trains])
    result = PrecisionResult(
        table=table,
        comparison=compare_cluster_cv(table),
        samples=samples,
        rates_hz=rates,
        single_cv=coefficient_of_variation(rates, seed=seed),
        slope=_slope(trains, sizes, max(wins), settle, t_end, shuffles, seed),
        t_start=settle,
        t_stop=t_end,
        settings={
            "technology": tech.name,
            "neurons": neurons,
            "ok": len(trains),
            "input_rate_hz": recording.input_rate,
            "duration_s": recording.duration,
            "settle_s": settle,
            "phase_spread_s": recording.phase_spread,
            "phases": "each neuron analysed as if its input started k/input_rate earlier, k uniform below "
            "phase_spread x input_rate from its seed (phase_s in the samples)",
            "seed": seed,
            "mismatch": mismatch,
            "engine": config.engine,
            "accuracy": accuracy_name(config.options or default_options(config.engine), config.engine),
            "n_shuffles": shuffles,
            "bits_method": method,
            "params": {k: stored(v) for k, v in params.items()},
        },
    )
    if config.folder.out is not None:
        write_precision(result, config.folder.out)
    return result


def write_precision(result: PrecisionResult, out: Path) -> None:
    """Write the tables of a study into ``out`` (each file atomically)."""
    bits = result.table.pivot(index="cluster_size", columns="window_s", values="bits")
    summary = {
        **result.settings,
        "single_neuron_rate_cv": result.single_cv.as_dict(),
        "mean_rate_hz": float(np.mean(result.rates_hz)),
        "cv_vs_cluster_size_slope": result.slope,
        "bits_method": result.settings.get("bits_method"),
    }
    method = result.settings.get("bits_method", "log2_inv_cv2")
    writes: dict[str, Callable[[Path], object]] = {
        "cluster_cv.csv": lambda p: result.table.to_csv(p, index=False),
        f"bits_{method}.csv": lambda p: bits.to_csv(p),
        "comparison.csv": lambda p: result.comparison.to_csv(p, index=False),
        "precision.json": lambda p: p.write_text(json.dumps(summary, indent=2) + "\n"),
    }
    for name, write in writes.items():
        atomic_write(out / name, write)


def scaled_sizes(factor: float, base: Mapping[str, object] | None = None) -> dict[str, float]:
    """W and L of every analog device (:data:`ANALOG_SIZES`) multiplied by ``factor``, clipped to each range.

    Pelgrom's law: scaling W and L by ``f`` divides sigma_VT, hence the current and rate CV, by ``f``.
    """
    neuron = get_circuit("dpi-neuron")
    values = neuron.params.resolve(base)
    out: dict[str, float] = {}
    for group in ANALOG_SIZES:
        for dim in ("w", "l"):
            name = f"syn_{dim}_{group[4:]}" if group.startswith("syn_") else f"{dim}_{group}"
            p = neuron.params[name]
            out[name] = float(np.clip(float(values[name]) * factor, p.low, p.high))  # type: ignore[arg-type]
    return out


def calibrate_sizes(
    tech: str | Technology = "gf180mcu",
    target_cv: float = 0.18,
    *,
    pilot: int = 32,
    recording: Recording | None = None,
    seed: int = 1,
    overrides: Mapping[str, object] | None = None,
    iterations: int = 2,
    **run: Unpack[RunOptions],
) -> tuple[dict[str, object], list[dict[str, float]]]:
    """Choose device sizes so the single-neuron rate CV lands on ``target_cv`` (DYNAP-SE: about 18 %).

    Each iteration runs a pilot population of ``pilot`` neurons, measures the rate CV across
    them and scales every analog device's W and L by ``cv / target_cv`` (Pelgrom: CV ~ 1/sqrt(WL)).
    Returns the overrides to pass to :func:`precision_study` and one record per pilot run
    (``factor`` it ran at, ``cv``, ``ci_low``, ``ci_high``, ``mean_rate_hz``, ``next_factor``). The
    returned sizes are those of the last ``next_factor``: unless the last pilot already landed
    within 5 % of the target, their CV is the Pelgrom prediction, not a measurement. The pilot's CV
    is itself an estimate: with 32 neurons its 95 % interval is about +-25 % of itself.
    """
    if isinstance(target_cv, str):
        raise ParameterError("target_cv", f"got {target_cv!r}; accepted: {STUDY_OPTIONS['target_cv'].accepted()}")
    STUDY_OPTIONS["target_cv"].coerce(target_cv)
    STUDY_OPTIONS["pilot"].coerce(pilot)
    run_config(run, accepted=[k for k in RunOptions.__annotations__ if k not in ("tstop", "out", "resume")])
    recording = recording or Recording(duration=0.3)
    current: dict[str, object] = dict(overrides or {})
    factor, history = 1.0, []
    for _ in range(max(1, iterations)):
        res = precision_study(
            tech,
            neurons=pilot,
            recording=recording,
            seed=seed,
            overrides=current,
            analysis=ClusterAnalysis(cluster_sizes=[1], windows=[recording.duration]),
            **run,
        )
        cv = res.single_cv
        record = {
            "factor": factor,
            "cv": cv.cv,
            "ci_low": cv.ci_low,
            "ci_high": cv.ci_high,
            "mean_rate_hz": float(np.mean(res.rates_hz)),
            "next_factor": factor,
        }
        history.append(record)
        if not (np.isfinite(cv.cv) and cv.cv > 0) or abs(cv.cv / target_cv - 1) < 0.05:
            break
        factor *= cv.cv / target_cv
        record["next_factor"] = factor
        current = {**current, **scaled_sizes(factor, {k: v for k, v in (overrides or {}).items()})}
    return current, history
