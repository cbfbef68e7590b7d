"""The ``neurospice`` command line: a thin layer over the Python API.

Bad input (unknown circuit, technology or parameter, a value out of range or not a number)
prints one line naming the parameter and what is accepted, exits with status 2 and leaves
no output behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
import typer.core

from .ngspice_models import DEFAULT_TECHNOLOGY, TechnologyError
from .params import ParameterError


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

T = TypeVar("T")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

TechOpt = Annotated[str, typer.Option("--tech", "-t", help="technology: gf180mcu or ekv")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", "-s", help="NAME=VALUE, SI prefixes allowed (5p, 5pA)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object")]
GraceOpt = Annotated[
    float, typer.Option(help="after Ctrl-C, seconds running samples may take to finish (a second Ctrl-C: none)")
]


def _bad_input(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _guard(fn: Callable[[], T]) -> T:
    """Run ``fn``; bad input exits 2, a missing installation, failed simulation or failed write exits 1."""
    from .engine import SimulationError
    from .montecarlo import RunInterrupted
    from .store import StoreError

    try:
        return fn()
    except RunInterrupted as exc:
        _interrupted(exc)
    except StoreError as exc:
        typer.echo(f"error: parameter 'out': {exc.strerror}; the samples stored before are intact: "
                   "free space and run the same command with --resume", err=True)  # fmt: skip
        raise typer.Exit(1) from None
    except (ParameterError, ValueError, FileExistsError, FileNotFoundError, NotADirectoryError) as exc:
        _bad_input(str(exc))
    except (TechnologyError, SimulationError, OSError) as exc:
        typer.echo(f"error: {' | '.join(str(exc).strip().splitlines()) or type(exc).__name__}", err=True)
        raise typer.Exit(1) from None


def _interrupted(exc: Any) -> NoReturn:
    """A Monte Carlo run stopped by Ctrl-C: say what is stored and how to finish it; exit 128 + signal."""
    if exc.out is not None and (exc.out / "manifest.json").is_file():
        argv = [a for a in sys.argv[1:] if a != "--resume"]
        typer.echo(f"{exc}\nresume with: neurospice {' '.join(argv)} --resume", err=True)
    else:
        typer.echo("interrupted before any sample was stored; nothing was written", err=True)
    raise typer.Exit(128 + exc.signum)


def _overrides(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not _NAME.match(name):
            raise ParameterError(item, "expected NAME=VALUE with NAME a parameter name (see `neurospice show`)")
        if name in out:
            raise ParameterError(name, f"given twice with --set ({out[name]!r}, {value.strip()!r}); give it once")
        out[name] = value.strip()
    return out


def _tstop(text: str | None, default: float) -> float:
    from .simulation import validate_tstop
    from .units import parse_si

    if text is None:
        return default
    try:
        value = parse_si(text, "s")
    except ValueError:
        raise ParameterError("tstop", f"got {text!r}; accepted: a time in [1 µs, 1000 s]") from None
    return validate_tstop(value)


def _tech(name: str) -> Any:
    from .ngspice_models import get_technology

    return get_technology(name)


def _circuit(name: str) -> Any:
    from .circuits import get_circuit

    return get_circuit(name)


@app.command()
def doctor() -> None:
    """Report ngspice, its library and the installed technologies; exit 1 if something is missing."""
    from .doctor import run_checks

    checks = run_checks()
    for check in checks:
        typer.echo(f"{'ok ' if check.ok else 'MISSING'} {check.name}: {check.detail}")
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


@app.command()
def fetch(
    technology: Annotated[str, typer.Argument(help="technology to fetch")] = "gf180mcu",
    force: Annotated[bool, typer.Option(help="download again even if cached")] = False,
) -> None:
    """Download a technology's models into the cache and verify them."""
    from .ngspice_models import fetch_gf180mcu

    if technology != "gf180mcu":
        _bad_input(f"parameter 'technology': got {technology!r}; accepted: gf180mcu (ekv is embedded)")
    path = _guard(lambda: fetch_gf180mcu(force=force))
    typer.echo(f"gf180mcu models verified in {path}")


