"""A datasheet of a stored run: each metric over the run's conditions, with its spread, its spec and the verdict.

Rendered from the run folder alone (its sample table, its manifest, and the copy of the study file a study
folder keeps, whose ``[specs]`` it judges unless specs are given):

- **summary**, one row per metric: its minimum, typical and maximum over the conditions (each condition's
  median over its samples; typical is the condition at the typical corner, 27 °C and the middle supply when
  the run has it, else the median), its spec, the lowest yield over the conditions with its Clopper-Pearson
  interval, the verdict, and the worst case and where it occurs;
- **conditions**, one row per condition and metric: median, standard deviation over the samples, 5-95 %,
  the yield and the verdict;
- figures (HTML): each metric against temperature, one line per corner with its 5-95 % mismatch band, when the
  run varies the temperature; the yield at every condition when there are specs.

Written as ``datasheet.json`` (every number), ``datasheet.md`` and ``datasheet.html`` beside the run.
"""

from __future__ import annotations

import functools
import html
import json
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.specs import YIELD_INTERVAL, Spec, spec_table
from ..params import ParameterError
from ..params.specs import parse_spec, spec_from_table
from ..params.units import format_si
from ..store import atomic_write, load_run, read_manifest
from ..store.declarations import declared_metrics
from .estimates import STOPPING_HEAD, stopping_rows
from .figures import CSS, figure, png

__all__ = ["Datasheet", "datasheet", "write_datasheet"]


@dataclass(frozen=True)
class Datasheet:
    """What :func:`datasheet` found: the two tables, the specs, the condition axes and the units."""

    title: str
    summary: pd.DataFrame
    conditions: pd.DataFrame
    specs: tuple[Spec, ...]
    axes: tuple[str, ...]
    units: dict[str, str]
    #: a stopping rule's last readings (:func:`~neurospice.present.estimates.stopping_rows`), if the run had one
    stopping: tuple[tuple[str, ...], ...] = ()


def _specs_of(folder: Path, units: dict[str, str]) -> tuple[Spec, ...]:
    """The ``[specs]`` of the study file a study folder keeps (none without one)."""
    path = folder / "study.toml"
    if not path.is_file():
        return ()
    table = tomllib.loads(path.read_text()).get("specs", {})
    return tuple(
        spec_from_table(name, limits, units) if isinstance(limits, dict) else parse_spec(f"{name}={limits}", units)
        for name, limits in table.items()
    )


