"""The second engine, VACASK, against ngspice: cost, spike-time error, and what differs (results in docs/benchmarks/).

Cases: the spike-accuracy benchmark's (``benchmarks/spike_accuracy.py``): the DPI neuron at DC 0.5,
1, 3 nA for 0.1 s and 0.3 s and under the precision study's drive, the Axon-Hillock neuron, the DPI
synapse; all on GF180MCU, side by side in one process. For each case:

- ``ref 4.5``: ngspice's ``reference`` preset, the PDK as ngspice reads it: the cards say
  ``version = 4.5``, so ngspice evaluates them with its BSIM4 4.5 code;
- ``ref 4.8``: the same cards with ``version = 4.8``, run by ngspice: the equations VACASK runs
  (its only BSIM4 is 4.8, ``sp_bsim4v8``). The gap between the two references is the model
  release, not either simulator;
- timed runs: ngspice ``legacy`` and ``default``, VACASK's presets. ngspice's cost is its
  analysis (``run``, the deck already parsed: 0.05 s more to load it); VACASK's is the whole
  subprocess (start, parse, analysis, raw file written and read), the least of ``--repeats``;
- errors: the largest spike-time error in % of the mean ISI against each reference, and the
  metrics' relative errors (rate, tau...).

Then a paired Monte Carlo: the same 32 pelgrom-mode samples (same seeds, so the same threshold
offsets) of the DPI neuron on both engines, and the per-sample rate differences against the
mismatch spread.

Usage: python benchmarks/vacask_engine.py [--repeats 2] [--presets fast,default] [--samples 32] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from spike_accuracy import CASES, METRICS, Case, relative, spike_errors

from neurospice.circuits import get_circuit
from neurospice.engines import SimulationError, get_engine
from neurospice.montecarlo import monte_carlo
from neurospice.ngspice_models.gf180mcu import GF180MCU
from neurospice.params.options import ACCURACY, VACASK_ACCURACY, SimOptions
from neurospice.sim.simulation import TechnologyFacts, technology_facts

TECH = GF180MCU()


def run(case: Case, engine: str, options: SimOptions, cards: str | None = None) -> dict[str, Any]:
    circuit = get_circuit(case.circuit)
    values = circuit.values(case.overrides, TECH)
    facts = technology_facts(TECH, values) if circuit.needs_facts else TechnologyFacts.unknown()
    deck = circuit.deck(values, TECH, case.tstop, options=options)
    if cards is not None:
        deck = TECH.with_cards(deck, cards)
    sim = get_engine(engine)
    if engine == "ngspice":
        sim.load(deck, TECH.ngspice_settings, TECH)
        start = time.perf_counter()
    else:
        start = time.perf_counter()
        sim.load(deck, TECH.ngspice_settings, TECH)
    vectors = sim.run()
    seconds = time.perf_counter() - start
    waves = circuit.waveforms(vectors)
    return {"seconds": seconds, "spikes": np.asarray(circuit.spike_times(waves, values), dtype=np.float64),
            "metrics": circuit.evaluate(waves, values, facts, TECH, case.tstop)}  # fmt: skip


def best(case: Case, engine: str, options: SimOptions, repeats: int) -> dict[str, Any] | None:
    try:
        runs = [run(case, engine, options) for _ in range(repeats)]
    except SimulationError as exc:
        print(f"    {engine} failed: {str(exc).splitlines()[-1]}")
        return None
    return {**runs[0], "seconds": min(r["seconds"] for r in runs)}


def paired_mc(samples: int) -> dict[str, float]:
    """The same pelgrom samples of the DPI neuron (1 nA, 0.1 s) on both engines: rate differences vs spread."""
    tables = {}
    for engine in ("ngspice", "vacask"):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            run_dir = Path(tmp) / "run"
            tables[engine] = monte_carlo("dpi-neuron", TECH, samples=samples, seed=1, overrides={"i_in": 1e-9},
                                         tstop=0.1, mismatch="pelgrom", out=run_dir, engine=engine)  # fmt: skip
            print(f"  {engine}: {samples} samples in {time.perf_counter() - start:.1f} s (2 workers)", flush=True)
    ng, vc = (tables[e].set_index("sample") for e in ("ngspice", "vacask"))
    offsets = [c for c in ng.columns if c.startswith("dvt_")]
    same = bool(np.array_equal(ng[offsets].to_numpy(), vc[offsets].to_numpy()))
    rate_ng, rate_vc = ng["isi_rate_hz"].to_numpy(), vc["isi_rate_hz"].to_numpy()
    diff = (rate_vc / rate_ng - 1) * 100
    cv = {e: float(np.std(r, ddof=1) / np.mean(r) * 100) for e, r in (("ngspice", rate_ng), ("vacask", rate_vc))}
    out = {"same_offsets": same, "ok_ngspice": int((ng["status"] == "ok").sum()),
           "ok_vacask": int((vc["status"] == "ok").sum()), "rate_diff_mean_pct": float(np.mean(diff)),
           "rate_diff_sd_pct": float(np.std(diff, ddof=1)), "rate_diff_max_pct": float(np.max(np.abs(diff))),
           "cv_ngspice_pct": cv["ngspice"], "cv_vacask_pct": cv["vacask"],
           "sim_s_ngspice": float(ng["sim_s"].mean()), "sim_s_vacask": float(vc["sim_s"].mean()),
           "corr": float(np.corrcoef(rate_ng, rate_vc)[0, 1])}  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--presets", default="fast,default")
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--cases", default="", help="comma-separated case numbers (default: all)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    chosen = [CASES[int(i)] for i in args.cases.split(",")] if args.cases else CASES
    configs = {"ngspice legacy": ("ngspice", ACCURACY["legacy"]), "ngspice default": ("ngspice", ACCURACY["default"]),
               **{f"vacask {p}": ("vacask", VACASK_ACCURACY[p]) for p in args.presets.split(",")}}  # fmt: skip
    rows: list[dict[str, Any]] = []
    v48 = "4.8"
    for case in chosen:
        ref45 = run(case, "ngspice", ACCURACY["reference"])
        ref48 = run(case, "ngspice", ACCURACY["reference"], v48)
        gap, _, same = spike_errors(ref48["spikes"], ref45["spikes"])
        print(f"\n{case.circuit}, {case.label}, {case.tstop:g} s: {len(ref45['spikes'])} spikes; "
              f"BSIM4 4.8 vs 4.5 (ngspice, reference): {gap:.3f} % ISI, counts agree {same}; "
              + " ".join(f"{m} {relative(ref48['metrics'][m], ref45['metrics'][m]):+.3f} %"
                         for m in METRICS[case.circuit]), flush=True)  # fmt: skip
        results = {name: best(case, engine, opts, args.repeats) for name, (engine, opts) in configs.items()}
        legacy = results["ngspice legacy"]["seconds"] if results["ngspice legacy"] else float("nan")
        default = results["ngspice default"]["seconds"] if results["ngspice default"] else float("nan")
        for name, res in results.items():
            if res is None:
                rows.append({"case": case.label, "circuit": case.circuit, "tstop_s": case.tstop, "config": name,
                             "failed": True})  # fmt: skip
                continue
            e45, _, n45 = spike_errors(res["spikes"], ref45["spikes"])
            e48, _, n48 = spike_errors(res["spikes"], ref48["spikes"])
            own = ref48 if name.startswith("vacask") else ref45
            errs = {m: relative(res["metrics"][m], own["metrics"][m]) for m in METRICS[case.circuit]}
            rows.append({"case": case.label, "circuit": case.circuit, "tstop_s": case.tstop, "config": name,
                         "seconds": res["seconds"], "x_legacy": legacy / res["seconds"],
                         "x_default": default / res["seconds"], "err45_pct_isi": e45, "err48_pct_isi": e48,
                         "counts45": n45, "counts48": n48, "model_gap_pct_isi": gap,
                         **{f"err_{m}_pct": v for m, v in errs.items()}})  # fmt: skip
            cost = res["seconds"]
            print(f"  {name:16s} {cost:6.2f} s  x{legacy / cost:4.2f} legacy x{default / cost:4.2f} default  "
                  f"err vs ref4.5 {e45:6.3f} %  vs ref4.8 {e48:6.3f} % ISI  counts {n45}  "
                  + "  ".join(f"{m} {v:+.3f} %" for m, v in errs.items()), flush=True)  # fmt: skip
    paired = {}
    if args.samples:
        print(f"\npaired Monte Carlo: {args.samples} pelgrom samples, DPI neuron 1 nA 0.1 s, default presets")
        paired = paired_mc(args.samples)
        print("  " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in paired.items()))
    print("\nsummary (geometric mean speed-up; worst spike-time error vs the reference of the same equations):")
    for name in configs:
        mine = [r for r in rows if r["config"] == name and not r.get("failed")]
        if not mine:
            continue
        key = "err48_pct_isi" if name.startswith("vacask") else "err45_pct_isi"
        errs = [r[key] for r in mine if np.isfinite(r[key])]
        print(f"  {name:16s} x{np.exp(np.mean(np.log([r['x_legacy'] for r in mine]))):.2f} legacy, "
              f"x{np.exp(np.mean(np.log([r['x_default'] for r in mine]))):.2f} default (least "
              f"x{min(r['x_legacy'] for r in mine):.2f} legacy); worst error {max(errs):.3f} % ISI; "
              f"failed {sum(1 for r in rows if r['config'] == name and r.get('failed'))}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "paired": paired}, indent=1, default=str))


if __name__ == "__main__":
    main()
