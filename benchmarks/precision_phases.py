"""The precision study with the neurons' phases spread, as on silicon, against all neurons starting together.

One run, one set of neurons: the size calibration (as ``neurospice precision --calibrate``), then a
256-neuron study whose transient is ``phase_spread`` longer. The same spike trains are analysed twice:

- ``spread`` (the study's default): neuron i as if its input had started k_i input periods earlier, k_i
  from its seed (:func:`neurospice.studies.precision.phase_offsets`);
- ``aligned``: every neuron from the same instant, the protocol before the phase spread (d_i = 0).

Beside them, the counting floor of perfectly regular neurons with these rates
(:func:`neurospice.analysis.regular_count_cv`): what spike counts in a window allow at all.

Printed for each: the single-neuron CV, the cluster x window CV table, how many published cells lie
inside the study's 95 % intervals (all, and the 20 ms column), and the 20 ms column side by side.

Usage: python benchmarks/precision_phases.py [--neurons 256] [--duration 1] [--phase-spread 0.1] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from neurospice.analysis import cluster_rate_cv, compare_cluster_cv, regular_count_cv
from neurospice.studies.precision import Recording, calibrate_sizes, precision_study, shifted_trains

CORES = os.cpu_count() or 1


def _inside(comp: pd.DataFrame) -> pd.Series:
    return (comp["cv_ci_low"] <= comp["cv_published"]) & (comp["cv_published"] <= comp["cv_ci_high"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=256)
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--phase-spread", type=float, default=0.1)
    parser.add_argument("--target-cv", type=float, default=0.18)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="neurospice-phases-"))
    t0 = time.perf_counter()
    overrides, history = calibrate_sizes("gf180mcu", args.target_cv, recording=Recording(duration=0.3))
    for h in history:
        print(f"calibration pilot: size factor {h['factor']:.3f} -> rate CV {100 * h['cv']:.1f} % "
              f"[{100 * h['ci_low']:.1f}, {100 * h['ci_high']:.1f}], mean {h['mean_rate_hz']:.1f} Hz")  # fmt: skip
    recording = Recording(duration=args.duration, phase_spread=args.phase_spread)
    t1 = time.perf_counter()
    result = precision_study("gf180mcu", neurons=args.neurons, recording=recording, overrides=overrides, out=out)
    t_study = time.perf_counter() - t1
    ok = result.samples[result.samples["status"] == "ok"]
    raw = [np.asarray(s, dtype=np.float64) for s in ok["spike_times"]]
    span = (recording.settle, recording.settle + recording.duration)
    sizes = sorted(result.table["cluster_size"].unique().tolist())
    windows = sorted(result.table["window_s"].unique().tolist())
    aligned = cluster_rate_cv(
        shifted_trains(raw, np.zeros(len(raw)), replace(recording, phase_spread=0.0)),
        sizes,
        windows,
        span=span,
        n_shuffles=10,
        rng=1,
    )
    print(f"\nmachine: {CORES} cores; {args.neurons} neurons x {recording.tstop:g} s simulated in {t_study:.0f} s; "
          f"mean rate {np.mean(result.rates_hz):.1f} Hz; phase offsets 0 .. {ok['phase_s'].max() * 1e3:.0f} ms "
          f"({ok['phase_s'].nunique()} distinct)")  # fmt: skip
    for name, table in (("spread", result.table), ("aligned", aligned)):
        comp = compare_cluster_cv(table)
        inside = _inside(comp)
        col = comp[np.isclose(comp["window_s"], 0.02)]
        single = table[(table["cluster_size"] == 1) & np.isclose(table["window_s"], max(windows))]
        print(f"\n[{name}] single-neuron CV {100 * float(single['cv'].iloc[0]):.2f} %; published cells inside the "
              f"95 % intervals: {int(inside.sum())} of {len(comp)}; 20 ms column: "
              f"{int(_inside(col).sum())} of {len(col)}")  # fmt: skip
        print(f"[{name}] cluster-rate CV (%), rows cluster size, columns window (s):")
        print((table.pivot(index="cluster_size", columns="window_s", values="cv") * 100).round(2).to_string())
        floor = [100 * regular_count_cv(result.rates_hz, 0.02, int(k)) for k in col["cluster_size"]]
        rows = col.assign(
            sim=100 * col["cv_sim"], low=100 * col["cv_ci_low"], high=100 * col["cv_ci_high"],
            published=100 * col["cv_published"], counting_floor=floor,
        )[["cluster_size", "sim", "low", "high", "published", "counting_floor"]]  # fmt: skip
        print(f"[{name}] 20 ms column (%):")
        print(rows.round(2).to_string(index=False))
    print(f"\nfolder: {out}; total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
