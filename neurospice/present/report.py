"""Self-contained HTML reports of Monte Carlo and precision runs (figures embedded as PNG).

A report is one file: parameters and provenance, per-metric histograms with mean, sigma and CV
(with its bootstrap interval and, where a closed form exists, the predicted CV), a Pelgrom plot
of the technology's devices, the per-device contribution chart (``pelgrom`` mode), and for a
precision study the CV and bits heat maps next to the published table.
"""

from __future__ import annotations

import html
import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..analysis import LowR2Warning, coefficient_of_variation, equivalent_bits, fit_pelgrom, mismatch_contributions
from ..analysis.reference import published_cluster_cv
from ..analysis.summary import metric_columns
from ..params import ParameterError
from ..store import atomic_write, load_run
from ..store.declarations import declared_metrics
from .estimates import STOPPING_HEAD, stopping_rows
from .figures import CSS, figure, png

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..circuits import Metric

__all__ = [
    "metric_table",
    "mismatch_report",
    "precision_heatmaps",
    "precision_report",
    "save_precision_heatmap",
    "write_mismatch_report",
]


def _html_table(frame: pd.DataFrame, floatfmt: str = "{:.4g}") -> str:
    return frame.to_html(index=False, float_format=lambda x: floatfmt.format(x), border=0, escape=True)


def metric_table(
    table: pd.DataFrame,
    predicted: Mapping[str, Mapping[str, Any]] | None = None,
    declared: Mapping[str, Metric] | None = None,
) -> pd.DataFrame:
    """Per metric over ok samples: unit and kind (as the circuit declares them), n, mean, sd, CV (ddof=1) with
    its 95 % bootstrap interval, closed-form CV."""
    ok = table[table["status"] == "ok"]
    rows = []
    for name in metric_columns(ok):
        est = coefficient_of_variation(ok[name].to_numpy(dtype=float))
        if est.n < 2 or not np.isfinite(est.cv) or est.cv < 1e-9:  # constant (a prediction, a setting)
            continue
        pred = (predicted or {}).get(name, {}).get("cv", float("nan"))
        d = (declared or {}).get(name)
        rows.append(
            {
                "metric": name,
                "unit": d.unit if d else "",
                "kind": d.kind if d else "",
                "n": est.n,
                "mean": est.mean,
                "sd": est.std,
                "cv_%": 100 * est.cv,
                "cv_ci_low_%": 100 * est.ci_low,
                "cv_ci_high_%": 100 * est.ci_high,
                "closed_form_cv_%": 100 * pred,
                "bits (log2 1/CV^2)": float(equivalent_bits(est.cv)),
            }
        )
    return pd.DataFrame(rows)


