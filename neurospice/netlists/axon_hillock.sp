* neurospice Axon-Hillock neuron (Mead, Analog VLSI and Neural Systems, 1989;
* reviewed in Indiveri et al., Front. Neurosci. 5:73, 2011)
*
* Ports
*   vdd   supply
*   vmem  membrane: C_mem to ground; the input current flows into it
*   vout  spike output (second inverter)
*   vpw   reset bias gate (n-type bias cell carrying I_r)
*
* Devices
*   C_mem, C_fb  membrane capacitor and feedback capacitor (vout to vmem)
*   MN1/MP1      first inverter (vmem -> v1), MN2/MP2 second inverter (v1 -> vout)
*   MR1          nFET switch, gate vout; MR2 nFET, gate vpw, sets the reset current I_r
*
* Charge balance: V_hys = vdd C_fb/(C_mem + C_fb); the membrane charges by V_hys at I_in
* (t_low = (C_mem + C_fb) V_hys / I_in) and discharges by V_hys at I_r - I_in
* (t_high = (C_mem + C_fb) V_hys / (I_r - I_in)).

* Threshold offsets: dvt_<device> (V, default 0) shifts that transistor's |V_T| (positive: weaker);
* Monte Carlo runs in pelgrom mode set them from Pelgrom draws.

.subckt axon_hillock vdd vmem vout vpw
+ c_mem=1e-12 c_fb=0.5e-12 w_inv=1e-6 l_inv=1e-6 w_r=1e-6 l_r=1e-6
+ dvt_mp1=0 dvt_mn1=0 dvt_mp2=0 dvt_mn2=0 dvt_mr1=0 dvt_mr2=0
XCmem vmem 0 cap c={c_mem}
XCfb vout vmem cap c={c_fb}
XMP1 v1 vmem vdd vdd pfet w={w_inv} l={l_inv} dvt={dvt_mp1}
XMN1 v1 vmem 0 0 nfet w={w_inv} l={l_inv} dvt={dvt_mn1}
XMP2 vout v1 vdd vdd pfet w={w_inv} l={l_inv} dvt={dvt_mp2}
XMN2 vout v1 0 0 nfet w={w_inv} l={l_inv} dvt={dvt_mn2}
XMR1 vmem vout nr 0 nfet w={w_r} l={l_r} dvt={dvt_mr1}
XMR2 nr vpw 0 0 nfet w={w_r} l={l_r} dvt={dvt_mr2}
.ends axon_hillock
