"""How long the full precision experiment takes on this machine (results go to docs/benchmarks/).

Runs, in one process and one go: the size calibration (pilot populations until the single-neuron
rate CV is near the target), then the study itself (default: 256 neurons, 1 s analysed after
0.2 s, regular 200 Hz input) on all cores, streamed to a folder, with its report. Prints the wall
time of each part, ngspice's own analysis time per neuron (mean ``sim_s``), the per-neuron wall
time per core, peak memory, and the headline results.

With ``--accuracy legacy,default`` (the default) the study runs once per preset on the same
calibrated sizes and seeds, in turn, and the per-neuron rates of the two are compared.

Usage: python benchmarks/precision_study.py [--neurons 256] [--duration 1] [--target-cv 0.18]
       [--accuracy legacy,default] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from neurospice.params.options import accuracy
from neurospice.present.report import precision_report, save_precision_heatmap
from neurospice.studies.precision import Recording, calibrate_sizes, precision_study

CORES = os.cpu_count() or 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=256)
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--settle", type=float, default=0.2)
    parser.add_argument("--target-cv", type=float, default=0.18)
    parser.add_argument("--pilot", type=int, default=32)
    parser.add_argument("--accuracy", default="legacy,default", help="presets to run the study with, in turn")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="neurospice-precision-"))
    presets = args.accuracy.split(",")

    t0 = time.perf_counter()
    overrides, history = calibrate_sizes(
        "gf180mcu", args.target_cv, pilot=args.pilot, recording=Recording(duration=0.3, settle=args.settle)
    )
    t_cal = time.perf_counter() - t0
    for h in history:
        print(f"calibration pilot ({args.pilot} neurons, 0.3 s): size factor {h['factor']:.3f} -> rate CV "
              f"{100 * h['cv']:.1f} % [{100 * h['ci_low']:.1f}, {100 * h['ci_high']:.1f}], "
              f"mean {h['mean_rate_hz']:.1f} Hz; next factor {h['next_factor']:.3f}")  # fmt: skip
    print(f"machine: {CORES} cores; {args.neurons} neurons x {args.settle + args.duration:g} s simulated")
    print(f"calibration: {t_cal:.1f} s ({len(history)} pilot runs, default accuracy); the same sizes for every preset")
    rates = {}
    for name in presets:
        out = root / name
        t1 = time.perf_counter()
        recording = Recording(duration=args.duration, settle=args.settle)
        result = precision_study("gf180mcu", neurons=args.neurons, recording=recording, overrides=overrides, out=out,
                                 options=accuracy(name))  # fmt: skip
        t_study = time.perf_counter() - t1
        t2 = time.perf_counter()
        save_precision_heatmap(out)
        precision_report(out)
        t_report = time.perf_counter() - t2
        samples = result.samples
        sim = float(samples["sim_s"].mean())
        rates[name] = result.rates_hz
        per_core = t_study * CORES / args.neurons
        single, slope = result.single_cv, result.slope
        print(f"\n[{name}] study: {t_study:.1f} s wall = {per_core:.2f} s per neuron per core; "
              f"ngspice analysis {sim:.2f} s per neuron (floor); overhead {per_core / sim - 1:+.1%}; "
              f"report {t_report:.1f} s")  # fmt: skip
        print(f"[{name}] results: {int((samples['status'] == 'ok').sum())} ok; mean rate "
              f"{np.mean(result.rates_hz):.2f} Hz; single-neuron rate CV {100 * single.cv:.2f} % "
              f"[{100 * single.ci_low:.2f}, {100 * single.ci_high:.2f}]; slope {slope['slope']:.3f} "
              f"[{slope['ci_low']:.3f}, {slope['ci_high']:.3f}]")  # fmt: skip
        comp = result.comparison
        print(
            f"[{name}] vs published: {len(comp)} shared cells, simulated/published median "
            f"{comp['ratio'].median():.2f}x (range {comp['ratio'].min():.2f}x .. {comp['ratio'].max():.2f}x)"
        )
        grid = result.table.pivot(index="cluster_size", columns="window_s", values="cv") * 100
        print(f"[{name}] cluster-rate CV (%):")
        print(grid.round(2).to_string())
        print(f"[{name}] folder: {out}")
    first = presets[0]
    for name in presets[1:]:
        a, b = rates[first], rates[name]
        if len(a) == len(b):
            diff = np.abs(b - a)
            print(f"\nper-neuron rate, {name} vs {first} (same neurons, same seeds): mean |difference| "
                  f"{np.mean(diff):.3f} Hz, largest {np.max(diff):.3f} Hz, neurons that differ "
                  f"{int(np.count_nonzero(diff))} of {len(a)}; the rate's spread across neurons is "
                  f"{np.std(a, ddof=1):.2f} Hz")  # fmt: skip
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: main {own:.0f} MB, largest worker {child:.0f} MB; total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
