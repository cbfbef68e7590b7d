"""Monte Carlo mismatch runs: reproducible per-sample seeds, all cores or a Dask cluster, streamed to disk.

Seeds. ``numpy.random.SeedSequence(seed).spawn(samples)`` gives each sample its own seed (an
integer in [1, 2**31 - 1], recorded with its result). Sample k gives the same numbers whatever
the worker count, order or machine:

- ``pdk`` mode: the technology's own statistical model. Each worker loads the deck once and
  loops ``setseed <seed_k>; reset; run``, which makes ngspice redraw every per-instance random
  value without re-reading files (``.options seed`` is never written: with a reset loop it
  would repeat one sample).
- ``pelgrom`` mode: each transistor's threshold offset is drawn in Python,
  ``dvt = sigma_VT(W, L) * N(0, 1)`` with ``numpy.random.default_rng(seed_k)`` in the fixed device
  order of :meth:`Circuit.devices`, written into the deck as ``dvt_<device>`` and stored in the
  table (columns ``dvt_<instance>.<device>``). The deck is re-loaded per sample.

Bias cells are never mismatched (they stand for a core's shared bias generator). In pelgrom
mode the offsets may also come from a Latin hypercube or a Sobol' design, and a run may stop as
soon as its intervals are narrow enough (``sampling``, ``stopping``: :mod:`.sequential`).

Output. ``DIR/manifest.json`` (circuit, parameters, technology and model hashes, versions,
seed, mode, and the stored samples' counts by status) and ``DIR/samples/part-*.parquet``: one
row per sample (``sample``, ``seed``, ``status``, ``message``, ``attempts``, ``first_failure``,
``wall_s``, metrics, offsets). Parts have names no other writer can pick and are written to a
temporary name and renamed, so a run killed at any moment loses at most the samples not yet
flushed, and ``resume=True`` runs exactly the missing ones. The folder is locked while a run
writes it. :func:`load_run` returns the table and says what is missing (:mod:`neurospice.store`).

Failures. A sample whose simulation fails is recorded as ``failed`` with ngspice's message; a
worker that dies takes only its own sample down as ``crashed`` and is replaced; with
``timeout``, the parent kills a worker whose sample runs over and the sample is ``timeout``.
Each is run once more (``attempts`` = 2, the first reason in ``first_failure``); what still
fails stays in the table, and the run goes on. Interrupts: see ``grace``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import pandas as pd

from ..analysis.summary import run_summary as summary
from ..circuits import Circuit, get_circuit
from ..engines import check_engine
from ..ngspice_models import Technology, get_technology
from ..params import Param, ParameterError, ParamSpec, stored
from ..params.options import accuracy_name, default_mismatch, default_options
from ..sim.simulation import run_length
from ..store import PartWriter, StoreError, load_run, open_run, record_status, versions
from ..store.declarations import declarations
from ..store.runs import record_stopping, stored_rows
from .config import Execution, RunConfig, RunOptions, run_config
from .dispatch import DaskExecutor, LocalPool, StopRequest, Task, catch_interrupts, connect_dask
from .progress import ProgressDisplay
from .sequential import (
    ESTIMATORS,
    SAMPLINGS,
    SequentialPlan,
    Stopping,
    check_sampling,
    check_sweep_estimator,
    offset_estimator,
    plain_estimator,
)
from .worker import STATUS_OK, MismatchMode, Spec, run_sample, run_sample_locked, setup

__all__ = [
    "RUN_OPTIONS",
    "MismatchMode",
    "RunInterrupted",
    "Stopping",
    "default_mismatch",
    "load_run",
    "monte_carlo",
    "rerun_samples",
    "run_tasks",
    "sample_seeds",
    "summary",
]


#: Options of a Monte Carlo run, declared like circuit parameters (the CLI shows and parses these).
RUN_OPTIONS = ParamSpec(
    (
        Param("samples", "", "Monte Carlo samples", 100, 1, 10_000_000, kind="int"),
        Param(
            "seed", "", "master seed; each sample's seed is spawned from it and recorded", 1, 0, 2**63 - 1, kind="int"
        ),
        Param(
            "mismatch",
            "",
            "pdk: the technology's statistical model; pelgrom: offsets drawn here, stored",
            "pdk",
            kind="choice",
            choices=("pdk", "pelgrom"),
        ),
        Param(
            "sampling",
            "",
            "pelgrom mode: random (each sample's own draw), lhs (Latin hypercube) or sobol (scrambled Sobol')",
            "random",
            kind="choice",
            choices=SAMPLINGS,
        ),
        Param(
            "estimator",
            "",
            "--target-ci's estimate: plain Monte Carlo, or a control variate from the offsets regression, the "
            "circuit's closed form or the calibrated DPI equation (pelgrom mode)",
            "plain",
            kind="choice",
            choices=ESTIMATORS,
        ),
        Param("pilot", "", "--target-ci: samples before the rule is first read", 32, 3, 10_000_000, kind="int"),
        Param("batch", "", "--target-ci: samples added between readings", 16, 1, 10_000_000, kind="int"),
        Param("workers", "", "worker processes on this machine (default: all cores)", 1, 1, 1024, kind="int"),
        Param("timeout", "s", "seconds one sample may take after its worker's set-up", 600.0, 1e-3, 1e6),
        Param("grace", "s", "after a first Ctrl-C, seconds running samples may take to finish", 5.0, 0.0, 1e6),
    )
)


def sample_seeds(seed: int, samples: int) -> np.ndarray:
    """Per-sample ngspice/numpy seeds in [1, 2**31 - 1] spawned from ``seed`` (SeedSequence)."""
    children = np.random.SeedSequence(seed).spawn(samples)
    return np.array([int(c.generate_state(1, np.uint32)[0]) % (2**31 - 2) + 1 for c in children], dtype=np.int64)


# ----------------------------------------------------------------------------- run


def run_manifest(circuit: Circuit, tech: Technology, spec: Spec, samples: int, seed: int) -> dict[str, Any]:
    source = circuit.provenance()  # a user netlist: its file and SHA-256 (read once)
    return {
        "format": "neurospice-mc-1",
        "circuit": circuit.name,
        **({"circuit_describe": circuit.describe} if circuit.describe else {}),
        **({"circuit_include_dirs": list(circuit.include_dirs)} if circuit.include_dirs else {}),
        **({"circuit_source": source} if source else {}),
        "technology": tech.provenance(),
        "params": {k: stored(v) for k, v in spec.values.items()},
        "declarations": declarations(circuit),
        "tstop_s": spec.tstop,
        "mismatch": spec.mode,
        "samples": samples,
        "seed": seed,
        "keep_waveforms": spec.keep_waveforms,
        "keep_spikes": spec.keep_spikes,
        "sampling": spec.sampling,
        "engine": spec.engine,
        "options": dataclasses.asdict(spec.options),
        "accuracy": accuracy_name(spec.options, spec.engine),
        "versions": versions(engine=spec.engine),
    }


def rerun_samples(out: str | Path, samples: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Run stored samples of a Monte Carlo folder again, in this process, from their stored seeds (and, in pelgrom
    mode, the same offsets, which the seeds and the run's design give), with their waveforms.

    What a report shows of a run that kept no waveforms. Returns each sample's row (its metrics, and its probe
    waveforms under ``"_waves"``), as the run's workers make them; nothing is written.
    """
    from ..circuits import circuit_of_run, values_of_run
    from ..params.options import SimOptions
    from ..store import read_manifest

    manifest = read_manifest(Path(out))
    circuit = circuit_of_run(manifest)
    tech = get_technology(str(manifest["technology"]["technology"]))
    config = run_config(
        {
            "tstop": float(manifest["tstop_s"]),
            "mismatch": manifest["mismatch"],
            "options": SimOptions(**manifest["options"]),
            "engine": manifest.get("engine", "ngspice"),
            "sampling": str(manifest.get("sampling", "random")),
        }
    )
    # the run's own spec and seeds, as the run derived them (the seeds are also the table's)
    spec, seeds = prepare_spec(
        circuit,
        tech,
        int(manifest["samples"]),
        int(manifest["seed"]),
        values_of_run(circuit, manifest),
        config,
        keep_waveforms=True,
    )
    return {int(i): run_sample(spec, int(i), int(seeds[int(i)])) for i in samples}


