* neurospice adaptive exponential I&F DPI neuron
* Livi P., Indiveri G., ISCAS 2009; Chicca E. et al., Proc. IEEE 102(9), 2014 (DYNAP-SE neuron).
*
* Ports
*   vdd    supply
*   iin    input node: the tail of the input DPI; input currents (a DC stimulus, the
*          output of DPI synapses) flow into it
*   vthr   gain bias gate of the input DPI (n-type bias cell carrying I_th)
*   vlk    leak bias gate (n-type bias cell carrying I_tau)
*   vspk   spike threshold bias gate (p-type bias cell carrying I_spkthr)
*   vfb    positive-feedback gain bias gate (p-type bias cell carrying I_fb)
*   vref   refractory bias gate (n-type bias cell carrying I_ref)
*   vahw   adaptation weight bias gate (p-type bias cell carrying I_ahw)
*   vahthr adaptation gain bias gate (n-type bias cell carrying I_ahthr)
*   vahtau adaptation leak bias gate (n-type bias cell carrying I_ahtau)
*   vhs    handshake current limit bias gate (p-type bias cell carrying I_hs)
*   vmem   membrane (C_mem to ground); I_mem = I0 exp(kappa_n vmem/U_T)
*   req    spike output (REQ, active high); the neuron acknowledges itself (ACK = delayed REQ)
*   vr     refractory node (C_R to ground)
*   vahp   adaptation node (C_ahp to ground)
*
* Blocks (every device is a technology transistor or capacitor)
*   input DPI / leak  ML1 pFET (gate vthr) and ML2 pFET (diode on vmem) share the tail iin;
*                     ML3 nFET leak (gate vlk) from vmem; C_mem.
*                     tau_mem = C_mem U_T/(kappa_n I_tau); DC gain I_th/I_tau.
*   spike threshold   MA1 nFET (gate vmem) against MA2 pFET carrying I_spkthr: node reqn
*                     (/REQ) falls when I_mem exceeds I_spkthr.
*   positive feedback MA3 pFET limited to I_fb by its bias, switched by MA4 (gate reqn):
*                     I_fb flows onto vmem as I_mem approaches threshold (exponential onset).
*   handshake         inverters MI1/MI2 give REQ, MI3/MI4, MI5/MI6 and MI7/MI8 give ACK and /ACK
*                     (REQ delayed): the acknowledge of an AER interface, closed locally. Each
*                     inverter is current-starved: its pull-up pFET draws through MH1..MH4
*                     (gate vhs), so no stage conducts more than I_hs while its input moves
*                     slowly (/REQ rises at I_spkthr after the reset). Without the limit the
*                     through-current of these inverters is ~0.8 nJ per spike at 3.3 V.
*   reset, refractory MR1 pFET (gate /ACK) charges C_R to vdd at each spike; MR2 nFET (gate vr)
*                     holds vmem at ground while vr is high; MR3 nFET (gate vref) discharges
*                     C_R at I_ref. t_ref = C_R (vdd - V_R*)/I_ref, V_R* the vr where MR2 no
*                     longer outweighs the input. vr drives the gate of MR2 only: no inverter
*                     follows the slow refractory ramp (Chicca et al. 2014, M_R6 on C_R).
*   adaptation (AHP)  a p-type DPI: MG1 pFET switch (gate /ACK, on during the spike pulse) in
*                     series with MG2 pFET (I_ahw) into the tail of MG3 (gate vahthr) / MG4
*                     (diode on vahp); MG5 nFET leak (I_ahtau); C_ahp; MG6 nFET (gate vahp)
*                     sinks I_ahp from vmem. The adaptation input is on for the acknowledge
*                     pulse (as the DYNAP-SE AHP block, switched by /ACK), so each spike adds
*                     the charge I_ahw t_pulse, t_pulse the pulse width (a few us).

* Threshold offsets: dvt_<device> (V, default 0) shifts that transistor's |V_T| (positive: weaker);
* Monte Carlo runs in pelgrom mode set them from Pelgrom draws.

