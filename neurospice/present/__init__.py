"""Draw stored results: :mod:`.report` (HTML reports of runs) and :mod:`.plot` (figures of runs and sweeps).

This layer reads run folders only; it never imports the engines, so drawing a result never starts a simulator.
"""
