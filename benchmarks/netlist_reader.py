"""What reading an untrusted netlist costs: neurospice's reader and the final deck gate (results in docs/benchmarks/).

A layout-extraction-sized netlist is generated (``--devices`` GF180MCU transistors with their
parasitic capacitors in one ``.subckt``, a testbench around it, half of it in an included file)
and read the way every command reads it: :func:`neurospice.netlists.imported.read_user_netlist`
(reader, includes inlined, interpretation), then the deck is written and passed through
:func:`neurospice.netlists.gate.check_deck`. Beside them, in the same run: ngspice's own load of
the same deck (what a simulation pays anyway), so the ratios are side by side.

Usage: python benchmarks/netlist_reader.py [--devices 20000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from neurospice.circuits import UserCircuit
from neurospice.engines import get_engine
from neurospice.netlists.gate import check_deck
from neurospice.netlists.imported import read_user_netlist
from neurospice.ngspice_models import get_technology, trusted_model_files


def write_netlist(folder: Path, devices: int) -> Path:
    """A testbench around one extracted-style subcircuit; the second half of its devices in an include."""
    body = [f"XM{i} n{i} n{i + 1} 0 0 nmos_3p3 L=1u W=1u nf=1 ad=0.48p as=0.48p pd=2.96u ps=2.96u\nC{i} n{i} 0 1f"
            for i in range(devices)]  # fmt: skip
    half = devices // 2
    (folder / "cells").mkdir()
    (folder / "cells" / "second_half.spice").write_text("* second half\n" + "\n".join(body[half:]) + "\n")
    top = ["* extracted-style netlist", ".subckt big n0 vdd", *body[:half], ".include cells/second_half.spice",
           f"R0 n{devices} 0 1G", ".ends big", "Vdd vdd 0 3.3", "Ib vdd n0 10n", "X1 n0 vdd big",
           ".control", "tran 1u 1m", ".endc", ".end"]  # fmt: skip
    path = folder / "top.spice"
    path.write_text("\n".join(top) + "\n")
    return path


def best(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    tech = get_technology("gf180mcu")
    with tempfile.TemporaryDirectory() as tmp:
        path = write_netlist(Path(tmp), args.devices)
        size = path.stat().st_size + (Path(tmp) / "cells" / "second_half.spice").stat().st_size
        lines = sum(1 for _ in path.open()) + sum(1 for _ in (Path(tmp) / "cells" / "second_half.spice").open())
        read = best(lambda: read_user_netlist(path), args.repeats)
        circuit = UserCircuit(path)
        deck = circuit.deck(circuit.values(None, tech), tech, 1e-3)
        trusted = trusted_model_files()
        gate = best(lambda: check_deck(deck, trusted), args.repeats)
        engine = get_engine()
        load = best(lambda: engine.load(deck, tech.ngspice_settings, tech), 1)
    print(f"netlist: {args.devices} transistors + {args.devices} capacitors, {lines} lines, {size / 1e6:.2f} MB "
          f"(half in an include); deck {deck.count(chr(10))} lines")  # fmt: skip
    print("| step | seconds (best of runs) | per 1000 lines | vs ngspice load |")
    print("|---|---|---|---|")
    for name, seconds in (("read + inline + interpret (read_user_netlist)", read), ("final gate (check_deck)", gate),
                          ("ngspice load of the deck (gate included)", load)):  # fmt: skip
        print(f"| {name} | {seconds:.3f} | {1000 * seconds / lines * 1000:.2f} ms | {seconds / load:.2f}x |")


if __name__ == "__main__":
    main()
