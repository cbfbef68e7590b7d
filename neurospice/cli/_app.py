"""The Typer application, one-line usage errors, and the entry point."""

from __future__ import annotations

import json
import os
import signal
import sys
from contextvars import ContextVar
from typing import Any

import typer
import typer.core

#: whether the command line asked for --json: errors are then one JSON object on stdout
JSON_ERRORS: ContextVar[bool] = ContextVar("JSON_ERRORS", default=False)

#: the commands in the order the help lists them (each panel keeps this order)
COMMAND_ORDER = (
    "simulate",
    "sweep",
    "mismatch",
    "precision",
    "budget",
    "run",
    "estimate",
    "report",
    "datasheet",
    "plot",
    "export",
    "extract",
    "circuits",
    "show",
    "netlist",
    "characterize",
    "fetch",
    "doctor",
)


#: what each option and argument takes, as the help shows it (the values are parsed by neurospice itself, so the
#: options are text to click: without these the help would call every one of them <str>)
METAVARS = {
    "--accuracy": "PRESET",
    "--batch": "N",
    "--bits": "BITS,...",
    "--calibrate": "CV",
    "--cluster-sizes": "K,...",
    "--clusters": "K,...",
    "--confidence": "LEVEL",
    "--dask": "tcp://HOST:PORT",
    "--describe": "FILE.toml",
    "--duration": "SECONDS",
    "--engine": "ENGINE",
    "--estimator": "ESTIMATOR",
    "--grace": "SECONDS",
    "--include-dir": "DIR",
    "--input-rate": "HZ",
    "--l": "METRES",
    "--metric": "METRIC",
    "--mismatch": "MODE",
    "--neurons": "N",
    "--out": "PATH",
    "--param": "NAME",
    "--phase-spread": "SECONDS",
    "--pilot": "N",
    "--samples": "N",
    "--sampling": "DESIGN",
    "--scales": "S,...",
    "--seed": "INT",
    "--set": "NAME=VALUE",
    "--settle": "SECONDS",
    "--shuffles": "N",
    "--spec": "METRIC=LOW:HIGH",
    "--spike-node": "NODE",
    "--statistic": "STAT",
    "--target-ci": "METRIC:STAT=WIDTH",
    "--tech": "TECH",
    "--timeout": "SECONDS",
    "--to": "FORMAT",
    "--tstop": "SECONDS",
    "--values": "V1,V2,...",
    "--vary": "NAME=SPEC",
    "--vds": "VOLTS",
    "--vsb": "VOLTS",
    "--w": "METRES",
    "--windows": "SECONDS,...",
    "--workers": "N",
    "circuit": "CIRCUIT",
    "device": "DEVICE",
    "run": "RUN_DIR",
    "run_dir": "RUN_DIR",
    "study": "STUDY.toml",
    "technology": "TECH",
}


def say_error(text: str, code: int) -> None:
    """One error line, ``error: TEXT`` on stderr; under ``--json``, ``{"error": TEXT, "exit_code": CODE}`` on stdout."""
    if JSON_ERRORS.get():
        typer.echo(json.dumps({"error": text, "exit_code": code}))
    else:
        typer.echo(f"error: {text}", err=True)


class _OneLineErrors(typer.core.TyperGroup):
    """Usage errors (a wrong type, an unknown option) as one line naming the option, exit 2; Ctrl-C exits 130."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            for param in command.params:
                if getattr(param, "is_flag", False):
                    param.metavar = ""
                elif param.opts[0] in METAVARS or param.name in METAVARS:
                    param.metavar = METAVARS.get(param.opts[0]) or METAVARS[str(param.name)]

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: COMMAND_ORDER.index(n) if n in COMMAND_ORDER else len(COMMAND_ORDER))

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        argv = kwargs.get("args") if kwargs.get("args") is not None else (args[0] if args else sys.argv[1:])
        JSON_ERRORS.set("--json" in list(argv or []))
        try:
            code = super().main(*args, **kwargs)
        except typer.Abort:
            typer.echo("interrupted", err=True)
            sys.exit(130)
        except typer.TyperException as exc:  # typer's usage errors (BadParameter, NoSuchOption, ...)
            if type(exc).__name__ != "NoArgsIsHelpError":  # typer has printed the help for that one
                text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
                say_error(" ".join(text.split()), getattr(exc, "exit_code", 2))
            sys.exit(getattr(exc, "exit_code", 2))
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Subthreshold neuromorphic circuits in ngspice: simulate, sweep and Monte Carlo your circuit, then report it. "
    "Shell completion: neurospice --install-completion.",
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"neurospice {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="print neurospice's version and exit"
    ),
) -> None:
    """Subthreshold neuromorphic circuits in ngspice."""


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
