"""Fewer SPICE runs for the same answer, measured side by side in one run (results go to docs/benchmarks/).

Parts (each printed as a Markdown table; ``--out`` keeps every run folder):

1. Synthetic coverage: 200 seeds of correlated data with known truth (26 devices, 5 that matter,
   a cheap model biased in level and slope), plain vs the control variate vs the offsets regression;
   and the coverage of the interval at which the stopping rule stopped (the optional-stopping effect).
2. The reference: a large plain pelgrom run of the DPI neuron (``--reference DIR`` reuses one;
   default 4096 samples, seed 7, 0.1 s, the default 0.5 nA DC input), and the multifidelity estimates of all of it.
3. Coverage on SPICE: the reference cut into disjoint groups of 32 samples (each an independent
   32-sample run), every estimator's interval against the reference.
4. SPICE runs to a target: the stopping rule (pilot 32, batches of 16) read on the reference's
   samples in order, rate CV to +-5 % relative and refractory CV to +-1 %, per estimator; CPU time
   from the measured per-sample cost. Then one live stopped run with the equation estimator.
5. Sampling designs: 20 runs of 32 samples each with lhs and with sobol, against 20 random
   groups: the true spread of the rate-CV and mean-rate estimates over seeds.
6. A user netlist with no equation and no closed form (an Axon-Hillock neuron, GF180MCU): latency,
   rate and energy per spike with the offsets regression (1024 samples cut into groups of 32).
7. The precision study's single-neuron rate CV (256 pelgrom neurons, 0.3 s recording): the
   fraction of the neurons the regression needs for the plain interval of all 256.

Usage: python benchmarks/multifidelity.py [--reference DIR] [--out DIR] [--skip-precision]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from neurospice.analysis.multifidelity import control_variate, plain_estimate, regression_estimate
from neurospice.montecarlo import Stopping, monte_carlo
from neurospice.montecarlo.sequential import SequentialPlan, Target, parse_target
from neurospice.ngspice_models import get_technology
from neurospice.store import load_run
from neurospice.studies.estimate import estimator_for, rule_with_models

warnings.simplefilter("ignore")
CORES = os.cpu_count() or 1
NEURON: dict[str, object] = {}  # the defaults (0.5 nA DC), as the reference run
TSTOP = 0.1


def synthetic(reps: int = 200, n: int = 32) -> list[str]:
    d = 26
    sig = np.full(d, 0.004)
    w = np.zeros(d)
    w[:5] = np.array([40, -30, 25, 15, 10]) * 0.4

    def draw(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal((k, d)) * sig
        return x, 100 * np.exp(x @ w + 0.01 * rng.standard_normal(k))

    _, big = draw(np.random.default_rng(123), 2_000_000)
    truth = {"mean": big.mean(), "sd": big.std(ddof=1), "cv": big.std(ddof=1) / big.mean()}
    rows = [
        "| statistic | estimator | coverage (nominal 95 %) | mean half-width | true sd of the estimate |",
        "|---|---|---|---|---|",
    ]
    for stat in ("cv", "mean", "sd"):
        found: dict[str, list[tuple[bool, float, float]]] = {"plain": [], "control variate": [], "regression": []}
        for r in range(reps):
            rng = np.random.default_rng(5000 + r)
            x_off, y = draw(rng, n)
            cheap = 90 * np.exp(x_off @ (1.3 * w))
            fresh = 90 * np.exp((rng.standard_normal((20000, d)) * sig) @ (1.3 * w))
            for name, est in (
                ("plain", plain_estimate(y, stat, seed=r)),
                ("control variate", control_variate(y, cheap, fresh, stat, seed=r)),
                ("regression", regression_estimate(y, x_off, sig, stat, seed=r)),
            ):
                found[name].append((est.low <= truth[stat] <= est.high, est.half_width, est.value))
        for name, got in found.items():
            hit = np.mean([g[0] for g in got])
            rows.append(
                f"| {stat} | {name} | {100 * hit:.1f} % | {np.mean([g[1] for g in got]):.4g} | "
                f"{np.std([g[2] for g in got]):.4g} |"
            )
    return rows


def stopped_coverage(reps: int = 200) -> list[str]:
    """The stopping rule's own effect: over ``reps`` synthetic runs, the coverage of the interval read at the
    checkpoint that stopped the run (pilot 32, batches of 16, cap 1024), plain and with the control variate."""
    d = 26
    sig = np.full(d, 0.004)
    w = np.zeros(d)
    w[:5] = np.array([40, -30, 25, 15, 10]) * 0.4
    _, big = draw_synthetic(np.random.default_rng(123), 2_000_000, w, sig)
    truth = big.std(ddof=1) / big.mean()
    rows = ["| estimator | target | coverage at the stop | mean SPICE samples at the stop |", "|---|---|---|---|"]
    for name, text in (("plain", "y:cv=10%"), ("control variate", "y:cv=2%")):
        hits, used = 0, []
        for r in range(reps):
            rng = np.random.default_rng(9000 + r)
            x_off, y = draw_synthetic(rng, 1024, w, sig)
            cheap = 90 * np.exp(x_off @ (1.3 * w))
            fresh = 90 * np.exp((rng.standard_normal((20000, d)) * sig) @ (1.3 * w))
            frame = pd.DataFrame({"sample": np.arange(1024), "status": "ok", "y": y, "x": cheap})

            def est(rows: pd.DataFrame, target: Target, name: str = name, fresh: np.ndarray = fresh) -> object:
                yy = rows["y"].to_numpy()
                if name == "plain":
                    return plain_estimate(yy, "cv", n_boot=500)
                return control_variate(yy, rows["x"].to_numpy(), fresh, "cv", n_boot=100)

            rule = Stopping((parse_target(text),), pilot=32, batch=16)
            plan = SequentialPlan(rule, 1024, 1, [[est]])  # type: ignore[list-item]
            batch = plan.first()
            while batch:
                batch = plan.advance(frame.iloc[: max(batch) + 1])
            last = plan.history[-1][rule.targets[0].text()]
            hits += last["low"] <= truth <= last["high"]
            used.append(plan.reached[0])
        rows.append(f"| {name} | {text.split(':')[1]} | {100 * hits / reps:.1f} % | {np.mean(used):.0f} |")
    return rows


def draw_synthetic(rng: np.random.Generator, k: int, w: np.ndarray, sig: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal((k, len(w))) * sig
    return x, 100 * np.exp(x @ w + 0.01 * rng.standard_normal(k))


def reference(path: Path | None, out: Path) -> Path:
    if path is not None and (path / "manifest.json").is_file():
        return path
    target = out / "reference"
    t = time.perf_counter()
    monte_carlo("dpi-neuron", samples=4096, seed=7, overrides=NEURON, tstop=TSTOP, mismatch="pelgrom", out=target)
    print(f"reference run: {time.perf_counter() - t:.0f} s")
    return target


def estimators(metric: str, seed: int = 0) -> dict[str, object]:
    from neurospice.circuits import get_circuit

    tech = get_technology("gf180mcu")
    c = get_circuit("dpi-neuron")
    values = c.values(NEURON, tech)
    found: dict[str, object] = {}
    for name in ("plain", "regression", "closed-form", "equation"):
        try:
            if name == "equation":
                from neurospice.studies.estimate import equation_estimator

                found[name] = equation_estimator(tech, dict(values.items()), metric, seed=seed)
            else:
                found[name] = estimator_for(name, c, tech, values, metric)
        except Exception:  # no closed form for this metric
            continue
    return found


def spice_coverage(table: pd.DataFrame, group: int = 32) -> tuple[list[str], dict[str, dict[str, float]]]:
    """Each estimator on disjoint groups: coverage of two references (the plain estimate of all samples, and the
    tightest multifidelity estimate of all of them), and the spread of the group estimates over the spread the
    intervals claim (half-width / t): 1 for an honest interval, whatever the references' own errors."""
    from scipy.stats import t as student

    rows = [
        "| metric | estimator | coverage of the plain estimate of all | coverage of the MF estimate of all | "
        "true spread / claimed | mean half-width (rel.) |",
        "|---|---|---|---|---|---|",
    ]
    refs: dict[str, dict[str, float]] = {}
    tech = get_technology("gf180mcu")
    for metric in ("isi_rate_hz", "refractory_s"):
        target = Target(metric, "cv", math.inf, True)
        full = estimators(metric)
        plain_all = full["plain"](table, target)  # type: ignore[operator]
        if metric == "refractory_s":  # rho 0.99995: the regression of all samples is the tightest
            mf_all = full["regression"](table, target)  # type: ignore[operator]
        else:
            from neurospice.circuits import get_circuit
            from neurospice.studies.estimate import equation_estimator

            values = get_circuit("dpi-neuron").values(NEURON, tech)
            tight = equation_estimator(tech, dict(values.items()), metric, seed=99, fresh=2_000_000)
            mf_all = tight(table, target)
        refs[metric] = {"plain": plain_all.value, "plain_low": plain_all.low, "plain_high": plain_all.high,
                        "mf": mf_all.value, "mf_low": mf_all.low, "mf_high": mf_all.high}  # fmt: skip
        rows.append(
            f"| {metric}: references | | plain {100 * plain_all.value:.3f} % [{100 * plain_all.low:.3f}, "
            f"{100 * plain_all.high:.3f}] | {mf_all.model or 'MF'}: {100 * mf_all.value:.3f} % "
            f"[{100 * mf_all.low:.3f}, {100 * mf_all.high:.3f}] | | |"
        )
        groups = len(table) // group
        for name in full:
            hits_plain, hits_mf, widths, values_seen, claimed = 0, 0, [], [], []
            for g in range(groups):
                est_fn = estimators(metric, seed=g)[name] if name == "equation" else full[name]
                part = table.iloc[g * group : (g + 1) * group]
                est = est_fn(part, target)  # type: ignore[operator]
                hits_plain += est.low <= plain_all.value <= est.high
                hits_mf += est.low <= mf_all.value <= est.high
                widths.append(est.relative_half_width)
                values_seen.append(est.value)
                claimed.append(est.half_width / float(student.ppf(0.975, group - 2)))
            ratio = float(np.std(values_seen, ddof=1) / np.sqrt(np.mean(np.square(claimed))))
            rows.append(
                f"| {metric} | {name} | {hits_plain}/{groups} = {100 * hits_plain / groups:.1f} % | "
                f"{hits_mf}/{groups} = {100 * hits_mf / groups:.1f} % | {ratio:.2f} | {100 * np.mean(widths):.2f} % |"
            )
    return rows, refs


