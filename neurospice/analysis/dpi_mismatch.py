r"""Per-sample DPI-equation parameters from per-device threshold offsets, and the guessed alternative.

A pelgrom-mode Monte Carlo run stores each transistor's threshold offset
:math:`\Delta V_{T,d}` (V; positive makes the device weaker). Every current of the DPI equation is
set by one or two subthreshold transistors, so each parameter moves log-linearly with the offsets
of the devices that carry it:

.. math::

    \ln p_s = \ln p_0 + \sum_d S_{p,d}\, \Delta V_{T,d,s}

:data:`SENSITIVITY` lists the entries :math:`S_{p,d}` (per volt) of the built-in ``dpi-neuron``,
with :math:`\kappa_n, \kappa_p, U_T` the technology's figures:

- ``tau_mem_s``: the leak ML3 sinks :math:`I_\tau e^{-\kappa_n \Delta V_T/U_T}`, and
  :math:`\tau = C U_T/(\kappa I_\tau)`: :math:`+\kappa_n/U_T` on ML3.
- ``i_th_a``: the input pair ML1 (gate at the I_th bias) against ML2 (diode on the membrane) splits
  the input current as :math:`I_{mem}/I_{th}`: :math:`+\kappa_p/U_T` on ML1, :math:`-\kappa_p/U_T` on ML2.
- ``gain`` :math:`= I_{th}/I_\tau`: both of the above.
- ``threshold_a``: the comparator trips when MA1 (nFET on the membrane) carries what MA2 (pFET at
  the I_spkthr bias) sources: :math:`+\kappa_n/U_T` on MA1, :math:`-\kappa_p/U_T` on MA2.
- ``refractory_s`` :math:`= C_R (V_{dd} - V_R^*)/I_{ref}`: :math:`+\kappa_n/U_T` on the discharge
  MR3; MR2's offset raises the release level :math:`V_R^*` one for one, :math:`-1/(V_{dd} - V_R^*)`.
- adaptation: ``tau_ahp_s`` :math:`+\kappa_n/U_T` on MG5; ``ahp_increment_a`` (the jump of
  :math:`I_{ahp}` per spike) :math:`-\kappa_p/U_T` on the weight MG2, :math:`+\kappa_p/U_T` on MG3,
  :math:`-\kappa_p/U_T` on MG4 (the AHP DPI's gain, as ML1/ML2), :math:`-\kappa_n/U_T` on MG6.

The shared bias cells are mismatch-free (one per core on a chip), capacitors carry no mismatch,
and the switches, inverters and the feedback source (MA3, MA4, MI*, MR1, MG1) are left out: their
offsets move the switching instants by microseconds. Pure numpy; nothing here simulates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .dpi_model import DPINeuronModel, steady_rate

__all__ = [
    "ADAPTATION_PARAMETERS",
    "GUESS_NAMES",
    "MODEL_PARAMETERS",
    "correlation",
    "generator_guess",
    "guess_rates",
    "model_rates",
    "models_from",
    "sample_parameters",
    "sensitivity",
    "table_rates",
]

#: the equation parameters that vary from sample to sample (the others are settings or technology figures)
MODEL_PARAMETERS = ("tau_mem_s", "i_th_a", "gain", "threshold_a", "refractory_s")
ADAPTATION_PARAMETERS = ("tau_ahp_s", "ahp_increment_a")


def sensitivity(kappa_n: float, kappa_p: float, ut: float, swing_v: float) -> dict[str, dict[str, float]]:
    """:math:`S_{p,d}` (1/V) of the built-in DPI neuron: parameter -> device (its ``dvt_`` name) -> weight.

    ``swing_v`` is :math:`V_{dd} - V_R^*`, the refractory node's discharge to release.
    """
    n, p = kappa_n / ut, kappa_p / ut
    return {
        "tau_mem_s": {"ml3": n},
        "i_th_a": {"ml1": p, "ml2": -p},
        "gain": {"ml1": p, "ml2": -p, "ml3": n},
        "threshold_a": {"ma1": n, "ma2": -p},
        "refractory_s": {"mr3": n, "mr2": -1.0 / swing_v},
        "tau_ahp_s": {"mg5": n},
        "ahp_increment_a": {"mg2": -p, "mg3": p, "mg4": -p, "mg6": -n},
    }


def sample_parameters(
    nominal: Mapping[str, float],
    offsets: Mapping[str, Sequence[float] | NDArray[np.float64]],
    weights: Mapping[str, Mapping[str, float]],
) -> dict[str, NDArray[np.float64]]:
    """Each parameter of ``nominal`` per sample: ``nominal * exp(sum_d weights[p][d] * offsets[d])``.

    ``offsets`` maps a device name to its offsets (V), one per sample. A parameter without weights
    (a setting, a technology figure) is repeated unchanged. A weighted device missing from
    ``offsets`` raises ``KeyError`` naming it.
    """
    n = len(next(iter(offsets.values()))) if offsets else 1
    out: dict[str, NDArray[np.float64]] = {}
    for name, value in nominal.items():
        exponent = np.zeros(n)
        for device, w in weights.get(name, {}).items():
            if device not in offsets:
                raise KeyError(f"no offsets for device {device!r} (needed by {name})")
            exponent = exponent + w * np.asarray(offsets[device], dtype=float)
        out[name] = float(value) * np.exp(exponent)
    return out


def model_rates(models: Sequence[DPINeuronModel], i_in: float) -> NDArray[np.float64]:
    """Steady rate (Hz) of each model at DC input ``i_in``."""
    return table_rates(
        {k: np.array([getattr(m, k) for m in models]) for k in DPINeuronModel.__dataclass_fields__}, i_in
    )


def table_rates(table: Mapping[str, ArrayLike], i_in: ArrayLike) -> NDArray[np.float64]:
    """Steady rate (Hz) at DC input ``i_in`` of each sample of a table of equation parameters (the fields of
    :class:`DPINeuronModel`, one array each), vectorised (:func:`~neurospice.analysis.dpi_model.steady_rate`)."""
    t = table
    return steady_rate(
        t["tau_mem_s"], t["i_th_a"], t["gain"], t["threshold_a"], t["refractory_s"], t["i_reset_a"], i_in
    )


def models_from(table: Mapping[str, NDArray[np.float64]], nominal: DPINeuronModel) -> list[DPINeuronModel]:
    """One :class:`DPINeuronModel` per sample: the table's columns, the nominal model for the rest."""
    fields = nominal.as_dict()
    n = len(next(iter(table.values())))
    return [DPINeuronModel(**{k: float(table[k][i]) if k in table else v for k, v in fields.items()}) for i in range(n)]


