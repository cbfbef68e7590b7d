"""Design-space sweeps: a grid of parameter values, optionally a Monte Carlo at every point.

A sweep is one run folder (the Monte Carlo engine's: streamed parts, a lock, ``resume``): task
``i`` is sample ``i % samples`` of grid point ``i // samples``. Every point uses the same
per-sample seeds (common random numbers), so two points differ by their parameters, not by a new
draw of devices. Without ``samples`` each point is one nominal simulation (mismatch off).

The stored table is tidy: one row per (point, sample) with the grid coordinates as columns.
:func:`sweep_dataset` turns it into an :class:`xarray.Dataset` with dimensions (grid
parameters..., ``sample``), SI coordinates, metric units and the run's provenance.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import pandas as pd

from ..analysis.summary import point_summary
from ..circuits import Circuit, circuit_of_run, get_circuit
from ..montecarlo import SAME_RUN, check_dispatch, make_executor, make_plan, prepare_spec, run_manifest, run_tasks
from ..montecarlo.config import RunOptions, run_config
from ..montecarlo.sequential import Stopping
from ..montecarlo.worker import SweepSpec, run_sweep_sample, run_sweep_sample_locked, sweep_setup
from ..ngspice_models import Technology, get_technology
from ..params import ParameterError, Values, stored
from ..params.grid import Grid
from ..store import atomic_write, load_run, read_manifest
from ..store.declarations import declared_units
from ..store.runs import MAX_RUN_SAMPLES
from ..store.sweeps import SUMMARY, SWEEP_FORMAT

__all__ = [
    "LARGE_SWEEP",
    "check_total",
    "design_sweep",
    "load_dataset",
    "load_sweep",
    "run_dataset",
    "sweep_dataset",
    "sweep_summary",
]
_SAME_SWEEP = (*SAME_RUN, "grid", "samples_per_point", "format")


#: simulations a sweep runs without being asked to run more (``--allow-large``, ``allow_large``)
LARGE_SWEEP = 10_000


def check_total(points: int, samples: int, allow_large: bool) -> None:
    """Refuse a sweep of more than :data:`LARGE_SWEEP` simulations unless asked for, and always one of more than
    a run can hold (said before anything runs)."""
    total = points * max(samples, 1)
    said = f"{points} points x {max(samples, 1)} {'samples' if samples else 'nominal run'} = {total} simulations"
    if total > MAX_RUN_SAMPLES:
        raise ParameterError("vary", f"{said}; accepted: at most {MAX_RUN_SAMPLES} in one run")
    if total > LARGE_SWEEP and not allow_large:
        raise ParameterError("allow-large", f"{said}; more than {LARGE_SWEEP} needs --allow-large")


def design_sweep(
    circuit: str | Circuit,
    tech: str | Technology = "gf180mcu",
    vary: Grid | Sequence[str] = (),
    *,
    zipped: bool = False,
    samples: int = 0,
    seed: int = 1,
    overrides: Mapping[str, object] | None = None,
    stopping: Stopping | None = None,
    **run: Unpack[RunOptions],
) -> pd.DataFrame:
    """Simulate ``circuit`` at every point of a grid, optionally with a Monte Carlo at each point.

    Every point's values are validated before anything runs. ``samples`` > 0 runs that many mismatch
    samples per point with the same per-sample seeds at every point (common random numbers: two points
    differ by their bias, not by a new draw of devices).

    Parameters
    ----------
    circuit : str or Circuit
        A circuit or its name (or a netlist path).
    tech : str or Technology, default "gf180mcu"
        The technology.
    vary : Grid or sequence of str
        The axes: ``["i_tau=1p:100p:9:log", "corner=typical,ff,ss", "temp=-40:125:3"]``; several axes make
        the full grid (the first slowest).
    zipped : bool, default False
        Pair the axes point by point instead of taking their product.
    samples : int, default 0
        Mismatch samples per point; 0 runs one nominal simulation per point.
    seed : int, default 1
        The master seed.
    overrides : mapping, optional
        Fixed parameter values.
    stopping : Stopping, optional
        With ``samples`` > 0 (the cap), stop each point on its own at the first checkpoint that meets every
        target (:func:`stopping_rule`).
    **run
        The keywords of every run (:class:`~neurospice.montecarlo.config.RunOptions`): ``tstop``,
        ``mismatch``, ``sampling``, ``out``, ``workers``, ...

    Returns
    -------
    pandas.DataFrame
        The tidy sample table (``point``, the grid parameters, ``seed``, ``status``, metrics...);
        ``attrs["manifest"]`` is the run's manifest and ``attrs["summary"]`` the per-point summary
        (median, sd, CV with its interval, bits, 5/50/95 %), stored as ``out/summary.csv`` with ``out``.

    Raises
    ------
    ParameterError
        A bad axis, value or option, or a grid above the size limit (before anything runs).
    StoreError
        A failed write; the folder stays resumable.

    Examples
    --------
    >>> from neurospice import design_sweep
    >>> table = design_sweep("dpi-synapse", "gf180mcu", ["i_tau=5p,20p"], tstop=0.05, workers=1, progress=False)
    >>> taus = table.set_index("i_tau")["tau_s"]
    >>> float(round(taus[5e-12] / taus[20e-12], 1))  # tau ~ 1/I_tau: 4, plus leakage opposing the 5 pA
    4.1
    """
    circuit, tech = get_circuit(circuit), get_technology(tech)
    config = run_config(run)
    grid = vary if isinstance(vary, Grid) else Grid.parse(list(vary), circuit.params, zipped)
    base = dict(overrides or {})
    clash = [n for n in grid.names if n in base]
    if clash:
        raise ParameterError(clash[0], "both fixed (--set) and varied (--vary); give it once")
    if isinstance(samples, bool) or not isinstance(samples, int) or not 0 <= samples <= 100_000:
        raise ParameterError("samples", f"got {samples!r}; accepted: a whole number in [0, 100000] (0: nominal)")
    per_point = max(samples, 1)
    point_config = dataclasses.replace(config, mismatch=config.mismatch if samples else None)
    points = [circuit.values({**base, **point}, tech) for point in grid.points()]  # validated once, here
    specs = []
    for values in points:
        spec, seeds = prepare_spec(circuit, tech, per_point, seed, values, point_config)
        specs.append(spec if samples else dataclasses.replace(spec, mode="nominal"))
    plan = None
    if stopping is not None:
        if not samples:
            raise ParameterError("target-ci", "needs --samples > 0 (the cap of each point's Monte Carlo)")
        plan = make_plan(stopping, circuit, tech, specs, per_point)
    check_dispatch(config.execution)
    sweep = SweepSpec(tuple(specs), per_point, grid.names, tuple(tuple(p.values()) for p in grid.points()))
    total = len(specs) * per_point
    manifest = run_manifest(circuit, tech, specs[0], total, seed)
    manifest.update(
        format=SWEEP_FORMAT,
        grid=grid.as_dict(),
        samples_per_point=samples,
        mismatch=specs[0].mode,
        common_random_numbers=bool(samples),
        fixed={k: stored(points[0][k]) for k in base},
        **({"stopping_rule": stopping.record()} if stopping is not None else {}),
        params={k: stored(v) for k, v in points[0].items() if k not in grid.names},
    )
    functions = (sweep_setup, run_sweep_sample_locked, run_sweep_sample)
    executor = make_executor(sweep, config.execution, total, functions)
    all_seeds = np.tile(seeds, len(specs))  # common random numbers: sample k has one seed at every point
    table = run_tasks(executor, manifest, _SAME_SWEEP, config, all_seeds, plan)
    if plan is not None:
        manifest["stopping"] = plan.outcome()
    table.attrs["manifest"] = manifest  # what sweep_summary and sweep_dataset read
    summary = sweep_summary(table, manifest, points)
    table.attrs["summary"] = summary  # the same result whatever the flags: the CLI prints it
    out = config.folder.out
    if out is not None:  # what plots and reports draw (the present layer reads stored data only)
        atomic_write(Path(out) / SUMMARY, lambda p: summary.to_csv(p, index=False))
    return table


def load_sweep(out: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The sample table of a sweep folder and its manifest.

    Parameters
    ----------
    out : str or Path
        A sweep folder (``design_sweep(..., out=...)``, ``neurospice sweep --out``).

    Returns
    -------
    table : pandas.DataFrame
        One row per (point, sample), with the grid parameters as columns.
    manifest : dict
        The sweep's manifest (grid, seeds, provenance, declarations).

    Raises
    ------
    StoreError
        No sweep there, or the folder holds another kind of run.

    Examples
    --------
    >>> import tempfile
    >>> from neurospice import design_sweep, load_sweep
    >>> out = tempfile.mkdtemp() + "/sweep"
    >>> _ = design_sweep("dpi-synapse", "gf180mcu", ["i_tau=5p,20p"], tstop=0.05, out=out, workers=1, progress=False)
    >>> table, manifest = load_sweep(out)
    >>> len(table), [axis["name"] for axis in manifest["grid"]["axes"]]
    (2, ['i_tau'])
    """
    manifest = read_manifest(Path(out))
    if manifest.get("format") != SWEEP_FORMAT:
        raise ParameterError("run_dir", f"{out}: not a sweep folder (written by `neurospice sweep --out`)")
    return load_run(out), manifest