#: Manifest keys that must match for ``resume`` (they change what the stored rows mean or hold).
SAME_RUN = (
    "circuit",
    "circuit_describe",
    "circuit_include_dirs",
    "circuit_source",
    "params",
    "tstop_s",
    "mismatch",
    "samples",
    "seed",
    "technology",
    "options",
    "keep_spikes",
    "keep_waveforms",
    "engine",
    "sampling",
    "stopping_rule",
)


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by SIGINT/SIGTERM after storing what had finished; ``resume=True`` completes it."""

    def __init__(self, stored: int, total: int, out: Path | None, signum: int) -> None:
        where = f" in {out}" if out is not None else " (no out folder: nothing kept)"
        super().__init__(f"interrupted: {stored} of {total} samples stored{where}")
        self.stored, self.total, self.out, self.signum = stored, total, out, signum


def monte_carlo(
    circuit: str | Circuit,
    tech: str | Technology = "gf180mcu",
    *,
    samples: int,
    seed: int,
    overrides: Mapping[str, object] | None = None,
    keep_waveforms: bool = False,
    keep_spikes: bool = False,
    stopping: Stopping | None = None,
    **run: Unpack[RunOptions],
) -> pd.DataFrame:
    """Run ``samples`` mismatch samples of ``circuit`` and return their table (one row per sample).

    Sample k's seed is spawned from ``seed`` (``numpy.random.SeedSequence``) and stored, so sample k is the
    same whatever the number of workers, their order, the machine or ``samples``. With ``out`` the run is
    streamed to a folder, locked while it runs, and resumable after a kill.

    Parameters
    ----------
    circuit : str or Circuit
        A circuit or its name (or a netlist path).
    tech : str or Technology, default "gf180mcu"
        The technology.
    samples : int
        Number of samples (the cap when ``stopping`` is given).
    seed : int
        The master seed.
    overrides : mapping, optional
        Circuit parameters (validated before anything runs).
    keep_waveforms : bool, default False
        Also store each sample's probe waveforms (``out/waveforms/sample-NNNNNN.parquet``).
    keep_spikes : bool, default False
        Also store each sample's spike times (s) in a list column ``spike_times``.
    stopping : Stopping, optional
        A sequential rule (:func:`stopping_rule`): the run stops at the first checkpoint that meets every
        target (a prefix of the full run).
    **run
        The run's configuration (:class:`~neurospice.montecarlo.config.RunOptions`): ``tstop``,
        ``mismatch`` (``pdk`` or ``pelgrom``), ``sampling`` (pelgrom mode: ``random``, ``lhs`` or ``sobol``),
        ``options``, ``engine``, ``out``, ``resume``, ``workers``, ``client`` (Dask), ``progress``,
        ``timeout``, ``grace``.

    Returns
    -------
    pandas.DataFrame
        One row per sample: ``sample``, ``seed``, ``status`` (``ok``, ``failed``, ``crashed``, ``timeout``),
        ``message`` (ngspice's, for a failure), ``attempts``, ``first_failure``, the metrics and, in pelgrom
        mode, each device's offset (``dvt_...``). ``attrs["manifest"]`` is the run's manifest.

    Raises
    ------
    ParameterError
        Bad values or options (before anything runs).
    StoreError
        A failed write (disk full): what was stored is intact and ``resume=True`` completes the run.
    RunInterrupted
        After Ctrl-C or SIGTERM, once what finished is stored.

    Examples
    --------
    >>> from neurospice import monte_carlo
    >>> table = monte_carlo("dpi-synapse", "gf180mcu", samples=4, seed=1, tstop=0.03, workers=1, progress=False)
    >>> table["status"].tolist(), table["seed"].nunique()
    (['ok', 'ok', 'ok', 'ok'], 4)
    """
    circuit, tech = get_circuit(circuit), get_technology(tech)
    config = run_config(run)
    spec, seeds = prepare_spec(circuit, tech, samples, seed, overrides, config, keep_waveforms)
    spec = dataclasses.replace(spec, keep_spikes=bool(keep_spikes))
    plan = None
    if stopping is not None:
        plan = make_plan(stopping, circuit, tech, [spec], samples)
    check_dispatch(config.execution)
    manifest = run_manifest(circuit, tech, spec, samples, seed)
    if stopping is not None:
        manifest["stopping_rule"] = stopping.record()
    executor = make_executor(spec, config.execution, samples)
    return run_tasks(executor, manifest, SAME_RUN, config, seeds, plan)


def make_plan(
    rule: Stopping, circuit: Circuit, tech: Technology, specs: Sequence[Spec], per_group: int
) -> SequentialPlan:
    """The checkpoints of a stopped run over ``specs`` (one per sweep point), its estimators built and checked
    (before anything runs)."""
    rule.check(per_group, specs[0].mode)
    metrics = {m.name for m in circuit.metrics}
    for target in rule.targets:
        if target.metric not in metrics:
            raise ParameterError(
                "target-ci",
                f"{target.metric!r} is not a metric of {circuit.name}; accepted: {', '.join(sorted(metrics))}",
            )
    if len(specs) > 1:
        check_sweep_estimator(rule.estimator)
    if rule.models is not None:
        if len(rule.models) != len(rule.targets):
            raise ParameterError("estimator", f"{len(rule.models)} estimators for {len(rule.targets)} targets")
        return SequentialPlan(rule, per_group, len(specs), [list(rule.models)] * len(specs))
    if rule.estimator in ("equation", "closed-form"):
        raise ParameterError(
            "estimator",
            f"{rule.estimator} needs its cheap model: build the rule with "
            "neurospice.studies.estimate.rule_with_models(rule, circuit, tech, values)",
        )
    chosen = []
    for spec in specs:
        if rule.estimator == "regression":  # each point's own devices (a sweep may change their sizes)
            sigmas = {f"dvt_{d.key}": d.sigma_vt(tech) for d in circuit.devices(spec.values)}
            chosen.append([offset_estimator(sigmas, rule.confidence)] * len(rule.targets))
        else:
            chosen.append([plain_estimator(rule.confidence)] * len(rule.targets))
    return SequentialPlan(rule, per_group, len(specs), chosen)


def run_tasks(
    executor: Any,
    manifest: dict[str, Any],
    compare: tuple[str, ...],
    config: RunConfig,
    seeds: Sequence[int] | np.ndarray,
    plan: SequentialPlan | None = None,
) -> pd.DataFrame:
    """Run task ``i`` with ``seeds[i]`` for every ``i`` not yet stored in ``out``; stream, retry, resume.

    The engine of :func:`monte_carlo` and of design sweeps: one row per task, stored in parts,
    the folder locked while written, a first interrupt draining for ``grace`` seconds. With a
    ``plan``, the tasks it asks for, checkpoint by checkpoint, until it stops (its outcome is
    stored in the manifest as ``stopping``).
    """
    total = len(seeds)
    out_dir, resume = config.folder.out, config.folder.resume
    grace, wanted = config.execution.grace, config.execution.progress
    bar = ProgressDisplay() if wanted is True else None
    progress = bar if bar is not None else (wanted if callable(wanted) else None)
    try:
        with catch_interrupts(grace) as stop:
            folder = (
                open_run(out_dir, manifest, resume, compare)
                if out_dir is not None
                else contextlib.nullcontext(set[int]())
            )
            with folder as done:
                if bar is not None:  # drawn at once, not at the first stored sample
                    bar(len(done), 0, total)
                writer = PartWriter(out_dir, every=int(np.clip(total // 50, 1, 256)))
                batch = list(range(total)) if plan is None else plan.first()
                while batch:
                    todo = [(i, int(seeds[i]), 1) for i in batch if i not in done]
                    stored = len(done) + writer.stored + len(writer.rows)
                    _drive(executor, todo, writer, stop, grace, progress, stored, total)
                    if plan is None or stop.count:
                        break
                    batch = plan.advance(stored_rows(out_dir, writer.rows))
                if out_dir is not None:
                    if plan is not None:
                        record_stopping(out_dir, plan.outcome())
                    record_status(out_dir)
                if stop.count:
                    raise RunInterrupted(len(done) + writer.stored + len(writer.rows), total, out_dir, stop.signum)
    finally:
        executor.close()
        if bar is not None:
            bar.close()
    if out_dir is not None:
        return load_run(out_dir)
    table = pd.DataFrame(writer.rows)
    table = table.sort_values("sample").reset_index(drop=True) if not table.empty else table
    if plan is not None:
        table.attrs["stopping"] = plan.outcome()
    return table


def _drive(
    executor: Any,
    todo: list[Task],
    writer: PartWriter,
    stop: StopRequest,
    grace: float,
    progress: Callable[[int, int, int], None] | None,
    done: int,
    total: int,
) -> None:
    """Run ``todo`` to the end (or to an interrupt), retrying each failure once, storing every final row."""
    for task in todo:
        executor.submit(task)
    counts = {"done": done, "failed": 0}
    first: dict[int, str] = {}
    draining = False
    try:
        while executor.pending():
            if stop.count and not draining:
                executor.cancel_queued()
                draining = True
            if stop.hard() or (draining and time.monotonic() - stop.first_at > grace):
                executor.kill_running()
                break
            for (index, seed, attempt), row in executor.poll(0.2):
                if row["status"] != STATUS_OK and attempt == 1:
                    if not draining:  # once more (a crash or timeout: on a new worker); stopping: left to a resume
                        first[index] = f"{row['status']}: {row['message']}"
                        executor.submit((index, seed, 2))
                    continue
                row.update(attempts=attempt, first_failure=first.pop(index, ""))
                writer.add(row)
                counts["done"] += 1
                counts["failed"] += row["status"] != STATUS_OK
                if progress is not None:
                    progress(counts["done"], counts["failed"], total)
        writer.flush()
    except StoreError:
        executor.kill_running()
        raise


def check_dispatch(execution: Execution) -> None:
    """Refuse workers, timeout or grace out of range (before anything runs)."""
    workers, timeout, grace = execution.workers, execution.timeout, execution.grace
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)):
        raise ParameterError("workers", f"got {workers!r}; accepted: {RUN_OPTIONS['workers'].accepted()}")
    for name, value in (("workers", workers), ("timeout", timeout), ("grace", grace)):
        if value is not None:
            RUN_OPTIONS[name].coerce(value)


def make_executor(
    spec: Any,
    execution: Execution,
    samples: int,
    functions: tuple[Callable[..., Any], ...] = (setup, run_sample_locked, run_sample),
) -> Any:
    """A Dask executor (connecting to an address first) or a local pool sized to the work.

    ``functions`` are the worker's set-up, its task runner, and the runner Dask calls (thread-safe).
    """
    setup_fn, run_fn, dask_fn = functions
    workers, client, timeout = execution.workers, execution.client, execution.timeout
    if client is not None:
        if isinstance(client, str):
            client = connect_dask(client)
        return DaskExecutor(client, spec, dask_fn)
    count = max(1, min(workers or os.cpu_count() or 1, samples))
    return LocalPool(count, spec, setup_fn, run_fn, timeout=timeout, start_method=_start_method())


def _start_method() -> str:
    """``fork`` (fast, no ``__main__`` guard needed) unless this process holds libngspice: then ``spawn``.

    A forked child would inherit ngspice's global state; scripts that simulate before calling
    :func:`monte_carlo` therefore need the usual ``if __name__ == "__main__":`` guard.
    """
    from ..engines import engine_loaded

    return "spawn" if engine_loaded() else "fork"


def prepare_spec(
    circuit: Circuit,
    tech: Technology,
    samples: int,
    seed: int,
    overrides: Mapping[str, object] | None,
    config: RunConfig,
    keep_waveforms: bool = False,
) -> tuple[Spec, np.ndarray]:
    """A run's worker specification and per-sample seeds, everything validated (nothing has run yet)."""
    engine, options, tstop = config.engine, config.options, config.tstop
    check_engine(engine, tech, circuit)
    mismatch = config.mismatch or default_mismatch(engine)
    for name, value in (("samples", samples), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int):  # the API takes ints; text is the CLI's business
            raise ParameterError(name, f"got {value!r}; accepted: {RUN_OPTIONS[name].accepted()}")
    for name, given in (("samples", samples), ("seed", seed), ("mismatch", mismatch)):
        RUN_OPTIONS[name].coerce(given)
    if engine == "vacask" and mismatch == "pdk":
        raise ParameterError(
            "mismatch",
            "got 'pdk' with the vacask engine; accepted: pelgrom (the PDK's own draws "
            "happen in ngspice's parser, which VACASK does not run)",
        )
    sampling = config.sampling
    check_sampling(sampling, mismatch, samples)
    values = circuit.values(overrides, tech)
    if mismatch == "pelgrom" and not circuit.devices(values):  # raises for a netlist whose sizes are not numbers
        raise ParameterError(
            "mismatch",
            f"pelgrom mode needs devices with a threshold-offset parameter; "
            f"{circuit.name} has none: use pdk (the technology's own statistics)",
        )
    stop = run_length(circuit, tstop)
    if engine == "vacask":  # what VACASK cannot take is refused here, before any sample runs
        from ..engines.vacask import VacaskEngine

        chosen = options or default_options(engine)
        VacaskEngine.translate(circuit.bind(values, tech, stop).deck(chosen), tech, chosen)
    spec = Spec(
        circuit.name,
        tech.name,
        values,
        stop,
        "pdk" if mismatch == "pdk" else "pelgrom",
        bool(keep_waveforms),
        options or default_options(engine),
        describe=circuit.describe,
        engine=engine,
        include_dirs=circuit.include_dirs,
        sampling=sampling,
        design_seed=seed,
        design_size=samples,
    )
    tech.model_files()  # a missing or altered technology stops the run before it starts
    return spec, sample_seeds(seed, samples)