@app.command()
def characterize(
    device: Annotated[str, typer.Argument(help="nmos or pmos")],
    tech: TechOpt = DEFAULT_TECHNOLOGY,
    w: Annotated[str, typer.Option(help="width (m)")] = "1u",
    l: Annotated[str, typer.Option(help="length (m)")] = "1u",
    vds: Annotated[str, typer.Option(help="|V_DS| of the sweep (V)")] = "0.5",
    vsb: Annotated[str, typer.Option(help="|V_SB| source-bulk reverse bias (V)")] = "0",
    as_json: JsonOpt = False,
) -> None:
    """Extract kappa, subthreshold slope and I0 from a simulated I_D-V_G sweep."""
    from .params import Param

    def run() -> dict[str, object]:
        from .characterization import characterize as run_characterize

        if device not in ("nmos", "pmos"):
            raise ParameterError("device", f"got {device!r}; accepted: nmos, pmos")
        size = {
            "w": Param("w", "m", "width", 1e-6, 0.22e-6, 100e-6).coerce(w),
            "l": Param("l", "m", "length", 1e-6, 0.28e-6, 100e-6).coerce(l),
            "vds": Param("vds", "V", "drain-source", 0.5, 0.1, 3.3).coerce(vds),
            "vsb": Param("vsb", "V", "source-bulk", 0.0, 0.0, 3.3).coerce(vsb),
        }
        result = run_characterize(_tech(tech), device, **size)  # type: ignore[arg-type]
        return result.as_dict()

    data = _guard(run)
    if as_json:
        typer.echo(json.dumps(data))
        return
    typer.echo(f"{data['device']} on {data['technology']}, W={data['w_m']:g} m L={data['l_m']:g} m, "
               f"|Vds|={data['vds_v']:g} V, |Vsb|={data['vsb_v']:g} V")  # fmt: skip
    for key in ("kappa", "n", "slope_v_per_decade", "i0_a", "r2"):
        typer.echo(f"  {key:20s} {data[key]:.5g}")


@app.command()
def circuits() -> None:
    """List the circuits."""
    from .circuits import CIRCUITS

    for name, cls in CIRCUITS.items():
        typer.echo(f"{name:16s} {cls.title}")


@app.command()
def show(circuit: Annotated[str, typer.Argument(help="circuit name")]) -> None:
    """Print a circuit's parameters with units, defaults and ranges, and its probes."""
    from .units import format_si

    c = _guard(lambda: _circuit(circuit))
    typer.echo(f"{c.name}: {c.title}\n")
    typer.echo(f"{'parameter':14s} {'unit':5s} {'default':>12s}  accepted / description")
    for p in c.params:
        default = p.default if isinstance(p.default, str) else (
            format_si(float(p.default), p.unit) if not isinstance(p.default, tuple) else "-")  # fmt: skip
        typer.echo(f"{p.name:14s} {p.unit:5s} {default!s:>12s}  {p.accepted()}\n{'':34s}{p.description}")
    typer.echo("\nprobes:")
    for probe in c.probes:
        typer.echo(f"  {probe.name:10s} {probe.unit:3s} {probe.description}")


@app.command()
def netlist(
    circuit: Annotated[str, typer.Argument(help="circuit name")],
    tech: TechOpt = DEFAULT_TECHNOLOGY,
    set_: SetOpt = None,
    tstop: Annotated[str | None, typer.Option(help="transient length (s)")] = None,
) -> None:
    """Print the complete testbench deck (loads in plain `ngspice -b`)."""

    def run() -> str:
        c = _circuit(circuit)
        values = c.params.resolve(_overrides(set_))
        t = _tstop(tstop, c.default_tstop)
        return str(c.deck(values, _tech(tech), t))

    typer.echo(_guard(run), nl=False)


