"""The command line's conventions: --version, completion, grouped help, metavars, --json on every command that
prints results (errors too), and where libngspice is found."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import neurospice
from neurospice.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "neurospice", *args], capture_output=True, text=True, check=False,
                          env={**os.environ, "COLUMNS": "120", **(env or {})}, cwd=cwd)  # fmt: skip


def test_version_prints_the_package_version() -> None:
    proc = _cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"neurospice {neurospice.__version__}"


def test_shell_completion_is_offered_and_prints_a_script() -> None:
    assert "--install-completion" in _cli("--help").stdout
    proc = subprocess.run([sys.executable, "-m", "neurospice", "--show-completion", "bash"], capture_output=True,
                          text=True, check=False, env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})  # fmt: skip
    assert proc.returncode == 0 and "complete" in proc.stdout and "neurospice" in proc.stdout


def test_the_help_groups_commands_in_the_order_a_designer_works() -> None:
    text = _cli("--help").stdout
    panels = [m for m in ("Simulate and study", "Results", "Circuits and netlists", "Tools") if m in text]
    assert panels == ["Simulate and study", "Results", "Circuits and netlists", "Tools"]
    rows = [line.split()[1] for line in text.splitlines() if line.startswith("│ ") and len(line.split()) > 2]
    order = [rows.index(cmd) for cmd in ("simulate", "sweep", "mismatch", "report", "datasheet", "doctor")]
    assert order == sorted(order)


def test_options_show_what_they_take_not_their_python_type() -> None:
    text = _cli("mismatch", "--help").stdout
    assert re.search(r"--samples\s+-n\s+N\b", text) and re.search(r"--seed\s+INT\b", text)
    assert re.search(r"--set\s+-s\s+NAME=VALUE", text) and re.search(r"--tstop\s+SECONDS", text)
    assert "<str>" not in re.sub(r"\*\s+CIRCUIT\s+<str>", "", text)  # options never show a Python type
    flags = [line for line in text.splitlines() if "<bool>" in line]
    assert all("--help" in line for line in flags), flags  # a flag takes no value (click adds --help itself)


#: every command that prints results, with arguments that make it print them without simulating much
JSON_COMMANDS = [
    ["circuits"],
    ["show", "dpi-synapse"],
    ["doctor"],
    ["fetch", "gf180mcu"],
    ["characterize", "nmos", "--tech", "ekv"],
    ["simulate", "dpi-synapse", "--tech", "ekv", "--tstop", "20m"],
]


@pytest.mark.ngspice
@pytest.mark.parametrize("args", JSON_COMMANDS, ids=lambda a: a[0])
def test_json_is_one_object_on_stdout(args: list[str]) -> None:
    proc = _cli(*args, "--json")
    assert proc.returncode == 0, proc.stderr
    assert isinstance(json.loads(proc.stdout), dict)


def test_every_command_that_prints_results_takes_json() -> None:
    import typer

    group = typer.main.get_command(app)
    text_only = {"netlist"}  # prints a deck, which is the result and not a table of figures
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        assert name in text_only or "--json" in options, f"{name} has no --json"


@pytest.mark.parametrize(
    "args, names",
    [
        (["simulate", "dpi-synapse", "--set", "i_tau=1"], "parameter 'i_tau'"),
        (["mismatch", "dpi-synapse", "-n", "abc"], "samples"),
        (["show", "no-such-circuit"], "no-such-circuit"),
        (["simulate", "dpi-synapse", "--no-such-option"], "no-such-option"),
    ],
)
def test_an_error_under_json_is_one_json_object_with_its_exit_status(args: list[str], names: str) -> None:
    proc = _cli(*args, "--json")
    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    assert doc["exit_code"] == 2 and names in doc["error"] and not proc.stderr.strip()
    plain = _cli(*args)
    assert plain.returncode == 2 and plain.stderr.startswith("error: ") and not plain.stdout


@pytest.mark.ngspice
@pytest.mark.slow
def test_the_monte_carlo_json_holds_each_cv_with_its_interval_or_why_it_has_none(tmp_path: Path) -> None:
    proc = _cli("mismatch", "dpi-synapse", "-n", "12", "--tstop", "40m", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads(proc.stdout)["metrics"]
    tau = metrics["tau_s"]
    assert tau["cv_low"] < tau["cv"] < tau["cv_high"] and tau["cv_omitted"] == ""
    assert metrics["tau_error"]["cv_omitted"].startswith("signed") and metrics["tau_error"]["cv_low"] is None
    assert metrics["tau_pred_s"]["cv_omitted"] == "constant across samples"
    text = _cli("mismatch", "dpi-synapse", "-n", "12", "--tstop", "40m", cwd=tmp_path).stdout
    assert re.search(r"tau_s .* CV \d+\.\d+ % \[\d+\.\d+, \d+\.\d+\]", text)
    assert "tau_error" in text and "(no CV: signed or zero values" in text


# ----------------------------------------------------------------------------- where libngspice is found


def _library() -> Path:
    from neurospice.engines.ngspice import find_libngspice

    found = find_libngspice()
    path = Path(found)
    if not path.is_absolute():  # a soname from ldconfig: its file
        out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
        path = Path(re.search(rf"{re.escape(found)} .*=> (\S+)", out).group(1))  # type: ignore[union-attr]
    return path


@pytest.mark.ngspice
def test_a_conda_layout_is_found_before_the_system_library(tmp_path: Path) -> None:
    prefix = tmp_path / "env"
    (prefix / "lib").mkdir(parents=True)
    (prefix / "lib" / "libngspice.so").symlink_to(_library())
    env = {k: v for k, v in os.environ.items() if k != "NGSPICE_LIBRARY_PATH"}
    proc = subprocess.run([sys.executable, "-m", "neurospice", "doctor", "--json"], capture_output=True, text=True,
                          check=False, env={**env, "CONDA_PREFIX": str(prefix)})  # fmt: skip
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["libngspice"]["ok"] and str(prefix / "lib" / "libngspice.so") in checks["libngspice"]["detail"]


def test_a_library_path_that_points_nowhere_is_one_line_naming_the_variable() -> None:
    proc = _cli("doctor", env={"NGSPICE_LIBRARY_PATH": "/nowhere/libngspice.so"})
    assert proc.returncode == 1
    lines = [ln for ln in proc.stdout.splitlines() if "libngspice" in ln]
    assert len(lines) == 1 and "MISSING" in lines[0] and "NGSPICE_LIBRARY_PATH" in lines[0]
    assert proc.stdout.count("install") <= 1  # the hint once, not twice


def test_no_library_anywhere_names_every_layout_and_the_variable() -> None:
    code = (
        "import ctypes.util, sys\n"
        "ctypes.util.find_library = lambda name: None\n"
        "import ctypes\n"
        "real = ctypes.CDLL\n"
        "def refuse(name, *a, **k):\n"
        "    if 'ngspice' in str(name): raise OSError(name)\n"
        "    return real(name, *a, **k)\n"
        "ctypes.CDLL = refuse\n"
        "from neurospice.engines.ngspice import find_libngspice\n"
        "from neurospice.engines import SimulationError\n"
        "try:\n    find_libngspice()\nexcept SimulationError as exc:\n    print(exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("NGSPICE_LIBRARY_PATH", "CONDA_PREFIX")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert "libngspice not found" in out and "NGSPICE_LIBRARY_PATH" in out and "conda-forge" in out
    assert "/opt/homebrew/lib" in out and f"{sys.prefix}/lib" in out


def test_the_package_carries_its_license_types_marker_and_metadata() -> None:
    from importlib.metadata import metadata

    meta = metadata("neurospice")
    assert meta["License-Expression"] == "Apache-2.0" or "Apache-2.0" in str(meta.get("License", ""))
    assert any("Typing :: Typed" in c for c in meta.get_all("Classifier") or [])
    assert meta.get_all("Project-URL") and meta["Author"]
    assert (ROOT / "LICENSE").read_text().lstrip().startswith("Apache License")
    assert (ROOT / "neurospice" / "py.typed").is_file()


@pytest.mark.slow
def test_the_sdist_holds_what_its_tests_need(tmp_path: Path) -> None:
    import tarfile

    code = f"import setuptools.build_meta as b; print(b.build_sdist({str(tmp_path)!r}))"
    name = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    with tarfile.open(tmp_path / name.stdout.strip().splitlines()[-1]) as sdist:
        names = sdist.getnames()
    top = names[0].split("/")[0]
    for needed in ("LICENSE", "tests/test_docs.py", "tests/data/user/ota5t_gf180.spice", "examples/02_mismatch.ipynb",
                   "docs/conf.py", "neurospice/py.typed", "neurospice/analysis/data/references.bib"):  # fmt: skip
        assert f"{top}/{needed}" in names, f"the sdist lacks {needed}"
    assert not any("/docs/_build/" in n or "__pycache__" in n for n in names)
