"""Monte Carlo strategies measured side by side in one run (results go to docs/benchmarks/).

(a) one ``ngspice -b`` process per sample, two at a time (how CACE, chipify and spicelib's
    runner work): each sample is a deck with ``.options seed=<seed>`` and the technology's
    mismatch on, run with a ``.spiceinit`` that sets one OpenMP thread; results are written
    to a raw file and not parsed (which favours (a)).
(b) neurospice.monte_carlo with 1 worker, (c) with all cores, (d) on a Dask LocalCluster with
    one single-threaded worker process per core. (b)-(d) load the deck once per worker and loop
    ``setseed; reset; run``, and compute the metrics in the worker.

Reported per strategy: wall time per sample (total wall / samples), ratio to (a), ngspice's own
analysis time per sample (mean ``sim_s``: the floor), our overhead above that floor
(``wall * workers / samples / floor - 1``) and peak resident memory (this process and the
largest child). A second scenario repeats (a) against (c) on a short transient, where loading
dominates; a third runs N samples without waveforms and reports peak memory (flat in N).

A first scenario runs the DPI neuron's Monte Carlo with the ``legacy`` and ``default`` accuracy
presets side by side (wall time, floor, and how far each sample's rate moves between them).

Usage: python benchmarks/mc_strategies.py [--samples 64] [--memory-samples 10000] [--only-accuracy]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from neurospice.circuits import get_circuit
from neurospice.montecarlo import monte_carlo, sample_seeds
from neurospice.ngspice_models import get_technology
from neurospice.params.options import SimOptions, accuracy

CORES = os.cpu_count() or 1


def peak_mb() -> tuple[float, float]:
    """Peak RSS (MB) of this process and of the largest child so far."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def one_process_per_sample(
    circuit: str, overrides: dict[str, object], tstop: float, samples: int, seed: int, options: SimOptions,
    technology: str = "gf180mcu",
) -> float:  # fmt: skip
    """Wall time of ``samples`` decks run as one ``ngspice -b`` each, all cores at a time (results not parsed)."""
    c, tech = get_circuit(circuit), get_technology(technology)
    deck = c.deck(c.values(overrides, tech), tech, tstop, mismatch=True, options=options)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / ".spiceinit").write_text("".join(f"set {s}\n" for s in ("num_threads=1", *tech.ngspice_settings)))
        decks = []
        for k, s in enumerate(sample_seeds(seed, samples)):
            path = folder / f"s{k}.cir"
            path.write_text(deck.replace(".end\n", f".options seed={int(s)}\n.end\n"))
            decks.append(path)

        def run(path: Path) -> None:
            subprocess.run(["ngspice", "-b", "-r", str(path.with_suffix(".raw")), str(path)], cwd=folder,
                           capture_output=True, check=True)  # fmt: skip

        start = time.perf_counter()
        with ThreadPoolExecutor(CORES) as pool:
            list(pool.map(run, decks))
        return time.perf_counter() - start


def ours(circuit: str, overrides: dict[str, object], tstop: float, samples: int, seed: int, workers: int,
         options: SimOptions, client: object = None) -> tuple[float, float]:  # fmt: skip
    start = time.perf_counter()
    table = monte_carlo(circuit, "gf180mcu", samples=samples, seed=seed, overrides=overrides, tstop=tstop,
                        workers=workers, client=client, options=options)  # fmt: skip
    wall = time.perf_counter() - start
    assert (table["status"] == "ok").all(), table["message"].unique()
    return wall, float(table["sim_s"].mean())


def scenario(
    title: str, circuit: str, overrides: dict[str, object], tstop: float, samples: int, dask: bool, points: int
) -> None:
    seed = 2026
    opts = SimOptions(points=points)
    rows: list[tuple[str, float, float | None, int]] = []
    a = one_process_per_sample(circuit, overrides, tstop, samples, seed, opts)
    rows.append((f"(a) one ngspice -b per sample, {CORES} at a time", a, None, CORES))
    b, floor_b = ours(circuit, overrides, tstop, samples, seed, 1, opts)
    rows.append(("(b) neurospice, 1 worker", b, floor_b, 1))
    c, floor_c = ours(circuit, overrides, tstop, samples, seed, CORES, opts)
    rows.append((f"(c) neurospice, {CORES} workers", c, floor_c, CORES))
    if dask:
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=CORES, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
            ours(circuit, overrides, tstop, CORES, seed + 1, CORES, opts, client)  # warm the workers' imports
            d, floor_d = ours(circuit, overrides, tstop, samples, seed, CORES, opts, client)
        rows.append((f"(d) neurospice on Dask LocalCluster, {CORES} workers", d, floor_d, CORES))
    own, child = peak_mb()
    print(f"\n### {title}\n")
    print(f"{samples} samples, GF180MCU pdk mismatch, {tstop * 1e3:g} ms transient (output step tstop/{points}), "
          f"{CORES} cores.\n")  # fmt: skip
    print(
        "| strategy | wall per sample | speed-up vs (a) | ngspice analysis per sample (floor) | overhead above floor |"
    )
    print("|---|---|---|---|---|")
    for name, wall, floor, workers in rows:
        per = wall / samples
        over = f"{100 * (per * workers / floor - 1):+.1f} %" if floor else "n/a"
        floor_txt = f"{1e3 * floor:.1f} ms" if floor else "not measured"
        print(f"| {name} | {1e3 * per:.1f} ms | {a / wall:.2f}x | {floor_txt} | {over} |")
    print(f"\n(b) -> (c) scaling: {b / c:.2f}x on {CORES} cores. Peak RSS so far: this process {own:.0f} MB, "
          f"largest child {child:.0f} MB.")  # fmt: skip


