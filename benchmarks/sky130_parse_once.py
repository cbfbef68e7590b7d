"""Where loading is heavy: sky130 Monte Carlo, one ngspice process per sample against parse-once workers.

sky130's model deck takes about 4.6 s to parse here (GF180MCU: 0.05 s). Both strategies run the
same deck (DPI synapse, short transient, the PDK's ``tt_mm`` mismatch, the same options), side by
side in one run, on all cores:

(a) one ``ngspice -b`` process per sample (``.options seed=<seed>``, a ``.spiceinit`` with one
    OpenMP thread and the PDK's spinit settings), results written to a raw file and not parsed;
(c) :func:`neurospice.monte_carlo`: each worker parses the deck once and loops ``setseed; reset; run``.

Usage: python benchmarks/sky130_parse_once.py [--samples 200] [--tstop 0.005]
"""

from __future__ import annotations

import argparse
import os
import time

from mc_strategies import one_process_per_sample  # the same strategy (a) as the GF180MCU benchmark

from neurospice.montecarlo import monte_carlo
from neurospice.ngspice_models import fetch_sky130
from neurospice.params.options import SimOptions

CORES = os.cpu_count() or 1
OVERRIDES: dict[str, object] = {"input_count": 1, "input_start": 0.001}


def parse_once(samples: int, seed: int, tstop: float) -> tuple[float, float, float]:
    start = time.perf_counter()
    table = monte_carlo("dpi-synapse", "sky130", samples=samples, seed=seed, overrides=OVERRIDES, tstop=tstop,
                        workers=CORES)  # fmt: skip
    wall = time.perf_counter() - start
    assert (table["status"] == "ok").all(), table["message"].unique()
    return wall, float(table["sim_s"].mean()), float(table["peak_current_a"].std() / table["peak_current_a"].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--tstop", type=float, default=0.005)
    args = parser.parse_args()
    fetch_sky130()
    a = one_process_per_sample("dpi-synapse", OVERRIDES, args.tstop, args.samples, 7, SimOptions(), "sky130")
    c, floor, cv = parse_once(args.samples, 7, args.tstop)
    print(f"DPI synapse on sky130, {args.samples} samples, {args.tstop * 1e3:g} ms transient, tt_mm mismatch, "
          f"{CORES} cores\n")  # fmt: skip
    print("| strategy | wall | wall per sample | speed-up vs (a) |")
    print("|---|---|---|---|")
    print(f"| (a) one ngspice -b per sample, {CORES} at a time | {a:.1f} s | {1e3 * a / args.samples:.1f} ms | 1.00x |")
    print(f"| (c) neurospice, {CORES} parse-once workers | {c:.1f} s | {1e3 * c / args.samples:.1f} ms | "
          f"{a / c:.1f}x |")  # fmt: skip
    floor_ms, cv_pct = 1e3 * floor, 100 * cv
    print(f"\nngspice's analysis per sample (floor): {floor_ms:.1f} ms; peak current CV {cv_pct:.1f} %")


if __name__ == "__main__":
    main()
