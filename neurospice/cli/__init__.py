"""The ``neurospice`` command line: small commands that parse, call the library, and render.

- :mod:`._app`: the Typer application, one-line usage errors, Ctrl-C, the entry point.
- :mod:`.common`: option types, run options parsed through their declarations
  (:data:`neurospice.montecarlo.RUN_OPTIONS`, :data:`neurospice.studies.precision.STUDY_OPTIONS`),
  error-to-exit-status mapping.
- one module per command: :mod:`.simulate`, :mod:`.plot`, :mod:`.sweep`, :mod:`.mismatch`, :mod:`.report`,
  :mod:`.study`, :mod:`.budget`, :mod:`.run`, :mod:`.extract`, :mod:`.export`, :mod:`.show`, :mod:`.netlist`,
  :mod:`.circuits`, :mod:`.characterize`, :mod:`.fetch`, :mod:`.doctor`, :mod:`.datasheet`, :mod:`.estimate`.

Bad input prints one line naming the parameter and what is accepted, exits with status 2 and
leaves no output behind; a failed run exits 1; Ctrl-C exits 130.
"""

from __future__ import annotations

from . import (  # noqa: F401  (each module registers its command on the app)
    budget,
    characterize,
    circuits,
    datasheet,
    doctor,
    estimate,
    export,
    extract,
    fetch,
    mismatch,
    netlist,
    plot,
    report,
    run,
    show,
    simulate,
    study,
    sweep,
)
from ._app import app, main

__all__ = ["app", "main"]