def correlation(table: Mapping[str, NDArray[np.float64]], names: Sequence[str]) -> NDArray[np.float64]:
    """Pearson correlation of ln(parameter) across samples (a constant parameter correlates 0, itself 1)."""
    logs = np.array([np.log(np.asarray(table[k], dtype=float)) for k in names])
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.corrcoef(logs) if logs.shape[1] > 1 else np.eye(len(names))
    c = np.atleast_2d(np.nan_to_num(c, nan=0.0))
    np.fill_diagonal(c, 1.0)
    return c


#: the quantities of rockpool's DynapSim mismatch generator (rockpool 3.1 ``frozen_mismatch_prototype``: 25 in
#: all) that enter the membrane equation; the others are the synapse's, the adaptation's and the pulse widths
GUESS_NAMES = (
    "Itau_mem",
    "Igain_mem",
    "Ispkthr",
    "Iref",
    "Idc",
    "C_mem",
    "C_ref",
    "Io",
    "kappa_n",
    "kappa_p",
    "Ut",
    "Vth",
)


def generator_guess(
    nominal: DPINeuronModel,
    i_in: float,
    samples: int,
    *,
    cv: float = 0.10,
    seed: int = 0,
    kappa_n: float = 0.7,
    kappa_p: float = 0.7,
) -> tuple[list[DPINeuronModel], NDArray[np.float64]]:
    r"""The guessed alternative, as rockpool's mismatch generator makes it: every quantity of :data:`GUESS_NAMES`
    times its own independent factor :math:`1 + \mathrm{cv}\,z`, z standard normal (rockpool: 30 % at 3 sigma,
    i.e. cv 0.10, on each of its 25 parameters, the DC input, capacitors and physical constants included).

    DynapSim's own formulas carry the factors into the equation: tau = C_mem U_T/(kappa I_tau) with
    kappa = (kappa_n + kappa_p)/2 (``kappa_n``, ``kappa_p`` the nominal figures), gain I_gain/I_tau, the
    threshold, t_ref = Vth C_ref/I_ref, the reset level Io. Returns the models and each one's DC input.
    """
    z = np.random.default_rng(seed).standard_normal((samples, len(GUESS_NAMES)))
    f = dict(zip(GUESS_NAMES, np.clip(1.0 + cv * z, 1e-3, None).T, strict=True))
    kappa = (kappa_n * f["kappa_n"] + kappa_p * f["kappa_p"]) / (kappa_n + kappa_p)
    models = [
        DPINeuronModel(
            tau_mem_s=nominal.tau_mem_s * f["C_mem"][i] * f["Ut"][i] / (f["Itau_mem"][i] * kappa[i]),
            i_th_a=nominal.i_th_a * f["Igain_mem"][i],
            gain=nominal.gain * f["Igain_mem"][i] / f["Itau_mem"][i],
            threshold_a=nominal.threshold_a * f["Ispkthr"][i],
            refractory_s=nominal.refractory_s * f["Vth"][i] * f["C_ref"][i] / f["Iref"][i],
            i_reset_a=nominal.i_reset_a * f["Io"][i],
        )
        for i in range(samples)
    ]
    return models, i_in * f["Idc"]


def guess_rates(guess: tuple[Sequence[DPINeuronModel], NDArray[np.float64]]) -> NDArray[np.float64]:
    """Rates (Hz) of :func:`generator_guess`'s models (its return value), each at its own perturbed input."""
    models, inputs = guess
    return np.array([m.rate_hz(float(x)) for m, x in zip(models, inputs, strict=True)])