.subckt dpi_neuron vdd iin vthr vlk vspk vfb vref vahw vahthr vahtau vhs vmem req vr vahp
+ c_mem=1.5e-12 c_ref=0.5e-12 c_ahp=1e-12
+ w_dpi=1e-6 l_dpi=1e-6 w_lk=1e-6 l_lk=1e-6 w_mem=1e-6 l_mem=1e-6
+ w_sw=1e-6 l_sw=0.5e-6 w_rst=1e-6 l_rst=1e-6 w_ahp=1e-6 l_ahp=1e-6 w_pw=0.22e-6 l_pw=4e-6
+ w_hs=1e-6 l_hs=1e-6
+ dvt_ml1=0 dvt_ml2=0 dvt_ml3=0 dvt_ma1=0 dvt_ma2=0 dvt_ma3=0 dvt_ma4=0 dvt_mi1=0
+ dvt_mi2=0 dvt_mi3=0 dvt_mi4=0 dvt_mi5=0 dvt_mi6=0 dvt_mi7=0 dvt_mi8=0 dvt_mh1=0
+ dvt_mh2=0 dvt_mh3=0 dvt_mh4=0 dvt_mr1=0 dvt_mr3=0 dvt_mr2=0 dvt_mg1=0 dvt_mg2=0
+ dvt_mg3=0 dvt_mg4=0 dvt_mg5=0 dvt_mg6=0
* input DPI and leak
XML1 0 vthr iin vdd pfet w={w_dpi} l={l_dpi} dvt={dvt_ml1}
XML2 vmem vmem iin vdd pfet w={w_dpi} l={l_dpi} dvt={dvt_ml2}
XML3 vmem vlk 0 0 nfet w={w_lk} l={l_lk} dvt={dvt_ml3}
XCmem vmem 0 cap c={c_mem}
* spike threshold (current comparator) and positive feedback
XMA1 reqn vmem 0 0 nfet w={w_mem} l={l_mem} dvt={dvt_ma1}
XMA2 reqn vspk vdd vdd pfet w={w_mem} l={l_mem} dvt={dvt_ma2}
XMA3 fb vfb vdd vdd pfet w={w_mem} l={l_mem} dvt={dvt_ma3}
XMA4 vmem reqn fb vdd pfet w={w_sw} l={l_sw} dvt={dvt_ma4}
* handshake: REQ and a locally closed ACK, current-starved inverters (I_hs)
XMH1 sh1 vhs vdd vdd pfet w={w_hs} l={l_hs} dvt={dvt_mh1}
XMI1 req reqn sh1 vdd pfet w={w_sw} l={l_sw} dvt={dvt_mi1}
XMI2 req reqn 0 0 nfet w={w_sw} l={l_sw} dvt={dvt_mi2}
XMH2 sh2 vhs vdd vdd pfet w={w_hs} l={l_hs} dvt={dvt_mh2}
XMI3 ackn req sh2 vdd pfet w={w_sw} l={l_sw} dvt={dvt_mi3}
XMI4 ackn req 0 0 nfet w={w_sw} l={l_sw} dvt={dvt_mi4}
XMH3 sh3 vhs vdd vdd pfet w={w_hs} l={l_hs} dvt={dvt_mh3}
XMI5 ack ackn sh3 vdd pfet w={w_sw} l={l_sw} dvt={dvt_mi5}
XMI6 ack ackn 0 0 nfet w={w_sw} l={l_sw} dvt={dvt_mi6}
XMH4 sh4 vhs vdd vdd pfet w={w_hs} l={l_hs} dvt={dvt_mh4}
XMI7 ackb ack sh4 vdd pfet w={w_sw} l={l_sw} dvt={dvt_mi7}
XMI8 ackb ack 0 0 nfet w={w_sw} l={l_sw} dvt={dvt_mi8}
* reset and refractory period
XMR1 vr ackb vdd vdd pfet w={w_pw} l={l_pw} dvt={dvt_mr1}
XCref vr 0 cap c={c_ref}
XMR3 vr vref 0 0 nfet w={w_rst} l={l_rst} dvt={dvt_mr3}
XMR2 vmem vr 0 0 nfet w={w_sw} l={l_sw} dvt={dvt_mr2}
* adaptation: p-type DPI charged during the acknowledge pulse
XMG1 ga ackb vdd vdd pfet w={w_sw} l={l_sw} dvt={dvt_mg1}
XMG2 gt vahw ga vdd pfet w={w_ahp} l={l_ahp} dvt={dvt_mg2}
XMG3 0 vahthr gt vdd pfet w={w_ahp} l={l_ahp} dvt={dvt_mg3}
XMG4 vahp vahp gt vdd pfet w={w_ahp} l={l_ahp} dvt={dvt_mg4}
XMG5 vahp vahtau 0 0 nfet w={w_ahp} l={l_ahp} dvt={dvt_mg5}
XCahp vahp 0 cap c={c_ahp}
XMG6 vmem vahp 0 0 nfet w={w_mem} l={l_mem} dvt={dvt_mg6}
.ends dpi_neuron