def sweep_summary(
    table: pd.DataFrame, manifest: Mapping[str, Any], points: Sequence[Values] | None = None
) -> pd.DataFrame:
    """Per point and metric: mean, sd, CV and its interval, bits, 5/50/95 %, and ``closed_form_cv`` where the
    circuit has a first-order closed form for that metric's CV at that point (tidy, grid coordinates first).

    ``points`` are the validated values of each point when the caller holds them (the sweep that ran);
    without them each point's values are read back from the manifest."""
    names = [a["name"] for a in manifest["grid"]["axes"]]
    summary = point_summary(table, ["point", *names])
    summary["closed_form_cv"] = np.nan
    if int(manifest.get("samples_per_point", 0)) and manifest.get("params") is not None and not summary.empty:
        circuit = circuit_of_run(manifest)
        tech = get_technology(str(manifest["technology"]["technology"]))
        for point, rows in summary.groupby("point"):
            index = int(str(point))
            values = points[index] if points is not None else _stored_values(circuit, manifest, rows, names)
            predicted = _closed_form(circuit, tech, values)
            for metric, cv in predicted.items():
                summary.loc[(summary["point"] == point) & (summary["metric"] == metric), "closed_form_cv"] = cv
    return summary


def _stored_values(circuit: Circuit, manifest: Mapping[str, Any], rows: pd.DataFrame, names: list[str]) -> Values:
    """A point's values from a stored sweep: the manifest's fixed values, then the point's grid coordinates."""
    point = {n: _plain(rows[n].iloc[0]) for n in names}
    return circuit.params.resolve({**manifest["params"], **point})  # a floats parameter's list is accepted as it is


