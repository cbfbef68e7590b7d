"""Fault injection on Monte Carlo runs (real ngspice): every fault ends in the same table as an unbroken run.

Scenarios: kill -9 of the main process (then resume), kill -9 of one worker, the main process's
death leaving no orphan workers, SIGINT once and twice, a deleted and a truncated part, two
writers on one folder, a full disk, a failed start. "Same table" means bit-identical values,
sample by sample, with the same seed: only timing, worker ids and retry bookkeeping may differ.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from neurospice.cli import app
from neurospice.montecarlo import monte_carlo
from neurospice.store import (
    IncompleteRunError,
    IncompleteRunWarning,
    RunFolderError,
    RunLockedError,
    StoreError,
    load_run,
)

pytestmark = [pytest.mark.faults, pytest.mark.ngspice, pytest.mark.slow]

N, SEED, TSTOP = 40, 21, 0.06
OVERRIDES = {"input_count": "2"}
CLI_RUN = ["mismatch", "dpi-synapse", "-n", str(N), "--seed", str(SEED), "--set", "input_count=2", "--tstop",
           str(TSTOP), "--workers", "2", "--quiet"]  # fmt: skip
#: timing, process ids and retry bookkeeping: the only columns allowed to differ from an unbroken run
VOLATILE = ["wall_s", "sim_s", "worker", "attempts", "first_failure"]
runner = CliRunner()


def _stable(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=[c for c in VOLATILE if c in table]).reset_index(drop=True)


def _run(out: Path | None = None, **kwargs: object) -> pd.DataFrame:
    args: dict[str, object] = {"samples": N, "seed": SEED, "overrides": OVERRIDES, "tstop": TSTOP, "workers": 2}
    return monte_carlo("dpi-synapse", "gf180mcu", out=out, **{**args, **kwargs})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def unbroken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole run folder (one part per sample: 40 parts), never interrupted."""
    out = tmp_path_factory.mktemp("unbroken") / "run"
    _run(out)
    return out


