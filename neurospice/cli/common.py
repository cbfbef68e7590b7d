"""What every command shares: option types, input checks, and the mapping of errors to exit statuses.

Bad input (a ParameterError, or a ValueError neurospice's own code raised) exits 2 with one line naming the
parameter; another library's ValueError is an internal error (exit 1); a failed
simulation, a failed write or a missing installation exits 1; an interrupted Monte Carlo run
exits 128 + the signal after saying how to resume it.
"""

from __future__ import annotations

import contextlib
import math
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any, NoReturn, TypeVar

import click
import typer

from ..montecarlo import RUN_OPTIONS
from ..ngspice_models import TechnologyError
from ..params import ParameterError, ParamSpec
from ..params.options import SimOptions
from ._app import say_error

T = TypeVar("T")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")

TechOpt = Annotated[str, typer.Option("--tech", "-t", help="technology: gf180mcu, sky130 or ekv")]
CircuitTechOpt = Annotated[
    str | None,
    typer.Option(
        "--tech", "-t", help="technology: gf180mcu, sky130 or ekv (default: a netlist's own PDK, else gf180mcu)"
    ),
]
SetOpt = Annotated[list[str] | None, typer.Option("--set", "-s", help="NAME=VALUE, SI prefixes allowed (5p, 5pA)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object")]
SpecOpt = Annotated[
    list[str] | None,
    typer.Option("--spec", help="METRIC=LOW:HIGH (either side may be empty), SI prefixes allowed: judged, with yield"),
]
FailOnSpecOpt = Annotated[bool, typer.Option(help="exit 1 when a spec is not met (by the run, or by every sample)")]
TstopOpt = Annotated[str | None, typer.Option(help="transient length (s)")]
SpikeNodeOpt = Annotated[str | None, typer.Option(help="user netlists: the node whose spikes are measured")]
DescribeOpt = Annotated[
    Path | None, typer.Option(help="user netlists: the description TOML (default: NETLIST.toml beside it)")
]
IncludeDirOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--include-dir",
        help="user netlists: a folder besides the netlist's own that its .include/.lib lines may read (repeatable)",
    ),
]
AccuracyOpt = Annotated[
    str | None,
    typer.Option(
        help="simulator accuracy preset: fast, default, reference, undamped or legacy "
        "(measured errors and costs: the accuracy benchmark in the docs)"
    ),
]
EngineOpt = Annotated[
    str,
    typer.Option(
        help="simulator: ngspice, or vacask (optional, GF180MCU, pelgrom mismatch; measured in the docs' benchmarks)"
    ),
]
CircuitArg = Annotated[str, typer.Argument(help="a circuit name (neurospice circuits) or a netlist file")]


def help_of(spec: ParamSpec, name: str) -> str:
    """An option's help text from its declaration: description, unit, accepted range."""
    p = spec[name]
    return f"{p.description} ({p.accepted()})"


def option(spec: ParamSpec, name: str, text: str | None) -> Any:
    """The value of a declared run option given as text (SI prefixes allowed), or None when not given."""
    return None if text is None else spec[name].coerce(text)


def sim_options(text: str | None, engine: str = "ngspice") -> SimOptions | None:
    """The simulator options of ``--accuracy`` on ``engine`` (None when not given: the engine's default applies)."""
    from ..params.options import accuracy

    return None if text is None else accuracy(text, engine)


def engine_for(name: str, tech: Any) -> str:
    """``--engine``, checked against the technology before anything runs."""
    from ..engines import check_engine

    return check_engine(name, tech)


def bad_input(message: str) -> NoReturn:
    say_error(message, 2)
    raise typer.Exit(2)


