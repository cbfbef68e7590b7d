"""Run one circuit: :mod:`.simulation` (a deck through an engine, measured), :mod:`.characterization` (a
technology's I_D-V_G sweeps and kappa fits) and :mod:`.doctor` (what this machine can run)."""