def datasheet(folder: str | Path, specs: Sequence[Spec] | None = None) -> Datasheet:
    """The datasheet of the run stored in ``folder`` (a sweep, a Monte Carlo run, or a study's folder)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    table = load_run(folder)
    declared = declared_metrics(manifest)
    units = {name: m.unit for name, m in declared.items()}
    specs = tuple(specs) if specs is not None else _specs_of(folder, units)
    for spec in specs:
        if spec.metric not in table.columns:
            raise ParameterError("spec", f"{spec.metric}: not a metric of this run; accepted: {', '.join(units)}")
    axes = tuple(a["name"] for a in manifest.get("grid", {}).get("axes", []))
    measured = [n for n, m in declared.items() if m.kind == "measured" and n in table.columns]
    metrics = [s.metric for s in specs] or measured
    ok = table[table["status"] == "ok"] if "status" in table.columns else table
    groups = ok.groupby(list(axes), sort=False) if axes else [((), ok)]
    rows = []
    for key, part in groups:
        labels = dict(zip(axes, key if isinstance(key, tuple) else (key,), strict=True))
        for metric in metrics:
            v = part[metric].to_numpy(dtype=float)
            finite = v[np.isfinite(v)]
            rows.append(
                {
                    **labels,
                    "metric": metric,
                    "n": int(v.size),
                    "median": float(np.median(finite)) if finite.size else math.nan,
                    "sd": float(np.std(finite, ddof=1)) if finite.size > 1 else math.nan,
                    "p5": float(np.percentile(finite, 5)) if finite.size else math.nan,
                    "p95": float(np.percentile(finite, 95)) if finite.size else math.nan,
                }
            )
    conditions = pd.DataFrame(rows)
    if specs:
        by_sample = table.set_index("sample") if "sample" in table.columns else table
        judged = spec_table(by_sample, specs, by=list(axes)).drop(columns=["low", "high"])
        conditions = conditions.merge(judged.drop(columns=["n"]), on=[*axes, "metric"], how="left")
    summary = _summary(conditions, specs, axes, manifest)
    circuit = manifest.get("circuit", "?")
    tech = manifest.get("technology", {}).get("technology", "?")
    stopping = tuple(tuple(r) for r in stopping_rows(manifest))
    return Datasheet(f"Datasheet: {circuit} on {tech}", summary, conditions, specs, axes, units, stopping)


def _typical(conditions: pd.DataFrame, axes: tuple[str, ...]) -> pd.Series:
    """Which rows are the typical condition: the typical corner, 27 °C, the middle supply (where varied)."""
    typical = pd.Series(True, index=conditions.index)
    if "corner" in axes:
        typical &= conditions["corner"].isin(["typical", "tt"])
    if "temp" in axes:
        temps = np.sort(conditions["temp"].unique())
        typical &= conditions["temp"] == temps[np.argmin(np.abs(temps - 27.0))]
    if "vdd" in axes:
        supplies = np.sort(conditions["vdd"].unique())
        typical &= conditions["vdd"] == supplies[len(supplies) // 2]
    return typical


def _summary(
    conditions: pd.DataFrame, specs: tuple[Spec, ...], axes: tuple[str, ...], manifest: dict[str, Any]
) -> pd.DataFrame:
    limits = {s.metric: s for s in specs}
    typical = _typical(conditions, axes)
    rows = []
    for metric, part in conditions.groupby("metric", sort=False):
        at_typical = part[typical.loc[part.index]]
        row: dict[str, Any] = {
            "metric": metric,
            "min": float(part["median"].min()),
            "typ": float(at_typical["median"].iloc[0]) if len(at_typical) else float(part["median"].median()),
            "max": float(part["median"].max()),
            "sd_max": float(part["sd"].max()),
            "conditions": len(part),
        }
        spec = limits.get(str(metric))
        if spec is not None:
            worst = part[part["worst_case"].astype(bool)].iloc[0]
            row.update(
                low=spec.low,
                high=spec.high,
                yield_min=float(part["yield"].min()),
                ci_low=float(worst["ci_low"]),
                ci_high=float(worst["ci_high"]),
                met=bool((part["passed"] == part["n"]).all()),
                worst_case=", ".join(f"{a}={worst[a]}" for a in axes) or "the run",
                worst_value=float(worst["worst_value"]),
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _text(value: Any, unit: str) -> str:
    if isinstance(value, float):
        if math.isinf(value):
            return ""
        return format_si(value, unit) if unit else f"{value:.4g}"
    return str(value)


def _limits(row: pd.Series, unit: str) -> str:
    parts = []
    if "low" in row and isinstance(row["low"], float) and math.isfinite(row["low"]):
        parts.append(f">= {_text(row['low'], unit)}")
    if "high" in row and isinstance(row["high"], float) and math.isfinite(row["high"]):
        parts.append(f"<= {_text(row['high'], unit)}")
    return " ".join(parts)


def _summary_rows(sheet: Datasheet) -> tuple[list[str], list[list[str]]]:
    head = ["metric", "min", "typ", "max", "largest sd", "spec", f"lowest yield ({YIELD_INTERVAL} 95 %)", "verdict"]
    head.append("worst case")
    rows = []
    for _, row in sheet.summary.iterrows():
        unit = sheet.units.get(str(row["metric"]), "")
        judged = "met" in row and isinstance(row.get("met"), (bool, np.bool_))
        verdict = ("pass" if row["met"] else "FAIL") if judged else ""
        yield_text = (
            f"{100 * row['yield_min']:.1f} % [{100 * row['ci_low']:.1f}, {100 * row['ci_high']:.1f}]" if judged else ""
        )
        worst = f"{row['worst_case']}: {_text(row['worst_value'], unit)}" if judged else ""
        values = [_text(row[k], unit) for k in ("min", "typ", "max", "sd_max")]
        rows.append([str(row["metric"]), *values, _limits(row, unit), yield_text, verdict, worst])
    return head, rows


def _markdown(sheet: Datasheet) -> str:
    head, rows = _summary_rows(sheet)
    lines = [f"# {sheet.title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", "## At each condition", ""]
    cols, rows = _condition_rows(sheet)
    lines += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    if sheet.stopping:
        lines += ["", "## SPICE runs and intervals (stopping rule)", ""]
        lines += ["| " + " | ".join(STOPPING_HEAD) + " |", "|" + "---|" * len(STOPPING_HEAD)]
        lines += ["| " + " | ".join(r) + " |" for r in sheet.stopping]
    return "\n".join(lines) + "\n"


def _condition_rows(sheet: Datasheet) -> tuple[list[str], list[list[str]]]:
    """The per-condition table as text cells: its header, then one row per condition and metric."""
    cols = [*sheet.axes, "metric", "median", "sd", "5-95 %", *(["yield", "verdict"] if sheet.specs else [])]
    rows = []
    for _, row in sheet.conditions.iterrows():
        unit = sheet.units.get(str(row["metric"]), "")
        cells = [str(row[a]) for a in sheet.axes] + [str(row["metric"]), _text(row["median"], unit)]
        cells += [_text(row["sd"], unit), f"{_text(row['p5'], unit)} .. {_text(row['p95'], unit)}"]
        if sheet.specs and isinstance(row.get("yield"), float) and not math.isnan(row["yield"]):
            cells += [f"{100 * row['yield']:.1f} %", "pass" if row["passed"] == row["n"] else "FAIL"]
        elif sheet.specs:
            cells += ["", ""]
        rows.append(cells)
    return cols, rows


def _html_cells(cells: list[str], verdict: str) -> str:
    colour = {"pass": "#d9f2d9", "FAIL": "#f7c6c6"}.get(verdict, "")
    style = f' style="background:{colour}"' if colour else ""
    return "<tr>" + "".join(f"<td{style}>{html.escape(c)}</td>" for c in cells) + "</tr>"


def _figures(sheet: Datasheet) -> list[str]:
    out = []
    if "temp" in sheet.axes:
        for metric in sheet.conditions["metric"].unique():
            fig, ax = figure(size=(6, 3.5))
            part = sheet.conditions[sheet.conditions["metric"] == metric]
            keys = ["corner"] if "corner" in sheet.axes else []
            for label, rows in part.groupby(keys, sort=False) if keys else [("", part)]:
                rows = rows.groupby("temp", as_index=False)[["median", "p5", "p95"]].median().sort_values("temp")
                name = label[0] if isinstance(label, tuple) else label
                line = ax[0][0].plot(rows["temp"], rows["median"], "o-", label=str(name) or "median")[0]
                ax[0][0].fill_between(rows["temp"], rows["p5"], rows["p95"], alpha=0.2, color=line.get_color())
            unit = sheet.units.get(str(metric), "")
            ax[0][0].set(xlabel="temperature (°C)", ylabel=f"{metric} ({unit})" if unit else str(metric))
            ax[0][0].legend(fontsize=8, title="corner (5-95 % band)" if keys else None)
            out.append(f"<h3>{html.escape(str(metric))} against temperature</h3>" + png(fig))
    if sheet.specs and "yield" in sheet.conditions:
        fig, ax = figure(size=(7, 3))
        labels = sheet.conditions[list(sheet.axes)].astype(str).agg(" ".join, axis=1) if sheet.axes else None
        for metric, part in sheet.conditions.groupby("metric", sort=False):
            x = np.arange(len(part))
            ax[0][0].plot(x, 100 * part["yield"], "o", label=str(metric))
        if labels is not None:
            ticks = labels[sheet.conditions["metric"] == sheet.conditions["metric"].iloc[0]]
            ax[0][0].set_xticks(np.arange(len(ticks)), ticks, rotation=90, fontsize=6)
        ax[0][0].set(ylabel="yield (%)", ylim=(-5, 105))
        ax[0][0].legend(fontsize=8)
        out.append("<h3>Yield at each condition</h3>" + png(fig))
    return out


def _html(sheet: Datasheet) -> str:
    head, rows = _summary_rows(sheet)
    summary = "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
    summary += "".join(_html_cells(r, r[7]) for r in rows) + "</table>"
    cols, cells = _condition_rows(sheet)
    detail = "<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cols) + "</tr>"
    detail += "".join(_html_cells(row, row[-1] if sheet.specs else "") for row in cells) + "</table>"
    note = (
        f"<p class=note>Medians over each condition's samples; yield with its {YIELD_INTERVAL} 95 % interval "
        "(a sample with no value fails); typical: the typical corner, 27 °C and the middle supply where the run "
        "varies them. Rendered from the stored run only.</p>"
    )
    sections = ["<h2>Summary</h2>" + summary + note, *_figures(sheet), "<h2>At each condition</h2>" + detail]
    if sheet.stopping:
        top = "".join(f"<th>{html.escape(h)}</th>" for h in STOPPING_HEAD)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in sheet.stopping)
        sections.append(f"<h2>SPICE runs and intervals (stopping rule)</h2><table><tr>{top}</tr>{body}</table>")
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(sheet.title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{html.escape(sheet.title)}</h1>{''.join(sections)}</body></html>\n"
    )


def write_datasheet(folder: str | Path, specs: Sequence[Spec] | None = None) -> tuple[Datasheet, list[Path]]:
    """Write ``datasheet.json``, ``datasheet.md`` and ``datasheet.html`` into ``folder``; the datasheet and paths."""
    folder = Path(folder)
    sheet = datasheet(folder, specs)
    records = {
        "title": sheet.title,
        "axes": list(sheet.axes),
        "specs": [{"metric": s.metric, "low": _finite(s.low), "high": _finite(s.high)} for s in sheet.specs],
        "summary": _records(sheet.summary),
        "conditions": _records(sheet.conditions),
        "stopping": [dict(zip(STOPPING_HEAD, r, strict=True)) for r in sheet.stopping],
    }
    written = []
    for name, text in (
        ("datasheet.json", json.dumps(records, indent=1, default=_plain)),
        ("datasheet.md", _markdown(sheet)),
        ("datasheet.html", _html(sheet)),
    ):
        path = folder / name
        atomic_write(path, functools.partial(_write_text, text=text))
        written.append(path)
    return sheet, written


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): None if isinstance(v, float) and not math.isfinite(v) else _plain(v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
