"""Studies: multi-step experiments built on the run layer, each storing its results with the run.

- :mod:`~neurospice.studies.precision`: the population-precision experiment (cluster size x window).
"""
