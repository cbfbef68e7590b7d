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
from ..analysis.bibliography import cite, reference
from ..analysis.reference import published_cluster_cv
from ..analysis.summary import cv_omitted, metric_columns
from ..params import ParameterError
from ..params.units import format_si
from ..store import atomic_write, load_run
from ..store.declarations import declared_metrics
from .estimates import STOPPING_HEAD, stopping_rows
from .figures import CSS, SORTABLE_JS, eng_axis, figure, png

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..circuits import Metric

__all__ = [
    "histogram_figure",
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
    its 95 % bootstrap interval, closed-form CV and bits; ``cv_omitted`` says why a CV means nothing (a signed
    diagnostic, a fit figure, a spread at the solver's noise floor: then CV and bits are NaN). Constants
    (settings, closed forms of the nominal values) are left out."""
    ok = table[table["status"] == "ok"]
    rows = []
    for name in metric_columns(ok):
        x = ok[name].to_numpy(dtype=float)
        why = cv_omitted(name, x)
        if why in ("constant across samples", "fewer than two values"):
            continue
        est = coefficient_of_variation(x) if not why else None
        finite = x[np.isfinite(x)]
        pred = (predicted or {}).get(name, {}).get("cv", float("nan"))
        d = (declared or {}).get(name)
        nan = float("nan")
        rows.append(
            {
                "metric": name,
                "unit": d.unit if d else "",
                "kind": d.kind if d else "",
                "n": int(finite.size),
                "mean": float(finite.mean()),
                "sd": float(finite.std(ddof=1)),
                "cv_%": 100 * est.cv if est else nan,
                "cv_ci_low_%": 100 * est.ci_low if est else nan,
                "cv_ci_high_%": 100 * est.ci_high if est else nan,
                "closed_form_cv_%": 100 * pred,
                "bits (log2 1/CV^2)": float(equivalent_bits(est.cv)) if est else nan,
                "cv_omitted": why,
            }
        )
    return pd.DataFrame(rows)


def _num(value: float, unit: str) -> str:
    """A value as a datasheet prints it: engineering prefix and unit, or 5 significant digits for a pure number."""
    return format_si(value, unit) if unit else f"{value:.5g}"


def _cv_text(row: Any) -> str:
    if row.get("cv_omitted"):
        return f"no CV: {row['cv_omitted']}"
    return f"{row['cv_%']:.2f} % [{row['cv_ci_low_%']:.2f}, {row['cv_ci_high_%']:.2f}]"


def _metrics_html(metrics: pd.DataFrame) -> str:
    """The metric table as a datasheet prints it: engineering units, CV with its interval or why it has none."""
    head = ["metric", "kind", "n", "mean", "sd", "CV, 95 % interval", "closed-form CV", "bits (log2 1/CV²)"]
    body = []
    for _, r in metrics.iterrows():
        pred = r["closed_form_cv_%"]
        cells = [
            r["metric"],
            r["kind"],
            str(r["n"]),
            _num(r["mean"], r["unit"]),
            _num(r["sd"], r["unit"]),
            _cv_text(r),
            f"{pred:.2f} %" if np.isfinite(pred) and not r["cv_omitted"] else "",
            f"{r['bits (log2 1/CV^2)']:.2f}" if not r["cv_omitted"] else "",
        ]
        body.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    return "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>" + "".join(body) + "</table>"


def _histograms(table: pd.DataFrame, metrics: pd.DataFrame) -> str:
    if metrics.empty:
        return "<p>No metric varies across the samples.</p>"
    return png(histogram_figure(table, metrics))


def histogram_figure(table: pd.DataFrame, metrics: pd.DataFrame) -> Figure:
    """One histogram per metric of ``metrics`` (:func:`metric_table`): its unit on the axis, mean, sd and CV."""
    ok = table[table["status"] == "ok"]
    names = list(metrics["metric"])
    cols = 3
    rows = (len(names) + cols - 1) // cols
    fig, axes = figure(rows, cols, (12, 3.6 * rows))
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    for ax, (_, row) in zip(axes.ravel(), metrics.iterrows(), strict=False):
        x = ok[row["metric"]].to_numpy(dtype=float)
        unit = str(row["unit"])
        ax.hist(x[np.isfinite(x)], bins=min(40, max(8, row["n"] // 6)), color="#4a7ab0")
        ax.axvline(row["mean"], color="k", lw=1)
        ax.set_xlabel(f"{row['metric']} ({unit})" if unit else str(row["metric"]))
        ax.set_ylabel("samples")
        eng_axis(ax, "x", unit)
        ax.tick_params(axis="x", labelrotation=20)
        ax.set_title(f"mean {_num(row['mean'], unit)}, sd {_num(row['sd'], unit)}\n{_cv_text(row)}", fontsize=8)
    fig.tight_layout()
    return fig


def _waveforms_section(folder: Path | None, picked: Mapping[str, Any]) -> str:
    """The typical and the worst sample's probe waveforms, from the run's kept waveforms or its re-simulated ones."""
    if folder is None or not picked:
        return ""
    frames = {}
    for role in ("typical", "worst"):
        index = int(picked[role])
        for sub in ("waveforms", "report_waveforms"):
            path = folder / sub / f"sample-{index:06d}.parquet"
            if path.is_file():
                frames[role] = (index, pd.read_parquet(path), sub)
                break
    if len(frames) < 2:
        return (
            "<h2>Typical and worst sample</h2><p class=note>No waveforms stored for them: "
            "<code>neurospice report</code> re-simulates them from their seeds.</p>"
        )
    probes = [c for c in frames["typical"][1].columns if c != "time"][:4]
    units = dict(picked.get("probe_units", {}))
    fig, axes = figure(len(probes), 1, (10, 1.9 * len(probes) + 0.8))
    for ax, probe in zip(axes[:, 0], probes, strict=True):
        for role, color in (("typical", "#2b5d9b"), ("worst", "#b0533c")):
            index, waves, _ = frames[role]
            if probe in waves:
                ax.plot(1e3 * waves["time"], waves[probe], lw=0.8, color=color, label=f"{role}: sample {index}")
        unit = units.get(probe, "A" if probe.startswith("i_") else "V")
        ax.set_ylabel(f"{probe} ({unit})")
        eng_axis(ax, "y", unit)
        ax.legend(fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel("time (ms)")
    fig.tight_layout()
    how = {
        "waveforms": "as the run stored them (--keep-waveforms)",
        "report_waveforms": "re-simulated from their stored seeds (and offsets) for this report",
    }[frames["worst"][2]]
    check = picked.get("check", {})
    same = (
        f" The re-simulated {picked['metric']} of each equals the stored one to {check['max_rel']:.1e} (relative)."
        if check
        else ""
    )
    return (
        f"<h2>Typical and worst sample</h2><p class=note>By {html.escape(str(picked['metric']))}: sample "
        f"{frames['typical'][0]} is nearest the median, sample {frames['worst'][0]} farthest from it; "
        f"waveforms {how}.{html.escape(same)}</p>" + png(fig)
    )


def _scatter_section(metrics: pd.DataFrame, mode: str, regress: _Contributions) -> str:
    """Each metric against the offsets of the two devices that carry most of its variance (pelgrom mode)."""
    if mode != "pelgrom":
        return ""
    ok = regress.ok
    chosen = metrics[(metrics["cv_omitted"] == "") & metrics["kind"].isin(["measured", ""])].head(6)
    if not regress.dvt or chosen.empty:
        return ""
    fig, axes = figure(len(chosen), 2, (10, 2.8 * len(chosen)))
    for row_axes, (_, m) in zip(axes, chosen.iterrows(), strict=True):
        y = ok[m["metric"]].to_numpy(dtype=float)
        res = regress(m["metric"])
        if isinstance(res, ValueError):
            for ax in row_axes:
                ax.axis("off")
            continue
        for ax, (_, dev) in zip(row_axes, res.table.head(2).iterrows(), strict=False):
            ax.plot(1e3 * ok[f"dvt_{dev['device']}"], y, ".", ms=4, color="#4a7ab0")
            ax.set_xlabel(f"offset of {dev['device']} (mV)")
            ax.set_ylabel(f"{m['metric']} ({m['unit']})" if m["unit"] else str(m["metric"]))
            eng_axis(ax, "y", str(m["unit"]))
            ax.set_title(f"{100 * dev['variance_share']:.0f} % of var(ln {m['metric']})", fontsize=8)
    fig.tight_layout()
    return (
        "<h2>Metrics against their dominant offsets</h2><p class=note>Each metric against the threshold offsets "
        "of the two transistors with the largest share of its variance (regression on the stored draws).</p>" + png(fig)
    )


def _samples_section(table: pd.DataFrame, metrics: pd.DataFrame, limit: int = 2000) -> str:
    """Every sample with its seed, status and metrics in engineering units; click a header to sort."""
    shown = table.sort_values("sample").head(limit)
    names = list(metrics["metric"])
    units = dict(zip(metrics["metric"], metrics["unit"], strict=True))
    head = ["sample", "seed", "status", *names, "message"]
    rows = []
    for _, r in shown.iterrows():
        cells = [
            f"<td data-v={int(r['sample'])}>{int(r['sample'])}</td>",
            f"<td>{html.escape(str(r['seed']))}</td>",
            f"<td>{html.escape(str(r['status']))}</td>",
        ]
        for name in names:
            v = float(r[name]) if name in r and pd.notna(r[name]) else float("nan")
            cells.append(f"<td data-v={v!r}>{html.escape(_num(v, units[name]))}</td>")
        cells.append(f"<td style='text-align:left'>{html.escape(str(r.get('message', '') or ''))[:200]}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = f" (the first {limit} of {len(table)})" if len(table) > limit else ""
    return (
        f"<h2>Samples</h2><p class=note>Every sample{more} with the seed that reproduces it; click a column to "
        "sort.</p><div class=wide><table class=sortable><thead><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + f"</tbody></table></div><script>{SORTABLE_JS}</script>"
    )


def _provenance_section(
    manifest: Mapping[str, Any], title: str = "Parameters and provenance", ngspice: str = ""
) -> str:
    """What the run was, as a table (circuit, technology and its model files, versions, options, seeds), with the
    raw manifest folded below it."""
    tech = manifest.get("technology", {}) if isinstance(manifest.get("technology"), Mapping) else {}
    rows: list[tuple[str, str]] = [
        ("circuit", str(manifest.get("circuit", ""))),
        ("technology", str(tech.get("technology", manifest.get("technology", "")))),
        ("corner, temperature", f"{tech.get('corner', 'typical')}, {tech.get('temp_c', tech.get('temp', 27))} °C"),
        ("mismatch", f"{manifest.get('mismatch')} ({manifest.get('sampling', 'random')} sampling)"),
        ("samples, master seed", f"{manifest.get('samples')}, {manifest.get('seed')}"),
        ("transient", format_si(float(manifest["tstop_s"]), "s") if "tstop_s" in manifest else ""),
        ("engine, accuracy", f"{manifest.get('engine', 'ngspice')}, {manifest.get('accuracy', '')}"),
    ]
    rows += [("version: ngspice", ngspice)] if ngspice else []
    rows += [(f"version: {k}", str(v)) for k, v in dict(manifest.get("versions", {})).items()]
    for name, file in dict(tech.get("files", {})).items():  # the verified model files and their SHA-256
        where = file.get("path", "") if isinstance(file, Mapping) else str(file)
        digest = file.get("sha256", "") if isinstance(file, Mapping) else ""
        rows.append((f"model file {name}", f"{where}  (SHA-256 {digest})" if digest else where))
    rows += [(f"option {k}", str(v)) for k, v in dict(manifest.get("options", {})).items()]
    rows += [(f"parameter {k}", str(v)) for k, v in dict(manifest.get("params", {})).items()]
    body = "".join(
        f"<tr><td>{html.escape(k)}</td><td style='text-align:left'>{html.escape(v)}</td></tr>" for k, v in rows
    )
    raw = html.escape(json.dumps(manifest, indent=2, default=str))
    return (
        f"<h2>{html.escape(title)}</h2><table>{body}</table>"
        f"<details><summary>The raw manifest (manifest.json)</summary><pre>{raw}</pre></details>"
    )


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


class _Contributions:
    """Each metric's regression on the stored offsets, computed once for the sections that show it."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.ok = table[table["status"] == "ok"]
        self.dvt = [c for c in self.ok.columns if c.startswith("dvt_")]
        self._found: dict[str, Any] = {}

    def __call__(self, metric: str) -> Any:
        """The metric's :class:`ContributionResult`, or the ``ValueError`` that says why there is none."""
        if metric not in self._found:
            y = self.ok[metric].to_numpy(dtype=float)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", LowR2Warning)
                    offsets = self.ok[self.dvt].to_numpy(dtype=float)
                    self._found[metric] = mismatch_contributions(offsets, y, [c[4:] for c in self.dvt])
            except ValueError as exc:
                self._found[metric] = exc
        return self._found[metric]


def _contribution_section(metrics: pd.DataFrame, mode: str, regress: _Contributions) -> str:
    if mode != "pelgrom":
        return (
            "<h2>Mismatch contributions</h2><p class=note>Per-device attribution needs the offsets of every "
            "device: run with <code>--mismatch pelgrom</code>.</p>"
        )
    out = [
        "<h2>Mismatch contributions</h2><p class=note>Share of var(ln metric) explained by each "
        "transistor's threshold offset (linear regression on the stored Pelgrom draws).</p>"
    ]
    for metric in list(metrics["metric"])[:4]:
        res = regress(metric)
        if isinstance(res, ValueError):
            out.append(f"<p>{html.escape(metric)}: {html.escape(str(res))}</p>")
            continue
        top = res.table.head(10)
        fig, axes = figure(1, 1, (6, 3))
        axes[0, 0].barh(top["device"][::-1], 100 * top["variance_share"][::-1], color="#4a7ab0")
        axes[0, 0].set_xlabel("% of var(ln metric)")
        axes[0, 0].set_title(
            f"{metric}: R^2 = {res.r2:.3f}" + ("" if res.trusted else " (too low to trust)"), fontsize=9
        )
        out.append(png(fig))
        shown = pd.DataFrame(
            {
                "device": top["device"].head(6),
                "sensitivity (1/V)": top["sensitivity_per_v"].head(6).map(lambda v: f"{v:.3g}"),
                "sigma of its offset": top["sigma_offset_v"].head(6).map(lambda v: format_si(v, "V")),
                "share of var(ln metric)": top["variance_share"].head(6).map(lambda v: f"{100 * v:.2f} %"),
            }
        )
        out.append(_html_table(shown))
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
        "distribution (neurospice.analysis.multifidelity.regression_estimate); coverage measured in the "
        "fewer-SPICE-runs benchmark.</p><table><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in head)
        + f"</tr>{cells}</table>"
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
    picked: Mapping[str, Any] | None = None,
    folder: Path | None = None,
) -> Path:
    """Write the HTML report of a Monte Carlo table (``load_run``'s, with its manifest in ``attrs``);
    ``estimates``: each metric's control-variate CV (``report_inputs.json``'s ``multifidelity``); ``picked``: the
    typical and worst samples whose waveforms ``folder`` holds (``report_inputs.json``'s ``waveforms``)."""
    manifest = table.attrs.get("manifest", {})
    metrics = metric_table(table, predicted, declared_metrics(manifest))
    regress = _Contributions(table)
    counts = table["status"].value_counts().to_dict() if not table.empty else {}
    title = (
        f"Mismatch report: {manifest.get('circuit', '?')} on {manifest.get('technology', {}).get('technology', '?')}"
    )
    omitted = [f"{r['metric']} ({r['cv_omitted']})" for _, r in metrics.iterrows() if r["cv_omitted"]]
    sections = [
        f"<p>{len(table)} samples, {html.escape(', '.join(f'{v} {k}' for k, v in counts.items()))}; mismatch mode "
        f"<b>{html.escape(str(manifest.get('mismatch')))}</b>, master seed {manifest.get('seed')}. "
        "CV is across devices (samples), ddof = 1, 95 % percentile-bootstrap interval; bits are log2 1/CV² "
        f"({html.escape(cite('zendrikov2023'))}).</p>",
        "<h2>Metrics</h2>" + _metrics_html(metrics),
        "<p class=note>Closed-form CV: the sympy first-order prediction from each device's Pelgrom sigma "
        f"({html.escape(cite('pelgrom1989'))}; <code>neurospice.analysis.mismatch_closed_form</code>), blank where "
        "no closed form exists. CV and bits are given only for positive quantities above their noise floor"
        + (f"; left out for {html.escape('; '.join(omitted))}" if omitted else "")
        + ".</p>",
        "<h2>Histograms</h2>" + _histograms(table, metrics),
        _waveforms_section(folder, picked or {}),
        _pelgrom_section(pelgrom or []),
        _contribution_section(metrics, str(manifest.get("mismatch")), regress),
        _scatter_section(metrics, str(manifest.get("mismatch")), regress),
        _stopping_section(manifest),
        _estimates_section(estimates or {}),
        _samples_section(table, metrics),
        _provenance_section(
            manifest,
            ngspice=", ".join(sorted({str(v) for v in table.get("ngspice", pd.Series(dtype=str)).dropna()})),
        ),
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
    _heatmap(axes[0, 2], ref, "cv_pct", f"published CV (%), {cite('zendrikov2023')}", "{:.1f}", "viridis_r")
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
        f"<p><b>Against the published table</b> ({html.escape(reference('zendrikov2023'))}, "
        f"256 DYNAP-SE neurons). {verdict} CV here is across clusters of the "
        "cluster-averaged rate (ddof = 1), mean over shuffles; bits by " + html.escape(str(s["bits_method"])) + ".</p>",
        png(precision_heatmaps(cluster)),
        "<h2>Side by side</h2>" + _html_table(comp),
        "<h2>Cluster table</h2>" + _html_table(cluster.drop(columns=["bits_method", "cv_kind"])),
        "<h2>Settings</h2><table>"
        + "".join(
            f"<tr><td>{html.escape(str(k))}</td><td style='text-align:left'>{html.escape(str(v))[:300]}</td></tr>"
            for k, v in s.items()
            if not isinstance(v, (dict, list))
        )
        + "</table><details><summary>All settings (JSON)</summary><pre>"
        + html.escape(json.dumps(s, indent=2, default=str))
        + "</pre></details>",
    ]
    if not table.empty:
        metrics = metric_table(table)
        sections.insert(5, "<h2>Per-neuron metrics</h2>" + _metrics_html(metrics) + _histograms(table, metrics))
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
        table,
        target,
        predicted=inputs["closed_form"],
        pelgrom=inputs["pelgrom"],
        estimates=inputs.get("multifidelity"),
        picked=inputs.get("waveforms"),
        folder=out,
    )
