"""Draw a run folder's waveforms with its spikes marked (PNG). Needs matplotlib (``plot`` extra)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["plot_run"]


def plot_run(run_dir: Path, out: Path | None = None) -> Path:
    """Plot every probe of ``run_dir`` against time, spikes marked; return the PNG's path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not (run_dir / "waveforms.parquet").is_file():
        raise FileNotFoundError(f"{run_dir}: no waveforms.parquet (not a neurospice run folder)")
    waves = pd.read_parquet(run_dir / "waveforms.parquet")
    meta = json.loads((run_dir / "run.json").read_text())
    spike_file = run_dir / "spikes.csv"
    spikes: np.ndarray = pd.read_csv(spike_file)["spike_time_s"].to_numpy() if spike_file.is_file() else np.empty(0)
    names = [c for c in waves.columns if c != "time"]
    fig, axes = plt.subplots(len(names), 1, figsize=(10, 1.9 * len(names) + 0.8), sharex=True, squeeze=False)
    t_ms = waves["time"].to_numpy() * 1e3
    for ax, name in zip(axes[:, 0], names, strict=True):
        ax.plot(t_ms, waves[name].to_numpy(), lw=0.9)
        ax.set_ylabel(name + (" (A)" if name.startswith("i_") else " (V)"))
        for s in spikes:
            ax.axvline(s * 1e3, color="tab:red", lw=0.6, alpha=0.6)
    axes[-1, 0].set_xlabel("time (ms)")
    fig.suptitle(f"{meta['circuit']} on {meta['technology']}: {len(spikes)} spikes (red)")
    fig.tight_layout()
    path = out or run_dir / "waveforms.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
