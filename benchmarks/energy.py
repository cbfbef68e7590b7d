"""Energy per spike and per synaptic event of the built-in circuits, with what sets it (results go to the README).

For each circuit at its defaults on GF180MCU (3.3 V) and sky130 (1.8 V): the supply power after the
onset without the bias generator and without the ideal input current (``power_w``), the energy per
spike (``energy_per_spike_j``) or per input pulse (the DPI synapse's ``energy_per_event_j``), and the
DPI neuron's lower bounds from its own charges: C_ref recharged to V_dd at every spike, the
comparator branch (at most I_spkthr while the membrane is near threshold), the feedback current I_fb
during the acknowledge pulse. Then the DPI neuron from 150 pA to 10 nA: rate, energy per spike,
refractory period (its input dependence is what the DynapSim export cannot follow).

Usage: python benchmarks/energy.py
"""

from __future__ import annotations

import time

from neurospice import simulate
from neurospice.params.units import format_si

TECHS = ("gf180mcu", "sky130")


def _si(x: float, unit: str) -> str:
    return format_si(x, unit, digits=3)


def main() -> None:
    t0 = time.perf_counter()
    print("| circuit | technology | V_dd | rate | power after onset | energy | lower bound from its charges |")
    print("|---|---|---|---|---|---|---|")
    for tech in TECHS:
        run = simulate("dpi-neuron", tech)
        m, p = run.metrics, run.params
        vdd, rate = p.number("vdd"), m["isi_rate_hz"]
        c_ref = p.number("c_ref") * vdd**2
        feedback = p.number("i_fb") * vdd * m["pulse_s"]
        print(f"| DPI neuron | {tech} | {vdd:g} V | {rate:.1f} Hz | {_si(m['power_w'], 'W')} | "
              f"{_si(m['energy_per_spike_j'], 'J')} per spike | C_ref V_dd^2 {_si(c_ref, 'J')} + I_fb V_dd t_pulse "
              f"{_si(feedback, 'J')} (t_pulse {_si(m['pulse_s'], 's')}) |")  # fmt: skip
    for tech in TECHS:
        m = simulate("dpi-synapse", tech).metrics
        print(f"| DPI synapse | {tech} | | 100 Hz in | {_si(m['power_w'], 'W')} | "
              f"{_si(m['energy_per_event_j'], 'J')} per input pulse | |")  # fmt: skip
    for tech in TECHS:
        m = simulate("axon-hillock", tech).metrics
        print(f"| Axon-Hillock | {tech} | | {m['isi_rate_hz']:.1f} Hz | {_si(m['power_w'], 'W')} | "
              f"{_si(m['energy_per_spike_j'], 'J')} per spike | (first inverter on the membrane ramp) |")  # fmt: skip
    print("\nDPI neuron, GF180MCU, against its DC input:")
    print("| I_in | rate | energy per spike | refractory period | release level V_R* | acknowledge pulse |")
    print("|---|---|---|---|---|---|")
    for i_in in (150e-12, 500e-12, 1e-9, 3e-9, 10e-9):
        m = simulate("dpi-neuron", "gf180mcu", {"i_in": i_in}, tstop=0.1).metrics
        print(f"| {_si(i_in, 'A')} | {m['isi_rate_hz']:.1f} Hz | {_si(m['energy_per_spike_j'], 'J')} | "
              f"{_si(m['refractory_s'], 's')} | {m['v_r_release_v']:.3f} V | {_si(m['pulse_s'], 's')} |")  # fmt: skip
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
