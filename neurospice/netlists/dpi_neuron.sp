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
*   handshake         inverters MI1/MI2 give REQ, MI3/MI4 and MI5/MI6 give ACK (REQ delayed):
*                     the acknowledge of an AER interface, closed locally.
*   reset, refractory MR1 pFET (gate /ACK) charges C_R to vdd at each spike; MR2 nFET (gate vr)
*                     holds vmem at ground while vr is high; MR3 nFET (gate vref) discharges
*                     C_R at I_ref. t_ref = C_R (vdd - V_R*)/I_ref, V_R* the vr where MR2 no
*                     longer outweighs the input.
*   adaptation (AHP)  a p-type DPI: MG1 pFET switch (gate /REF, on while vr is high) in
*                     series with MG2 pFET (I_ahw) into the tail of MG3 (gate vahthr) / MG4
*                     (diode on vahp); MG5 nFET leak (I_ahtau); C_ahp; MG6 nFET (gate vahp)
*                     sinks I_ahp from vmem. The adaptation input is on for the refractory
*                     period (the spike extended by C_R), so each spike adds charge I_ahw t_ref.

.subckt dpi_neuron vdd iin vthr vlk vspk vfb vref vahw vahthr vahtau vmem req vr vahp
+ c_mem=1.5e-12 c_ref=0.5e-12 c_ahp=1e-12
+ w_dpi=1e-6 l_dpi=1e-6 w_lk=1e-6 l_lk=1e-6 w_mem=1e-6 l_mem=1e-6
+ w_sw=1e-6 l_sw=0.5e-6 w_rst=1e-6 l_rst=1e-6 w_ahp=1e-6 l_ahp=1e-6 w_pw=0.22e-6 l_pw=4e-6
* input DPI and leak
XML1 0 vthr iin vdd pfet w={w_dpi} l={l_dpi}
XML2 vmem vmem iin vdd pfet w={w_dpi} l={l_dpi}
XML3 vmem vlk 0 0 nfet w={w_lk} l={l_lk}
XCmem vmem 0 cap c={c_mem}
* spike threshold (current comparator) and positive feedback
XMA1 reqn vmem 0 0 nfet w={w_mem} l={l_mem}
XMA2 reqn vspk vdd vdd pfet w={w_mem} l={l_mem}
XMA3 fb vfb vdd vdd pfet w={w_mem} l={l_mem}
XMA4 vmem reqn fb vdd pfet w={w_sw} l={l_sw}
* handshake: REQ and a locally closed ACK
XMI1 req reqn vdd vdd pfet w={w_sw} l={l_sw}
XMI2 req reqn 0 0 nfet w={w_sw} l={l_sw}
XMI3 ackn req vdd vdd pfet w={w_sw} l={l_sw}
XMI4 ackn req 0 0 nfet w={w_sw} l={l_sw}
XMI5 ack ackn vdd vdd pfet w={w_sw} l={l_sw}
XMI6 ack ackn 0 0 nfet w={w_sw} l={l_sw}
XMI7 ackb ack vdd vdd pfet w={w_sw} l={l_sw}
XMI8 ackb ack 0 0 nfet w={w_sw} l={l_sw}
* reset and refractory period
XMR1 vr ackb vdd vdd pfet w={w_pw} l={l_pw}
XCref vr 0 cap c={c_ref}
XMR3 vr vref 0 0 nfet w={w_rst} l={l_rst}
XMR2 vmem vr 0 0 nfet w={w_sw} l={l_sw}
* adaptation: p-type DPI charged during the refractory period
XMI9 refn vr vdd vdd pfet w={w_sw} l={l_sw}
XMI10 refn vr 0 0 nfet w={w_sw} l={l_sw}
XMG1 ga refn vdd vdd pfet w={w_sw} l={l_sw}
XMG2 gt vahw ga vdd pfet w={w_ahp} l={l_ahp}
XMG3 0 vahthr gt vdd pfet w={w_ahp} l={l_ahp}
XMG4 vahp vahp gt vdd pfet w={w_ahp} l={l_ahp}
XMG5 vahp vahtau 0 0 nfet w={w_ahp} l={l_ahp}
XCahp vahp 0 cap c={c_ahp}
XMG6 vmem vahp 0 0 nfet w={w_mem} l={l_mem}
.ends dpi_neuron
