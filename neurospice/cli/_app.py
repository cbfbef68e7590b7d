"""The Typer application, one-line usage errors, and the entry point."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import typer
import typer.core


class _OneLineErrors(typer.core.TyperGroup):
    """Usage errors (a wrong type, an unknown option) as one line naming the option, exit 2; Ctrl-C exits 130."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except typer.Abort:
            typer.echo("interrupted", err=True)
            sys.exit(130)
        except typer.TyperException as exc:  # typer's usage errors (BadParameter, NoSuchOption, ...)
            if type(exc).__name__ != "NoArgsIsHelpError":  # typer has printed the help for that one
                text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
                typer.echo(f"error: {' '.join(text.split())}", err=True)
            sys.exit(getattr(exc, "exit_code", 2))
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Subthreshold neuromorphic circuits in ngspice.",
)


def _stop_now(signum: int, frame: object) -> None:
    """Ctrl-C while ngspice runs in this process (simulate, sweep, characterize, reports): leave at once.

    ngspice's analysis cannot be interrupted from Python (a KeyboardInterrupt raised in its
    callbacks is ignored and the analysis goes on). Outputs are written atomically, so removing
    the temporary files in flight leaves nothing half-written. Monte Carlo runs install their
    own handler for the duration of the run (stop dispatching, store what finished).
    """
    from ..store import remove_partial

    remove_partial()
    os.write(2, b"interrupted\n")
    os._exit(128 + signum)


def main() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGINT, _stop_now)
    app()
