r"""The published DPI neuron equation, integrated as a reference model (not a network simulator).

Chicca et al., Proc. IEEE 102(9), 2014 (eq. 6, no adaptation, no explicit feedback term): with
:math:`I_{mem}` the membrane current,

.. math::

    \tau \left(1 + \frac{I_{th}}{I_{mem}}\right) \frac{dI_{mem}}{dt} + I_{mem} = I_{mem,\infty}(I_{in}),
    \qquad I_{mem,\infty} = g\, I_{in},\; g = I_{th}/I_{tau} .

A spike is emitted when :math:`I_{mem}` reaches the threshold :math:`\theta` (the comparator's
bias; the positive feedback then completes the upstroke in microseconds); the membrane is then
held for the refractory period and released from :math:`I_{reset}`. Integrated in
:math:`\ln I_{mem}` with scipy's ``solve_ivp`` and a terminal event at the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy.integrate import solve_ivp

__all__ = ["DPINeuronModel", "model_fi_curve"]


@dataclass(frozen=True)
class DPINeuronModel:
    """Parameters of the equation (SI): time constant, gain-bias current, gain, threshold, refractory, reset."""

    tau_mem_s: float
    i_th_a: float
    gain: float
    threshold_a: float
    refractory_s: float
    i_reset_a: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def rheobase_a(self) -> float:
        """The smallest DC input that fires: g I_in = threshold."""
        return self.threshold_a / self.gain

    def time_to_threshold(self, i_in: float) -> float:
        """Time (s) from release to the threshold at DC input ``i_in`` (inf below rheobase)."""
        target = self.gain * i_in
        if target <= self.threshold_a:
            return math.inf

        def rate(_: float, y: np.ndarray) -> list[float]:
            i = math.exp(y[0])
            return [(target - i) / (self.tau_mem_s * (i + self.i_th_a))]

        def crossed(_: float, y: np.ndarray) -> float:
            return float(y[0] - math.log(self.threshold_a))

        crossed.terminal, crossed.direction = True, 1  # type: ignore[attr-defined]
        horizon = 1000 * self.tau_mem_s
        sol = solve_ivp(rate, (0.0, horizon), [math.log(self.i_reset_a)], events=crossed, rtol=1e-9, atol=1e-12)
        return float(sol.t_events[0][0]) if sol.t_events[0].size else math.inf

    def rate_hz(self, i_in: float) -> float:
        """Steady firing rate at DC input ``i_in``: 1 / (refractory period + time to threshold)."""
        t = self.time_to_threshold(i_in)
        return 0.0 if math.isinf(t) else 1.0 / (self.refractory_s + t)


def model_fi_curve(model: DPINeuronModel, currents: Sequence[float]) -> np.ndarray:
    """The model's steady rate (Hz) at each DC input current."""
    return np.array([model.rate_hz(float(i)) for i in currents])