def _closed_form(circuit: Circuit, tech: Technology, values: Values) -> dict[str, float]:
    """The circuit's closed-form CVs at one point (its first-order Pelgrom prediction), by metric."""
    from ..sim.simulation import technology_facts

    facts = technology_facts(tech, values)
    return {m: float(p["cv"]) for m, p in circuit.predicted_cv(values, tech, facts).items()}  # type: ignore[arg-type]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def sweep_dataset(table: pd.DataFrame, manifest: Mapping[str, Any]) -> Any:
    """An :class:`xarray.Dataset` of a sweep: metrics over (grid parameters..., ``sample``).

    A full grid has one dimension per parameter; a zipped grid has ``point`` with the parameters as
    coordinates along it. Attributes: units (per variable), circuit, technology with model
    hashes, versions, seed, mismatch mode, options.
    """
    import xarray as xr

    from ..analysis.summary import metric_columns

    axes = manifest["grid"]["axes"]
    names = [a["name"] for a in axes]
    samples = max(int(manifest["samples_per_point"]), 1)
    metrics = [m for m in metric_columns(table) if m not in names]
    units = declared_units(manifest)
    ok = table.assign(**{m: table[m].where(table["status"] == "ok") for m in metrics})
    if manifest["grid"]["zipped"]:
        dims = ["point", "sample"]
        index = pd.MultiIndex.from_product([range(len(axes[0]["values"])), range(samples)], names=dims)
        frame = ok.set_index(["point", "device"])[metrics].reindex(index)
        ds = xr.Dataset.from_dataframe(frame)
        for a in axes:
            ds = ds.assign_coords({a["name"]: ("point", np.asarray(a["values"]))})
    else:
        dims = [*names, "sample"]
        index = pd.MultiIndex.from_product([*[a["values"] for a in axes], range(samples)], names=dims)
        frame = ok.rename(columns={"device": "sample_"}).set_index([*names, "sample_"])[metrics]
        frame.index = frame.index.set_names(dims)
        ds = xr.Dataset.from_dataframe(frame.reindex(index))
    seeds = ok[ok["point"] == 0].sort_values("device")["seed"].to_numpy()
    ds = ds.assign_coords(seed=("sample", seeds[:samples]) if seeds.size == samples else ("sample", np.arange(samples)))
    for name in metrics:
        ds[name].attrs["units"] = units.get(name, "")
    for name in names:
        ds[name].attrs["units"] = units.get(name, "")
        ds[name].attrs["scale"] = next(a["scale"] for a in axes if a["name"] == name)
    ds.attrs.update(
        circuit=str(manifest["circuit"]),
        technology=str(manifest["technology"]["technology"]),
        provenance=_json(manifest),
        seed=int(manifest["seed"]),
        mismatch=str(manifest["mismatch"]),
        common_random_numbers=int(bool(manifest.get("common_random_numbers"))),
    )
    return ds