def to_target(table: pd.DataFrame, text: str, per_sample_s: float) -> list[str]:
    rows = []
    target = parse_target(text)
    for name, est in estimators(target.metric).items():
        if name == "closed-form" and target.metric != "refractory_s":
            continue
        rule = Stopping((target,), pilot=32, batch=16, estimator=name)
        plan = SequentialPlan(rule, len(table), 1, [[est]])  # type: ignore[list-item]
        batch = plan.first()
        while batch:
            batch = plan.advance(table.iloc[: max(batch) + 1])
        n = plan.reached[0]
        last = plan.history[-1][target.text()]
        rows.append(
            f"| {text} | {name} | {n}{' (cap)' if not plan.history[-1]['met'] else ''} | "
            f"{100 * last['value']:.3f} % [{100 * last['low']:.3f}, {100 * last['high']:.3f}] | "
            f"{n * per_sample_s:.0f} s |"
        )
    return rows


def live_equation(out: Path) -> list[str]:
    from neurospice.circuits import get_circuit
    from neurospice.studies.extract import extract_dpi_neuron, measure_sensitivities

    tech = get_technology("gf180mcu")
    c = get_circuit("dpi-neuron")
    values = c.values(NEURON, tech)
    tc = time.perf_counter()
    measure_sensitivities(tech, extract_dpi_neuron(tech, values))  # what the cache holds, measured from scratch
    cold = time.perf_counter() - tc
    t0 = time.perf_counter()
    rule = rule_with_models(
        Stopping((parse_target("isi_rate_hz:cv=5%"), parse_target("refractory_s:cv=1%")), pilot=16, batch=16,
                 estimator="equation"),
        c, tech, c.values(NEURON, tech),
    )  # fmt: skip
    t1 = time.perf_counter()
    folder = out / "live-equation"
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    table = monte_carlo(
        c, tech, samples=768, seed=11, overrides=NEURON, tstop=TSTOP, mismatch="pelgrom", out=folder, stopping=rule
    )
    t2 = time.perf_counter()
    manifest = json.loads((folder / "manifest.json").read_text())
    last = manifest["stopping"]["checkpoints"][-1]
    said = "; ".join(
        f"{k}: {100 * v['value']:.3f} % [{100 * v['low']:.3f}, {100 * v['high']:.3f}]"
        for k, v in last.items()
        if isinstance(v, dict)
    )
    return [
        f"- live run, equation estimator, pilot 16: **{len(table)} SPICE samples**, {t2 - t1:.1f} s wall on "
        f"{CORES} cores; building the cheap model {t1 - t0:.1f} s from the cache (measuring it from scratch, the "
        f"extraction and the sensitivities, once per machine and circuit values: {cold:.0f} s on one core); "
        f"{said}; reason: {manifest['stopping']['per_group'][0]['reason']}",
    ]


