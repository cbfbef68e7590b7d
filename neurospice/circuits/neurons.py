"""Silicon neurons: the adaptive exponential I&F DPI neuron and the Axon-Hillock neuron."""

from __future__ import annotations

import warnings

import numpy as np

from ..analysis.closed_form import dpi_tau
from ..analysis.mismatch_closed_form import dpi_neuron_cv
from ..analysis.spikes import InsufficientSpikesWarning, detect_spikes, firing_latency, firing_rate, isi_cv, isi_rate
from ..analysis.waveform import fit_exponential_decay
from ..netlists import read_netlist
from ..ngspice_models import Technology, TechnologyFacts
from ..params import Param, ParamSpec, Values
from ..params.options import SimOptions
from ..params.units import spice_number
from .base import CONDITIONS, Circuit, bias_instance, numbers, spice_values
from .bench import Bench
from .cost import AREA_METRICS, POWER_METRICS, SPIKE_ENERGY
from .dpi_synapse import DPISynapse, input_params, size_params, synapse_elements
from .records import SUPPLY_PROBE, Element, Instance, Metric, Probe, Waveforms

__all__ = ["AxonHillock", "DPINeuron", "spike_metrics"]


#: the spike metrics of :func:`spike_metrics`
SPIKE_METRICS = (
    Metric("n_spikes", "", "spikes in the run"),
    Metric("rate_hz", "Hz", "spikes after the input onset per second after it"),
    Metric("isi_rate_hz", "Hz", "1 / mean inter-spike interval after the onset (steady rate)"),
    Metric("latency_s", "s", "first spike after the input onset"),
    Metric("isi_cv", "", "CV of the inter-spike intervals (regularity)"),
)