def _json(manifest: Mapping[str, Any]) -> str:
    import json

    return json.dumps(manifest, sort_keys=True, default=str)


def run_dataset(table: pd.DataFrame, manifest: Mapping[str, Any] | None = None) -> Any:
    """An :class:`xarray.Dataset` of any run's sample table: a sweep's over (grid..., ``sample``), a Monte
    Carlo run's over ``sample`` (metrics, ``status``, per-device offsets ``dvt_*``; the seed as a coordinate)."""
    import xarray as xr

    from ..analysis.summary import metric_columns

    manifest = manifest if manifest is not None else table.attrs.get("manifest", {})
    if manifest.get("format") == SWEEP_FORMAT:
        return sweep_dataset(table, manifest)
    keep = [*metric_columns(table), *(c for c in table.columns if c.startswith("dvt_")), "status"]
    frame = table.set_index("sample")[[c for c in keep if c in table.columns]]
    ds = xr.Dataset.from_dataframe(frame).assign_coords(seed=("sample", table["seed"].to_numpy()))
    units = declared_units(manifest)
    for name in ds.data_vars:
        ds[name].attrs["units"] = "V" if str(name).startswith("dvt_") else units.get(str(name), "")
    ds.attrs.update(
        circuit=str(manifest.get("circuit", "")),
        provenance=_json(manifest),
        technology=str(manifest.get("technology", {}).get("technology", "")),
        seed=int(manifest.get("seed", 0)),
        mismatch=str(manifest.get("mismatch", "")),
    )
    return ds


def load_dataset(out: str | Path) -> Any:
    """The labelled data of any run folder, as an ``xarray.Dataset``.

    A sweep's metrics over (grid parameters..., ``sample``), a Monte Carlo run's over ``sample``, with
    SI coordinates, each variable's unit, the seed per sample and the manifest (technology files and
    hashes, versions, options) as attributes.

    Parameters
    ----------
    out : str or Path
        A Monte Carlo run or sweep folder.

    Returns
    -------
    xarray.Dataset
        One variable per metric, ``units`` in its attributes; ``attrs["manifest"]`` holds the provenance.

    Raises
    ------
    StoreError
        No run folder there.

    Examples
    --------
    >>> import tempfile
    >>> from neurospice import load_dataset, monte_carlo
    >>> out = tempfile.mkdtemp() + "/mc"
    >>> _ = monte_carlo("dpi-synapse", "gf180mcu", samples=3, seed=1, tstop=0.03, out=out, workers=1, progress=False)
    >>> ds = load_dataset(out)
    >>> ds["tau_s"].dims, ds["tau_s"].attrs["units"]
    (('sample',), 's')
    """
    table = load_run(out)
    return run_dataset(table, table.attrs["manifest"])
