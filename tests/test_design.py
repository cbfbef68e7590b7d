"""Design-space sweeps: the grid grammar, a Monte Carlo at every point, labelled results, resume, plots."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from neurospice.circuits import get_circuit
from neurospice.cli import app
from neurospice.params import ParameterError
from neurospice.params.grid import Grid, parse_axis
from neurospice.studies.design import design_sweep, load_sweep, sweep_dataset, sweep_summary

runner = CliRunner()
SYN = get_circuit("dpi-synapse").params


def test_axes_linear_log_and_list_pass_the_parameters_validation() -> None:
    lin = parse_axis("w_in=1u:4u:4", SYN)
    assert lin.values == pytest.approx((1e-6, 2e-6, 3e-6, 4e-6)) and lin.scale == "linear"
    log = parse_axis("i_tau=1p:100p:3:log", SYN)
    assert log.values == pytest.approx((1e-12, 1e-11, 1e-10)) and log.scale == "log"
    assert parse_axis("i_w = 1n, 500p", SYN).values == pytest.approx((1e-9, 5e-10))
    assert parse_axis("input_kind=regular,poisson", SYN).values == ("regular", "poisson")
    assert parse_axis("input_count=1:10:4", SYN).values == (1, 4, 7, 10)  # whole numbers stay whole
    for text, name in (("i_tau=1p:100:3", "i_tau"), ("i_tau=abc,1p", "i_tau"), ("nope=1,2", "nope"),
                       ("i_tau", "vary"), ("i_tau=1p,1p", "vary"), ("input_count=1:2:5", "input_count")):  # fmt: skip
        with pytest.raises(ParameterError, match=f"parameter '{name}'"):
            parse_axis(text, SYN)


def test_a_grid_is_the_product_first_axis_slowest_or_zipped() -> None:
    grid = Grid.parse(["i_tau=1p,2p", "i_w=1n,2n,3n"], SYN)
    flat = [x for p in grid.points()[:4] for x in (p["i_tau"], p["i_w"])]
    assert len(grid) == 6 and flat == pytest.approx([1e-12, 1e-9, 1e-12, 2e-9, 1e-12, 3e-9, 2e-12, 1e-9])
    zipped = Grid.parse(["i_tau=1p,2p", "i_w=1n,2n"], SYN, zipped=True)
    assert zipped.points() == [{"i_tau": 1e-12, "i_w": 1e-9}, {"i_tau": 2e-12, "i_w": 2e-9}]
    assert Grid.from_dict(json.loads(json.dumps(grid.as_dict())), SYN) == grid


@pytest.mark.ngspice
@pytest.mark.slow
def test_tau_against_i_tau_with_mismatch_bands_matches_physics(tmp_path: Path) -> None:
    """tau ~ 1/I_tau (log-log slope -1) and its CV, at every point, holds the closed form in its interval."""
    out = tmp_path / "sweep"
    result = runner.invoke(app, ["sweep", "dpi-synapse", "--vary", "i_tau=2p:40p:4:log", "-n", "16", "--out",
                                 str(out), "--plot", "--json", "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    table, manifest = load_sweep(out)
    assert len(table) == 64 and (table["status"] == "ok").all() and manifest["common_random_numbers"]
    summary = sweep_summary(table, manifest)
    tau = summary[summary["metric"] == "tau_s"].sort_values("i_tau")
    slope = np.polyfit(np.log(tau["i_tau"]), np.log(tau["p50"]), 1)[0]
    assert slope == pytest.approx(-1.0, abs=0.05)
    assert tau["closed_form_cv"].notna().all()
    assert ((tau["cv_low"] <= tau["closed_form_cv"]) & (tau["closed_form_cv"] <= tau["cv_high"])).all()
    # common random numbers: sample k is the same device at every point, so its rank barely moves
    wide = table.pivot_table(index="device", columns="point", values="tau_s")
    ratio = wide / wide.median()
    assert ratio[0].corr(ratio[3]) > 0.9
    assert (table.groupby("point")["seed"].apply(list).map(tuple).nunique()) == 1
    ds = sweep_dataset(table, manifest)
    assert ds["tau_s"].dims == ("i_tau", "sample") and ds["tau_s"].attrs["units"] == "s"
    assert ds["i_tau"].attrs == {"units": "A", "scale": "log"} and ds.attrs["technology"] == "gf180mcu"
    assert json.loads(ds.attrs["provenance"])["technology"]["files"]
    assert (out / "sweep.png").stat().st_size > 10_000 and (out / "summary.csv").is_file()
    printed = json.loads(result.output)
    assert {"i_tau", "metric", "cv", "cv_low", "cv_high", "bits", "p5", "p95", "closed_form_cv"} <= set(printed[0])


@pytest.mark.ngspice
def test_a_deleted_part_is_rerun_to_the_unbroken_table(tmp_path: Path) -> None:
    kwargs = {"samples": 3, "seed": 5, "tstop": 0.02, "workers": 2}
    whole = design_sweep("axon-hillock", "gf180mcu", ["i_in=0.5n,1n,2n"], out=tmp_path / "a", **kwargs)
    design_sweep("axon-hillock", "gf180mcu", ["i_in=0.5n,1n,2n"], out=tmp_path / "b", **kwargs)
    parts = sorted((tmp_path / "b" / "samples").iterdir())
    parts[0].unlink()
    with pytest.warns(UserWarning, match="missing"):
        assert len(load_sweep(tmp_path / "b")[0]) < 9
    resumed = design_sweep("axon-hillock", "gf180mcu", ["i_in=0.5n,1n,2n"], out=tmp_path / "b", resume=True, **kwargs)
    keep = ["sample", "point", "device", "i_in", "seed", "status", "isi_rate_hz", "latency_s", "n_spikes"]
    pd.testing.assert_frame_equal(whole[keep], resumed[keep])
    with pytest.raises(ParameterError, match=r"differs in: .*grid"):
        design_sweep("axon-hillock", "gf180mcu", ["i_in=0.5n,1n"], out=tmp_path / "b", resume=True, **kwargs)


@pytest.mark.ngspice
def test_a_nominal_two_parameter_grid_is_labelled_and_drawn_as_heat_maps(tmp_path: Path) -> None:
    table = design_sweep("axon-hillock", "gf180mcu", ["i_in=0.5n,1n", "c_fb=0.25p,0.5p"], tstop=0.04,
                         out=tmp_path / "g")  # fmt: skip
    assert len(table) == 4 and set(table["device"]) == {0}
    ds = sweep_dataset(*load_sweep(tmp_path / "g"))
    rate = ds["isi_rate_hz"].isel(sample=0)
    assert rate.dims == ("i_in", "c_fb")
    assert (rate.diff("i_in") > 0).all() and (rate.diff("c_fb") < 0).all()  # more current, less feedback charge: faster
    result = runner.invoke(app, ["plot", str(tmp_path / "g")])
    assert result.exit_code == 0 and (tmp_path / "g" / "sweep.png").is_file()