def designs(table: pd.DataFrame, out: Path, reps: int, n: int = 32) -> list[str]:
    spread: dict[str, dict[str, list[float]]] = {}
    for sampling in ("random", "lhs", "sobol"):
        got: dict[str, list[float]] = {"cv": [], "mean": []}
        t = time.perf_counter()
        for r in range(reps):
            if sampling == "random":
                part = table.iloc[r * n : (r + 1) * n]
            elif (out / f"{sampling}-{r}" / "manifest.json").is_file():  # kept from an earlier run of this script
                part = load_run(out / f"{sampling}-{r}")
            else:
                part = monte_carlo(
                    "dpi-neuron", samples=n, seed=1000 + r, overrides=NEURON, tstop=TSTOP, mismatch="pelgrom",
                    sampling=sampling, out=out / f"{sampling}-{r}",
                )  # fmt: skip
            y = part["isi_rate_hz"].to_numpy(dtype=float)
            got["cv"].append(float(y.std(ddof=1) / y.mean()))
            got["mean"].append(float(y.mean()))
        spread[sampling] = got
        print(f"{sampling}: {time.perf_counter() - t:.0f} s")
    rows = ["| design | sd of the rate CV over seeds | variance vs random | sd of the mean rate | variance vs random |",
            "|---|---|---|---|---|"]  # fmt: skip
    base = {k: np.var(v, ddof=1) for k, v in spread["random"].items()}
    for sampling, got in spread.items():
        v = {k: np.var(x, ddof=1) for k, x in got.items()}
        rows.append(
            f"| {sampling} ({reps} runs of {n}) | {100 * math.sqrt(v['cv']):.3f} pt | {v['cv'] / base['cv']:.2f} | "
            f"{math.sqrt(v['mean']):.3f} Hz | {v['mean'] / base['mean']:.2f} |"
        )
    return rows


