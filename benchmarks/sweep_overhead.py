"""What a design sweep costs beyond ngspice's own analysis: a 5 x 5 grid x 16 samples of the DPI synapse.

Runs the same sweep (same seed, same options) on the local worker pool and on a Dask cluster of the
same size (a LocalCluster: one process per core, one thread each), side by side. Reports wall time,
the sum of ngspice's analysis times (``sim_s``, the floor), and the overhead: wall x workers /
sum(sim_s) - 1. Accuracy: the two runs must agree value for value (same seeds, same decks); the
sweep adds no numerical approximation to a single Monte Carlo run.

Usage: python benchmarks/sweep_overhead.py [--samples 16] [--tstop 0.1] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from neurospice.studies.design import design_sweep

GRID = ["i_tau=2p:40p:5:log", "i_w=200p:2n:5:log"]


def run(samples: int, tstop: float, workers: int, client: object = None) -> tuple[float, object]:
    start = time.perf_counter()
    table = design_sweep("dpi-synapse", "gf180mcu", GRID, samples=samples, seed=1, tstop=tstop, workers=workers,
                         client=client)  # fmt: skip
    return time.perf_counter() - start, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--tstop", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    rows = []
    wall, local = run(args.samples, args.tstop, args.workers)
    rows.append(("local pool", wall, local))
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True) as cluster, Client(cluster) as c:
        wall, dask = run(args.samples, args.tstop, args.workers, c)
    rows.append(("dask LocalCluster", wall, dask))
    n = len(local)  # type: ignore[arg-type]
    print(f"DPI synapse, GF180MCU, {args.tstop:g} s, 5 x 5 grid x {args.samples} samples = {n} simulations, "
          f"{args.workers} workers")  # fmt: skip
    print("| executor | wall (s) | sum of ngspice analysis (s) | per simulation (ms) | overhead |")
    print("|---|---|---|---|---|")
    for name, wall, table in rows:
        sim = float(table["sim_s"].sum())  # type: ignore[index]
        print(f"| {name} | {wall:.1f} | {sim:.1f} | {1e3 * wall * args.workers / n:.1f} | "
              f"{100 * (wall * args.workers / sim - 1):+.1f} % |")  # fmt: skip
    cols = ["point", "device", "seed", "tau_s", "peak_current_a"]
    a, b = (t[cols].to_numpy(dtype=float) for t in (local, dask))  # type: ignore[index]
    same = np.array_equal(a, b, equal_nan=True)
    if not same:
        print(f"  largest relative difference: {np.nanmax(np.abs(a - b) / np.abs(a)):.3g}")
    print(f"local and Dask tables identical value for value: {same}")


if __name__ == "__main__":
    main()