def spike_metrics(t: np.ndarray, spikes: np.ndarray, onset: float) -> dict[str, float]:
    """n_spikes, rate over [onset, end), steady ISI rate, latency from ``onset``, ISI CV (NaN when undefined)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientSpikesWarning)
        after = spikes[spikes >= onset]
        return {
            "n_spikes": float(spikes.size),
            "rate_hz": firing_rate(spikes, onset, float(t[-1])) if t[-1] > onset else float("nan"),
            "isi_rate_hz": isi_rate(after),
            "latency_s": firing_latency(spikes, onset),
            "isi_cv": isi_cv(after),
        }


def _dc_params(i_in: float, high: float) -> tuple[Param, ...]:
    return (
        Param("i_in", "A", "DC input current stimulus (ideal source) into the input node", i_in, 0.0, high),
        Param("dc_start", "s", "time the DC input switches on", 0.01, 0.0, 1e3),
        Param("dc_stop", "s", "time the DC input switches off", 1e3, 0.0, 1e3),
    )


def _dc_mean(values: Values, t0: float, t1: float) -> float:
    """Mean of the DC stimulus i_in over [t0, t1] (it is on between dc_start and dc_stop)."""
    on = max(0.0, min(t1, values.number("dc_stop")) - max(t0, values.number("dc_start")))
    return values.number("i_in") * on / (t1 - t0) if t1 > t0 else 0.0


def _dc_source(values: Values, node: str) -> str:
    """Ideal current stimulus ``i_in`` from vdd into ``node`` between dc_start and dc_stop (1 us edges)."""
    i, t0, t1 = values.number("i_in"), values.number("dc_start"), values.number("dc_stop")
    pts = [(0.0, 0.0), (t0, 0.0), (t0 + 1e-6, i)] if t0 > 0 else [(0.0, i)]
    if t1 > t0:
        pts += [(t1, i), (t1 + 1e-6, 0.0)]
    return f"Iin vdd {node} PWL(" + " ".join(f"{spice_number(a)} {spice_number(b)}" for a, b in pts) + ")"


class DPINeuron(Circuit):
    """Adaptive exponential integrate-and-fire DPI neuron (DYNAP-SE class), at transistor level.

    Blocks and devices are listed in ``netlists/dpi_neuron.sp``: input DPI with leak (I_tau) and
    gain (I_th), a current comparator against I_spkthr that switches on a positive feedback
    current I_fb (the exponential onset), REQ and a locally closed ACK through current-starved
    inverters (none draws more than I_hs), reset with a refractory capacitor discharged at I_ref
    whose node drives only the reset transistor, and an AHP DPI switched by the acknowledge pulse
    (``pulse_s``) that subtracts I_ahp from the membrane (off when ``i_ahw = 0``). No gate follows
    a slow ramp unstarved: at the defaults a spike costs about 22 pJ on GF180MCU (3.3 V).

    Inputs: a DC current step ``i_in`` (an ideal stimulus source) and/or a DPI synapse
    (``input_kind`` other than ``none``; parameters ``syn_*``) whose output current flows into
    the neuron's input node, both summed there.

    Closed forms: tau_mem = C_mem U_T/(kappa_n I_tau) below threshold; the refractory period
    t_ref = C_ref (vdd - V_R*)/I_ref, V_R* the refractory-node voltage at release (the reset
    transistor MR2 no longer outweighs the input); the rate saturates below 1/t_ref.
    """

    name = "dpi-neuron"
    title = "Adaptive exponential I&F DPI neuron (Livi & Indiveri 2009; Chicca et al. 2014)"
    description = __doc__ or ""
    netlists = ("bias", "dpi_synapse", "dpi_neuron")
    default_tstop = 0.2
    #: the input DPI, leak, comparator/feedback, refractory discharge, adaptation, and the synapse's analog devices
    analog_sizes = tuple(
        f"{p}{d}_{g}"
        for p, groups in (("", ("dpi", "lk", "mem", "rst", "ahp")), ("syn_", ("w", "thr", "tau", "out")))
        for g in groups
        for d in "wl"
    )
    spike_probe = "req"
    reset_probe = "v_r"  # the refractory node charges at every spike (MR1, gated by the acknowledge)
    metrics = (
        *SPIKE_METRICS,
        Metric("tau_mem_pred_s", "s", "C_mem U_T/(kappa_n I_tau)", "closed form", "tau_mem_s"),
        Metric("refractory_s", "s", "from a spike until the membrane leaves reset (5 mV above its held level)"),
        Metric("v_r_release_v", "V", "refractory-node voltage V_R* when the membrane is released"),
        Metric(
            "v_r_release_pred_v",
            "V",
            "V_R* where MR2 (drain at 5 mV) sinks exactly I_in: (U_T/kappa_n) "
            "ln(I_in L_sw/(W_sw I0_n (1 - exp(-5 mV/U_T)))); NaN without a DC input",
            "closed form",
            "v_r_release_v",
        ),
        Metric(
            "refractory_pred_s",
            "s",
            "C_ref (vdd - V_R*)/I_ref with the closed-form V_R* (parameters and the technology's kappa_n, I0_n only)",
            "closed form",
            "refractory_s",
        ),
        Metric(
            "refractory_model_s",
            "s",
            "C_ref (vdd - V_R*)/I_ref with the V_R* measured in this run",
            "model, measured inputs",
            "refractory_s",
        ),
        Metric("tau_mem_s", "s", "membrane decay after the DC input switches off (NaN while it is on)"),
        Metric("pulse_s", "s", "mean width of the acknowledge pulse (/ACK low), the adaptation's gate"),
        *AREA_METRICS,
        *POWER_METRICS,
        SPIKE_ENERGY,
    )
    params = ParamSpec(
        (
            *_dc_params(500e-12, 1e-6),
            Param("i_tau", "A", "membrane leak I_tau: tau_mem = C_mem U_T/(kappa I_tau)", 5e-12, 1e-14, 1e-8),
            Param("i_th", "A", "input DPI gain bias I_th (gain I_th/I_tau)", 50e-12, 1e-14, 1e-8),
            Param("i_spkthr", "A", "spike threshold: I_mem at which the comparator switches", 1e-9, 1e-12, 1e-6),
            Param("i_fb", "A", "positive feedback current I_fb (exponential onset and upstroke)", 100e-9, 1e-11, 1e-5),
            Param("i_ref", "A", "refractory bias I_ref (t_ref = C_ref (vdd - V_R*)/I_ref)", 0.5e-9, 1e-13, 1e-6),
            Param(
                "i_ahw",
                "A",
                "adaptation weight I_ahw, on during the acknowledge pulse (0: adaptation off)",
                0.0,
                0.0,
                1e-5,
            ),
            Param("i_ahthr", "A", "adaptation DPI gain bias", 10e-12, 1e-14, 1e-8),
            Param("i_ahtau", "A", "adaptation leak: tau_ahp = C_ahp U_T/(kappa I_ahtau)", 1e-12, 1e-14, 1e-8),
            Param(
                "i_hs",
                "A",
                "handshake current limit I_hs: the most any REQ/ACK inverter draws (sets the pulse edges)",
                100e-9,
                1e-10,
                1e-4,
            ),
            Param("c_mem", "F", "membrane capacitor C_mem", 1.5e-12, 1e-15, 1e-10),
            Param("c_ref", "F", "refractory capacitor C_ref", 0.5e-12, 1e-15, 1e-10),
            Param("c_ahp", "F", "adaptation capacitor C_ahp", 1e-12, 1e-15, 1e-10),
            Param("vdd", "V", "supply voltage", 3.3, 1.0, 3.6),
            *CONDITIONS,
            *size_params(
                ("dpi", "input DPI pair ML1/ML2", 1e-6, 1e-6),
                ("lk", "leak transistor ML3", 1e-6, 1e-6),
                ("mem", "membrane-current, comparator and feedback transistors", 1e-6, 1e-6),
                ("sw", "switches and inverters", 1e-6, 0.5e-6),
                ("rst", "refractory discharge MR3 (long: DIBL would speed up the discharge)", 1e-6, 4e-6),
                ("ahp", "adaptation DPI", 1e-6, 1e-6),
                ("pw", "refractory charge switch MR1", 0.22e-6, 4e-6),
                ("hs", "handshake current limiters MH1-MH4", 1e-6, 1e-6),
            ),
            *input_params(rate=200.0, count=0, start=0.01, width=1e-3, kinds=("none", "regular", "poisson", "times")),
            *(
                Param("syn_" + p.name, p.unit, "synapse: " + p.description, p.default, p.low, p.high, p.kind)
                for p in DPISynapse.params
                if p.name.startswith(("i_", "c_", "w_", "l_"))
            ),
        )
    )
    probes = (
        Probe("v_mem", "vmem", "V", "membrane voltage (I_mem = I0 exp(kappa V_mem/U_T))"),
        Probe("req", "req", "V", "spike output REQ (active high)"),
        Probe("v_r", "vr", "V", "refractory node (C_ref)"),
        Probe("ack_n", "xn.ackb", "V", "/ACK, active low: the acknowledge pulse (charges C_ref, gates the adaptation)"),
        Probe("v_ahp", "vahp", "V", "adaptation node (I_ahp = I0 exp(kappa V_ahp/U_T))"),
        Probe("v_syn", "vsyn", "V", "synapse integrating node (flat when input_kind=none)"),
        SUPPLY_PROBE,
    )

    def onset(self, values: Values) -> float:
        return values.number("dc_start") if values.number("i_in") > 0 else values.number("input_start")

    def stimulus_from_vdd(self, values: Values, t0: float, t1: float) -> float:
        return _dc_mean(values, t0, t1)

    def instances(self, values: Values) -> tuple[tuple[str, str, str, str], ...]:
        own = (("Xn", "dpi_neuron", "dpi_neuron", ""),)
        return own if values.word("input_kind") == "none" else (*own, ("Xsyn", "dpi_synapse", "dpi_synapse", "syn_"))

    def predicted_cv(self, values: Values, tech: Technology, facts: TechnologyFacts) -> dict[str, dict[str, object]]:
        """Closed-form CVs of ``tau_mem_s`` (leak ML3) and ``refractory_s`` (discharge MR3)."""
        return dpi_neuron_cv(self.device_sigmas(values, tech), kappa_n=facts.kappa_n, ut=facts.ut_v)

    def elements(self, values: Values, tech: Technology, tstop: float) -> tuple[Element, ...]:
        v = spice_values(values)
        biases = [
            ("vthr", "n", "i_th", "dpi"),
            ("vlk", "n", "i_tau", "lk"),
            ("vspk", "p", "i_spkthr", "mem"),
            ("vfb", "p", "i_fb", "mem"),
            ("vref", "n", "i_ref", "rst"),
            ("vahw", "p", "i_ahw", "ahp"),
            ("vahthr", "n", "i_ahthr", "ahp"),
            ("vahtau", "n", "i_ahtau", "ahp"),
            ("vhs", "p", "i_hs", "hs"),
        ]
        lines: list[Element] = [f"Vdd vdd 0 {v['vdd']}", _dc_source(values, "iin")]
        lines += [
            bias_instance(f"Xb_{g}", g, t, values.number(i), values.number("w_" + s), values.number("l_" + s))
            for g, t, i, s in biases
        ]
        if values.word("input_kind") != "none":
            lines += synapse_elements(values, tstop, "iin", prefix="syn_")
        else:
            lines.append("Rsyn vsyn 0 1")  # keeps the v_syn probe defined
        sizes = numbers(values, *(k for k in v if k.startswith(("w_", "l_", "c_"))))
        nodes = [
            "vdd",
            "iin",
            "vthr",
            "vlk",
            "vspk",
            "vfb",
            "vref",
            "vahw",
            "vahthr",
            "vahtau",
            "vhs",
            "vmem",
            "req",
            "vr",
            "vahp",
        ]
        lines.append(Instance("Xn", tuple(nodes), "dpi_neuron", sizes))
        lines.append(
            ".nodeset v(vmem)=0 v(vr)=0 v(req)=0 v(vahp)=0 v(xn.reqn)={0} v(xn.ackn)={0} v(xn.ack)=0 "
            "v(xn.ackb)={0}".format(v["vdd"])
        )
        return tuple(lines)

    def feedback_deck(self, values: Values, tech: Technology, step: float = 1e-3) -> str:
        """DC characterisation of the spike-threshold comparator and positive feedback (MA1-MA4), nominal devices.

        The membrane is held by a voltage source swept from 0 to 1.2 V; the current MA4 delivers onto
        it flows through the 0 V source ``Via`` (vector ``via#branch``), the comparator's biases come from
        the same bias cells as in the neuron. The feedback transfer I_a(V_mem) of the published
        equation (Chicca et al. 2014) is read from it.
        """
        v = spice_values(values)
        return "\n".join(
            [
                f"* neurospice positive-feedback characterisation: {self.name} on {tech.name}",
                tech.header(False),
                read_netlist("bias"),
                f"Vdd vdd 0 {v['vdd']}",
                "Vmem vmem 0 0",
                "Via ia vmem 0",
                f"Xb_spk vdd vspk bias_p ibias={v['i_spkthr']} w={v['w_mem']} l={v['l_mem']}",
                f"Xb_fb vdd vfb bias_p ibias={v['i_fb']} w={v['w_mem']} l={v['l_mem']}",
                f"XMA1 reqn vmem 0 0 nfet w={v['w_mem']} l={v['l_mem']}",
                f"XMA2 reqn vspk vdd vdd pfet w={v['w_mem']} l={v['l_mem']}",
                f"XMA3 fb vfb vdd vdd pfet w={v['w_mem']} l={v['l_mem']}",
                f"XMA4 ia reqn fb vdd pfet w={v['w_sw']} l={v['l_sw']}",
                SimOptions().spice(),
                f".dc Vmem 0 1.2 {spice_number(step)}",
                ".end",
                "",
            ]
        )

    def measure(self, bench: Bench, waves: Waveforms) -> dict[str, float]:
        values, facts = bench.values, bench.facts
        t, vdd = waves["time"], values.number("vdd")
        spikes = self.spike_times(waves, values)
        onset = values.number("dc_start") if values.number("i_in") > 0 else values.number("input_start")
        kappa, ut = facts.kappa_n, facts.ut_v
        m = spike_metrics(t, spikes, onset)
        m["tau_mem_pred_s"] = dpi_tau(values.number("c_mem"), values.number("i_tau"), kappa, ut)
        # refractory: from each spike until the membrane leaves its reset level (5 mV above it)
        ends = [*spikes[1:], float(t[-1])] if spikes.size else []
        released = [(s, _release(t, waves["v_mem"], s, e)) for s, e in zip(spikes, ends, strict=True)]
        pairs = [(s, r) for s, r in released if np.isfinite(r)]
        m["refractory_s"] = float(np.mean([r - s for s, r in pairs])) if pairs else float("nan")
        m["v_r_release_v"] = (
            float(np.mean([np.interp(r, t, waves["v_r"]) for _, r in pairs])) if pairs else float("nan")
        )
        c_ref, i_ref, i_in = values.number("c_ref"), values.number("i_ref"), values.number("i_in")
        i0 = facts.i0_n_a * values.number("w_sw") / values.number("l_sw")
        # released when MR2, its drain at the 5 mV the membrane has risen, no longer sinks I_in:
        # I0 (W/L) exp(kappa V_R*/U_T) (1 - exp(-5 mV/U_T)) = I_in
        drain = 1.0 - float(np.exp(-RELEASE_RISE / ut))
        m["v_r_release_pred_v"] = ut / kappa * float(np.log(i_in / (i0 * drain))) if i_in > 0 else float("nan")
        m["refractory_pred_s"] = c_ref * (vdd - m["v_r_release_pred_v"]) / i_ref
        m["refractory_model_s"] = c_ref * (vdd - m["v_r_release_v"]) / i_ref
        # membrane time constant from the decay after the DC input switches off (I_mem from V_mem)
        stop = values.number("dc_stop")
        i_mem = np.exp(kappa * waves["v_mem"] / ut)
        fit = fit_exponential_decay(t, i_mem, t_start=stop + 2e-6, low=0.02) if stop < t[-1] else None
        m["tau_mem_s"] = fit.tau if fit is not None else float("nan")
        acks = detect_spikes(t, -waves["ack_n"], -vdd / 2)
        m["pulse_s"] = pulse_width(t, -waves["ack_n"], acks, -vdd / 2)
        return m


def pulse_width(t: np.ndarray, v: np.ndarray, rises: np.ndarray, level: float) -> float:
    """Mean time from each rising crossing in ``rises`` to the next fall of ``v`` below ``level`` (NaN: none)."""
    falls = detect_spikes(t, -v, -level)
    widths = [f - s for s in rises for f in falls[falls > s][:1]]
    return float(np.mean(widths)) if widths else float("nan")


#: how far above its held level the membrane must rise to count as released (V)
RELEASE_RISE = 0.005


def _release(t: np.ndarray, v: np.ndarray, t0: float, t1: float, rise: float = RELEASE_RISE) -> float:
    """When the membrane leaves reset after the spike at ``t0``: after its lowest point before ``t1``, the first
    time it is ``rise`` above it (NaN if it never is). A fixed level (20 mV) would add the membrane's own
    charging time, which at a fast refractory discharge is most of what is measured."""
    inside = np.flatnonzero((t > t0) & (t < t1))
    if inside.size < 2:
        return float("nan")
    low = inside[int(np.argmin(v[inside]))]
    after = inside[inside > low]
    k = after[v[after] >= v[low] + rise]
    return float(t[k[0]]) if k.size else float("nan")


class AxonHillock(Circuit):
    """Axon-Hillock neuron (Mead 1989): capacitive feedback around two inverters, reset bias V_pw.

    The input is an ideal DC current stimulus into the membrane. Charge balance gives
    V_hys = vdd C_fb/(C_mem + C_fb), t_low = (C_mem + C_fb) V_hys / I_in and
    t_high = (C_mem + C_fb) V_hys / (I_r - I_in) (Indiveri et al., Front. Neurosci. 5:73, 2011).
    No leak, no refractory period.
    """

    name = "axon-hillock"
    title = "Axon-Hillock neuron (Mead 1989)"
    description = __doc__ or ""
    netlists = ("bias", "axon_hillock")
    default_tstop = 0.03
    analog_sizes = ("w_inv", "l_inv", "w_r", "l_r")
    spike_probe = "v_out"
    reset_probe, reset_falls = "v_mem", True  # every spike discharges the membrane

    def reset_window(self, values: Values) -> float:
        """The membrane falls during the high phase: allow twice its charge-balance length."""
        c, cfb, i_in, i_r, vdd = (values.number(k) for k in ("c_mem", "c_fb", "i_in", "i_r", "vdd"))
        t_high = (c + cfb) * vdd * cfb / (c + cfb) / (i_r - i_in) if i_r > i_in else 1.0
        return 2 * t_high + 1e-3

    metrics = (
        *SPIKE_METRICS,
        Metric("t_low_pred_s", "s", "charging phase (C_mem + C_fb) V_hys / I_in", "closed form"),
        Metric("t_high_pred_s", "s", "reset phase (C_mem + C_fb) V_hys / (I_r - I_in)", "closed form", "t_high_s"),
        Metric("period_pred_s", "s", "t_low + t_high (charge balance)", "closed form", "period_s"),
        Metric("period_s", "s", "1 / ISI rate"),
        Metric("t_high_s", "s", "mean width of the output pulse"),
        *AREA_METRICS,
        *POWER_METRICS,
        SPIKE_ENERGY,
    )
    params = ParamSpec(
        (
            *_dc_params(1e-9, 1e-5),
            Param("i_r", "A", "reset current I_r set by V_pw (must exceed i_in)", 5e-9, 1e-12, 1e-4),
            Param("c_mem", "F", "membrane capacitor C_mem", 1e-12, 1e-15, 1e-10),
            Param("c_fb", "F", "feedback capacitor C_fb", 0.5e-12, 1e-15, 1e-10),
            Param("vdd", "V", "supply voltage", 3.3, 1.0, 3.6),
            *CONDITIONS,
            *size_params(
                ("inv", "inverter transistors", 1e-6, 1e-6),
                ("r", "reset transistors MR1, MR2 (long: DIBL would raise I_r above its bias)", 1e-6, 4e-6),
            ),
        )
    )
    probes = (
        Probe("v_mem", "vmem", "V", "membrane voltage"),
        Probe("v_out", "vout", "V", "spike output (second inverter)"),
        SUPPLY_PROBE,
    )

    def onset(self, values: Values) -> float:
        return values.number("dc_start")

    def stimulus_from_vdd(self, values: Values, t0: float, t1: float) -> float:
        return _dc_mean(values, t0, t1)

    def instances(self, values: Values) -> tuple[tuple[str, str, str, str], ...]:
        return (("Xn", "axon_hillock", "axon_hillock", ""),)

    def elements(self, values: Values, tech: Technology, tstop: float) -> tuple[Element, ...]:
        return (
            f"Vdd vdd 0 {spice_number(values.number('vdd'))}",
            bias_instance("Xb_pw", "vpw", "n", *(values.number(k) for k in ("i_r", "w_r", "l_r"))),
            _dc_source(values, "vmem"),
            Instance(
                "Xn",
                ("vdd", "vmem", "vout", "vpw"),
                "axon_hillock",
                numbers(values, "c_mem", "c_fb", "w_inv", "l_inv", "w_r", "l_r"),
            ),
        )

    def measure(self, bench: Bench, waves: Waveforms) -> dict[str, float]:
        values = bench.values
        t, out, vdd = waves["time"], waves["v_out"], values.number("vdd")
        spikes = self.spike_times(waves, values)
        m = spike_metrics(t, spikes, values.number("dc_start"))
        c, cfb, i_in, i_r = (values.number(k) for k in ("c_mem", "c_fb", "i_in", "i_r"))
        v_hys = vdd * cfb / (c + cfb)
        m["t_low_pred_s"] = (c + cfb) * v_hys / i_in if i_in > 0 else float("inf")
        m["t_high_pred_s"] = (c + cfb) * v_hys / (i_r - i_in) if i_r > i_in else float("inf")
        m["period_pred_s"] = m["t_low_pred_s"] + m["t_high_pred_s"]
        m["period_s"] = 1.0 / m["isi_rate_hz"] if np.isfinite(m["isi_rate_hz"]) else float("nan")
        m["t_high_s"] = pulse_width(t, out, spikes, vdd / 2)
        return m
