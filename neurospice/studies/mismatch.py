"""What a mismatch report shows beyond the samples, computed once and stored with the run.

:func:`store_report_inputs` measures the technology's kappa figures (two characterisation
sweeps), evaluates each metric's closed-form CV (sympy, from the Pelgrom sigmas) and runs the
Pelgrom check of the technology's own devices (a few hundred single devices per size), and, for a
pelgrom run, each metric's CV with the offsets-regression control variate; it writes them to
``DIR/report_inputs.json``. :mod:`neurospice.present.report` only reads that file and
the samples: a report can be drawn again from the folder without ngspice.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..circuits import circuit_of_run, values_of_run
from ..ngspice_models import get_technology
from ..sim.characterization import pelgrom_check
from ..sim.simulation import technology_facts
from ..store import atomic_write, load_run, read_manifest

__all__ = ["PELGROM_SIZES", "REPORT_INPUTS", "store_report_inputs"]

#: Device sizes (W, L) of the Pelgrom plot.
PELGROM_SIZES = [(1e-6, 1e-6), (2e-6, 2e-6), (4e-6, 4e-6), (8e-6, 8e-6), (1e-6, 4e-6)]
REPORT_INPUTS = "report_inputs.json"


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _regression_cvs(table: Any, manifest: dict[str, Any], circuit: Any, tech: Any, values: Any) -> dict[str, Any]:
    """Each measured metric's CV with the offsets-regression control variate beside plain Monte Carlo's (pelgrom
    runs of at least :data:`~neurospice.montecarlo.sequential.MIN_REGRESSION` samples; none otherwise)."""
    from ..analysis.summary import cv_omitted
    from ..montecarlo.sequential import MIN_REGRESSION, Target
    from .estimate import estimator_for

    if manifest.get("mismatch") != "pelgrom":
        return {}
    ok = table[table["status"] == "ok"] if "status" in table else table
    if len(ok) < MIN_REGRESSION:
        return {}
    estimate = estimator_for("regression", circuit, tech, values, "")
    found = {}
    for m in circuit.metrics:
        if m.kind != "measured" or m.name not in ok:
            continue
        y = ok[m.name].to_numpy(dtype=float)
        y = y[np.isfinite(y)]
        if y.size < MIN_REGRESSION or cv_omitted(m.name, y):
            continue  # a constant, a signed or fit diagnostic, a spread at the noise floor: no CV to narrow
        found[m.name] = _plain(estimate(table, Target(m.name, "cv", math.inf, True)).as_dict())
    return found


def _report_waveforms(out: Path, table: Any, circuit: Any) -> dict[str, Any]:
    """The typical and the worst sample (by the run's primary metric), their waveforms stored for the report:
    the run's own when it kept them, else re-simulated from their seeds into ``out/report_waveforms/``, with the
    largest relative difference between the re-simulated and the stored metrics (0 when they reproduce)."""
    import pandas as pd

    from ..analysis.summary import typical_and_worst
    from ..montecarlo import rerun_samples

    kinds = {m.name: m.kind for m in circuit.metrics}
    picked = typical_and_worst(table, kinds)
    if not picked:
        return {}
    picked["probe_units"] = {p.name: p.unit for p in circuit.probes}
    wanted = [
        i for i in (picked["typical"], picked["worst"]) if not (out / "waveforms" / f"sample-{i:06d}.parquet").is_file()
    ]
    if not wanted:
        return picked
    rows = rerun_samples(out, sorted(set(wanted)))
    stored = table.set_index("sample")
    worst_rel = 0.0
    folder = out / "report_waveforms"
    folder.mkdir(exist_ok=True)
    for index, row in rows.items():
        waves = row.pop("_waves", None)
        if row.get("status") != "ok" or waves is None:
            return {}
        path = folder / f"sample-{index:06d}.parquet"
        frame = pd.DataFrame(waves)
        atomic_write(path, frame.to_parquet)
        a, b = float(row[picked["metric"]]), float(stored.loc[index, picked["metric"]])
        worst_rel = max(worst_rel, abs(a - b) / abs(b) if b else abs(a - b))
    picked["check"] = {"max_rel": worst_rel, "resimulated": sorted(rows)}
    return picked


def store_report_inputs(out: str | Path, *, seed: int = 1, samples: int = 200) -> Path:
    """Compute the report's technology figures, closed-form CVs and Pelgrom check; store them in ``out``."""
    out = Path(out)
    manifest = read_manifest(out)
    circuit = circuit_of_run(manifest)
    tech = get_technology(manifest["technology"]["technology"])
    values = values_of_run(circuit, manifest)
    table = load_run(out)  # read once, for the control variates and the typical and worst samples
    facts = technology_facts(tech, values)
    checks = [pelgrom_check(tech, kind, PELGROM_SIZES, samples=samples, seed=seed) for kind in ("nmos", "pmos")]
    data = {
        "facts": facts.as_dict(),
        "closed_form": _plain(circuit.predicted_cv(values, tech, facts)),
        "pelgrom": [_plain(dataclasses.asdict(c)) for c in checks],
        "pelgrom_seed": seed,
        "multifidelity": _regression_cvs(table, manifest, circuit, tech, values),
        "waveforms": _report_waveforms(out, table, circuit),
    }
    path = out / REPORT_INPUTS
    text = json.dumps(data, indent=1) + "\n"
    atomic_write(path, lambda p: p.write_text(text))
    return path
