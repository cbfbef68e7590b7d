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
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from neurospice.circuits import get_circuit
from neurospice.montecarlo import monte_carlo, sample_seeds
from neurospice.ngspice_models import fetch_sky130, get_technology

CORES = os.cpu_count() or 1
OVERRIDES: dict[str, object] = {"input_count": 1, "input_start": 0.001}


def one_process_per_sample(samples: int, seed: int, tstop: float) -> float:
    c, tech = get_circuit("dpi-synapse"), get_technology("sky130")
    deck = c.deck(c.values(OVERRIDES, tech), tech, tstop, mismatch=True)
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
    a = one_process_per_sample(args.samples, 7, args.tstop)
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