def guard(fn: Callable[[], T], step: str = "") -> T:
    """Run ``fn``; bad input exits 2, a missing installation, failed simulation or failed write exits 1.

    Only neurospice's own errors are bad input; anything else is an internal error, exit 1, naming
    ``step`` (what the command was doing: ``fn``'s name when not given)."""
    step = step or ("" if getattr(fn, "__name__", "<lambda>") == "<lambda>" else fn.__name__)
    where = f" in {step}" if step else ""
    from ..engines import SimulationError
    from ..montecarlo import RunInterrupted
    from ..netlists.gate import UnsafeDeckError
    from ..store import StoreError

    try:
        return fn()
    except RunInterrupted as exc:
        interrupted(exc)
    except StoreError as exc:
        say_error(
            f"parameter 'out': {exc.strerror}; the samples stored before are intact: "
            "free space and run the same command with --resume",
            1,
        )
        raise typer.Exit(1) from None
    except (ValueError, FileExistsError, FileNotFoundError, NotADirectoryError) as exc:
        if not isinstance(exc, ParameterError) and not raised_here(exc):
            # a library's ValueError (matplotlib, pandas...) is no statement about the user's input
            internal(exc, where)
        bad_input(str(exc))
    except UnsafeDeckError as exc:
        say_error(f"internal error: {exc}", 1)
        raise typer.Exit(1) from None
    except (TechnologyError, SimulationError, OSError) as exc:
        say_error(" | ".join(str(exc).strip().splitlines()) or type(exc).__name__, 1)
        raise typer.Exit(1) from None
    except (typer.Exit, typer.Abort, click.ClickException, KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # a bug, not the user's input: one line naming the step, exit 1
        internal(exc, where)


def internal(exc: BaseException, where: str) -> NoReturn:
    """An unexpected error: one line, exit 1 (the message of another library, shortened; never a traceback)."""
    say_error(f"internal error{where} ({type(exc).__name__}: {' '.join(str(exc).split())[:300]})", 1)
    raise typer.Exit(1) from None


_PACKAGE = Path(__file__).resolve().parents[1]


def raised_here(exc: BaseException) -> bool:
    """Whether neurospice's own code raised ``exc`` (the innermost frame of its traceback is in the package)."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return Path(tb.tb_frame.f_code.co_filename).resolve().is_relative_to(_PACKAGE)


def interrupted(exc: Any) -> NoReturn:
    """A Monte Carlo run stopped by Ctrl-C: say what is stored and how to finish it; exit 128 + signal."""
    if exc.out is not None and (exc.out / "manifest.json").is_file():
        argv = [a for a in sys.argv[1:] if a != "--resume"]
        typer.echo(f"{exc}\nresume with: neurospice {' '.join(argv)} --resume", err=True)
    else:
        typer.echo("interrupted before any sample was stored; nothing was written", err=True)
    raise typer.Exit(128 + exc.signum)


def overrides_from(items: list[str] | None, spike_node: str | None = None) -> dict[str, str]:
    """``--set NAME=VALUE`` items (each name once) and ``--spike-node`` as the ``spike_node`` parameter."""
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not NAME.match(name):
            raise ParameterError(item, "expected NAME=VALUE with NAME a parameter name (see `neurospice show`)")
        if name in out:
            raise ParameterError(name, f"given twice with --set ({out[name]!r}, {value.strip()!r}); give it once")
        out[name] = value.strip()
    if spike_node is not None:
        if "spike_node" in out:
            raise ParameterError("spike_node", "given with both --spike-node and --set; give it once")
        out["spike_node"] = spike_node
    return out


def parse_tstop(text: str | None, default: float) -> float:
    from ..params.units import parse_si
    from ..sim.simulation import validate_tstop

    if text is None:
        return default
    try:
        value = parse_si(text, "s")
    except ValueError:
        raise ParameterError("tstop", f"got {text!r}; accepted: a time in [1 ns, 1000 s]") from None
    return validate_tstop(value)


def technology(name: str | None, circuit: Any = None) -> Any:
    """The technology named, or when none is: the one a user netlist's PDK lines and devices name, else the default."""
    from ..ngspice_models import DEFAULT_TECHNOLOGY, get_technology

    if name is None:
        name = (circuit.technology_hint() if circuit is not None else None) or DEFAULT_TECHNOLOGY
    return get_technology(name)


def shown_name(name: str) -> str:
    """A circuit's name as printed: a netlist path relative to the working folder when it lies inside it."""
    path = Path(name)
    if path.is_absolute():
        with contextlib.suppress(ValueError):
            return str(path.relative_to(Path.cwd().resolve()))
    return name


def circuit_named(name: str, describe: Path | None = None, include_dirs: list[Path] | None = None) -> Any:
    from ..circuits import get_circuit

    return get_circuit(name, str(describe) if describe is not None else None, [str(d) for d in include_dirs or []])


def check_new_run(out: Path | None, resume: bool) -> None:
    """A new run's --out must be a new or empty folder this process can write (checked before any work)."""
    from ..store import check_new_dir

    if out is not None and not resume:
        check_new_dir(out, resume_hint=True)


def check_run_options(resume: bool, report: bool, out: Path | None) -> None:
    """Options that need --out."""
    if resume and out is None:
        raise ParameterError("resume", "needs --out (the folder of the run to finish)")
    if report and out is None:
        raise ParameterError("report", "needs --out (the report is written there as report.html)")


def number_list(text: str | None, name: str, unit: str, whole: bool = False) -> list[Any] | None:
    """Comma-separated values (SI prefixes allowed), or None; refuses anything else naming ``name``."""
    from ..params.units import parse_si

    if text is None:
        return None
    kind = "whole numbers" if whole else f"numbers in {unit or 'plain units'}"
    try:
        items = [parse_si(x.strip(), unit) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ParameterError(name, f"got {text[:60]!r}; accepted: comma-separated {kind}") from None
    if not items or not all(math.isfinite(x) for x in items) or (whole and any(x != int(x) for x in items)):
        raise ParameterError(name, f"got {text[:60]!r}; accepted: comma-separated {kind}")
    return [int(x) for x in items] if whole else items


@contextlib.contextmanager
def progress_bar(show: bool, total: int, label: str = "mismatch") -> Iterator[Callable[[int, int, int], None]]:
    """The run's progress bar (samples done, failures, rate, time left) when ``show``; otherwise silent."""
    if not show:
        yield lambda done, failed, n: None
        return
    from ..montecarlo.progress import ProgressDisplay

    bar = ProgressDisplay(label)
    bar(0, 0, total)  # drawn at once, not at the first stored sample
    try:
        yield bar
    finally:
        bar.close()


# ----------------------------------------------------------------------------- run options

SamplesOpt = Annotated[str, typer.Option("--samples", "-n", help=help_of(RUN_OPTIONS, "samples"))]


SeedOpt = Annotated[str | None, typer.Option(help=help_of(RUN_OPTIONS, "seed"))]


ModeOpt = Annotated[str | None, typer.Option("--mismatch", help=help_of(RUN_OPTIONS, "mismatch"))]


WorkersOpt = Annotated[str | None, typer.Option(help=help_of(RUN_OPTIONS, "workers"))]


TimeoutOpt = Annotated[str | None, typer.Option(help=help_of(RUN_OPTIONS, "timeout"))]


GraceOpt = Annotated[str | None, typer.Option(help=help_of(RUN_OPTIONS, "grace"))]


OutOpt = Annotated[Path | None, typer.Option(help="folder for manifest.json, samples/*.parquet and the tables")]


ResumeOpt = Annotated[bool, typer.Option(help="finish an interrupted run in --out")]


DaskOpt = Annotated[str | None, typer.Option(help="Dask scheduler address (tcp://host:8786)")]


QuietOpt = Annotated[bool, typer.Option(help="no progress bar")]


SamplingOpt = Annotated[str | None, typer.Option(help=help_of(RUN_OPTIONS, "sampling"))]
TargetCiOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--target-ci",
        help="stop when METRIC:STAT=WIDTH is met (STAT mean, sd or cv; WIDTH 5% of the estimate, 0.5pt of a CV, "
        "or 10us); --samples is the cap; repeatable",
    ),
]
PilotOpt = Annotated[str | None, typer.Option(help=help_of(RUN_OPTIONS, "pilot"))]
BatchOpt = Annotated[str | None, typer.Option(help=help_of(RUN_OPTIONS, "batch"))]
EstimatorOpt = Annotated[str | None, typer.Option(help=help_of(RUN_OPTIONS, "estimator"))]


