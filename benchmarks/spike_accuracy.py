"""Spike-time accuracy against cost, for each accuracy preset (results go to docs/benchmarks/).

Every built-in circuit runs on GF180MCU at several inputs and durations, first with the
``reference`` preset (gear, reltol 1e-7, abstol 1e-16, chgtol 1e-18, 2 µs step), then with each
preset under test, side by side in one process. For each run it reports:

- cost: ngspice's own analysis time (``run`` only, the deck already loaded), the least of
  ``--repeats`` runs, and its ratio to the ``legacy`` preset (the defaults before this benchmark);
- spike-time error: the largest |t_k - t_k,ref| over the spikes, in % of the reference's mean
  ISI (it accumulates over a run), and the largest single-ISI error in % of that ISI;
- every metric's relative error against the reference (rate, latency, refractory period, tau,
  peak current...), and, for the DPI neuron, that error as a fraction of the metric's mismatch
  spread (the standard deviation across a pelgrom-mode Monte Carlo run at the defaults).

It also checks the reference itself against a tighter one (reltol 1e-8, 1 µs step) on one case.

Usage: python benchmarks/spike_accuracy.py [--repeats 2] [--presets legacy,fast,default]
       [--mismatch-samples 32] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from neurospice.circuits import get_circuit
from neurospice.engines import SimulationError, get_engine
from neurospice.montecarlo import monte_carlo
from neurospice.ngspice_models import get_technology
from neurospice.params.options import ACCURACY, SimOptions
from neurospice.sim.simulation import TechnologyFacts, technology_facts
from neurospice.studies.precision import PRECISION_DEFAULTS


@dataclass(frozen=True)
class Case:
    circuit: str
    label: str
    overrides: dict[str, object]
    tstop: float


CASES = [
    *(Case("dpi-neuron", f"DC {i * 1e9:g} nA", {"i_in": i}, t) for t in (0.1, 0.3) for i in (0.5e-9, 1e-9, 3e-9)),
    Case("dpi-neuron", "200 Hz through the synapse (precision study)", dict(PRECISION_DEFAULTS), 0.3),
    *(Case("axon-hillock", f"DC {i * 1e9:g} nA", {"i_in": i}, 0.1) for i in (0.5e-9, 2e-9)),
    Case("dpi-synapse", "10 pulses", {}, 0.2),
]

#: metrics whose error is reported (those a user reads off a run)
METRICS = {
    "dpi-neuron": ("isi_rate_hz", "latency_s", "refractory_s", "power_w"),
    "axon-hillock": ("isi_rate_hz", "latency_s", "t_high_s", "power_w"),
    "dpi-synapse": ("tau_s", "peak_current_a", "power_w"),
}


def run(case: Case, options: SimOptions) -> dict[str, Any]:
    """One simulation: analysis time, spike times, metrics."""
    tech = get_technology("gf180mcu")
    circuit = get_circuit(case.circuit)
    values = circuit.values(case.overrides, tech)
    facts = technology_facts(tech, values) if circuit.needs_facts else TechnologyFacts.unknown()
    engine = get_engine()
    engine.load(circuit.deck(values, tech, case.tstop, options=options), tech.ngspice_settings)
    start = time.perf_counter()
    vectors = engine.run()
    seconds = time.perf_counter() - start
    waves = circuit.waveforms(vectors)
    metrics = circuit.evaluate(waves, values, facts, tech, case.tstop)
    spikes = np.asarray(circuit.spike_times(waves, values), dtype=np.float64)
    return {"seconds": seconds, "spikes": spikes, "metrics": metrics, "points": len(next(iter(vectors.values())))}


def attempt(case: Case, options: SimOptions, repeats: int) -> list[dict[str, Any]]:
    """``repeats`` runs of ``case``, or none when ngspice fails (a preset that fails is reported, not hidden)."""
    try:
        return [run(case, options) for _ in range(repeats)]
    except SimulationError:
        return []


def spike_errors(spikes: np.ndarray, ref: np.ndarray) -> tuple[float, float, bool]:
    """Largest spike-time error (% of mean ISI), largest ISI error (% of ISI), whether the counts agree."""
    if len(ref) < 2:
        return float("nan"), float("nan"), len(spikes) == len(ref)
    n = min(len(spikes), len(ref))
    isi = float(np.mean(np.diff(ref)))
    t_err = float(np.max(np.abs(spikes[:n] - ref[:n]))) / isi * 100
    ref_isi = np.diff(ref[:n])
    i_err = float(np.max(np.abs(np.diff(spikes[:n]) - ref_isi) / ref_isi)) * 100 if n > 1 else float("nan")
    return t_err, i_err, len(spikes) == len(ref)


def relative(value: float, ref: float) -> float:
    return (value / ref - 1) * 100 if ref else float("nan")


def mismatch_spread(samples: int) -> dict[str, float]:
    """Standard deviation of each DPI-neuron metric across a pelgrom-mode run (1 nA, 0.1 s), % of the mean."""
    with tempfile.TemporaryDirectory() as tmp:
        table = monte_carlo("dpi-neuron", "gf180mcu", samples=samples, seed=1, overrides={"i_in": 1e-9},
                            tstop=0.1, mismatch="pelgrom", out=Path(tmp) / "run")  # fmt: skip
    ok = table[table["status"] == "ok"]
    return {m: float(ok[m].std(ddof=1) / ok[m].mean() * 100) for m in METRICS["dpi-neuron"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--presets", default="legacy,fast,default")
    parser.add_argument("--mismatch-samples", type=int, default=32)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    presets = {name: ACCURACY[name] for name in args.presets.split(",")}
    rows: list[dict[str, Any]] = []

    tight = replace(ACCURACY["reference"], reltol=1e-8, max_step=1e-6)
    check = CASES[1]
    ref, tighter = run(check, ACCURACY["reference"]), run(check, tight)
    t_err, i_err, same = spike_errors(ref["spikes"], tighter["spikes"])
    print(f"reference vs tighter (reltol 1e-8, 1 µs step), {check.circuit} {check.label} {check.tstop:g} s: "
          f"spike-time error {t_err:.3f} % ISI, ISI error {i_err:.3f} %, counts agree: {same}")  # fmt: skip
    for m in METRICS[check.circuit]:
        print(f"  {m}: {relative(ref['metrics'][m], tighter['metrics'][m]):+.4f} %")

    for case in CASES:
        ref = run(case, ACCURACY["reference"])
        print(f"\n{case.circuit}, {case.label}, {case.tstop:g} s: reference {ref['seconds']:.2f} s, "
              f"{len(ref['spikes'])} spikes", flush=True)  # fmt: skip
        results = {name: attempt(case, opts, args.repeats) for name, opts in presets.items()}
        base = min(r["seconds"] for r in results["legacy"]) if results.get("legacy") else float("nan")
        for name, runs in results.items():
            if not runs:
                rows.append({"circuit": case.circuit, "case": case.label, "tstop_s": case.tstop, "preset": name,
                             "failed": True})  # fmt: skip
                print(f"  {name:9s} FAILED (ngspice: timestep too small or no convergence)", flush=True)
                continue
            first, cost = runs[0], min(r["seconds"] for r in runs)
            t_err, i_err, same = spike_errors(first["spikes"], ref["spikes"])
            errs = {m: relative(first["metrics"][m], ref["metrics"][m]) for m in METRICS[case.circuit]}
            row = {"circuit": case.circuit, "case": case.label, "tstop_s": case.tstop, "preset": name,
                   "seconds": cost, "speedup_vs_legacy": base / cost, "reference_s": ref["seconds"],
                   "spikes": len(first["spikes"]), "ref_spikes": len(ref["spikes"]), "counts_agree": same,
                   "spike_err_pct_isi": t_err, "isi_err_pct": i_err, "points": first["points"],
                   **{f"err_{m}_pct": e for m, e in errs.items()}}  # fmt: skip
            rows.append(row)
            print(f"  {name:9s} {cost:6.2f} s  x{base / cost:4.2f}  spikes {len(first['spikes'])}/{len(ref['spikes'])}"
                  f"  t-err {t_err:6.3f} % ISI  ISI-err {i_err:6.3f} %  "
                  + "  ".join(f"{m} {e:+.3f} %" for m, e in errs.items()), flush=True)  # fmt: skip

    spread = mismatch_spread(args.mismatch_samples) if args.mismatch_samples else {}
    neuron = [r for r in rows if r["circuit"] == "dpi-neuron" and not r.get("failed")]
    if spread:
        print(f"\nmismatch spread (pelgrom, {args.mismatch_samples} DPI neurons, 1 nA, 0.1 s, default options): "
              + ", ".join(f"{m} {v:.2f} %" for m, v in spread.items()))  # fmt: skip
        print("largest |metric error| / mismatch spread, DPI neuron, over all its cases:")
        for name in presets:
            mine = [r for r in neuron if r["preset"] == name]
            ratios = {m: max(abs(r[f"err_{m}_pct"]) for r in mine) / spread[m] for m in spread}
            print(f"  {name:9s} " + "  ".join(f"{m} {v:.3f}" for m, v in ratios.items()))
    print("\nsummary per circuit (speed-up vs legacy: geometric mean and least; largest spike-time error):")
    for circuit in METRICS:
        for name in presets:
            mine = [r for r in rows if r["preset"] == name and r["circuit"] == circuit]
            ok = [r for r in mine if not r.get("failed")]
            if not ok:
                print(f"  {circuit} {name:9s} every run failed")
                continue
            ups = [r["speedup_vs_legacy"] for r in ok]
            errs = [r["spike_err_pct_isi"] for r in ok if np.isfinite(r["spike_err_pct_isi"])]
            worst = f"{max(errs):.3f} % ISI" if errs else "n/a (no spikes)"
            print(f"  {circuit} {name:9s} x{np.exp(np.mean(np.log(ups))):.2f} (least x{min(ups):.2f}), "
                  f"worst spike-time error {worst}, spike counts agree: {all(r['counts_agree'] for r in ok)}, "
                  f"failed runs: {len(mine) - len(ok)}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "spread_pct": spread}, indent=1))


if __name__ == "__main__":
    main()
