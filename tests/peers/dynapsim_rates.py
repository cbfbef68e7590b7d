"""Run a neurospice ``dynapsim`` export in rockpool's real DynapSim (run by tests/test_peers.py in the peer venv).

Usage: python dynapsim_rates.py DOC.json DURATION_S [DT_S]

Loads the document as DynapSim's keyword arguments (arrays, the document's dt unless DT_S is given),
drives every neuron with its own Idc for DURATION_S, and prints one JSON line: per neuron the
spike times (s), and DynapSim's own pulse widths (t = C Vth / I) as the module computes them.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")


def main() -> None:
    from rockpool.devices.dynapse import DynapSim
    from rockpool.devices.dynapse.lookup.defaults import default_time_constants

    doc = json.loads(Path(sys.argv[1]).read_text())
    duration = float(sys.argv[2])
    dt = float(sys.argv[3]) if len(sys.argv) > 3 else float(doc["dt_s"])
    kw = {k: np.asarray(v, dtype=np.float64) for k, v in doc["parameters"].items()}
    n = len(kw["Idc"])
    mod = DynapSim(n, dt=dt, **kw)
    steps = round(duration / dt)
    out, _, _ = mod(np.zeros((1, steps, n)), record=False)
    raster = np.asarray(out)[0]
    times = [((np.flatnonzero(raster[:, i]) + 1) * dt).tolist() for i in range(n)]
    vth = np.asarray(mod.Vth)
    print(
        json.dumps(
            {
                "dt": dt,
                "spikes": times,
                "t_pulse": (vth * np.asarray(mod.C_pulse) / np.asarray(mod.Ipulse)).tolist(),
                "t_pulse_default": float(default_time_constants["t_pulse"]),
                "t_pulse_ahp": (vth * np.asarray(mod.C_pulse_ahp) / np.asarray(mod.Ipulse_ahp)).tolist(),
                "t_ref": (vth * np.asarray(mod.C_ref) / np.asarray(mod.Iref)).tolist(),
            }
        )
    )


if __name__ == "__main__":
    main()