def stopping_rule(
    targets: list[str] | None,
    pilot: str | None,
    batch: str | None,
    estimator: str | None,
    found: tuple[Any, Any, Any, str],
    sweep: bool = False,
) -> Any:
    """The ``--target-ci`` rule (None without targets), its cheap models built for the circuit at its values
    (``found``: circuit, technology, values, mismatch mode); refused before anything runs."""
    from ..montecarlo.sequential import Stopping, check_sweep_estimator, parse_target

    given = {k: v for k, v in (("pilot", pilot), ("batch", batch), ("estimator", estimator)) if v is not None}
    if not targets:
        if given:
            first = next(iter(given))
            raise ParameterError(first, "applies to --target-ci (for a stored run: neurospice estimate RUN_DIR)")
        return None
    circuit, tech, values, mode = found
    units = {m.name: m.unit for m in circuit.metrics}
    parsed = tuple(parse_target(t, units) for t in targets)
    opts = {k: option(RUN_OPTIONS, k, v) for k, v in given.items()}
    rule = Stopping(parsed, **opts)
    rule.check(10_000_000, mode)
    if sweep:
        check_sweep_estimator(rule.estimator)
    if rule.estimator in ("closed-form", "equation"):
        from ..studies.estimate import rule_with_models

        rule = rule_with_models(rule, circuit, tech, values)
    return rule