def accuracy_scenario(samples: int) -> None:
    """The DPI neuron's Monte Carlo run with the legacy and the default accuracy, side by side."""
    seed, rows, rates = 2026, [], {}
    for name in ("legacy", "default"):
        start = time.perf_counter()
        table = monte_carlo("dpi-neuron", "gf180mcu", samples=samples, seed=seed, tstop=0.1, workers=CORES,
                            options=accuracy(name))  # fmt: skip
        wall = time.perf_counter() - start
        assert (table["status"] == "ok").all(), table["message"].unique()
        rates[name] = table.sort_values("sample")["isi_rate_hz"].to_numpy()
        rows.append((name, wall, float(table["sim_s"].mean())))
    print(f"\n### DPI neuron Monte Carlo, legacy vs default accuracy\n\n{samples} samples, GF180MCU pdk mismatch, "
          f"100 ms, {CORES} workers, the same seeds.\n")  # fmt: skip
    print("| accuracy | wall per sample | speed-up | ngspice analysis per sample |")
    print("|---|---|---|---|")
    for name, wall, floor in rows:
        print(f"| {name} | {1e3 * wall / samples:.1f} ms | {rows[0][1] / wall:.2f}x | {1e3 * floor:.1f} ms |")
    diff = (rates["default"] / rates["legacy"] - 1) * 100
    cv = {name: np.std(r, ddof=1) / np.mean(r) * 100 for name, r in rates.items()}
    print(f"\nper-sample ISI rate, default vs legacy: mean {np.mean(diff):+.3f} %, largest |difference| "
          f"{np.max(np.abs(diff)):.3f} %; mismatch CV of the rate {cv['legacy']:.2f} %; CV with default "
          f"{cv['default']:.2f} %")  # fmt: skip


def memory(samples: int) -> None:
    start = time.perf_counter()
    code = (
        "import resource; from neurospice.montecarlo import monte_carlo;"
        "from neurospice.engines import SimOptions;"
        f"t = monte_carlo('dpi-synapse', 'gf180mcu', samples={samples}, seed=1, tstop=0.005,"
        " overrides={'input_count': 1, 'input_start': 0.001}, options=SimOptions(points=50));"
        "assert (t['status'] == 'ok').all();"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    wall = time.perf_counter() - start
    print(f"| {samples} | {wall:.0f} s | {float(out[0]):.0f} MB | {float(out[1]):.0f} MB |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--memory-samples", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--only-accuracy", action="store_true", help="only the legacy vs default neuron run")
    args = parser.parse_args()
    print(f"ngspice 39, Python {sys.version.split()[0]}, numpy {np.__version__}, {CORES} cores")
    accuracy_scenario(args.samples)
    if args.only_accuracy:
        return
    scenario("DPI neuron (the issue's case)", "dpi-neuron", {}, 0.1, args.samples, dask=True, points=5000)
    scenario("Short transient: DPI synapse, 5 ms, default output step", "dpi-synapse",
             {"input_count": 1, "input_start": 0.001}, 0.005, args.samples, dask=False, points=5000)  # fmt: skip
    scenario("Short transient: DPI synapse, 5 ms, ngspice's own steps (model loading dominates)", "dpi-synapse",
             {"input_count": 1, "input_start": 0.001}, 0.005, args.samples, dask=False, points=50)  # fmt: skip
    print("\n### Memory without waveforms (DPI synapse, 5 ms, ngspice's own steps, all cores)\n")
    print("| samples | wall | peak RSS main process | peak RSS largest worker |")
    print("|---|---|---|---|")
    for n in args.memory_samples:
        memory(n)


if __name__ == "__main__":
    main()
