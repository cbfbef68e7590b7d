"""Reports that read like a datasheet: engineering units, CVs only where they mean something, the typical and
worst samples re-simulated from their seeds, metrics against their dominant offsets, a sortable sample table,
the provenance as a table; ``plot`` on a Monte Carlo folder; the Python API's progress bar."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from neurospice import load_run, monte_carlo
from neurospice.cli import app
from neurospice.params import ParameterError

pytestmark = [pytest.mark.ngspice, pytest.mark.slow]
runner = CliRunner()


@pytest.fixture(scope="module")
def pelgrom_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "mc"
    result = runner.invoke(app, ["mismatch", "dpi-synapse", "-n", "24", "--mismatch", "pelgrom", "--tstop", "60m",
                                 "--out", str(out), "--report", "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_the_report_prints_values_in_engineering_units_and_cvs_only_where_they_mean_something(
    pelgrom_run: Path,
) -> None:
    page = (pelgrom_run / "report.html").read_text()
    metrics = page[page.index("<h2>Metrics</h2>") : page.index("<h2>Histograms</h2>")]
    row = re.search(r"<tr><td>peak_current_a</td>(.*?)</tr>", metrics).group(1)  # type: ignore[union-attr]
    assert re.search(r"<td>\d+(\.\d+)? pA</td>", row) and re.search(r"\d+\.\d\d % \[\d+\.\d\d, \d+\.\d\d\]", row)
    error = re.search(r"<tr><td>tau_error</td>(.*?)</tr>", metrics).group(1)  # type: ignore[union-attr]
    assert "no CV: signed or zero values" in error and "%" not in error
    assert "no CV: a fit diagnostic" in metrics  # tau_fit_r2
    assert "tau_pred_s" not in metrics  # a constant of the run has no spread to show
    assert "0.003" not in metrics and "e-1" not in metrics  # no raw floats in the table


def test_the_typical_and_worst_samples_are_re_simulated_from_their_seeds_exactly(pelgrom_run: Path) -> None:
    inputs = json.loads((pelgrom_run / "report_inputs.json").read_text())["waveforms"]
    table = load_run(pelgrom_run)
    tau = table.set_index("sample")["tau_s"]
    assert inputs["metric"] == "tau_s"
    assert inputs["typical"] == int((tau - tau.median()).abs().idxmin())
    assert inputs["worst"] == int((tau - tau.median()).abs().idxmax())
    assert inputs["check"]["max_rel"] == 0.0  # the same seed and offsets give the same numbers, bit for bit
    for index in (inputs["typical"], inputs["worst"]):
        waves = pd.read_parquet(pelgrom_run / "report_waveforms" / f"sample-{index:06d}.parquet")
        assert {"time", "i_syn"} <= set(waves.columns) and len(waves) > 100
    page = (pelgrom_run / "report.html").read_text()
    assert "Typical and worst sample" in page and "re-simulated from their stored seeds" in page


def test_the_report_scatters_metrics_against_their_dominant_offsets_and_folds_the_raw_manifest(
    pelgrom_run: Path,
) -> None:
    page = (pelgrom_run / "report.html").read_text()
    assert "Metrics against their dominant offsets" in page
    provenance = page[page.index("<h2>Parameters and provenance</h2>") :]
    assert "<td>circuit</td><td style='text-align:left'>dpi-synapse</td>" in provenance
    assert re.search(r"version: ngspice</td><td[^>]*>39", provenance)
    assert re.search(
        r"model file sm141064.ngspice</td><td[^>]*>\S+sm141064.ngspice  \(SHA-256 [0-9a-f]{64}\)", provenance
    )
    assert "<details><summary>The raw manifest (manifest.json)</summary><pre>" in provenance
    assert page.count("<pre>") == 1  # the JSON is behind the fold only


def test_the_sample_table_sorts_in_a_real_browser(pelgrom_run: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.test_docs import CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((pelgrom_run / "report.html").as_uri())
        table = page.locator("table.sortable")
        column = table.locator("th").all_inner_texts().index("tau_s")

        def values() -> list[float]:
            return [float(v) for v in table.locator(f"tbody tr td:nth-child({column + 1})").evaluate_all(
                "cells => cells.map(c => c.dataset.v)")]  # fmt: skip

        before = values()
        table.locator("th").nth(column).click()
        ascending = values()
        table.locator("th").nth(column).click()
        descending = values()
        browser.close()
    assert not errors and len(before) == 24
    assert ascending == sorted(before) and descending == sorted(before, reverse=True) and before != ascending


def test_a_pdk_run_re_simulates_its_samples_to_the_same_numbers(tmp_path: Path) -> None:
    from neurospice.montecarlo import rerun_samples

    out = tmp_path / "pdk"
    table = monte_carlo("dpi-synapse", "gf180mcu", samples=6, seed=4, tstop=0.04, out=out)
    again = rerun_samples(out, [5, 2])
    for index, row in again.items():
        stored = table.set_index("sample").loc[index]
        assert row["seed"] == stored["seed"] and row["tau_s"] == stored["tau_s"]
        assert row["peak_current_a"] == stored["peak_current_a"]
        assert "_waves" in row


def test_a_run_that_kept_its_waveforms_shows_those_and_simulates_nothing_more(tmp_path: Path) -> None:
    out = tmp_path / "kept"
    result = runner.invoke(app, ["mismatch", "dpi-synapse", "-n", "6", "--tstop", "40m", "--keep-waveforms",
                                 "--out", str(out), "--report", "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not (out / "report_waveforms").exists()
    assert "as the run stored them (--keep-waveforms)" in (out / "report.html").read_text()


def test_plot_draws_a_monte_carlo_folder(pelgrom_run: Path) -> None:
    result = runner.invoke(app, ["plot", str(pelgrom_run), "--json"])
    assert result.exit_code == 0, result.output
    path = Path(json.loads(result.output)["wrote"][0])
    assert path == pelgrom_run / "histograms.png" and path.stat().st_size > 20_000


def test_progress_true_shows_a_bar_and_anything_else_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from neurospice.montecarlo import progress

    seen: list[tuple[int, int, int]] = []
    real_call = progress.ProgressDisplay.__call__

    def spy(self: progress.ProgressDisplay, done: int, failed: int, total: int) -> None:
        seen.append((done, failed, total))
        real_call(self, done, failed, total)

    monkeypatch.setattr(progress.ProgressDisplay, "__call__", spy)
    table = monte_carlo("dpi-synapse", "gf180mcu", samples=3, seed=2, tstop=0.02, workers=1, progress=True)
    assert (table["status"] == "ok").all() and seen[-1] == (3, 0, 3)
    bar = progress.ProgressDisplay(jupyter=False)
    bar(2, 1, 8)
    assert re.fullmatch(r"2/8 samples, 1 failed, \d+\.\d samples/s, \d:\d\d:\d\d left", bar.text())
    bar.close()
    with pytest.raises(ParameterError, match="progress"):
        monte_carlo("dpi-synapse", samples=2, seed=1, progress="yes")  # type: ignore[arg-type]


def test_the_jupyter_bar_is_html_updated_in_place() -> None:
    from neurospice.montecarlo.progress import ProgressDisplay

    shown: list[str] = []

    class Handle:
        def update(self, obj: object) -> None:
            shown.append(obj._repr_html_())  # type: ignore[attr-defined]

    import IPython.display

    original = IPython.display.display
    IPython.display.display = lambda obj, display_id=False: (shown.append(obj._repr_html_()), Handle())[1]  # type: ignore[assignment]
    try:
        bar = ProgressDisplay(jupyter=True)
        for done in range(1, 5):
            bar(done, 0, 4)
        bar.close()
    finally:
        IPython.display.display = original
    assert shown[0].startswith('<div style="font-family: monospace"><progress value="1" max="4"')
    assert "4/4 samples, 0 failed" in shown[-1] and len(shown) >= 2