def print_stopping(outcome: dict[str, Any] | None, units: dict[str, str]) -> None:
    """What a stopping rule decided: per group its samples and reason, and the last reading of each target."""
    from ..params.units import format_si

    if not outcome:
        return
    last: dict[int, dict[str, Any]] = {}
    for reading in outcome["checkpoints"]:
        last[reading["group"]] = reading
    for row in outcome["per_group"]:
        reading = last.get(row["group"], {})
        where = f"point {row['group']}: " if len(outcome["per_group"]) > 1 else ""
        typer.echo(f"  stopped: {where}{row['samples']} SPICE samples, {row['reason']}")
        for name, est in reading.items():
            if not isinstance(est, dict):
                continue
            metric, _, stat = name.partition(":")
            stat = stat.split("=")[0]
            unit = "" if stat == "cv" else units.get(metric, "")

            def shown(v: float, unit: str = unit, stat: str = stat) -> str:
                return f"{100 * v:.3f} %" if stat == "cv" else (format_si(v, unit) if unit else f"{v:.5g}")

            rho = f", rho {est['rho']:.4f}" if math.isfinite(est["rho"]) else ""
            typer.echo(
                f"    {name}: {stat} {shown(est['value'])} [{shown(est['low'])}, {shown(est['high'])}] "
                f"({est.get('model') or est['method']}{rho})"
            )


def run_options(**texts: str | None) -> dict[str, Any]:
    """Declared run options from their text (None where not given: the library's default applies)."""
    return {name: option(RUN_OPTIONS, name, text) for name, text in texts.items()}


def specs_for(texts: list[str] | None, circuit: Any) -> list[Any]:
    """The ``--spec`` options, validated against the circuit's declared metrics (before anything runs)."""
    from ..params.specs import parse_spec

    units = {m.name: m.unit for m in circuit.metrics}
    return [parse_spec(text, units) for text in texts or []]


def print_specs(found: Any, units: dict[str, str], nominal: bool, header: bool = True) -> bool:
    """Each spec's verdict (one run: pass or FAIL; a population: the yield with its interval, Cpk, the worst
    sample); whether every spec is met."""
    from ..analysis.specs import YIELD_INTERVAL
    from ..params.units import format_si

    def shown(value: float, unit: str) -> str:
        return format_si(value, unit) if unit else f"{value:.5g}"

    if len(found) and header:
        typer.echo("specs" + ("" if nominal else f" (yield with its {YIELD_INTERVAL} 95 % interval):"))
    met = True
    for row in (SimpleNamespace(**r, yield_=r["yield"]) for r in found.to_dict("records")):
        unit = units.get(row.metric, "")
        limits = " ".join(
            part
            for part in (
                f">= {shown(row.low, unit)}" if math.isfinite(row.low) else "",
                f"<= {shown(row.high, unit)}" if math.isfinite(row.high) else "",
            )
            if part
        )
        ok = row.passed == row.n
        met &= ok
        if nominal:
            typer.echo(
                f"  {row.metric:22s} {limits:24s} {shown(row.worst_value, unit):>12s}  {'pass' if ok else 'FAIL'}"
            )
            continue
        typer.echo(
            f"  {row.metric:22s} {limits:24s} yield {100 * row.yield_:.1f} % [{100 * row.ci_low:.1f}, "
            f"{100 * row.ci_high:.1f}] ({row.passed}/{row.n}), Cpk {row.cpk:.2f}, worst sample {row.worst_row}: "
            f"{shown(row.worst_value, unit)}  {'pass' if ok else 'FAIL'}"
        )
    return met


def spec_records(judged: Any) -> list[dict[str, Any]]:
    """A judged spec table as JSON records (an open limit is null)."""
    return [
        {k: None if isinstance(v, float) and math.isinf(v) else v for k, v in row.items() if k != "worst_case"}
        for row in judged.to_dict("records")
    ]
