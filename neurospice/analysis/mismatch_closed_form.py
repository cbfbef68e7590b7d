r"""Closed-form mismatch predictions, derived with sympy: the CV a metric gets from threshold offsets.

In weak inversion a transistor whose threshold is raised by :math:`\delta` carries
:math:`I\,e^{-\kappa\delta/U_T}` at the same terminal voltages, so :math:`\ln I` is normal with
:math:`\sigma_{\ln I} = \kappa\sigma_{V_T}/U_T` (the current is log-normal). A metric written as a
closed form :math:`M(\delta_1, \dots)` of such currents has, to first order,

.. math::

    \sigma_{\ln M}^2 = \sum_i \Big(\frac{\partial \ln M}{\partial \delta_i}\Big|_0\Big)^2 \sigma_i^2,
    \qquad \mathrm{CV}(M) = \sqrt{e^{\sigma_{\ln M}^2} - 1}

(exact when :math:`\ln M` is linear in the offsets, as for a time constant :math:`\propto 1/I_\tau`).
sympy differentiates the closed forms below; nothing here runs a simulator.

Closed forms (device names as in ``netlists/*.sp``):

- DPI synapse time constant :math:`\tau = C U_T/(\kappa_p I_\tau)`: only M_D5 (the leak).
- DPI synapse steady current under a constant input :math:`I_w` (translinear loop
  M_D1/M_D4 and output M_D6, with unequal kappas):
  :math:`I_{ss} = I_{th}\,[(I_w - I_\tau)/I_\tau \cdot e^{\kappa_n(\delta_1 - \delta_4)/U_T}]^{\kappa_p/\kappa_n}
  e^{-\kappa_p \delta_6/U_T}`; the peak after :math:`n` pulses of width :math:`w` every
  :math:`T` is that of the linear filter,
  :math:`I_{ss}(1 - e^{-w/\tau})(1 - e^{-nT/\tau})/(1 - e^{-T/\tau})`. This holds where the DPI
  is linear (:math:`I_{syn} \gg I_{th}`): after 10 pulses (peak 0.55 nA, I_th 50 pA) the
  regression sensitivities of a Pelgrom-mode run match these within 8 % and the CV is 26.6 %
  [22.8, 29.9] against 28.9 % predicted; after 2 short pulses from rest the rise is supralinear
  in I_w and the measured CV is 41 % against 28 % (M_D2's sensitivity 2.8x the closed form).
- DPI neuron membrane time constant :math:`C_{mem} U_T/(\kappa_n I_\tau)`: ML3; refractory
  period :math:`C_R (V_{dd} - V_R^*)/I_{ref}`: MR3 (its spread in :math:`V_R^*` is second order).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["SynapsePoint", "dpi_neuron_cv", "dpi_synapse_cv", "lognormal_cv", "propagate_log_sigma"]


def lognormal_cv(sigma_ln: float) -> float:
    r"""CV of a log-normal quantity whose log has standard deviation ``sigma_ln``: :math:`\sqrt{e^{\sigma^2}-1}`."""
    return float(np.sqrt(np.expm1(sigma_ln**2)))


def propagate_log_sigma(sensitivities: Mapping[str, float], sigmas: Mapping[str, float]) -> float:
    r""":math:`\sqrt{\sum_i (\partial\ln M/\partial\delta_i)^2\sigma_i^2}` over the devices in ``sensitivities``."""
    return float(np.sqrt(sum((s * sigmas[d]) ** 2 for d, s in sensitivities.items())))


@lru_cache(maxsize=1)
def _synapse_forms() -> dict[str, Callable[..., Any]]:
    import sympy as sp

    c, ut, kn, kp, i_tau, i_th, i_w = sp.symbols("C U_T kappa_n kappa_p I_tau I_th I_w", positive=True)
    w, period, n = sp.symbols("w T n", positive=True)
    d1, d2, d4, d5, d6 = sp.symbols("delta_md1 delta_md2 delta_md4 delta_md5 delta_md6", real=True)
    i_tau_d = i_tau * sp.exp(-kp * d5 / ut)  # M_D5, pFET leak
    i_w_d = i_w * sp.exp(-kn * d2 / ut)  # M_D2, weight
    tau = c * ut / (kp * i_tau_d)
    ratio = (i_w_d - i_tau_d) / i_tau_d * sp.exp(kn * (d1 - d4) / ut)
    i_ss = i_th * ratio ** (kp / kn) * sp.exp(-kp * d6 / ut)
    peak = i_ss * (1 - sp.exp(-w / tau)) * (1 - sp.exp(-n * period / tau)) / (1 - sp.exp(-period / tau))
    offsets = {"md1": d1, "md2": d2, "md4": d4, "md5": d5, "md6": d6}
    args = (c, ut, kn, kp, i_tau, i_th, i_w, w, period, n)
    zero = dict.fromkeys(offsets.values(), 0)
    out: dict[str, Callable[..., Any]] = {}
    for metric, expr in (("tau_s", tau), ("peak_current_a", peak), ("steady_current_a", i_ss)):
        grads = {name: sp.diff(sp.log(expr), d).subs(zero) for name, d in offsets.items()}
        out[metric] = sp.lambdify(args, [grads[k] for k in offsets], "math")
    out["_names"] = lambda: list(offsets)
    return out


@dataclass(frozen=True)
class SynapsePoint:
    """The DPI synapse's operating point: C_syn (F), its three bias currents (A), the subthreshold slopes and
    U_T (V) of the technology, and the regular input train (pulse width and period in s, pulse count)."""

    c: float
    i_tau: float
    i_th: float
    i_w: float
    kappa_n: float
    kappa_p: float
    ut: float
    pulse_width: float
    period: float
    n_pulses: int


def dpi_synapse_cv(sigmas: Mapping[str, float], point: SynapsePoint) -> dict[str, dict[str, Any]]:
    """Predicted CVs of the DPI synapse's ``tau_s``, ``peak_current_a`` and ``steady_current_a`` at ``point``.

    ``sigmas`` maps device names (``md1`` .. ``md6``) to their threshold sigma (V). Returns, per
    metric, ``cv`` and the per-device ``sensitivity`` (d ln M / d delta, 1/V).
    """
    forms = _synapse_forms()
    names = forms["_names"]()
    q = point
    args = (q.c, q.ut, q.kappa_n, q.kappa_p, q.i_tau, q.i_th, q.i_w, q.pulse_width, q.period, max(q.n_pulses, 1))
    result = {}
    for metric in ("tau_s", "peak_current_a", "steady_current_a"):
        sens = {k: float(g) for k, g in zip(names, forms[metric](*args), strict=True) if float(g) != 0.0}
        result[metric] = {"cv": lognormal_cv(propagate_log_sigma(sens, sigmas)), "sensitivity": sens}
    return result


def dpi_neuron_cv(sigmas: Mapping[str, float], *, kappa_n: float, ut: float) -> dict[str, dict[str, Any]]:
    """Predicted CVs of the DPI neuron's ``tau_mem_s`` (ML3) and ``refractory_s`` (MR3), log-normal, exact."""
    import sympy as sp

    kn, u, d = sp.symbols("kappa_n U_T delta", positive=True)
    # tau_mem ∝ 1/I_tau and t_ref ∝ 1/I_ref: d ln M / d delta = +kappa_n/U_T for both (a weaker nFET)
    sens = float(sp.diff(sp.log(1 / sp.exp(-kn * d / u)), d).subs({kn: kappa_n, u: ut}))
    return {
        metric: {"cv": lognormal_cv(abs(sens) * sigmas[dev]), "sensitivity": {dev: sens}}
        for metric, dev in (("tau_mem_s", "ml3"), ("refractory_s", "mr3"))
    }
