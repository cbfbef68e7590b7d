r"""The published DPI neuron equation, integrated as a reference model (not a network simulator).

Chicca et al., Proc. IEEE 102(9), 2014 (eq. 6, no adaptation, no explicit feedback term): with
:math:`I_{mem}` the membrane current,

.. math::

    \tau \left(1 + \frac{I_{th}}{I_{mem}}\right) \frac{dI_{mem}}{dt} + I_{mem} = I_{mem,\infty}(I_{in}),
    \qquad I_{mem,\infty} = g\, I_{in},\; g = I_{th}/I_{tau} .

A spike is emitted when :math:`I_{mem}` reaches the threshold :math:`\theta` (the comparator's
bias; the positive feedback then completes the upstroke in microseconds); the membrane is then
held for the refractory period and released from :math:`I_{reset}`.

With a DC input the equation separates, :math:`dt = \tau (I + I_{th})/(I (T - I))\, dI` with
:math:`T = g I_{in}`, and integrates in closed form from :math:`I_{reset}` to :math:`\theta`:

.. math::

    t_\theta = \tau \left[\frac{I_{th}}{T} \ln\frac{\theta}{I_{reset}}
              + \frac{T + I_{th}}{T} \ln\frac{T - I_{reset}}{T - \theta}\right] \quad (T > \theta),

which :func:`time_to_threshold` evaluates for arrays of parameters at once (a cheap model for
Monte Carlo control variates; ``tests/test_dpi_model.py`` checks it against ``solve_ivp``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["DPINeuronModel", "model_fi_curve", "steady_rate", "time_to_threshold"]


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
        m = self
        return float(time_to_threshold(m.tau_mem_s, m.i_th_a, m.gain, m.threshold_a, m.i_reset_a, i_in))

    def rate_hz(self, i_in: float) -> float:
        """Steady firing rate at DC input ``i_in``: 1 / (refractory period + time to threshold)."""
        t = self.time_to_threshold(i_in)
        return 0.0 if math.isinf(t) else 1.0 / (self.refractory_s + t)


def time_to_threshold(
    tau: ArrayLike, i_th: ArrayLike, gain: ArrayLike, threshold: ArrayLike, i_reset: ArrayLike, i_in: ArrayLike
) -> NDArray[np.float64]:
    """Time (s) from release to the threshold, element-wise (numpy broadcasting), by the closed form of the
    module; ``inf`` at or below rheobase, 0 when the reset level is already at the threshold."""
    tau, i_th, g, th, i0, i_in = (np.asarray(a, dtype=np.float64) for a in (tau, i_th, gain, threshold, i_reset, i_in))
    target = g * i_in
    with np.errstate(divide="ignore", invalid="ignore"):
        t = tau * (i_th / target * np.log(th / i0) + (target + i_th) / target * np.log((target - i0) / (target - th)))
    t = np.where(target > th, t, np.inf)
    return np.where((i0 >= th) & (target > th), 0.0, t)


def steady_rate(
    tau: ArrayLike,
    i_th: ArrayLike,
    gain: ArrayLike,
    threshold: ArrayLike,
    refractory: ArrayLike,
    i_reset: ArrayLike,
    i_in: ArrayLike,
) -> NDArray[np.float64]:
    """Steady firing rate (Hz) at DC input ``i_in``, element-wise: 1 / (refractory + :func:`time_to_threshold`)."""
    t = time_to_threshold(tau, i_th, gain, threshold, i_reset, i_in)
    return np.where(np.isfinite(t), 1.0 / (np.asarray(refractory, dtype=np.float64) + t), 0.0)


def model_fi_curve(model: DPINeuronModel, currents: Sequence[float]) -> np.ndarray:
    """The model's steady rate (Hz) at each DC input current."""
    return np.array([model.rate_hz(float(i)) for i in currents])
