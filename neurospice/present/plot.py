"""Draw a run folder's waveforms with its spikes marked (PNG), with matplotlib (a dependency)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..params import ParameterError
from .figures import eng_axis

__all__ = ["plot_budget", "plot_mismatch", "plot_run", "plot_sweep"]


def plot_mismatch(run_dir: Path, out: Path | None = None) -> Path:
    """Draw a Monte Carlo folder's metrics as histograms (unit on each axis, mean, sd, CV with its interval or why
    it has none); return the PNG's path (``RUN_DIR/histograms.png``)."""
    import matplotlib.pyplot as plt

    from ..store import load_run
    from ..store.declarations import declared_metrics
    from .report import histogram_figure, metric_table

    table = load_run(run_dir)
    metrics = metric_table(table, None, declared_metrics(table.attrs["manifest"]))
    if metrics.empty:
        raise ParameterError("run_dir", f"{run_dir}: no metric varies across the samples; nothing to draw")
    fig = histogram_figure(table, metrics)
    manifest = table.attrs["manifest"]
    fig.suptitle(
        f"{Path(str(manifest['circuit'])).name} on {manifest['technology']['technology']}: {len(table)} samples "
        f"({manifest['mismatch']} mismatch, seed {manifest['seed']})",
        y=1.01,
    )
    path = out or run_dir / "histograms.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_run(run_dir: Path, out: Path | None = None) -> Path:
    """Plot every probe of ``run_dir`` against time, spikes marked; return the PNG's path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not (run_dir / "waveforms.parquet").is_file():
        raise FileNotFoundError(
            f"{run_dir}: not a neurospice run folder; accepted: a folder written by simulate --out "
            "(waveforms.parquet), sweep --out or mismatch --out (manifest.json)"
        )
    waves = pd.read_parquet(run_dir / "waveforms.parquet")
    meta = json.loads((run_dir / "run.json").read_text())
    spike_file = run_dir / "spikes.csv"
    spikes: np.ndarray = pd.read_csv(spike_file)["spike_time_s"].to_numpy() if spike_file.is_file() else np.empty(0)
    names = [c for c in waves.columns if c != "time"]
    fig, axes = plt.subplots(len(names), 1, figsize=(10, 1.9 * len(names) + 0.8), sharex=True, squeeze=False)
    t_ms = waves["time"].to_numpy() * 1e3
    for ax, name in zip(axes[:, 0], names, strict=True):
        ax.plot(t_ms, waves[name].to_numpy(), lw=0.9)
        unit = "A" if name.startswith("i_") else "V"
        ax.set_ylabel(f"{name} ({unit})")
        eng_axis(ax, "y", unit)
        for s in spikes:
            ax.axvline(s * 1e3, color="tab:red", lw=0.6, alpha=0.6)
    axes[-1, 0].set_xlabel("time (ms)")
    fig.suptitle(f"{meta['circuit']} on {meta['technology']}: {len(spikes)} spikes (red)")
    fig.tight_layout()
    path = out or run_dir / "waveforms.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_sweep(run_dir: Path, out: Path | None = None, metrics: list[str] | None = None) -> Path:
    """Draw a sweep folder: each measured metric against the swept parameter, median and 5-95 % band across
    mismatch samples (top), its CV with the bootstrap interval (bottom); log axes where the grid was log.
    A full 2-D grid gives heat maps (median and CV) instead. Returns the PNG's path (``RUN_DIR/sweep.png``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..store.declarations import declared_metrics, declared_units
    from ..store.sweeps import read_sweep

    summary, manifest = read_sweep(Path(run_dir))
    axes_info = manifest["grid"]["axes"]
    declared = declared_metrics(manifest)
    drawable = {str(m) for m, rows in summary.groupby("metric") if np.isfinite(rows["p50"].to_numpy(float)).any()}
    chosen = metrics or [
        m
        for m in summary["metric"].unique()
        if not m.endswith(("_r2", "_error")) and (declared.get(m) is None or declared[m].kind == "measured")
    ]
    chosen = [m for m in chosen if m in drawable][:4]  # a metric with no finite value (NaN everywhere) is skipped
    if not chosen:
        raise ParameterError("run_dir", f"{run_dir}: no measured metric with a finite value to draw")
    nominal = int(manifest["samples_per_point"]) == 0
    x_name = axes_info[0]["name"]
    two_d = len(axes_info) == 2 and not manifest["grid"]["zipped"]
    rows = 1 if nominal else 2
    fig, grid = plt.subplots(rows, len(chosen), figsize=(4.2 * len(chosen), 3.2 * rows + 0.6), squeeze=False)
    for col, metric in enumerate(chosen):
        data = summary[summary["metric"] == metric].sort_values([a["name"] for a in axes_info])
        unit = declared[metric].unit if metric in declared else ""
        if two_d:
            _heat(fig, grid[0, col], data, axes_info, "p50", f"{metric} median" + (f" ({unit})" if unit else ""))
            if not nominal:
                _heat(fig, grid[1, col], data.assign(cv_pct=100 * data["cv"]), axes_info, "cv_pct", f"{metric} CV (%)")
            continue
        x, labels = _positions(data[x_name])
        top = grid[0, col]
        top.plot(x, data["p50"], "o-", color="#2b5d9b", label="median" if not nominal else "nominal")
        if not nominal:
            top.fill_between(x, data["p5"], data["p95"], color="#2b5d9b", alpha=0.25, label="5-95 %")
        top.set_title(metric + (f" ({unit})" if unit else ""), fontsize=10)
        top.legend(fontsize=8)
        log_x = axes_info[0]["scale"] == "log" and labels is None
        positive = bool((data["p50"] > 0).all() and (data.get("p5", data["p50"]) > 0).all())
        x_unit = declared_units(manifest).get(x_name, "")
        if labels is None:
            eng_axis(top, "x", x_unit, log=log_x)
        eng_axis(top, "y", unit, log=log_x and positive and data["p50"].max() > 5 * data["p50"].min())
        if not nominal:
            bottom = grid[1, col]
            cv, low, high = (100 * data[k].to_numpy(dtype=float) for k in ("cv", "cv_low", "cv_high"))
            bottom.errorbar(
                x, cv, yerr=[cv - low, high - cv], fmt="o-", color="#b0533c", capsize=3, label="measured, 95 % CI"
            )
            predicted = 100 * data["closed_form_cv"].to_numpy(dtype=float)
            if np.isfinite(predicted).any():
                bottom.plot(x, predicted, "k--", lw=1, label="closed form (Pelgrom)")
            bottom.legend(fontsize=8)
            bottom.set_ylabel("CV across devices (%)")
            bottom.set_ylim(bottom=0)
            if labels is None:
                eng_axis(bottom, "x", x_unit, log=log_x)
        for ax in grid[:, col]:
            if labels is not None:  # a choice parameter: one tick per word
                ax.set_xticks(x, labels)
        grid[rows - 1, col].set_xlabel(f"{x_name} ({x_unit})" if x_unit else x_name)
    how = "nominal" if nominal else f"{manifest['samples_per_point']} samples per point, {manifest['mismatch']}"
    fig.suptitle(f"{Path(str(manifest['circuit'])).name} on {manifest['technology']['technology']} ({how})")
    fig.tight_layout()
    path = out or Path(run_dir) / "sweep.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _positions(values: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """x positions of a swept parameter: its numbers, or 0, 1, 2... with the words as labels (a choice)."""
    try:
        return values.to_numpy(dtype=float), None
    except (TypeError, ValueError):
        return np.arange(len(values), dtype=float), [str(v) for v in values]


def _tick(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, (int, float)) else str(value)


def _heat(
    fig: object, ax: object, data: pd.DataFrame, axes_info: list[dict[str, object]], value: str, title: str
) -> None:
    (a, b) = (str(x["name"]) for x in axes_info)
    table = data.pivot_table(index=a, columns=b, values=value)
    image = ax.imshow(table.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")  # type: ignore[attr-defined]
    ax.set_yticks(range(len(table.index)), [_tick(v) for v in table.index])  # type: ignore[attr-defined]
    ax.set_xticks(range(len(table.columns)), [_tick(v) for v in table.columns], rotation=45)  # type: ignore[attr-defined]
    ax.set_ylabel(a)  # type: ignore[attr-defined]
    ax.set_xlabel(b)  # type: ignore[attr-defined]
    ax.set_title(title, fontsize=10)  # type: ignore[attr-defined]
    fig.colorbar(image, ax=ax)  # type: ignore[attr-defined]


def plot_budget(run_dir: Path, out: Path | None = None) -> Path:
    """Draw a precision budget folder: CV against area scale and against cluster size (measured, with the
    1/sqrt law through the unscaled point), then bits against area and against power for both ways."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run_dir = Path(run_dir)
    for name in ("scaling.csv", "clusters.csv", "budget.csv", "budget.json"):
        if not (run_dir / name).is_file():
            raise FileNotFoundError(f"{run_dir}: no {name} (not a finished `neurospice budget --out` folder)")
    scaling, clusters = pd.read_csv(run_dir / "scaling.csv"), pd.read_csv(run_dir / "clusters.csv")
    budget, settings = pd.read_csv(run_dir / "budget.csv"), json.loads((run_dir / "budget.json").read_text())
    fig, ax = plt.subplots(2, 2, figsize=(11, 8))
    s = scaling["scale"].to_numpy(dtype=float)
    cv, low, high = (100 * scaling[k].to_numpy(dtype=float) for k in ("cv", "cv_low", "cv_high"))
    a = ax[0, 0]
    a.errorbar(s, cv, yerr=[cv - low, high - cv], fmt="o", color="#2b5d9b", capsize=3, label="measured, 95 % CI")
    grid_s = np.geomspace(s.min(), s.max(), 30)
    a.plot(grid_s, cv[0] / np.sqrt(grid_s), "k--", lw=1, label="Pelgrom: CV(1)/sqrt(s)")
    a.set(
        xscale="log",
        yscale="log",
        xlabel="analog device area scale s",
        ylabel="CV (%)",
        title=f"(a) bigger devices: exponent {settings['cv_exponent_scale']:.2f}",
    )
    a.legend(fontsize=8)
    b = ax[0, 1]
    k = clusters["k"].to_numpy(dtype=float)
    b.plot(k, 100 * clusters["cv_unbiased"], "o", color="#b0533c", label="measured (c4-corrected)")
    b.plot(k, 100 * clusters["cv_unbiased"].iloc[0] / np.sqrt(k), "k--", lw=1, label="CV(1)/sqrt(k)")
    if settings["metric"] in ("rate_hz", "isi_rate_hz") and settings["circuit"] == "dpi-neuron":
        from ..analysis.reference import published_cluster_cv

        pub = published_cluster_cv()
        pub = pub[pub["window_s"] == pub["window_s"].max()]
        b.plot(
            pub["cluster_size"],
            100 * pub["cv"],
            "s:",
            color="grey",
            ms=4,
            label=f"DYNAP-SE, {pub['window_s'].max():g} s window",
        )
    b.set(
        xscale="log",
        yscale="log",
        xlabel="circuits averaged k",
        ylabel="CV of the cluster mean (%)",
        title=f"(b) averaging: exponent {settings['cv_exponent_k']:.2f}",
    )
    b.legend(fontsize=8)
    for col, (what, unit, scale_col, cluster_col) in enumerate(
        (("area", "µm²", "scale_area_um2", "cluster_area_um2"), ("power", "W", "scale_power_w", "cluster_power_w"))
    ):
        c = ax[1, col]
        c.plot(budget[scale_col], budget["bits"], "o-", color="#2b5d9b", label="bigger devices")
        c.plot(budget[cluster_col], budget["bits"], "s-", color="#b0533c", label="averaging k circuits")
        c.set(xscale="log", xlabel=f"{what} ({unit})", ylabel="bits (log2 1/CV^2)", title=f"bits against {what}")
        c.legend(fontsize=8)
    for axis in ax.flat:
        axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        axis.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    fig.suptitle(
        f"precision budget of {settings['metric']}: {settings['circuit']} on {settings['technology']}, "
        f"{settings['samples']} samples per scale"
    )
    fig.tight_layout()
    path = out or run_dir / "budget.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
