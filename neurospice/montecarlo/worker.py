"""The worker side of a Monte Carlo run: what one process needs to simulate any sample of a run.

A worker builds its state once per run specification (circuit, technology, values, the
technology's kappa figures from two characterisation sweeps), then simulates samples: ``pdk``
mode loads the deck once and loops ``setseed; reset; run``; ``pelgrom`` mode draws each
device's threshold offset from the sample's seed and reloads the deck. A row holds the sample's
index, seed, status, ngspice's message on failure, the metrics, and the offsets (``pelgrom``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..circuits import Bench, get_circuit
from ..engines import SimulationError, get_engine
from ..ngspice_models import Technology, TechnologyFacts, get_technology
from ..params import Value, Values
from ..params.options import SimOptions
from ..sim.simulation import run_measures, technology_facts

__all__ = ["MismatchMode", "Spec", "offsets_for", "run_sample", "run_sample_locked", "setup"]

MismatchMode = Literal["pdk", "pelgrom", "nominal"]
STATUS_OK, STATUS_FAILED, STATUS_CRASHED, STATUS_TIMEOUT = "ok", "failed", "crashed", "timeout"


@dataclass(frozen=True)
class Spec:
    """Everything a worker needs to run any sample (picklable, hashable)."""

    circuit: str
    technology: str
    #: validated by the run's entry point (a worker trusts them: :meth:`Circuit.values` returns them as they are)
    values: Values
    tstop: float
    mode: MismatchMode
    keep_waveforms: bool
    options: SimOptions
    keep_spikes: bool = False
    #: a user netlist's description file when given explicitly (``--describe``)
    describe: str = ""
    #: the simulator (:data:`neurospice.engines.ENGINES`)
    engine: str = "ngspice"
    #: a user netlist's folders (besides its own) that its includes may read (``--include-dir``)
    include_dirs: tuple[str, ...] = ()
    #: pelgrom mode: ``random`` (each sample's own generator), ``lhs`` or ``sobol`` (:mod:`.sequential`)
    sampling: str = "random"
    #: the run's master seed and its samples (per point), from which a design is drawn
    design_seed: int = 0
    design_size: int = 0


_WORKER: dict[str, Any] = {}
_LOCK = threading.Lock()  # one ngspice per process: serialize threads (dask workers may have several)


def _worker_state(spec: Spec) -> dict[str, Any]:
    if _WORKER.get("spec") != spec:
        circuit = get_circuit(spec.circuit, spec.describe or None, spec.include_dirs)
        tech = get_technology(spec.technology)
        values = circuit.values(spec.values, tech)  # validated by the run's entry point: returned as it is
        facts = technology_facts(tech, values) if circuit.needs_facts else TechnologyFacts.unknown()
        _WORKER.update(spec=spec, bench=circuit.bind(values, tech, spec.tstop, facts), loaded=False)
    return _WORKER


def offsets_for(
    devices: Iterable[Any], tech: Technology, seed: int, normals: np.ndarray | None = None
) -> dict[str, float]:
    """Pelgrom threshold offsets (V) for ``devices``, in device order: sigma x ``normals`` (a design's row), or
    sigma x ``default_rng(seed)``'s standard normals."""
    devices = list(devices)
    z = np.random.default_rng(seed).standard_normal(len(devices)) if normals is None else normals
    return {d.key: float(d.sigma_vt(tech) * zi) for d, zi in zip(devices, z, strict=True)}


def _design_row(state: dict[str, Any], spec: Spec, index: int, devices: int) -> np.ndarray | None:
    """Row ``index`` (within its point) of the run's design, drawn once per worker; None for random sampling."""
    if spec.sampling == "random":
        return None
    key = (spec.sampling, spec.design_seed, spec.design_size, devices)
    if state.get("design_key") != key:
        from .sequential import design_normals

        state.update(design_key=key, design=design_normals(spec.sampling, spec.design_seed, spec.design_size, devices))  # type: ignore[arg-type]
    design: np.ndarray = state["design"]
    return np.asarray(design[index % spec.design_size])


def setup(spec: Spec) -> None:
    """One-off worker set-up (imports, the technology's kappa sweeps): not counted against the timeout."""
    _worker_state(spec)


def run_sample(spec: Spec, index: int, seed: int) -> dict[str, Any]:
    """One sample, for workers that may run several threads (Dask): one ngspice per process."""
    with _LOCK:
        _worker_state(spec)
        return run_sample_locked(spec, index, seed)


def run_sample_locked(spec: Spec, index: int, seed: int) -> dict[str, Any]:
    state = _worker_state(spec)
    bench: Bench = state["bench"]
    tech = bench.tech
    engine = get_engine(spec.engine)
    row: dict[str, Any] = {
        "sample": index,
        "seed": seed,
        "status": STATUS_OK,
        "message": "",
        "worker": os.getpid(),
        "ngspice": engine.version,
    }
    start = time.perf_counter()
    try:
        if spec.mode in ("pdk", "nominal"):  # parse once, then redraw (pdk) or rerun (nominal) per sample
            if not state["loaded"]:
                deck = bench.deck(spec.options, mismatch=spec.mode == "pdk")
                engine.load(deck, tech.ngspice_settings, tech, spec.options)
                state["loaded"] = True
            if spec.mode == "pdk":
                engine.command(f"setseed {seed}")
            engine.command("reset")
        else:
            offsets = offsets_for(bench.devices, tech, seed, _design_row(state, spec, index, len(bench.devices)))
            row.update({f"dvt_{k}": v for k, v in offsets.items()})
            engine.load(bench.deck(spec.options, offsets=offsets), tech.ngspice_settings, tech, spec.options)
            state["loaded"] = False
        t_sim = time.perf_counter()
        vectors = engine.run()
        row["sim_s"] = time.perf_counter() - t_sim  # the engine's own analysis (the floor)
        measured, said = run_measures(engine, bench)
        waves = bench.waveforms(vectors)
        row.update(bench.evaluate(waves, vectors, measured))
        row["message"] = "; ".join([*bench.checks(waves), *said])  # a warning on an ok sample
        if spec.keep_spikes:
            row["spike_times"] = bench.spike_times(waves).tolist()
        if spec.keep_waveforms:
            row["_waves"] = waves
    except SimulationError as exc:
        row.update(status=STATUS_FAILED, message=_last_lines(exc.output or str(exc)))
        state["loaded"] = False
    finally:
        if state["loaded"]:
            engine.command("destroy all")  # keep the circuit, free the plot
    row["wall_s"] = time.perf_counter() - start
    return row


def _last_lines(text: str, n: int = 4) -> str:
    return " | ".join(ln.strip() for ln in text.strip().splitlines()[-n:])


@dataclass(frozen=True)
class SweepSpec:
    """A grid of run specifications, ``samples`` tasks each: task ``i`` is sample ``i % samples`` of point
    ``i // samples`` (every point uses the same per-sample seeds: common random numbers)."""

    specs: tuple[Spec, ...]
    samples: int
    names: tuple[str, ...]
    points: tuple[tuple[Value, ...], ...]


def sweep_setup(spec: SweepSpec) -> None:
    """One-off set-up with the first point, once per worker (the pool calls this before every task: setting
    up point 0 again would throw away the loaded deck of the point the worker is on)."""
    if not _WORKER:
        setup(spec.specs[0])


def run_sweep_sample_locked(spec: SweepSpec, index: int, seed: int) -> dict[str, Any]:
    """Task ``index`` of a sweep: its point's sample, labelled with the point and its grid coordinates."""
    point, device = divmod(index, spec.samples)
    row = run_sample_locked(spec.specs[point], index, seed)
    row.update({"point": point, "device": device, **dict(zip(spec.names, spec.points[point], strict=True))})
    return row


def run_sweep_sample(spec: SweepSpec, index: int, seed: int) -> dict[str, Any]:
    """:func:`run_sweep_sample_locked` for workers that may run several threads (Dask)."""
    with _LOCK:
        return run_sweep_sample_locked(spec, index, seed)
