* neurospice DPI synapse: differential pair integrator
* Bartolozzi C., Indiveri G., Neural Computation 19(10):2581-2603, 2007;
* topology as drawn in Chicca E. et al., Proc. IEEE 102(9):1367-1388, 2014.
*
* Ports
*   vdd   supply
*   vin   pre-synaptic pulse (active high, 0 .. vdd), gate of the input switch M_D3
*   vtau  leak bias gate (from a p-type bias cell carrying I_tau)
*   vthr  gain bias gate (from a p-type bias cell carrying I_th, the "I_g" current)
*   vw    weight bias gate (from an n-type bias cell carrying I_w)
*   vsyn  the integrating node (C_syn from vdd to vsyn)
*   out   drain of the output pFET M_D6: the synaptic current I_syn flows out of it
*
* Devices (nfet/pfet/cap are provided by the technology header)
*   M_D3  nFET  input switch, gate vin, in series with M_D2
*   M_D2  nFET  weight transistor, gate vw; its drain is the pair's tail ns
*   M_D1  nFET  pair branch, gate vthr, drain vdd: sets the gain current I_g
*   M_D4  nFET  pair branch, diode-connected on vsyn
*   M_D5  pFET  leak I_tau from vdd onto vsyn, gate vtau
*   C_syn cap   vdd to vsyn
*   M_D6  pFET  output transistor, I_syn = I0 exp(kappa_p (vdd - vsyn)/U_T)
*
* With I_syn >> I_g: tau dI_syn/dt + I_syn = (I_g/I_tau) I_w * s(t),  tau = C_syn U_T/(kappa_p I_tau)

* Threshold offsets: dvt_<device> (V, default 0) shifts that transistor's |V_T| (positive: weaker);
* Monte Carlo runs in pelgrom mode set them from Pelgrom draws.

.subckt dpi_synapse vdd vin vtau vthr vw vsyn out
+ c_syn=1.5e-12 w_in=1e-6 l_in=1e-6 w_w=1e-6 l_w=1e-6 w_thr=1e-6 l_thr=1e-6
+ w_tau=1e-6 l_tau=1e-6 w_out=1e-6 l_out=1e-6
+ dvt_md3=0 dvt_md2=0 dvt_md1=0 dvt_md4=0 dvt_md5=0 dvt_md6=0
XMD3 nw vin 0 0 nfet w={w_in} l={l_in} dvt={dvt_md3}
XMD2 ns vw nw 0 nfet w={w_w} l={l_w} dvt={dvt_md2}
XMD1 vdd vthr ns 0 nfet w={w_thr} l={l_thr} dvt={dvt_md1}
XMD4 vsyn vsyn ns 0 nfet w={w_thr} l={l_thr} dvt={dvt_md4}
XMD5 vsyn vtau vdd vdd pfet w={w_tau} l={l_tau} dvt={dvt_md5}
XCsyn vdd vsyn cap c={c_syn}
XMD6 out vsyn vdd vdd pfet w={w_out} l={l_out} dvt={dvt_md6}
.ends dpi_synapse
