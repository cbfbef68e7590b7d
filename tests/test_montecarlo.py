"""Monte Carlo runs with real ngspice: reproducibility, both mismatch modes, timeouts, Dask, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from neurospice.analysis import thermal_voltage
from neurospice.cli import app
from neurospice.montecarlo import load_run, monte_carlo, sample_seeds, summary
from neurospice.ngspice_models import get_technology

pytestmark = [pytest.mark.ngspice, pytest.mark.slow]

FAST = {"input_count": 2}  # two input spikes at 10 and 20 ms, then the decay
VOLATILE = ["wall_s", "sim_s", "worker"]  # timing and process id: the only columns allowed to differ
# (kills, interrupts, full disks and corrupted parts: tests/test_faults.py)


def _stable(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=VOLATILE).reset_index(drop=True)


def test_sample_seeds_are_spawned_and_prefix_stable() -> None:
    seeds = sample_seeds(42, 1000)
    assert seeds.min() >= 1 and seeds.max() < 2**31 and len(set(seeds)) == 1000
    np.testing.assert_array_equal(sample_seeds(42, 10), seeds[:10])  # sample k does not depend on N
    assert not np.array_equal(sample_seeds(43, 10), seeds[:10])


@pytest.mark.parametrize("mode", ["pdk", "pelgrom"])
def test_same_seed_same_table_any_worker_count(mode: str) -> None:
    kwargs = {"samples": 6, "seed": 5, "overrides": FAST, "tstop": 0.06, "mismatch": mode}
    one = monte_carlo("dpi-synapse", "gf180mcu", workers=1, **kwargs)  # type: ignore[arg-type]
    two = monte_carlo("dpi-synapse", "gf180mcu", workers=2, **kwargs)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(_stable(one), _stable(two))
    assert (one["status"] == "ok").all()
    assert one["tau_s"].std() > 0  # mismatch really varies the samples
    first = monte_carlo("dpi-synapse", "gf180mcu", workers=1, **{**kwargs, "samples": 3})  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(_stable(first), _stable(one).iloc[:3])
    other = monte_carlo("dpi-synapse", "gf180mcu", workers=2, **{**kwargs, "seed": 6})  # type: ignore[arg-type]
    assert not np.allclose(other["tau_s"], one["tau_s"])


def test_pdk_and_pelgrom_agree_with_each_other_and_with_pelgrom_law() -> None:
    """CV of the DPI time constant: both modes within sampling error; near kappa*sigma_VT(M_D5)/U_T."""
    runs = {m: monte_carlo("dpi-synapse", "gf180mcu", samples=64, seed=9, overrides=FAST, tstop=0.06, workers=2,
                           mismatch=m) for m in ("pdk", "pelgrom")}  # type: ignore[arg-type]  # fmt: skip
    sd = {m: float(np.std(np.log(t["tau_s"]), ddof=1)) for m, t in runs.items()}
    se = {m: v / np.sqrt(2 * 63) for m, v in sd.items()}
    assert abs(sd["pdk"] - sd["pelgrom"]) < 3 * np.hypot(se["pdk"], se["pelgrom"])
    tech = get_technology("gf180mcu")
    predicted = 0.68 * tech.pmos.sigma_vt(1e-6, 1e-6) / thermal_voltage()  # tau ~ 1/I_tau of M_D5
    for m in sd:
        assert sd[m] == pytest.approx(predicted, abs=3 * se[m] + 0.01)
    offsets = runs["pelgrom"].filter(like="dvt_xsyn.")
    assert list(offsets.columns) == [f"dvt_xsyn.md{i}" for i in (3, 2, 1, 4, 5, 6)]
    assert offsets["dvt_xsyn.md5"].std() == pytest.approx(tech.pmos.sigma_vt(1e-6, 1e-6), rel=0.3)
    # the leak transistor's offset explains tau: weaker M_D5 (positive dvt), slower decay
    assert np.corrcoef(offsets["dvt_xsyn.md5"], np.log(runs["pelgrom"]["tau_s"]))[0, 1] > 0.9


def test_timeout_is_recorded_and_the_run_goes_on() -> None:
    """A neuron sample needs about 1.5 s; with a 0.3 s limit each one is stopped, retried once, recorded."""
    table = monte_carlo("dpi-neuron", "gf180mcu", samples=3, seed=1, tstop=0.1, workers=2, timeout=0.3)
    assert table["sample"].tolist() == [0, 1, 2]
    assert (table["status"] == "timeout").all()
    assert table["message"].str.startswith("timeout: took longer than 0.3 s").all()
    assert summary(table)["failed"] == 3
    quick = monte_carlo("dpi-synapse", "gf180mcu", samples=4, seed=1, overrides=FAST, tstop=0.06, workers=2, timeout=60)
    assert (quick["status"] == "ok").all()


def test_dask_local_cluster_gives_the_same_table(tmp_path: Path) -> None:
    from dask import distributed  # a test dependency: a missing install must fail, not skip

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:  # fmt: skip
        on_dask = monte_carlo("dpi-synapse", "gf180mcu", samples=6, seed=5, overrides=FAST, tstop=0.06, client=client,
                              out=tmp_path / "dask")  # fmt: skip
    local = monte_carlo("dpi-synapse", "gf180mcu", samples=6, seed=5, overrides=FAST, tstop=0.06, workers=2)
    pd.testing.assert_frame_equal(_stable(on_dask), _stable(local), check_dtype=False)
    assert load_run(tmp_path / "dask").attrs["manifest"]["seed"] == 5


runner = CliRunner()


def test_cli_mismatch_json_manifest_and_keep_waveforms(tmp_path: Path) -> None:
    out = tmp_path / "mc"
    result = runner.invoke(app, ["mismatch", "axon-hillock", "-n", "4", "--seed", "3", "--tstop", "20m",
                                 "--mismatch", "pelgrom", "--keep-waveforms", "--out", str(out), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] == 4 and data["failed"] == 0 and "period_s" in data["metrics"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["mismatch"] == "pelgrom" and manifest["technology"]["files"]
    table = load_run(out)
    assert table["seed"].tolist() == sample_seeds(3, 4).tolist()
    assert len(list((out / "waveforms").glob("sample-*.parquet"))) == 4
    assert summary(table)["metrics"]["period_s"]["cv"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [(["-n", "0"], "parameter 'samples'"), (["--mismatch", "spice"], "parameter 'mismatch'"),
     (["--resume"], "nothing to resume"), (["--workers", "0"], "parameter 'workers'"),
     (["--set", "i_w=-1"], "parameter 'i_w'"), (["--seed", "-1"], "parameter 'seed'"),
     (["--timeout", "-2"], "parameter 'timeout'")],
)  # fmt: skip
def test_cli_mismatch_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "never"
    result = runner.invoke(app, ["mismatch", "dpi-synapse", "--out", str(out), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_cli_refuses_to_overwrite_or_resume_a_different_run(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("keep")
    assert runner.invoke(app, ["mismatch", "dpi-synapse", "-n", "2", "--out", str(tmp_path)]).exit_code == 2
    out = tmp_path / "run"
    ok = runner.invoke(app, ["mismatch", "axon-hillock", "-n", "2", "--tstop", "15m", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    other = runner.invoke(app, ["mismatch", "axon-hillock", "-n", "2", "--seed", "9", "--tstop", "15m", "--out",
                                str(out), "--resume"])  # fmt: skip
    assert other.exit_code == 2 and "differs in: seed" in other.output
