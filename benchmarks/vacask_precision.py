"""A precision study on both engines, the same neurons (pelgrom offsets from the same seeds): wall time, the
single-neuron rate CV and the cluster-CV table (results in docs/benchmarks/).

Usage: python benchmarks/vacask_precision.py [--neurons 64] [--duration 0.5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from neurospice.studies.precision import Recording, precision_study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=64)
    parser.add_argument("--duration", type=float, default=0.5)
    args = parser.parse_args()
    results = {}
    for engine in ("ngspice", "vacask"):
        start = time.perf_counter()
        res = precision_study(neurons=args.neurons, recording=Recording(duration=args.duration), mismatch="pelgrom",
                              engine=engine, seed=1, workers=2)  # fmt: skip
        wall = time.perf_counter() - start
        ok = res.samples[res.samples["status"] == "ok"]
        results[engine] = res
        print(f"{engine}: {args.neurons} neurons x {args.duration + 0.2:g} s in {wall:.1f} s "
              f"(engine time {ok['sim_s'].sum():.1f} s, {ok['sim_s'].mean():.2f} s per neuron); ok {len(ok)}; "
              f"rate CV {100 * res.single_cv.cv:.2f} % [{100 * res.single_cv.ci_low:.2f}, "
              f"{100 * res.single_cv.ci_high:.2f}], mean rate {res.rates_hz.mean():.2f} Hz", flush=True)  # fmt: skip
    ng, vc = results["ngspice"], results["vacask"]
    diff = vc.rates_hz - ng.rates_hz
    print(
        f"per-neuron rate difference (vacask - ngspice): mean {diff.mean():+.3f} Hz, sd {diff.std(ddof=1):.3f} Hz, "
        f"largest {np.abs(diff).max():.3f} Hz; neurons with a different spike count: {int(np.count_nonzero(diff))}"
    )
    merged = ng.table.merge(vc.table, on=["cluster_size", "window_s"], suffixes=("_ng", "_vc"))
    rel = (merged["cv_vc"] / merged["cv_ng"] - 1) * 100
    print(
        f"cluster-CV table, {len(merged)} cells: vacask/ngspice - 1 from {rel.min():+.2f} % to {rel.max():+.2f} %, "
        f"median {rel.median():+.2f} %"
    )


if __name__ == "__main__":
    main()
