"""The ``neurospice`` command line: small commands that parse, call the library, and render.

- :mod:`._app`: the Typer application, one-line usage errors, Ctrl-C, the entry point.
- :mod:`.common`: option types, run options parsed through their declarations
  (:data:`neurospice.montecarlo.RUN_OPTIONS`, :data:`neurospice.studies.precision.STUDY_OPTIONS`),
  error-to-exit-status mapping.
- :mod:`.info`, :mod:`.single`, :mod:`.sweep`, :mod:`.mc`, :mod:`.study`: the commands.

Bad input prints one line naming the parameter and what is accepted, exits with status 2 and
leaves no output behind; a failed run exits 1; Ctrl-C exits 130.
"""

from __future__ import annotations

from . import budget, export, extract, info, mc, run, single, study, sweep
from ._app import app, main

__all__ = ["app", "budget", "export", "extract", "info", "main", "mc", "run", "single", "study", "sweep"]