@app.command()
def simulate(
    circuit: Annotated[str, typer.Argument(help="circuit name")],
    tech: TechOpt = DEFAULT_TECHNOLOGY,
    set_: SetOpt = None,
    tstop: Annotated[str | None, typer.Option(help="transient length (s)")] = None,
    out: Annotated[Path | None, typer.Option(help="folder for waveforms.parquet, metrics.csv, run.json")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate a circuit, print its metrics (and closed-form predictions), optionally write them."""
    from .simulation import simulate as run_simulate
    from .store import check_new_dir, result_json, write_run

    def prepare() -> tuple[Any, Any, dict[str, str], float]:
        c, t = _circuit(circuit), _tech(tech)
        ov = _overrides(set_)
        c.params.resolve(ov)  # validate before anything runs or is written
        if out is not None:
            check_new_dir(out)
        return c, t, ov, _tstop(tstop, c.default_tstop)

    c, t, ov, stop = _guard(prepare)
    result = _guard(lambda: run_simulate(c, t, ov, tstop=stop))
    if out is not None:
        _guard(lambda: write_run(result, out))
    if as_json:
        typer.echo(json.dumps(result_json(result)))
        return
    _print_summary(result, out)


@app.command()
def sweep(
    circuit: Annotated[str, typer.Argument(help="circuit name")],
    param: Annotated[str, typer.Option("--param", "-p", help="parameter to sweep")],
    values: Annotated[str, typer.Option("--values", "-v", help="comma-separated values, SI prefixes allowed")],
    tech: TechOpt = DEFAULT_TECHNOLOGY,
    set_: SetOpt = None,
    tstop: Annotated[str | None, typer.Option(help="transient length (s)")] = None,
    out: Annotated[Path | None, typer.Option(help="CSV file for the table (refused if it exists)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate once per value of one parameter and print the metrics table (f-I curves, tau vs bias...)."""
    from .simulation import sweep as run_sweep
    from .store import atomic_write, check_new_file

    def prepare() -> tuple[Any, Any, dict[str, str], float, list[str]]:
        c, t = _circuit(circuit), _tech(tech)
        ov = _overrides(set_)
        if not _NAME.match(param) or param not in c.params:
            raise ParameterError(param, f"unknown parameter; accepted names: {', '.join(p.name for p in c.params)}")
        items = [x.strip() for x in values.split(",") if x.strip()]
        if not items:
            raise ParameterError(param, "--values is empty; give comma-separated values")
        for item in items:
            c.params.resolve({**ov, param: item})
        if out is not None:
            check_new_file(out)
        return c, t, ov, _tstop(tstop, c.default_tstop), items

    c, t, ov, stop, items = _guard(prepare)
    table = _guard(lambda: run_sweep(c, t, param, items, ov, tstop=stop))
    if out is not None:
        _guard(lambda: atomic_write(out, lambda p: table.to_csv(p, index=False)))
    if as_json:
        typer.echo(table.to_json(orient="records"))
    else:
        typer.echo(table.to_string(index=False))


@app.command()
def mismatch(
    circuit: Annotated[str, typer.Argument(help="circuit name")],
    tech: TechOpt = DEFAULT_TECHNOLOGY,
    samples: Annotated[int, typer.Option("--samples", "-n", help="number of Monte Carlo samples")] = 100,
    seed: Annotated[int, typer.Option(help="master seed; per-sample seeds are derived and recorded")] = 1,
    set_: SetOpt = None,
    tstop: Annotated[str | None, typer.Option(help="transient length (s)")] = None,
    mode: Annotated[str, typer.Option("--mismatch", help="pdk (technology's model) or pelgrom (drawn here)")] = "pdk",
    workers: Annotated[int | None, typer.Option(help="worker processes (default: all cores)")] = None,
    out: Annotated[Path | None, typer.Option(help="folder for manifest.json and samples/*.parquet")] = None,
    resume: Annotated[bool, typer.Option(help="finish an interrupted run in --out")] = False,
    keep_waveforms: Annotated[bool, typer.Option(help="also store every sample's waveforms")] = False,
    dask: Annotated[str | None, typer.Option(help="Dask scheduler address (tcp://host:8786)")] = None,
    timeout: Annotated[float | None, typer.Option(help="seconds one sample may take (local workers)")] = None,
    grace: GraceOpt = 5.0,
    keep_spikes: Annotated[bool, typer.Option(help="also store every sample's spike times")] = False,
    report: Annotated[
        bool, typer.Option(help="write --out/report.html (histograms, CVs, Pelgrom, contributions)")
    ] = False,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Monte Carlo mismatch: N samples with recorded seeds, streamed to --out, resumable."""
    from .montecarlo import monte_carlo, summary

    _check_run_options(workers, resume, report, out)

    def prepare() -> tuple[Any, Any, dict[str, str], float]:
        c, t = _circuit(circuit), _tech(tech)
        ov = _overrides(set_)
        c.params.resolve(ov)
        _check_new_run(out, resume)
        return c, t, ov, _tstop(tstop, c.default_tstop)

    c, t, ov, stop = _guard(prepare)
    show = not quiet and sys.stderr.isatty()
    with _progress(show, samples) as update:
        table = _guard(
            lambda: monte_carlo(
                c,
                t,
                samples=samples,
                seed=seed,
                overrides=ov,
                tstop=stop,
                workers=workers,
                mismatch=mode,  # type: ignore[arg-type]  # validated by monte_carlo
                out=out,
                resume=resume,
                keep_waveforms=keep_waveforms,
                client=dask,
                progress=update,
                timeout=timeout,
                keep_spikes=keep_spikes,
                grace=grace,
            )
        )
    result = summary(table)
    if report and out is not None:
        from .report import write_mismatch_report
        from .studies.mismatch import store_report_inputs

        _guard(lambda: store_report_inputs(out, seed=seed))
        result["report"] = str(_guard(lambda: write_mismatch_report(out)))
    if as_json:
        typer.echo(json.dumps({"circuit": c.name, "technology": t.name, "mismatch": mode, "seed": seed,
                               "out": str(out) if out else None, **result}))  # fmt: skip
        return
    typer.echo(f"{c.name} on {t.name}, {result['samples']} samples ({mode} mismatch, seed {seed}): "
               f"{result['ok']} ok, {_failures(result)}; CV across devices, ddof=1")  # fmt: skip
    for name, st in result["metrics"].items():
        typer.echo(f"  {name:22s} mean {st['mean']:.5g}  sd {st['std']:.4g}  CV {100 * st['cv']:.2f} %")
    if out is not None:
        typer.echo(f"  table: neurospice.load_run({str(out)!r})")
    if "report" in result:
        typer.echo(f"  report: {result['report']}")
    _exit_if_none_ok(result, table)


def _failures(result: dict[str, Any]) -> str:
    """``3 failed (1 did not converge, 1 timed out, 1 crashed; 2 needed a retry)``."""
    parts = [f"{result[k]} {what}" for k, what in (("failed_sim", "did not converge"), ("timeout", "timed out"),
                                                    ("crashed", "crashed")) if result[k]]  # fmt: skip
    retried = f"{result['retried']} needed a retry" if result["retried"] else ""
    detail = "; ".join(x for x in (", ".join(parts), retried) if x)
    return f"{result['failed']} failed" + (f" ({detail})" if detail else "")


def _exit_if_none_ok(result: dict[str, Any], table: Any) -> None:
    if result["samples"] and not result["ok"]:
        first = table["message"].iloc[0] if len(table) else ""
        typer.echo(f"error: no sample succeeded; first failure: {first}", err=True)
        raise typer.Exit(1)


def _check_new_run(out: Path | None, resume: bool) -> None:
    """A new run's --out must be a new or empty folder this process can write (checked before any work)."""
    from .store import check_new_dir

    if out is not None and not resume:
        check_new_dir(out, resume_hint=True)


def _check_run_options(workers: int | None, resume: bool, report: bool, out: Path | None) -> None:
    if workers is not None and not 1 <= workers <= 1024:
        _bad_input(f"parameter 'workers': got {workers}; accepted: a whole number in [1, 1024]")
    if resume and out is None:
        _bad_input("parameter 'resume': needs --out (the folder of the run to finish)")
    if report and out is None:
        _bad_input("parameter 'report': needs --out (the report is written there as report.html)")


def _number_list(text: str | None, name: str, unit: str, whole: bool = False) -> list[Any] | None:
    """Comma-separated values (SI prefixes allowed), or None; refuses anything else naming ``name``."""
    from .units import parse_si

    if text is None:
        return None
    kind = "whole numbers" if whole else f"numbers in {unit or 'plain units'}"
    try:
        items = [parse_si(x.strip(), unit) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ParameterError(name, f"got {text!r}; accepted: comma-separated {kind}") from None
    if not items or (whole and any(x != int(x) for x in items)):
        raise ParameterError(name, f"got {text!r}; accepted: comma-separated {kind}")
    return [int(x) for x in items] if whole else items


@app.command()
def precision(
    tech: TechOpt = DEFAULT_TECHNOLOGY,
    neurons: Annotated[int, typer.Option(help="neurons in the core (one mismatch sample each)")] = 256,
    input_rate: Annotated[str, typer.Option(help="regular input rate (Hz) into every synapse")] = "200",
    duration: Annotated[str, typer.Option(help="recording analysed (s), after --settle")] = "1",
    settle: Annotated[str, typer.Option(help="onset left out of the analysis (s)")] = "0.2",
    seed: Annotated[int, typer.Option(help="master seed; per-neuron seeds are derived and recorded")] = 1,
    set_: SetOpt = None,
    cluster_sizes: Annotated[str | None, typer.Option(help="e.g. 1,2,4,8 (default: powers of 2 to N/2)")] = None,
    windows: Annotated[str | None, typer.Option(help="e.g. 20m,50m,0.1 (default: 10 ms .. duration)")] = None,
    shuffles: Annotated[int, typer.Option(help="random partitions per cell")] = 10,
    bits: Annotated[str, typer.Option(help="CV to bits: log2_inv_cv2, log2_inv_cv or enob")] = "log2_inv_cv2",
    mode: Annotated[str, typer.Option("--mismatch", help="pdk (technology's model) or pelgrom (drawn here)")] = "pdk",
    calibrate: Annotated[
        str | None, typer.Option(help="scale analog device sizes first so the rate CV hits this (e.g. 0.18)")
    ] = None,
    pilot: Annotated[int, typer.Option(help="neurons in each calibration pilot run")] = 32,
    workers: Annotated[int | None, typer.Option(help="worker processes (default: all cores)")] = None,
    out: Annotated[Path | None, typer.Option(help="folder for the samples, tables and report")] = None,
    resume: Annotated[bool, typer.Option(help="finish an interrupted study in --out")] = False,
    dask: Annotated[str | None, typer.Option(help="Dask scheduler address (tcp://host:8786)")] = None,
    timeout: Annotated[float | None, typer.Option(help="seconds one neuron may take (local workers)")] = None,
    grace: GraceOpt = 5.0,
    report: Annotated[bool, typer.Option(help="write --out/report.html with the heat maps")] = False,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Precision from averaging: N mismatched DPI neurons, cluster-rate CV x window, vs the published table."""
    from .analysis import BITS_METHODS
    from .studies.precision import calibrate_sizes, precision_study, validate_study
    from .units import parse_si

    _check_run_options(workers, resume, report, out)

    def prepare() -> dict[str, Any]:
        if bits not in BITS_METHODS:
            raise ParameterError("bits", f"got {bits!r}; accepted: {', '.join(BITS_METHODS)}")
        if not 1 <= shuffles <= 10_000:
            raise ParameterError("shuffles", f"got {shuffles}; accepted: a whole number in [1, 10000]")
        if not 4 <= pilot <= 10_000:
            raise ParameterError("pilot", f"got {pilot}; accepted: a whole number in [4, 10000]")
        numbers = {}
        for name, text, unit in (("input_rate", input_rate, "Hz"), ("duration", duration, "s"),
                                 ("settle", settle, "s"), ("calibrate", calibrate, "")):  # fmt: skip
            if text is None:
                continue
            try:
                numbers[name] = parse_si(text, unit)
            except ValueError:
                raise ParameterError(name, f"got {text!r}; accepted: a number{' in ' + unit if unit else ''}") from None
        ov = _overrides(set_)
        sizes = _number_list(cluster_sizes, "cluster_sizes", "", whole=True)
        wins = _number_list(windows, "windows", "s")
        # the whole design, before calibration or simulation spends any time
        validate_study(neurons, numbers["input_rate"], numbers["duration"], numbers["settle"], ov, sizes, wins,
                       shuffles, bits, mode)  # fmt: skip
        _check_new_run(out, resume)
        return {"tech": _tech(tech), "overrides": ov, **numbers, "cluster_sizes": sizes, "windows": wins}

    args = _guard(prepare)
    target = args.pop("calibrate", None)
    calibration: list[dict[str, float]] = []
    if target is not None:
        ov, calibration = _guard(
            lambda: calibrate_sizes(
                args["tech"], target, pilot=pilot, input_rate=args["input_rate"], seed=seed,
                overrides=args["overrides"], workers=workers, client=dask,
            )
        )  # fmt: skip
        args["overrides"] = ov
        if not as_json:
            for step in calibration:
                typer.echo(
                    f"calibrate: size factor {step['factor']:.3f} -> rate CV {100 * step['cv']:.1f} % "
                    f"[{100 * step['ci_low']:.1f}, {100 * step['ci_high']:.1f}], mean {step['mean_rate_hz']:.1f} Hz"
                )
    show = not quiet and sys.stderr.isatty()
    with _progress(show, neurons) as update:
        result = _guard(
            lambda: precision_study(
                args["tech"], neurons=neurons, input_rate=args["input_rate"], duration=args["duration"],
                settle=args["settle"], seed=seed, overrides=args["overrides"], cluster_sizes=args["cluster_sizes"],
                windows=args["windows"], n_shuffles=shuffles, bits_method=bits, mismatch=mode,  # type: ignore[arg-type]
                workers=workers, out=out, resume=resume, client=dask, progress=update, timeout=timeout, grace=grace,
            )
        )  # fmt: skip
    report_path = None
    if out is not None:
        from .report import precision_report, save_precision_heatmap

        _guard(lambda: save_precision_heatmap(out))
        if report:
            report_path = _guard(lambda: precision_report(out))
    _print_precision(result, calibration, report_path, out, as_json)


def _print_precision(result: Any, calibration: list[dict[str, float]], report: Path | None, out: Path | None,
                     as_json: bool) -> None:  # fmt: skip
    single, slope = result.single_cv, result.slope
    if as_json:
        data = {
            **result.settings,
            "calibration": calibration,
            "single_neuron_rate_cv": single.as_dict(),
            "mean_rate_hz": float(result.rates_hz.mean()),
            "slope": slope,
            "table": result.table.to_dict(orient="records"),
            "comparison": result.comparison.to_dict(orient="records"),
            "out": str(out) if out else None,
            "report": str(report) if report else None,
        }
        typer.echo(json.dumps(data))
        return
    s = result.settings
    typer.echo(
        f"precision: {s['ok']}/{s['neurons']} DPI neurons on {s['technology']}, {s['input_rate_hz']:g} Hz in, "
        f"mean {result.rates_hz.mean():.1f} Hz out, {s['duration_s']:g} s after {s['settle_s']:g} s"
    )
    typer.echo(
        f"  single-neuron rate CV {100 * single.cv:.2f} % [{100 * single.ci_low:.2f}, {100 * single.ci_high:.2f}]"
        f" (across neurons, ddof=1, 95 % bootstrap, n={single.n})"
    )
    typer.echo(f"  CV vs cluster size at {slope['window_s']:g} s: slope {slope['slope']:.3f} "
               f"[{slope['ci_low']:.3f}, {slope['ci_high']:.3f}] (independent neurons: -0.5)")  # fmt: skip
    grid = result.table.pivot(index="cluster_size", columns="window_s", values="cv") * 100
    typer.echo(
        "  cluster-rate CV (%, across clusters, ddof=1, mean of shuffles), rows cluster size, columns window (s):"
    )
    typer.echo("  " + grid.round(2).to_string().replace("\n", "\n  "))
    if len(result.comparison):
        r = result.comparison["ratio"]
        typer.echo(f"  vs published (Zendrikov et al. 2023), {len(r)} shared cells: simulated/published median "
                   f"{r.median():.2f}x, range {r.min():.2f}x .. {r.max():.2f}x")  # fmt: skip
    if out is not None:
        typer.echo(f"  tables: {out}/cluster_cv.csv, bits_{s['bits_method']}.csv, comparison.csv, heatmap.png")
    if report is not None:
        typer.echo(f"  report: {report}")


@contextlib.contextmanager
def _progress(show: bool, total: int) -> Iterator[Callable[[int, int, int], None]]:
    """A rich progress bar (samples done, failures, rate, ETA) when ``show``; otherwise silent."""
    if not show:
        yield lambda done, failed, n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("mismatch"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[failed]} failed"),
               TextColumn("{task.fields[rate]}"), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("mc", total=total, failed=0, rate="")
        start = time.monotonic()

        def update(done: int, failed: int, n: int) -> None:
            rate = done / max(time.monotonic() - start, 1e-9)
            bar.update(task, completed=done, failed=failed, rate=f"{rate:.1f} samples/s")

        yield update


@app.command()
def plot(
    run_dir: Annotated[Path, typer.Argument(help="a folder written by `neurospice simulate --out`")],
    out: Annotated[Path | None, typer.Option(help="PNG path (default RUN_DIR/waveforms.png)")] = None,
) -> None:
    """Draw a run's waveforms with its spikes marked, as a PNG."""
    from .plot import plot_run

    try:
        path = plot_run(run_dir, out)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        _bad_input(f"parameter 'run_dir': {exc}")
    typer.echo(f"wrote {path}")


def _print_summary(result: Any, out: Path | None) -> None:
    from .units import format_si

    m = result.metrics
    typer.echo(f"{result.circuit} on {result.technology}, {format_si(result.tstop, 's')} transient "
               f"(ngspice {result.ngspice_version}, {result.wall_s:.2f} s)")  # fmt: skip
    if "tau_s" in m and "tau_pred_s" in m:
        typer.echo(f"  tau           {format_si(m['tau_s'], 's')}   closed form C*U_T/(kappa_p*I_tau) = "
                   f"{format_si(m['tau_pred_s'], 's')} (kappa_p = {m['kappa_p']:.4f}), "
                   f"difference {100 * m['tau_error']:+.2f} %")  # fmt: skip
    for key, value in m.items():
        if key not in ("tau_s", "tau_pred_s", "tau_error"):
            typer.echo(f"  {key:22s} {value:.5g}")
    if out is not None:
        typer.echo(f"  written to {out}")


def _stop_now(signum: int, frame: object) -> None:
    """Ctrl-C while ngspice runs in this process (simulate, sweep, characterize, reports): leave at once.

    ngspice's analysis cannot be interrupted from Python (a KeyboardInterrupt raised in its
    callbacks is ignored and the analysis goes on). Outputs are written atomically, so removing
    the temporary files in flight leaves nothing half-written. Monte Carlo runs install their
    own handler for the duration of the run (stop dispatching, store what finished).
    """
    from .store import remove_partial

    remove_partial()
    os.write(2, b"interrupted\n")
    os._exit(128 + signum)


def main() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGINT, _stop_now)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