def _histograms(table: pd.DataFrame, metrics: pd.DataFrame) -> str:
    ok = table[table["status"] == "ok"]
    names = list(metrics["metric"])
    if not names:
        return "<p>No metric varies across the samples.</p>"
    cols = 3
    rows = (len(names) + cols - 1) // cols
    fig, axes = figure(rows, cols, (12, 3.6 * rows))
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    for ax, (_, row) in zip(axes.ravel(), metrics.iterrows(), strict=False):
        x = ok[row["metric"]].to_numpy(dtype=float)
        ax.hist(x[np.isfinite(x)], bins=min(40, max(8, row["n"] // 6)), color="#4a7ab0")
        ax.axvline(row["mean"], color="k", lw=1)
        ax.set_title(
            f"{row['metric']}\nmean {row['mean']:.4g}  sd {row['sd']:.3g}  CV {row['cv_%']:.2f} %"
            f" [{row['cv_ci_low_%']:.2f}, {row['cv_ci_high_%']:.2f}]",
            fontsize=8,
        )
    fig.tight_layout()
    return png(fig)


def _pelgrom_section(checks: list[dict[str, Any]]) -> str:
    """The Pelgrom plot and fit table from stored checks (``neurospice.sim.characterization.PelgromCheck`` fields)."""
    if not checks:
        return ""
    fig, axes = figure(1, 1, (6, 4))
    ax = axes[0, 0]
    rows = []
    for chk, color in zip(checks, ("#c0392b", "#2471a3"), strict=False):
        area, est, law = (np.asarray(chk[k], dtype=float) for k in ("area_eff", "sigma_vt_est", "sigma_vt_law"))
        x = 1 / np.sqrt(area * 1e12)
        fit = fit_pelgrom(area, est)
        device = chk["device"]
        ax.plot(x, 1e3 * est, "o", color=color, label=f"{device}: simulated, {chk['samples']} devices/size")
        ax.plot(x, 1e3 * law, "-", color=color, alpha=0.6, label=f"{device}: technology's law")
        rows.append(
            {
                "device": device,
                "A_VT pair fit (mV um)": np.sqrt(2) * fit.a_fixed * 1e9,
                "A_VT pair stated (mV um)": np.sqrt(2) * float(np.mean(law * np.sqrt(area))) * 1e9,
                "exponent": fit.exponent,
                "exponent sd": fit.exponent_stderr,
                "kappa": chk["kappa"],
                "r2": fit.r2,
            }
        )
    ax.set_xlabel("1/sqrt(W_eff L_eff)  (1/um)")
    ax.set_ylabel("sigma_VT from sigma(ln I_D) U_T/kappa  (mV)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return (
        "<h2>Pelgrom plot</h2><p class=note>Single devices of the technology at several sizes, "
        f"|V_GS| = {checks[0]['vgs_v']:g} V (subthreshold), its own statistical model; sigma(ln I_D) "
        "converted to sigma_VT with the measured kappa. Fit: sigma = A/sqrt(WL) (pair convention: x sqrt 2).</p>"
        + png(fig)
        + _html_table(pd.DataFrame(rows))
    )


def _contribution_section(table: pd.DataFrame, metrics: pd.DataFrame, mode: str) -> str:
    if mode != "pelgrom":
        return (
            "<h2>Mismatch contributions</h2><p class=note>Per-device attribution needs the offsets of every "
            "device: run with <code>--mismatch pelgrom</code>.</p>"
        )
    ok = table[table["status"] == "ok"]
    dvt = [c for c in ok.columns if c.startswith("dvt_")]
    names = [c[4:] for c in dvt]
    out = [
        "<h2>Mismatch contributions</h2><p class=note>Share of var(ln metric) explained by each "
        "transistor's threshold offset (linear regression on the stored Pelgrom draws).</p>"
    ]
    for metric in list(metrics["metric"])[:4]:
        y = ok[metric].to_numpy(dtype=float)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", LowR2Warning)
                res = mismatch_contributions(ok[dvt].to_numpy(dtype=float), y, names)
        except ValueError as exc:
            out.append(f"<p>{html.escape(metric)}: {html.escape(str(exc))}</p>")
            continue
        top = res.table.head(10)
        fig, axes = figure(1, 1, (6, 3))
        axes[0, 0].barh(top["device"][::-1], 100 * top["variance_share"][::-1], color="#4a7ab0")
        axes[0, 0].set_xlabel("% of var(ln metric)")
        axes[0, 0].set_title(
            f"{metric}: R^2 = {res.r2:.3f}" + ("" if res.trusted else " (too low to trust)"), fontsize=9
        )
        out.append(png(fig))
        out.append(_html_table(top.head(6)))
    return "".join(out)


def _estimates_section(estimates: Mapping[str, Mapping[str, Any]]) -> str:
    """Each metric's CV from the same SPICE samples, plain and with the offsets-regression control variate."""
    if not estimates:
        return ""
    head = ["metric", "CV, plain [95 %]", "CV, control variate [95 %]", "rho", "plain needs for this width", "model"]
    rows = []
    for name, e in estimates.items():
        gain = float(e.get("gain", float("nan")))
        rows.append(
            [
                name,
                f"{100 * e['plain']:.3f} % [{100 * e['plain_low']:.3f}, {100 * e['plain_high']:.3f}]",
                f"{100 * e['value']:.3f} % [{100 * e['low']:.3f}, {100 * e['high']:.3f}]",
                f"{float(e['rho']):.4f}",
                f"{gain:.3g}x the {e['n_spice']} SPICE runs" if gain == gain else "",
                str(e.get("model", "")),
            ]
        )
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return (
        "<h2>Control variates: the same samples, narrower intervals</h2><p class=note>A linear or log-linear "
        "surrogate of each metric on the stored device offsets, cross-fitted, with exact moments over the Pelgrom "
        "distribution (neurospice.analysis.multifidelity.regression_estimate); coverage measured in "
        "BENCHMARKS.md.</p><table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + f"</tr>{cells}</table>"
    )


def _stopping_section(manifest: Mapping[str, Any]) -> str:
    """The stopping rule's last readings: estimate, interval, SPICE samples, reason, cheap model."""
    rows = stopping_rows(manifest)
    if not rows:
        return ""
    rule = manifest.get("stopping_rule", {})
    head = "".join(f"<th>{html.escape(h)}</th>" for h in STOPPING_HEAD)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return (
        "<h2>Stopping rule</h2><p class=note>"
        + html.escape(
            f"targets {', '.join(rule.get('targets', []))}; estimator {rule.get('estimator')}; pilot "
            f"{rule.get('pilot')}, batches of {rule.get('batch')}; cap {manifest.get('samples')} samples "
            "(neurospice.montecarlo.sequential)"
        )
        + f"</p><table><tr>{head}</tr>{body}</table>"
    )


def _page(title: str, sections: list[str]) -> str:
    body = "\n".join(sections)
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


def _write(path: Path, text: str) -> Path:
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
    return path


def mismatch_report(
    table: pd.DataFrame,
    path: Path,
    *,
    predicted: Mapping[str, Mapping[str, Any]] | None = None,
    pelgrom: list[dict[str, Any]] | None = None,
    estimates: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Write the HTML report of a Monte Carlo table (``load_run``'s, with its manifest in ``attrs``);
    ``estimates``: each metric's control-variate CV (``report_inputs.json``'s ``multifidelity``)."""
    manifest = table.attrs.get("manifest", {})
    metrics = metric_table(table, predicted, declared_metrics(manifest))
    counts = table["status"].value_counts().to_dict() if not table.empty else {}
    title = (
        f"Mismatch report: {manifest.get('circuit', '?')} on {manifest.get('technology', {}).get('technology', '?')}"
    )
    sections = [
        f"<p>{len(table)} samples, {html.escape(json.dumps(counts))}; mismatch mode "
        f"<b>{html.escape(str(manifest.get('mismatch')))}</b>, master seed {manifest.get('seed')}. "
        "CV is across devices (samples), ddof = 1, 95 % percentile-bootstrap interval.</p>",
        "<h2>Metrics</h2>" + _html_table(metrics),
        "<p class=note>closed_form_cv: the sympy first-order prediction from each device's Pelgrom sigma "
        "(<code>neurospice.analysis.mismatch_closed_form</code>), NaN where no closed form exists.</p>",
        "<h2>Histograms</h2>" + _histograms(table, metrics),
        _pelgrom_section(pelgrom or []),
        _contribution_section(table, metrics, str(manifest.get("mismatch"))),
        _stopping_section(manifest),
        _estimates_section(estimates or {}),
        "<h2>Parameters and provenance</h2><pre>" + html.escape(json.dumps(manifest, indent=2)) + "</pre>",
    ]
    failed = table[table["status"] != "ok"] if not table.empty else table
    if not failed.empty:
        sections.insert(2, "<h2>Failed samples</h2>" + _html_table(failed[["sample", "seed", "status", "message"]]))
    return _write(path, _page(title, sections))


def _heatmap(ax: Any, frame: pd.DataFrame, values: str, title: str, fmt: str, cmap: str) -> None:
    grid = frame.pivot(index="cluster_size", columns="window_s", values=values).sort_index(ascending=False)
    im = ax.imshow(grid.to_numpy(dtype=float), cmap=cmap, aspect="auto")
    ax.set_xticks(range(grid.shape[1]), [f"{w:g}" for w in grid.columns], fontsize=7)
    ax.set_yticks(range(grid.shape[0]), [str(k) for k in grid.index], fontsize=7)
    ax.set_xlabel("window (s)")
    ax.set_ylabel("cluster size")
    ax.set_title(title, fontsize=9)
    for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
        if np.isfinite(v):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=6)
    ax.figure.colorbar(im, ax=ax, shrink=0.8)


def precision_heatmaps(table: pd.DataFrame) -> Figure:
    """CV (%) and bits of a study's cluster table (``cluster_cv.csv``) next to the published CV table."""
    fig, axes = figure(1, 3, (16, 4.5))
    sim = table.assign(cv_pct=100 * table["cv"])
    ref = published_cluster_cv().assign(cv_pct=lambda f: 100 * f["cv"])
    method = str(table["bits_method"].iloc[0])
    _heatmap(axes[0, 0], sim, "cv_pct", "simulated cluster-rate CV (%)", "{:.1f}", "viridis_r")
    _heatmap(axes[0, 1], sim, "bits", f"equivalent bits ({method})", "{:.1f}", "viridis")
    _heatmap(axes[0, 2], ref, "cv_pct", "published CV (%), Zendrikov et al. 2023", "{:.1f}", "viridis_r")
    return fig


def save_precision_heatmap(out: str | Path, path: str | Path | None = None) -> Path:
    """Draw :func:`precision_heatmaps` of the study stored in ``out`` as a PNG (default ``out/heatmap.png``)."""
    import matplotlib.pyplot as plt

    target = Path(path) if path is not None else Path(out) / "heatmap.png"
    fig = precision_heatmaps(pd.read_csv(Path(out) / "cluster_cv.csv"))
    atomic_write(target, lambda p: fig.savefig(p, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)
    return target


def _phases_text(settings: dict[str, Any]) -> str:
    """How the neurons' phases were set (studies written before the phase spread had none: all aligned)."""
    spread = float(settings.get("phase_spread_s", 0.0) or 0.0)
    if spread <= 0:
        return ", every neuron starting at the same instant"
    return f", each neuron's start offset drawn from its seed in whole input periods below {spread * 1e3:g} ms"


def precision_report(out: str | Path, path: str | Path | None = None) -> Path:
    """Write the HTML report of the precision study stored in ``out`` (default ``out/report.html``)."""
    out = Path(out)
    stored = json.loads((out / "precision.json").read_text())
    cluster = pd.read_csv(out / "cluster_cv.csv")
    comparison = pd.read_csv(out / "comparison.csv")
    table = load_run(out)
    s = stored
    comp = comparison.assign(
        cv_sim_pct=lambda f: 100 * f["cv_sim"], cv_published_pct=lambda f: 100 * f["cv_published"]
    )[["cluster_size", "window_s", "cv_sim_pct", "cv_published_pct", "difference_pp", "ratio"]]
    single = stored["single_neuron_rate_cv"]
    slope = stored["cv_vs_cluster_size_slope"]
    ratio = comp["ratio"]
    verdict = (
        f"Across the {len(comp)} cells shared with the published table, the simulated CV is "
        f"{ratio.median():.2f}x the published one (median; range {ratio.min():.2f}x to {ratio.max():.2f}x)."
        if len(comp)
        else "No cell is shared with the published table (its windows are 20 ms .. 5 s, cluster sizes 2 .. 128)."
    )
    sections = [
        f"<p>{s['ok']} of {s['neurons']} mismatched DPI neurons on {html.escape(s['technology'])} "
        f"({html.escape(s['mismatch'])} mismatch, seed {s['seed']}), each driven through its own DPI synapse by a "
        f"regular {s['input_rate_hz']:g} Hz train; {s['duration_s']:g} s analysed after {s['settle_s']:g} s"
        + _phases_text(s)
        + f". Mean rate {stored['mean_rate_hz']:.1f} Hz.</p>",
        f"<p><b>Single-neuron rate CV</b> (across neurons, ddof = 1): {100 * single['cv']:.2f} % "
        f"[{100 * single['ci_low']:.2f}, {100 * single['ci_high']:.2f}] (95 % bootstrap, n = {single['n']}); "
        "the chip measured about 18 %.</p>",
        f"<p><b>CV vs cluster size</b> at {slope['window_s']:g} s: log-log slope {slope['slope']:.3f} "
        f"[{slope['ci_low']:.3f}, {slope['ci_high']:.3f}] (independent neurons: -0.5).</p>",
        "<p><b>Against the published table</b> (Zendrikov, Solinas &amp; Indiveri, Neuromorph. Comput. Eng. 2023, "
        f"doi 10.1088/2634-4386/ace64c; 256 DYNAP-SE neurons). {verdict} CV here is across clusters of the "
        "cluster-averaged rate (ddof = 1), mean over shuffles; bits by " + html.escape(str(s["bits_method"])) + ".</p>",
        png(precision_heatmaps(cluster)),
        "<h2>Side by side</h2>" + _html_table(comp),
        "<h2>Cluster table</h2>" + _html_table(cluster.drop(columns=["bits_method", "cv_kind"])),
        "<h2>Settings</h2><pre>" + html.escape(json.dumps(s, indent=2, default=str)) + "</pre>",
    ]
    if not table.empty:
        metrics = metric_table(table)
        sections.insert(5, "<h2>Per-neuron metrics</h2>" + _html_table(metrics) + _histograms(table, metrics))
    target = Path(path) if path is not None else out / "report.html"
    return _write(target, _page(f"Precision study: {s['neurons']} DPI neurons on {s['technology']}", sections))


def check_reportable(out: str | Path) -> None:
    """A run folder with at least one sample that succeeded; :class:`ParameterError` naming ``run_dir`` otherwise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # what is missing is said below, in the one line
        table = load_run(out)
    ok = int((table["status"] == "ok").sum()) if "status" in table.columns else 0
    if not ok:
        total = table.attrs["manifest"]["samples"]
        raise ParameterError(
            "run_dir",
            f"{out}: nothing to report: no sample succeeded ({len(table)} of {total} "
            f"stored, all failed; {len(table.attrs['missing'])} not run yet)",
        )


def write_mismatch_report(out: str | Path, path: str | Path | None = None) -> Path:
    """Draw the report of the Monte Carlo folder ``out`` (default ``out/report.html``) from stored data only.

    Reads the samples and ``report_inputs.json`` (closed-form CVs, Pelgrom check), which
    :func:`neurospice.studies.mismatch.store_report_inputs` computes once; no ngspice runs here.
    """
    out = Path(out)
    inputs_path = out / "report_inputs.json"
    if not inputs_path.is_file():
        raise FileNotFoundError(
            f"{inputs_path}: missing; compute it with neurospice.studies.mismatch.store_report_inputs"
        )
    check_reportable(out)
    inputs = json.loads(inputs_path.read_text())
    table = load_run(out)
    target = Path(path) if path else out / "report.html"
    return mismatch_report(
        table, target, predicted=inputs["closed_form"], pelgrom=inputs["pelgrom"], estimates=inputs.get("multifidelity")
    )
