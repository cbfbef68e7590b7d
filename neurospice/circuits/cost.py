"""What a circuit costs: silicon area and supply power, declared as metrics like any other.

Area (µm²) is the sum of W L m over the circuit's transistors and C / density over its
capacitors (the technology's MIM density), the bias generator's diode cells reported apart: on a
chip one bias generator serves a whole core. Power comes from the supply's branch current,
averaged over time (trapezoid, the steps are adaptive): ``power_static_w`` before the stimulus
onset, ``power_w`` after it, both without the bias generator (V_dd times its reference currents,
``power_bias_w``) and without the ideal input current a testbench draws from V_dd. A spiking
circuit also gets ``energy_per_spike_j``: its power after the onset times that time, per spike.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .records import Metric

__all__ = ["AREA_METRICS", "POWER_METRICS", "SPIKE_ENERGY", "area_metrics", "mean_over", "power_metrics"]

AREA_METRICS = (
    Metric(
        "area_um2",
        "",
        "circuit area in µm²: transistors (W L m) and capacitors (C / MIM density), bias generator excluded",
        "setting",
    ),
    Metric("area_transistors_um2", "", "transistor area in µm² (W L m summed)", "setting"),
    Metric("area_capacitors_um2", "", "capacitor area in µm² (C / the technology's MIM density)", "setting"),
    Metric("area_bias_um2", "", "bias generator diode cells in µm² (shared by a core on a chip)", "setting"),
)
POWER_METRICS = (
    Metric("power_w", "W", "mean supply power after the stimulus onset (bias generator and ideal input excluded)"),
    Metric("power_static_w", "W", "mean supply power before the stimulus onset (bias generator excluded)"),
    Metric("power_bias_w", "W", "bias generator: V_dd times its reference currents", "setting"),
)
SPIKE_ENERGY = Metric("energy_per_spike_j", "J", "circuit energy after the onset per spike after it")


def area_metrics(
    transistors: Iterable[tuple[float, float, float]],
    capacitors: Iterable[float],
    bias: Iterable[tuple[float, float]],
    density: float,
) -> dict[str, float]:
    """Area metrics (µm²) from (W, L, m) of each transistor (m), each capacitance (F), bias diodes (W, L)."""
    fets = sum(w * l * m for w, l, m in transistors) * 1e12
    caps = sum(capacitors) / density * 1e12
    return {
        "area_um2": fets + caps,
        "area_transistors_um2": fets,
        "area_capacitors_um2": caps,
        "area_bias_um2": sum(w * l for w, l in bias) * 1e12,
    }


def mean_over(t: np.ndarray, x: np.ndarray, t0: float, t1: float) -> float:
    """Time average of ``x`` over [t0, t1] (trapezoid on the simulator's own steps); NaN for an empty span."""
    if not t1 > t0:
        return float("nan")
    inside = (t > t0) & (t < t1)
    tt = np.concatenate([[t0], t[inside], [t1]])
    xx = np.concatenate([[np.interp(t0, t, x)], x[inside], [np.interp(t1, t, x)]])
    return float(np.trapezoid(xx, tt) / (t1 - t0))


def power_metrics(
    t: np.ndarray,
    i_supply: np.ndarray,
    vdd: float,
    onset: float,
    i_bias: float,
    i_stimulus: float,
    spikes_after: int | None = None,
) -> dict[str, float]:
    """Power metrics from the supply current (A, drawn: positive) and what the testbench adds to it.

    ``i_bias`` is the bias generator's total reference current, ``i_stimulus`` the mean ideal input
    current drawn from V_dd after ``onset``; ``spikes_after`` (spiking circuits) adds the energy per spike.
    """
    end = float(t[-1])
    static = mean_over(t, i_supply, float(t[0]), onset) if onset > t[0] else float("nan")
    active = mean_over(t, i_supply, onset, end)
    m = {
        "power_w": vdd * (active - i_bias - i_stimulus),
        "power_static_w": vdd * (static - i_bias),
        "power_bias_w": vdd * i_bias,
    }
    if spikes_after is not None:
        m["energy_per_spike_j"] = m["power_w"] * (end - onset) / spikes_after if spikes_after else float("nan")
    return m