def group_check(table: pd.DataFrame, fns: dict[str, object], target: Target, refs: list[float], n: int) -> list[str]:
    """Per estimator, over disjoint groups of ``n``: coverage of each reference, and the spread of the group
    estimates over the spread their intervals claim (half-width / t; 1 for an honest interval, reference-free)."""
    from scipy.stats import t as student

    groups = len(table) // n
    cells = []
    for name, fn in fns.items():
        hits = [0] * len(refs)
        values, claimed, widths = [], [], []
        for g in range(groups):
            est = fn(table.iloc[g * n : (g + 1) * n], target)  # type: ignore[operator]
            for i, ref in enumerate(refs):
                hits[i] += est.low <= ref <= est.high
            values.append(est.value)
            claimed.append(est.half_width / float(student.ppf(0.975, n - 2)))
            widths.append(est.relative_half_width)
        ratio = float(np.std(values, ddof=1) / np.sqrt(np.mean(np.square(claimed))))
        cells.append(
            f"| {target.metric} | {target.statistic} | {name} | "
            + " | ".join(f"{h}/{groups}" for h in hits)
            + f" | {ratio:.2f} | {100 * np.mean(widths):.2f} % |"
        )
    return cells


def user_netlist(out: Path, samples: int = 1024, n: int = 32) -> list[str]:
    """A user's netlist with no equation and no closed form: the offsets regression alone."""
    from neurospice.circuits import get_circuit

    path = Path(__file__).resolve().parents[1] / "tests" / "data" / "user" / "axon_hillock_gf180.spice"
    folder = out / "user-axon-hillock"
    c = get_circuit(str(path))
    over = {"spike_node": "vout"}
    t = time.perf_counter()
    if not (folder / "manifest.json").is_file():
        monte_carlo(c, samples=samples, seed=5, overrides=over, mismatch="pelgrom", out=folder)
    wall = time.perf_counter() - t
    table = load_run(folder)
    table = table[table["status"] == "ok"].reset_index(drop=True)
    tech = get_technology("gf180mcu")
    values = c.values(over, tech)
    reg = estimator_for("regression", c, tech, values, "latency_s")
    plain = estimator_for("plain", c, tech, values, "latency_s")
    rows = [
        f"`tests/data/user/axon_hillock_gf180.spice` (an Axon-Hillock netlist as a user brings it), {len(table)} "
        f"pelgrom samples ({wall:.0f} s; 0 s: kept from an earlier run), disjoint groups of {n}; references: the "
        "plain estimate of all samples and the regression of all samples:",
        "",
        "| metric | statistic | estimator | covers plain-all | covers regression-all | true spread / claimed "
        "| mean half-width (rel.) |",
        "|---|---|---|---|---|---|---|",
    ]
    for metric in ("latency_s", "isi_rate_hz", "energy_per_spike_j"):
        for stat in ("cv", "mean"):
            target = Target(metric, stat, math.inf, True)  # type: ignore[arg-type]
            refs = [plain(table, target).value, reg(table, target).value]  # type: ignore[operator]
            rows += group_check(table, {"plain": plain, "regression": reg}, target, refs, n)
    return rows


