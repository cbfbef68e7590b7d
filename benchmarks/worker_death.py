"""What one worker's death costs a Monte Carlo run, measured side by side with an unbroken run.

Runs the same DPI-neuron Monte Carlo (same seed) twice on all cores: once unbroken, once with
one worker killed (SIGKILL) a few seconds in. Reports wall time, the worker processes used and
the samples retried, and checks that the two tables agree value for value.

Usage: python benchmarks/worker_death.py [--samples 32] [--tstop 0.1] [--kill-after 4]
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd

from neurospice.montecarlo import monte_carlo

VOLATILE = ["wall_s", "sim_s", "worker", "attempts", "first_failure"]


def workers_of(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids += [int(x) for x in (task / "children").read_text().split()]
    return [k for k in kids if b"resource_tracker" not in Path(f"/proc/{k}/cmdline").read_bytes()]


def run(samples: int, tstop: float, kill_after: float | None) -> tuple[float, pd.DataFrame, list[int]]:
    killed: list[int] = []

    def killer() -> None:
        assert kill_after is not None
        time.sleep(kill_after)
        kids = workers_of(os.getpid())
        if kids:
            os.kill(kids[0], signal.SIGKILL)
            killed.append(kids[0])

    thread = threading.Thread(target=killer) if kill_after is not None else None
    start = time.perf_counter()
    if thread is not None:
        thread.start()
    table = monte_carlo("dpi-neuron", "gf180mcu", samples=samples, seed=3, tstop=tstop)
    wall = time.perf_counter() - start
    if thread is not None:
        thread.join()
    return wall, table, killed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--tstop", type=float, default=0.1)
    parser.add_argument("--kill-after", type=float, default=4.0)
    args = parser.parse_args()
    base_wall, base, _ = run(args.samples, args.tstop, None)
    wall, table, killed = run(args.samples, args.tstop, args.kill_after)
    same = base.drop(columns=VOLATILE).equals(table.drop(columns=VOLATILE))
    print(f"DPI neuron, {args.samples} samples, {args.tstop:g} s, {os.cpu_count()} workers\n")
    print("| run | wall | worker processes | samples retried | values equal to unbroken |")
    print("|---|---|---|---|---|")
    victim = killed[0] if killed else "-"
    for name, t, w, equal in (("unbroken", base, base_wall, "-"),
                              (f"one worker killed after {args.kill_after:g} s (pid {victim})", table, wall,
                               "yes" if same else "NO")):  # fmt: skip
        print(f"| {name} | {w:.1f} s | {t['worker'].nunique()} | {int((t['attempts'] > 1).sum())} | {equal} |")


if __name__ == "__main__":
    main()