def _same_as_unbroken(out: Path, unbroken: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", IncompleteRunWarning)  # a whole run: no warning
        table = load_run(out, strict=True)
    assert table["sample"].tolist() == list(range(N))
    pd.testing.assert_frame_equal(_stable(table), _stable(load_run(unbroken)), check_dtype=False)
    assert sum(len(pd.read_parquet(p)) for p in (out / "samples").glob("part-*.parquet")) == N  # none twice


def _copy(unbroken: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(unbroken, out)
    return out


def _cli(out: Path, *extra: str, args: list[str] | None = None) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "neurospice", *(args or CLI_RUN), "--out", str(out), *extra]
    return subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(condition: Callable[[], bool], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def _parts(out: Path) -> list[Path]:
    return sorted((out / "samples").glob("part-*.parquet")) if (out / "samples").is_dir() else []


def _children(pid: int) -> list[int]:
    """Worker processes of ``pid`` (multiprocessing's resource tracker, started with ``spawn``, is not one)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(x) for x in (task / "children").read_text().split()]
    return [p for p in found if b"resource_tracker" not in _cmdline(p)]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return b""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_kill_9_of_the_main_process_resumes_to_the_unbroken_table(tmp_path: Path, unbroken: Path) -> None:
    out = tmp_path / "killed"
    proc = _cli(out)
    _wait_for(lambda: len(_parts(out)) >= 5)
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its workers, no clean-up
    proc.wait()
    with pytest.warns(IncompleteRunWarning, match="samples missing"):
        partial = load_run(out)
    assert 5 <= len(partial) < N and partial.attrs["missing"]
    _run(out, resume=True)  # the dead run's lock file is left behind: it must not block
    _same_as_unbroken(out, unbroken)


def test_kill_9_of_the_main_process_leaves_no_orphan_workers(tmp_path: Path) -> None:
    proc = _cli(tmp_path / "orphans", args=["mismatch", "dpi-neuron", "-n", "4", "--tstop", "1", "--workers", "2",
                                            "--quiet"])  # fmt: skip
    _wait_for(lambda: len(_children(proc.pid)) == 2)
    workers = _children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)  # the main process only
    proc.wait()
    _wait_for(lambda: not any(_alive(w) for w in workers), seconds=10)


def test_kill_9_of_one_worker_retries_only_its_sample(unbroken: Path) -> None:
    killed: list[int] = []

    def killer() -> None:
        _wait_for(lambda: len(_children(os.getpid())) == 2, seconds=60)
        time.sleep(1.0)  # the workers are into their samples
        victim = _children(os.getpid())[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)

    thread = threading.Thread(target=killer)
    thread.start()
    table = _run(samples=N)
    thread.join()
    assert killed
    assert (table["status"] == "ok").all() and table["sample"].tolist() == list(range(N))
    retried = table[table["attempts"] > 1]
    assert len(retried) == 1  # the dead worker's one sample, not the queue behind it
    assert retried["first_failure"].iloc[0].startswith("crashed: worker process died (killed by SIGKILL)")
    assert (table.loc[table["attempts"] == 1, "first_failure"] == "").all()
    assert retried["worker"].iloc[0] != killed[0]
    assert table["worker"].nunique() <= 3  # two workers and the one that replaced the dead one
    pd.testing.assert_frame_equal(_stable(table), _stable(load_run(unbroken)), check_dtype=False)


def test_sigint_once_stores_what_finished_and_resumes_to_the_unbroken_table(tmp_path: Path, unbroken: Path) -> None:
    out = tmp_path / "ctrl-c"
    proc = _cli(out)
    _wait_for(lambda: len(_parts(out)) >= 3)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the CLI and its workers
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert "resume with: neurospice mismatch dpi-synapse" in err and err.rstrip().endswith("--resume")
    with pytest.warns(IncompleteRunWarning):
        stored = load_run(out)
    assert 3 <= len(stored) < N
    resumed = runner.invoke(app, [*CLI_RUN, "--out", str(out), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    _same_as_unbroken(out, unbroken)


def test_sigint_twice_stops_at_once_and_leaves_a_resumable_folder(tmp_path: Path) -> None:
    """Neuron samples of 1 s take about 10 s each: a second Ctrl-C must not wait for them (grace 60 s)."""
    out = tmp_path / "twice"
    proc = _cli(out, "--grace", "60", args=["mismatch", "dpi-neuron", "-n", "4", "--tstop", "1", "--workers", "2",
                                            "--quiet"])  # fmt: skip
    _wait_for(lambda: len(_children(proc.pid)) == 2)
    time.sleep(2.0)
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    start = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.monotonic() - start < 8  # not the ~10 s the running samples needed
    assert "Traceback" not in err and "Exception ignored" not in err
    assert "--resume" in err
    with pytest.warns(IncompleteRunWarning):
        table = load_run(out)
    assert table.attrs["missing"] == [0, 1, 2, 3]
    assert json.loads((out / "manifest.json").read_text())["status"]["stored"] == 0


def test_deleted_part_is_rerun_and_no_part_is_ever_overwritten(tmp_path: Path, unbroken: Path) -> None:
    out = _copy(unbroken, tmp_path)
    parts = _parts(out)
    assert len(parts) == N  # one part per sample here
    victim = parts[5]
    lost = int(pd.read_parquet(victim)["sample"].iloc[0])
    victim.unlink()
    before = {p.name: p.read_bytes() for p in _parts(out)}
    with pytest.warns(IncompleteRunWarning, match=f"1 of {N} samples missing \\({lost}\\)"):
        assert load_run(out).attrs["missing"] == [lost]
    with pytest.raises(IncompleteRunError, match="samples missing"):
        load_run(out, strict=True)
    _run(out, resume=True)
    _run(out, resume=True)  # twice: nothing left to run, nothing destroyed
    assert all((out / "samples" / name).read_bytes() == data for name, data in before.items())
    _same_as_unbroken(out, unbroken)


def test_truncated_part_is_quarantined_and_its_sample_rerun(tmp_path: Path, unbroken: Path) -> None:
    out = _copy(unbroken, tmp_path)
    victim = _parts(out)[7]
    lost = int(pd.read_parquet(victim)["sample"].iloc[0])
    victim.write_bytes(victim.read_bytes()[:100])
    with pytest.warns(IncompleteRunWarning, match="unreadable parts"):
        table = load_run(out)
    assert table.attrs["corrupt"] == [victim.name] and table.attrs["missing"] == [lost]
    _run(out, resume=True)
    assert (out / "quarantine" / victim.name).is_file()
    _same_as_unbroken(out, unbroken)


def test_duplicated_rows_are_reported_not_returned_as_whole(tmp_path: Path, unbroken: Path) -> None:
    out = _copy(unbroken, tmp_path)
    part = _parts(out)[3]
    shutil.copy(part, part.with_name("part-9999999999999999999-1-00000000.parquet"))
    with pytest.warns(IncompleteRunWarning, match="stored twice"):
        table = load_run(out)
    assert len(table) == N and table.attrs["duplicates"] == [int(pd.read_parquet(part)["sample"].iloc[0])]


@pytest.mark.parametrize("text", ["{}", "not json", '{"format": "neurospice-mc-1", "circuit": "x", "seed": 1, '
                                                 '"samples": "many"}'])  # fmt: skip
def test_malformed_manifest_is_one_clear_error(tmp_path: Path, text: str) -> None:
    (tmp_path / "manifest.json").write_text(text)
    with pytest.raises(RunFolderError, match=r"manifest\.json"):
        load_run(tmp_path)


def test_second_writer_is_refused_while_the_first_is_alive(tmp_path: Path) -> None:
    out = tmp_path / "busy"
    proc = _cli(out)
    try:
        _wait_for(lambda: len(_parts(out)) >= 1)
        with pytest.raises(RunLockedError, match=f"in use by another neurospice run \\(pid {proc.pid}\\)"):
            _run(out, resume=True)
        result = runner.invoke(app, [*CLI_RUN, "--out", str(out), "--resume"])
        assert result.exit_code == 2 and "in use by another neurospice run" in result.output
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _full_disk_after(monkeypatch: pytest.MonkeyPatch, parts: int) -> None:
    """``to_parquet`` fails with ENOSPC once ``parts`` parts are written (the parent writes them all)."""
    original = pd.DataFrame.to_parquet
    calls = {"n": 0}

    def to_parquet(self: pd.DataFrame, path: object, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] > parts:
            Path(str(path)).write_bytes(b"PAR1 half a part")  # what a full disk leaves in the temporary file
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pd.DataFrame, "to_parquet", to_parquet)


def test_full_disk_stops_at_the_first_failed_write_and_resumes(
    tmp_path: Path, unbroken: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "full"
    _full_disk_after(monkeypatch, parts=6)
    with pytest.raises(StoreError, match="No space left on device"):
        _run(out)
    assert not _children(os.getpid())  # the workers were stopped with the run
    monkeypatch.undo()
    assert not [p for p in (out / "samples").iterdir() if p.name.startswith(".")]  # no half-written file
    with pytest.warns(IncompleteRunWarning):
        assert len(load_run(out)) == 6
    _run(out, resume=True)
    _same_as_unbroken(out, unbroken)


def test_full_disk_from_the_cli_is_one_line_and_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "full-cli"
    _full_disk_after(monkeypatch, parts=2)
    result = runner.invoke(app, [*CLI_RUN, "--out", str(out)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "parameter 'out'" in lines[0] and "No space left on device" in lines[0]
    assert "--resume" in lines[0]


def test_unreachable_dask_scheduler_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "never"
    result = runner.invoke(app, [*CLI_RUN, "--out", str(out), "--dask", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "parameter 'dask'" in lines[0] and "cannot reach scheduler" in lines[0]
    assert not out.exists()


def test_no_sample_succeeded_exits_1_and_counts_the_failures(tmp_path: Path) -> None:
    result = runner.invoke(app, ["mismatch", "dpi-neuron", "-n", "2", "--tstop", "0.1", "--timeout", "0.3",
                                 "--workers", "2", "--out", str(tmp_path / "t"), "--quiet"])  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "0 ok, 2 failed (2 timed out; 2 needed a retry)" in result.output
    assert "error: no sample succeeded; first failure: timeout: took longer than 0.3 s" in result.output
    status = json.loads((tmp_path / "t" / "manifest.json").read_text())["status"]
    assert status["timeout"] == 2 and status["ok"] == 0 and status["complete"]


def test_sigint_during_a_single_simulation_exits_130_leaving_nothing(tmp_path: Path) -> None:
    """ngspice runs in the CLI's own process here: Ctrl-C must stop it, not be swallowed by its callbacks."""
    out = tmp_path / "sim"
    proc = _cli(out, args=["simulate", "dpi-neuron", "--tstop", "3"])  # about 20 s of analysis
    time.sleep(5.0)  # past the kappa sweeps, into the transient
    assert proc.poll() is None
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert err == "interrupted\n"
    assert list(tmp_path.iterdir()) == []  # no folder, no hidden staging folder
