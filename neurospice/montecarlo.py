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

Bias cells are never mismatched (they stand for a core's shared bias generator).

Output. ``DIR/manifest.json`` (circuit, parameters, technology and model hashes, versions,
seed, mode) and ``DIR/samples/part-*.parquet``: one row per sample (``sample``, ``seed``,
``status``, ``message``, ``wall_s``, metrics, offsets), each part written to a temporary name
and renamed, so a run killed at any moment loses at most the samples not yet flushed, and
``resume=True`` runs exactly the missing ones. :func:`load_run` returns the table.

Failures. A sample whose simulation fails is recorded as ``failed`` with ngspice's message; a
worker that dies takes its in-flight samples down as ``crashed``; with ``timeout``, a worker
whose sample runs over ends itself and the sample is ``timeout``. All are retried once on fresh
worker processes, one at a time (so a second death is that sample's own); what still fails
stays in the table with both reasons, and the run goes on.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing as mp
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .circuits import Circuit, get_circuit
from .engine import SimOptions, SimulationError, get_engine
from .ngspice_models import Technology, get_technology
from .params import ParameterError, Value
from .simulation import technology_facts, validate_tstop

__all__ = ["MismatchMode", "load_run", "monte_carlo", "sample_seeds"]

MismatchMode = Literal["pdk", "pelgrom"]
_STATUS_OK, _STATUS_FAILED, _STATUS_CRASHED, _STATUS_TIMEOUT = "ok", "failed", "crashed", "timeout"


def sample_seeds(seed: int, samples: int) -> np.ndarray:
    """Per-sample ngspice/numpy seeds in [1, 2**31 - 1] spawned from ``seed`` (SeedSequence)."""
    children = np.random.SeedSequence(seed).spawn(samples)
    return np.array([int(c.generate_state(1, np.uint32)[0]) % (2**31 - 2) + 1 for c in children], dtype=np.int64)


@dataclass(frozen=True)
class _Spec:
    """Everything a worker needs to run any sample (picklable, hashable)."""

    circuit: str
    technology: str
    values: tuple[tuple[str, Value], ...]
    tstop: float
    mode: MismatchMode
    keep_waveforms: bool
    options: SimOptions
    timeout: float | None = None
    marker_dir: str = ""
    keep_spikes: bool = False


# ----------------------------------------------------------------------------- worker side

_WORKER: dict[str, Any] = {}
_LOCK = threading.Lock()  # one ngspice per process: serialize threads (dask workers may have several)


def _worker_state(spec: _Spec) -> dict[str, Any]:
    if _WORKER.get("spec") != spec:
        circuit, tech = get_circuit(spec.circuit), get_technology(spec.technology)
        values = dict(spec.values)
        _WORKER.update(
            spec=spec, circuit=circuit, tech=tech, values=values, facts=technology_facts(tech, values),
            devices=circuit.devices(values), loaded=False,
        )  # fmt: skip
    return _WORKER


def offsets_for(devices: Iterable[Any], tech: Technology, seed: int) -> dict[str, float]:
    """Pelgrom threshold offsets (V) for ``devices`` from ``default_rng(seed)``, in device order."""
    devices = list(devices)
    z = np.random.default_rng(seed).standard_normal(len(devices))
    return {d.key: float(tech.device(d.kind).sigma_vt(d.w, d.l) * zi) for d, zi in zip(devices, z, strict=True)}


_TIMEOUT_EXIT = 75


def _expire(spec: _Spec, index: int) -> None:
    """Watchdog: mark the sample as timed out, then end this worker process at once."""
    Path(spec.marker_dir, f"timeout-{index}").touch()
    os._exit(_TIMEOUT_EXIT)


def _run_sample(spec: _Spec, index: int, seed: int) -> dict[str, Any]:
    with _LOCK:
        _worker_state(spec)  # one-off set-up (imports, kappa sweeps) does not count against the timeout
        watchdog = None
        if spec.timeout is not None:
            watchdog = threading.Timer(spec.timeout, _expire, args=(spec, index))
            watchdog.daemon = True
            watchdog.start()
        try:
            return _run_sample_locked(spec, index, seed)
        finally:
            if watchdog is not None:
                watchdog.cancel()


def _run_sample_locked(spec: _Spec, index: int, seed: int) -> dict[str, Any]:
    state = _worker_state(spec)
    circuit, tech, values = state["circuit"], state["tech"], state["values"]
    engine = get_engine()
    row: dict[str, Any] = {"sample": index, "seed": seed, "status": _STATUS_OK, "message": "", "worker": os.getpid()}
    start = time.perf_counter()
    try:
        if spec.mode == "pdk":
            if not state["loaded"]:
                engine.load(circuit.deck(values, tech, spec.tstop, mismatch=True, options=spec.options))
                state["loaded"] = True
            engine.command(f"setseed {seed}")
            engine.command("reset")
        else:
            offsets = offsets_for(state["devices"], tech, seed)
            row.update({f"dvt_{k}": v for k, v in offsets.items()})
            engine.load(circuit.deck(values, tech, spec.tstop, offsets=offsets, options=spec.options))
            state["loaded"] = False
        t_sim = time.perf_counter()
        vectors = engine.run()
        row["sim_s"] = time.perf_counter() - t_sim  # ngspice's own analysis (the floor)
        waves = circuit.waveforms(vectors)
        row.update(circuit.measure(waves, values, state["facts"]))
        if spec.keep_spikes:
            row["spike_times"] = circuit.spike_times(waves, values).tolist()
        if spec.keep_waveforms:
            row["_waves"] = waves
    except SimulationError as exc:
        row.update(status=_STATUS_FAILED, message=_last_lines(exc.output or str(exc)))
        state["loaded"] = False
    finally:
        if state["loaded"]:
            engine.command("destroy all")  # keep the circuit, free the plot
    row["wall_s"] = time.perf_counter() - start
    return row


def _last_lines(text: str, n: int = 4) -> str:
    return " | ".join(ln.strip() for ln in text.strip().splitlines()[-n:])


# ----------------------------------------------------------------------------- storage


def _manifest(circuit: Circuit, tech: Technology, spec: _Spec, samples: int, seed: int) -> dict[str, Any]:
    import PySpice

    return {
        "format": "neurospice-mc-1",
        "circuit": circuit.name,
        "technology": tech.provenance(),
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in spec.values},
        "tstop_s": spec.tstop,
        "mismatch": spec.mode,
        "samples": samples,
        "seed": seed,
        "keep_waveforms": spec.keep_waveforms,
        "keep_spikes": spec.keep_spikes,
        "options": dataclasses.asdict(spec.options),
        "versions": {"neurospice": _version(), "pyspice": PySpice.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
    }  # fmt: skip


def _version() -> str:
    from . import __version__

    return __version__


def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Writer:
    """Flushes rows to ``samples/part-NNNNNN.parquet`` (atomically) every ``every`` rows or ``seconds``."""

    def __init__(self, out: Path | None, every: int = 64, seconds: float = 2.0) -> None:
        self.out, self.every, self.seconds = out, every, seconds
        self.rows: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []
        self.last = time.monotonic()
        if out is not None:
            (out / "samples").mkdir(parents=True, exist_ok=True)
            self.part = len(list((out / "samples").glob("part-*.parquet")))

    def add(self, row: dict[str, Any]) -> None:
        waves = row.pop("_waves", None)
        if waves is not None and self.out is not None:
            folder = self.out / "waveforms"
            folder.mkdir(exist_ok=True)
            _atomic_write(folder / f"sample-{row['sample']:06d}.parquet", lambda p: pd.DataFrame(waves).to_parquet(p))
        self.rows.append(row)
        self.pending.append(row)
        if len(self.pending) >= self.every or time.monotonic() - self.last > self.seconds:
            self.flush()

    def flush(self) -> None:
        if self.out is not None and self.pending:
            frame = pd.DataFrame(self.pending)
            path = self.out / "samples" / f"part-{self.part:06d}.parquet"
            _atomic_write(path, lambda p: frame.to_parquet(p, index=False))
            self.part += 1
        self.pending = []
        self.last = time.monotonic()


def load_run(out: str | Path) -> pd.DataFrame:
    """The sample table of a Monte Carlo folder, sorted by sample; ``.attrs["manifest"]`` holds the manifest."""
    out = Path(out)
    manifest_path = out / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{out}: no manifest.json (not a neurospice Monte Carlo folder)")
    parts = sorted((out / "samples").glob("part-*.parquet"))
    table = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else pd.DataFrame()
    if not table.empty:
        table = table.drop_duplicates("sample", keep="last").sort_values("sample").reset_index(drop=True)
    table.attrs["manifest"] = json.loads(manifest_path.read_text())
    return table


# ----------------------------------------------------------------------------- dispatch


def _local_results(spec: _Spec, todo: list[tuple[int, int]], workers: int) -> Iterator[dict[str, Any]]:
    """Run ``todo`` on a fresh process pool; a dead worker's samples come back as ``crashed`` rows."""
    ctx = mp.get_context(_start_method())
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures: dict[Future[dict[str, Any]], tuple[int, int]] = {
            pool.submit(_run_sample, spec, i, s): (i, s) for i, s in todo
        }
        for future in as_completed(futures):
            index, seed = futures[future]
            try:
                yield future.result()
            except BrokenProcessPool as exc:
                yield {"sample": index, "seed": seed, "status": _STATUS_CRASHED, "message": f"worker died: {exc}"}


def _start_method() -> str:
    """``fork`` (fast, no ``__main__`` guard needed) unless this process holds libngspice: then ``spawn``.

    A forked child would inherit ngspice's global state; scripts that simulate before calling
    :func:`monte_carlo` therefore need the usual ``if __name__ == "__main__":`` guard.
    """
    from . import engine

    return "spawn" if engine._ENGINE is not None else "fork"


def _dask_results(spec: _Spec, todo: list[tuple[int, int]], client: Any) -> Iterator[dict[str, Any]]:
    from dask.distributed import as_completed as dask_completed

    futures = {client.submit(_run_sample, spec, i, s, pure=False): (i, s) for i, s in todo}
    for future in dask_completed(list(futures)):  # type: ignore[no-untyped-call]
        index, seed = futures[future]
        try:
            yield future.result()
        except Exception as exc:  # a lost worker or a killed process: record, retry later
            yield {"sample": index, "seed": seed, "status": _STATUS_CRASHED, "message": f"worker failed: {exc!r}"}


def monte_carlo(
    circuit: str | Circuit,
    tech: str | Technology = "gf180mcu",
    *,
    samples: int,
    seed: int,
    overrides: Mapping[str, object] | None = None,
    tstop: float | None = None,
    workers: int | None = None,
    mismatch: MismatchMode = "pdk",
    out: str | Path | None = None,
    resume: bool = False,
    keep_waveforms: bool = False,
    client: Any = None,
    progress: Callable[[int, int, int], None] | None = None,
    options: SimOptions | None = None,
    timeout: float | None = None,
    keep_spikes: bool = False,
) -> pd.DataFrame:
    """Run ``samples`` mismatch samples of ``circuit`` and return their table (one row per sample).

    Parameters
    ----------
    circuit, tech
        A circuit / technology or its name.
    samples, seed
        Number of samples and the master seed (per-sample seeds are spawned from it).
    overrides, tstop
        Circuit parameters and transient length (validated before anything runs).
    workers
        Worker processes on this machine (default: all cores). Ignored with ``client``.
    mismatch
        ``pdk`` (technology's statistical model) or ``pelgrom`` (offsets drawn here, stored).
    out, resume
        Folder to stream results to; ``resume=True`` completes an interrupted run there.
    keep_waveforms
        Also store each sample's probe waveforms (``out/waveforms/sample-NNNNNN.parquet``).
    client
        A ``dask.distributed.Client`` or a scheduler address: run the samples on that cluster.
    progress
        Called as ``progress(done, failed, total)`` after each sample.
    options
        Simulator options (default :class:`~neurospice.engine.SimOptions`); recorded in the manifest.
    timeout
        Seconds one sample may take; a worker running over ends itself and the sample is
        recorded as ``timeout`` (after one retry). Local workers only: on Dask a killed task is
        rescheduled by the cluster.
    keep_spikes
        Also store each sample's spike times (s) in a list column ``spike_times`` (spiking
        circuits; what population studies such as :func:`neurospice.precision.precision_study` read).
    """
    circuit = get_circuit(circuit) if isinstance(circuit, str) else circuit
    tech = get_technology(tech) if isinstance(tech, str) else tech
    spec, seeds = _prepare(circuit, tech, samples, seed, overrides, tstop, mismatch, keep_waveforms, options)
    spec = dataclasses.replace(spec, keep_spikes=bool(keep_spikes))
    if timeout is not None:
        if not (isinstance(timeout, (int, float)) and 0 < timeout <= 1e6):
            raise ParameterError("timeout", f"got {timeout!r}; accepted: seconds in (0, 1e6]")
        markers = tempfile.mkdtemp(prefix="neurospice-timeouts-")
        spec = dataclasses.replace(spec, timeout=float(timeout), marker_dir=markers)
    out_dir = Path(out) if out is not None else None
    done: set[int] = set()
    if out_dir is not None:
        done = _open_folder(out_dir, _manifest(circuit, tech, spec, samples, seed), resume)
    todo = [(i, int(seeds[i])) for i in range(samples) if i not in done]
    writer = _Writer(out_dir, every=int(np.clip(samples // 50, 1, 256)))
    counts = {"done": len(done), "failed": 0}
    runner = _runner(workers, client)

    def report(row: dict[str, Any], final: bool) -> None:
        if final:
            writer.add(row)
            counts["done"] += 1
            counts["failed"] += row["status"] != _STATUS_OK
            if progress is not None:
                progress(counts["done"], counts["failed"], samples)

    retry: list[dict[str, Any]] = []
    for row in runner(spec, todo):
        row = _timed_out(row, spec)
        if row["status"] == _STATUS_OK:
            report(row, True)
        else:
            retry.append(row)
    # Once more, on fresh worker processes, one sample at a time: a worker that dies now died of
    # that sample, and no other sample is taken down with it.
    for first in retry:
        [again] = list(runner(spec, [(first["sample"], first["seed"])]))
        row = _timed_out(again, spec)
        if row["status"] != _STATUS_OK:
            row["message"] = f"{row['message']} (first attempt: {first['status']}: {first['message']})"
        report(row, True)
    writer.flush()
    if spec.marker_dir:
        shutil.rmtree(spec.marker_dir, ignore_errors=True)
    if out_dir is not None:
        return load_run(out_dir)
    table = pd.DataFrame(writer.rows)
    return table.sort_values("sample").reset_index(drop=True) if not table.empty else table


def _timed_out(row: dict[str, Any], spec: _Spec) -> dict[str, Any]:
    """A crashed row whose sample left a timeout marker becomes a ``timeout`` row."""
    marker = Path(spec.marker_dir, f"timeout-{row['sample']}") if spec.marker_dir else None
    if row["status"] == _STATUS_CRASHED and marker is not None and marker.exists():
        marker.unlink()
        return {**row, "status": _STATUS_TIMEOUT, "message": f"timeout: took longer than {spec.timeout:g} s"}
    return row


def _runner(workers: int | None, client: Any) -> Callable[[_Spec, list[tuple[int, int]]], Iterator[dict[str, Any]]]:
    if client is not None:
        if isinstance(client, str):
            from dask.distributed import Client

            client = Client(client)  # type: ignore[no-untyped-call]
        return lambda spec, todo: _dask_results(spec, todo, client)
    count = workers or os.cpu_count() or 1
    return lambda spec, todo: _local_results(spec, todo, max(1, min(count, len(todo) or 1)))


def _prepare(
    circuit: Circuit,
    tech: Technology,
    samples: int,
    seed: int,
    overrides: Mapping[str, object] | None,
    tstop: float | None,
    mismatch: str,
    keep_waveforms: bool,
    options: SimOptions | None,
) -> tuple[_Spec, np.ndarray]:
    if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= 10_000_000:
        raise ParameterError("samples", f"got {samples!r}; accepted: a whole number in [1, 10000000]")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ParameterError("seed", f"got {seed!r}; accepted: a whole number in [0, 2**63)")
    if mismatch not in ("pdk", "pelgrom"):
        raise ParameterError("mismatch", f"got {mismatch!r}; accepted: pdk, pelgrom")
    values = circuit.params.resolve(overrides)
    stop = validate_tstop(circuit.default_tstop if tstop is None else tstop)
    spec = _Spec(
        circuit.name,
        tech.name,
        tuple(values.items()),
        stop,
        "pdk" if mismatch == "pdk" else "pelgrom",
        keep_waveforms,
        options or SimOptions(),
    )
    tech.model_files()  # a missing or altered technology stops the run before it starts
    return spec, sample_seeds(seed, samples)


def _open_folder(out: Path, manifest: dict[str, Any], resume: bool) -> set[int]:
    path = out / "manifest.json"
    if resume:
        if not path.is_file():
            raise FileNotFoundError(f"--out {out}: nothing to resume (no manifest.json)")
        old = json.loads(path.read_text())
        keys = ("circuit", "params", "tstop_s", "mismatch", "samples", "seed", "technology", "options", "keep_spikes")
        changed = [k for k in keys if old.get(k) != manifest[k]]
        if changed:
            raise ParameterError("resume", f"{out} holds a different run (differs in: {', '.join(changed)})")
        table = load_run(out)
        return set(table["sample"].tolist()) if not table.empty else set()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"--out {out}: exists and is not empty; choose a new folder or --resume")
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(manifest, indent=2) + "\n"
    _atomic_write(path, lambda p: p.write_text(text))
    return set()


def summary(table: pd.DataFrame) -> dict[str, Any]:
    """Counts and, for every numeric metric, mean, standard deviation (ddof=1) and CV across ok samples."""
    ok = table[table["status"] == _STATUS_OK] if not table.empty else table
    skip = {"sample", "seed", "wall_s", "sim_s", "worker"}
    stats: dict[str, dict[str, float]] = {}
    for name in ok.columns:
        if name in skip or name.startswith("dvt_") or not pd.api.types.is_numeric_dtype(ok[name]):
            continue
        x = ok[name].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        if x.size >= 2:
            mean, sd = float(x.mean()), float(x.std(ddof=1))
            stats[name] = {"mean": mean, "std": sd, "cv": sd / abs(mean) if mean else float("nan"), "n": float(x.size)}
    return {
        "samples": len(table),
        "ok": len(ok),
        "failed": int(len(table) - len(ok)),
        "metrics": stats,
        "cv_kind": "across devices",
        "ddof": 1,
        "python": sys.version.split()[0],
    }
