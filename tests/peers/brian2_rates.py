"""Run a neurospice ``brian2`` export in Brian2 with teili's DPI neuron equations (run by tests/test_peers.py).

Usage: python brian2_rates.py DOC.json DURATION_S DT_S [--no-feedback]

teili 1.1 pins Brian2 2.2.2.1, which does not install on Python 3.11, so its DPI neuron is written out
here as teili defines it (teili/models/equations/DPI, after Chicca et al. 2014): the membrane current
I_mem with the input DPI's (1 + I_th/I_mem) term, the positive feedback
I_a = I_a,gain/(1 + exp(-(I_mem - I_a,th)/I_a,norm)), the adaptation current I_ahp, teili's clips at Io,
a spike at I_mem > Ispkthr, reset to Ireset, I_ahp += Ica Ithahp/Itauahp, refractory refP.
Brian2 2.9's sympy no longer multiplies by a comparison, so teili's clips are written with int(...).
Prints one JSON line: each neuron's spike times (s).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

EQUATIONS = """
dImem/dt = ((Ith_c / Itau_c) * (Iin_c + Ia_c - Iahp_c) - Ith_c - (1 + (Iahp_c - Ia_c) / Itau_c) * Imem)
           / (tau * (Ith_c / (Imem + Io) + 1)) : amp (unless refractory)
dIahp/dt = (-Ithahp_c - Iahp + 2 * Io * int(Iahp <= Io)) / (tauahp * (Ithahp_c / Iahp + 1)) : amp
Ia = fb * Iagain / (1 + exp(-(Imem - Iath) / Ianorm)) : amp
Iahp_c = Iahp * int(Imem > Io) + Io * int(Imem <= Io) : amp
Itau_c = Itau * int(Imem > Io) + Io * int(Imem <= Io) : amp
Ith_c = Ith * int(Imem > Io) + Io * int(Imem <= Io) : amp
Iin_c = clip(Iconst, Io, 1 * amp) : amp
Ia_c = Ia * int(Imem > Io) + 2 * Io * int(Imem <= Io) : amp
Ithahp_c = Ithahp * int(Iahp > Io) + Io * int(Iahp <= Io) : amp
tau = Cmem * Ut / (kappa * Itau_c) : second
tauahp = Cahp * Ut / (kappa * Itauahp) : second
kappa = (kn + kp) / 2 : 1
fb : 1 (constant)
Itau : amp (constant)
Ith : amp (constant)
Ispkthr : amp (constant)
Ireset : amp (constant)
refP : second (constant)
Cmem : farad (constant)
Iconst : amp (constant)
kn : 1 (constant)
kp : 1 (constant)
Ut : volt (constant)
Io : amp (constant)
Iagain : amp (constant)
Iath : amp (constant)
Ianorm : amp (constant)
Itauahp : amp (constant)
Ithahp : amp (constant)
Cahp : farad (constant)
Ica : amp (constant)
"""


def main() -> None:
    import brian2 as b2
    import numpy as np

    b2.prefs.codegen.target = "numpy"
    doc = json.loads(Path(sys.argv[1]).read_text())
    duration, dt = float(sys.argv[2]), float(sys.argv[3])
    p, units = doc["parameters"], doc["units"]
    n = len(p["Itau"])
    b2.defaultclock.dt = dt * b2.second
    group = b2.NeuronGroup(
        n,
        EQUATIONS,
        threshold="Imem > Ispkthr",
        reset="Imem = Ireset; Iahp += Ica * Ithahp / Itauahp",
        refractory="refP",
        method="euler",
    )
    off = {"Itauahp": 1e-12, "Ithahp": 1e-12, "Cahp": 1e-12, "Ica": 0.0}  # adaptation off when not exported
    for name, unit in {
        **units,
        **{k: u for k, u in (("Itauahp", "amp"), ("Ithahp", "amp"), ("Cahp", "farad"), ("Ica", "amp"))},
    }.items():
        values = np.asarray(p.get(name, [off.get(name, 0.0)] * n), dtype=float)
        setattr(group, name, values * (getattr(b2, unit) if unit != "1" else 1))
    group.fb = 0.0 if "--no-feedback" in sys.argv else 1.0
    group.Imem = group.Io
    group.Iahp = group.Io
    monitor = b2.SpikeMonitor(group)
    b2.run(duration * b2.second)
    trains = monitor.spike_trains()
    print(json.dumps({"spikes": [np.asarray(trains[i] / b2.second).tolist() for i in range(n)]}))


if __name__ == "__main__":
    main()
