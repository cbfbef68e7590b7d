"""What the conditions of a run cost: a PVT sweep with a Monte Carlo at every point, and a temperature change.

1. Whether ngspice can change a loaded circuit's temperature without parsing it again: the DPI synapse at
   85 °C loaded fresh, against the same deck loaded at 27 °C then ``option temp=85`` and ``reset`` (its
   output current at 15 ms compared), and what one model load costs on each technology.
2. The DPI synapse on GF180MCU over 5 corners x 3 temperatures x 3 supplies, N pdk-mode samples per point
   (the same seeds at every point), stored in a run folder (resumable): wall time, the sum of ngspice's
   analysis times (``sim_s``), the overhead ``wall x workers / sum(sim_s) - 1`` and the time a new point costs
   beyond its samples' analyses. Accuracy: the sweep adds no approximation to each point's Monte Carlo run.

Usage: python benchmarks/conditions.py [--samples 32] [--tstop 0.05] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from neurospice.circuits import get_circuit
from neurospice.engines import get_engine
from neurospice.ngspice_models import get_technology
from neurospice.params.options import default_options
from neurospice.studies.design import design_sweep

GRID = ["corner=typical,ff,ss,fs,sf", "temp=-40:125:3", "vdd=3.0:3.6:3"]


def reparse(tech_name: str) -> tuple[float, float, bool]:
    """(one load, s; the same circuit's run, s; whether ``option temp`` + ``reset`` moved it to 85 °C)."""
    circuit, tech, engine = get_circuit("dpi-synapse"), get_technology(tech_name), get_engine()

    def deck(temp: float) -> str:
        return circuit.deck(circuit.values({"temp": temp}, tech), tech, 0.02, options=default_options())

    def at_15ms(vectors: dict[str, np.ndarray]) -> float:
        return float(np.interp(0.015, vectors["time"], vectors["vout#branch"]))

    start = time.perf_counter()
    engine.load(deck(85.0), tech.ngspice_settings)
    loaded = time.perf_counter()
    fresh = at_15ms(engine.run())
    ran = time.perf_counter()
    engine.load(deck(27.0), tech.ngspice_settings)
    cool = at_15ms(engine.run())
    engine.command("destroy all")
    engine.command("option temp=85")
    engine.command("reset")
    moved = at_15ms(engine.run())
    print(f"  {tech_name}: 85 °C fresh {fresh:.4g} A, 27 °C {cool:.4g} A, 27 °C + option temp=85 + reset {moved:.4g} A")
    return loaded - start, ran - loaded, bool(np.isclose(moved, fresh, rtol=1e-3, atol=0.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--tstop", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    print("1. a temperature change on a loaded circuit")
    for name in ("gf180mcu", "sky130"):
        load, run, moved = reparse(name)
        print(f"  {name}: one load {load:.3f} s, one run {run:.3f} s; option temp + reset changes it: {moved}")

    print(f"\n2. {' x '.join(GRID)}, {args.samples} samples per point, {args.workers} workers")
    out = Path(tempfile.mkdtemp(prefix="conditions-")) / "pvt"
    start = time.perf_counter()
    table = design_sweep(
        "dpi-synapse",
        "gf180mcu",
        GRID,
        samples=args.samples,
        seed=1,
        tstop=args.tstop,
        workers=args.workers,
        out=out,
        mismatch="pdk",
    )
    wall = time.perf_counter() - start
    sim = float(table["sim_s"].sum())
    points = len(table) // args.samples
    extra = (table["wall_s"] - table["sim_s"]).sum()
    print(f"  {len(table)} simulations ({points} points), {int((table['status'] != 'ok').sum())} failed")
    print(f"  wall {wall:.1f} s, sum of ngspice analysis {sim:.1f} s, overhead {wall * args.workers / sim - 1:+.1%}")
    print(f"  per simulation beyond its analysis: {extra / len(table) * 1e3:.1f} ms; per point: {extra / points:.3f} s")
    summary = table.groupby(["corner", "temp"])["tau_s"].agg(["mean", "std"])
    print("  tau_s by corner and temperature (mean, sd over samples and supplies):")
    print(summary.to_string(float_format=lambda v: f"{v * 1e3:.3f} ms"))


if __name__ == "__main__":
    main()
