* neurospice shared bias generator cells.
*
* A chip's bias generator delivers a reference current per bias; on chip it is
* mirrored into a gate voltage by a diode-connected transistor and that voltage is
* shared by every instance in a core. These cells are that diode: the ideal current
* source stands for the bias generator's output current (an allowed ideal element),
* the diode transistor is a real device of the technology, built from the
* mismatch-free "_bias" variant so that all instances see the same bias voltage.
*
* bias_n: n-type bias. ibias flows from vdd into an nFET diode to ground; vg is its
*         gate. An nFET of the same size with its source at ground and gate vg sinks ibias.
* bias_p: p-type bias. ibias flows out of a pFET diode from vdd to ground; vg is its
*         gate. A pFET of the same size with its source at vdd and gate vg sources ibias.

.subckt bias_n vdd vg ibias=1e-12 w=1e-6 l=1e-6
Iref vdd vg {ibias}
XMb vg vg 0 0 nfet_bias w={w} l={l}
.ends bias_n

.subckt bias_p vdd vg ibias=1e-12 w=1e-6 l=1e-6
Iref vg 0 {ibias}
XMb vg vg vdd vdd pfet_bias w={w} l={l}
.ends bias_p