def precision(out: Path) -> list[str]:
    from neurospice.studies.precision import Recording, precision_study

    folder = out / "precision"
    t = time.perf_counter()
    if not (folder / "manifest.json").is_file():
        precision_study(neurons=256, recording=Recording(duration=0.3), mismatch="pelgrom", out=folder, seed=3)
    wall = time.perf_counter() - t
    table = load_run(folder)
    metric = "rate_hz"
    from neurospice.circuits import circuit_of_run, values_of_run

    manifest = json.loads((folder / "manifest.json").read_text())
    c = circuit_of_run(manifest)
    tech = get_technology("gf180mcu")
    values = values_of_run(c, manifest)
    target = Target(metric, "cv", math.inf, True)
    full = estimator_for("plain", c, tech, values, metric)(table, target)  # type: ignore[operator]
    reg = estimator_for("regression", c, tech, values, metric)
    rows = [f"256 pelgrom neurons, 0.2 s settling + 0.3 s recorded, 200 Hz through the synapse ({wall:.0f} s):",
            f"plain single-neuron rate CV from all 256: {100 * full.value:.2f} % [{100 * full.low:.2f}, "
            f"{100 * full.high:.2f}] (half-width {100 * full.half_width:.2f} pt)", "",
            "| neurons read | regression estimate | half-width | within the plain-256 width? |",
            "|---|---|---|---|"]  # fmt: skip
    for k in (24, 32, 48, 64, 96, 128, 256):
        est = reg(table.iloc[:k], target)  # type: ignore[operator]
        rows.append(
            f"| {k} ({100 * k / 256:.0f} %) | {100 * est.value:.2f} % [{100 * est.low:.2f}, {100 * est.high:.2f}] "
            f"| {100 * est.half_width:.2f} pt | {'yes' if est.half_width <= full.half_width else 'no'} |"
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("runs/benchmark-multifidelity"))
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--skip-precision", action="store_true")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"## Multifidelity benchmark ({time.strftime('%Y-%m-%d')}, {CORES} cores)\n")
    t = time.perf_counter()
    print("\n".join(synthetic()), f"\n\n(synthetic part: {time.perf_counter() - t:.0f} s)\n")
    print("\n".join(stopped_coverage()), "\n")
    ref = reference(args.reference, args.out)
    table = load_run(ref)
    table = table[table["status"] == "ok"].reset_index(drop=True)
    per_sample = float(table["wall_s"].mean())
    print(f"reference: {ref}, {len(table)} samples, {per_sample:.3f} core-s per SPICE sample\n")
    rows, _ = spice_coverage(table)
    print("\n".join(rows), "\n")
    print("| target | estimator | SPICE samples | estimate at the stop | SPICE CPU (core-s) |\n|---|---|---|---|---|")
    for text in ("isi_rate_hz:cv=5%", "refractory_s:cv=1%"):
        print("\n".join(to_target(table, text, per_sample)))
    print()
    print("\n".join(live_equation(args.out)), "\n")
    print("\n".join(designs(table, args.out, args.reps)), "\n")
    print("\n".join(user_netlist(args.out)), "\n")
    if not args.skip_precision:
        print("\n".join(precision(args.out)), "\n")


if __name__ == "__main__":
    main()
