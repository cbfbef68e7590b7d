"""The Monte Carlo run folder: manifest, lock, sample parts, and a loader that checks completeness.

Layout of ``DIR``::

    manifest.json          what was run (circuit, parameters, technology hashes, seed...) and its status
    .lock                  held (flock) by the one process writing the folder; released by the kernel on death
    samples/part-*.parquet rows of finished samples; each name is unique to its writer and written atomically
    waveforms/sample-*.parquet  (optional) one sample's waveforms
    quarantine/            parts that could not be read, moved aside by a resume

Part names carry the writer's clock, process id and a random token, so two writers (two
resumes, a Dask run and a local one) can never pick the same name, and a gap left by a
deleted part never makes a new part overwrite an old one. :func:`load_run` compares what it
reads with the manifest and reports missing, duplicated, unexpected samples and unreadable parts.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import shutil
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..params import ParameterError
from ..params.options import IMPLICIT, SimOptions, accuracy_name
from .files import atomic_write, check_new_dir, is_empty_dir

__all__ = [
    "IncompleteRunError",
    "IncompleteRunWarning",
    "PartWriter",
    "RunFolderError",
    "RunLockedError",
    "StoreError",
    "load_run",
    "lock_run",
    "open_run",
    "read_manifest",
    "record_status",
    "record_stopping",
    "stored_rows",
    "write_manifest",
]

LOCK_NAME = ".lock"
_REQUIRED = ("format", "circuit", "samples", "seed")
#: the most samples a run (a Monte Carlo run, or a sweep's points x samples) may hold
MAX_RUN_SAMPLES = 10_000_000


class RunFolderError(ValueError):
    """A folder is not a readable neurospice run (names the file at fault)."""


class RunLockedError(ParameterError):
    """Another live process is writing the run folder."""


class IncompleteRunError(ValueError):
    """``load_run(strict=True)`` found samples missing, duplicated or unreadable."""


class IncompleteRunWarning(UserWarning):
    """``load_run`` returned a table that is not the whole run (see its ``attrs``)."""


class StoreError(OSError):
    """A sample could not be stored (disk full, folder removed...); what was stored before is intact."""


def read_manifest(out: Path) -> dict[str, Any]:
    """The manifest of run folder ``out``, checked for the keys every run has."""
    path = out / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"{out}: no manifest.json (not a neurospice Monte Carlo folder)")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunFolderError(f"{path}: unreadable manifest ({exc})") from None
    missing = [k for k in _REQUIRED if not isinstance(data, dict) or k not in data]
    if missing:
        raise RunFolderError(f"{path}: malformed manifest (missing {', '.join(missing)})")
    samples = data["samples"]
    if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= MAX_RUN_SAMPLES:
        raise RunFolderError(
            f"{path}: malformed manifest ('samples' is {str(samples)[:40]}; accepted: a whole number "
            f"in [1, {MAX_RUN_SAMPLES}])"
        )
    seed = data["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise RunFolderError(
            f"{path}: malformed manifest ('seed' is {str(seed)[:40]}; accepted: a whole number in [0, 2**63))"
        )
    manifest: dict[str, Any] = data
    return manifest


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` atomically."""
    text = json.dumps(manifest, indent=2) + "\n"
    atomic_write(out / "manifest.json", lambda p: p.write_text(text))


_HELD: set[int] = set()  # descriptors of the locks this process holds


def _drop_inherited_locks() -> None:
    """In a forked child (a worker), close the parent's lock descriptors: only the parent holds the lock."""
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)


@contextmanager
def lock_run(out: Path) -> Iterator[None]:
    """Hold ``out/.lock`` for the block; a second writer gets :class:`RunLockedError` at once.

    The lock is an ``flock``: the kernel releases it when its holder dies (``kill -9`` included),
    so a stale lock file never blocks a resume. Forked workers close their copy of the descriptor,
    so the lock dies with the process that took it, not with its last worker.
    """
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise RunLockedError(
                "out", f"{out}: in use by another neurospice run (pid {holder}); wait for it to end or stop it"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _HELD.add(fd)
        yield
    finally:
        _HELD.discard(fd)
        os.close(fd)  # closing the descriptor releases the lock


def _options_hint(options: dict[str, Any], engine: str) -> str:
    """How to resume a run made on another engine or with other options (its accuracy preset, when it has one)."""
    try:
        made = accuracy_name(SimOptions(**options), engine)
    except (TypeError, ParameterError):
        made = "custom"
    flag = f"--engine {engine} " if engine != "ngspice" else ""
    if made == "custom":
        return f"; it was made on {engine} with custom simulator options (see its manifest.json)"
    return f"; it was made with {engine}, accuracy {made!r}: resume with {flag}--accuracy {made}"


@contextmanager
def open_run(out: Path, manifest: dict[str, Any], resume: bool, compare: tuple[str, ...]) -> Iterator[set[int]]:
    """Create (or reopen with ``resume``) run folder ``out`` under its lock; yield the samples already stored.

    A new folder is made only if ``out`` is missing or empty; if the block fails (other than by
    an interrupt) before any sample is stored, what was made here is removed again.
    Resuming quarantines unreadable parts (their samples run again) and refuses a folder that
    holds a different run (any key of ``compare`` differs).
    """
    if resume:
        if not (out / "manifest.json").is_file():
            raise ParameterError("resume", f"{out}: nothing to resume (no manifest.json)")
        old = read_manifest(out)
        if isinstance(old.get("options"), dict):  # written before trtol, bypass and max_step were recorded
            old["options"] = {**IMPLICIT, **old["options"]}
        old.setdefault("engine", "ngspice")  # written before a second engine existed
        old.setdefault("sampling", "random")  # written before sampling designs existed
        changed = [k for k in compare if old.get(k) != manifest.get(k)]
        if changed:
            hint = _options_hint(old["options"], old["engine"]) if {"options", "engine"} & set(changed) else ""
            raise ParameterError("resume", f"{out} holds a different run (differs in: {', '.join(changed)}){hint}")
        with lock_run(out):
            yield _stored_samples(out, quarantine=True)
        return
    check_new_dir(out, resume_hint=True)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    with lock_run(out):
        if not is_empty_dir(out, ignore=(LOCK_NAME,)):  # another process got here first
            raise ParameterError("out", f"{out}: exists and is not empty; choose a new folder or resume the run there")
        try:
            write_manifest(out, manifest)
            (out / "samples").mkdir(exist_ok=True)
            yield set()
        except Exception:  # a failed start leaves nothing; an interrupt leaves a folder to resume
            if not _parts(out):
                _remove_new(out, created)
            raise


def _remove_new(out: Path, created: bool) -> None:
    """Undo a failed start: the folder if this run made it, else what it put into the empty folder."""
    if created:
        shutil.rmtree(out, ignore_errors=True)
        return
    for name in ("manifest.json", LOCK_NAME):
        (out / name).unlink(missing_ok=True)
    shutil.rmtree(out / "samples", ignore_errors=True)


def _parts(out: Path) -> list[Path]:
    folder = out / "samples"
    return sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []


def _read_parts(out: Path) -> tuple[pd.DataFrame, list[Path]]:
    """All readable parts, concatenated in name order (oldest first), and the unreadable ones."""
    frames, corrupt = [], []
    for part in _parts(out):
        try:
            frame = pd.read_parquet(part)
        except Exception:  # pyarrow raises its own types for a truncated or garbled file
            corrupt.append(part)
            continue
        if "sample" not in frame.columns:
            corrupt.append(part)
            continue
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return table, corrupt


def _stored_samples(out: Path, quarantine: bool) -> set[int]:
    table, corrupt = _read_parts(out)
    if quarantine and corrupt:
        folder = out / "quarantine"
        folder.mkdir(exist_ok=True)
        for part in corrupt:
            os.replace(part, folder / part.name)
    return set(table["sample"].astype(int).tolist()) if not table.empty else set()


def expected_samples(manifest: dict[str, Any]) -> np.ndarray:
    """The sample indices a finished run holds: all of ``samples``, or the ranges a stopping rule kept."""
    stopping = manifest.get("stopping")
    if isinstance(stopping, dict) and stopping.get("final") and isinstance(stopping.get("kept"), list):
        ranges = [np.arange(int(a), int(b), dtype=np.int64) for a, b in stopping["kept"]]
        return np.concatenate(ranges) if ranges else np.empty(0, dtype=np.int64)
    return np.arange(int(manifest["samples"]), dtype=np.int64)


def stored_rows(out: Path | None, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Every row stored so far (``out``'s readable parts, the first of duplicates), or ``rows`` kept in memory."""
    if out is None:
        return pd.DataFrame(rows)
    table, _ = _read_parts(out)
    return table.drop_duplicates("sample", keep="first") if not table.empty else table


def record_stopping(out: Path, outcome: dict[str, Any]) -> None:
    """Write a stopping rule's outcome (``stopping``: the samples kept, the reason, each checkpoint) into the
    manifest."""
    manifest = read_manifest(out)
    manifest["stopping"] = outcome
    write_manifest(out, manifest)


def record_status(out: Path) -> None:
    """Write the stored samples' counts by status into the manifest (``status``)."""
    table, _ = _read_parts(out)
    manifest = read_manifest(out)
    by_status = table["status"].value_counts().to_dict() if not table.empty else {}
    stored = int(table["sample"].nunique()) if not table.empty else 0
    manifest["status"] = {
        "stored": stored,
        "complete": stored == len(expected_samples(manifest)),
        **{k: int(by_status.get(k, 0)) for k in ("ok", "failed", "timeout", "crashed")},
        "retried": int((table["attempts"] > 1).sum()) if "attempts" in table else 0,
    }
    write_manifest(out, manifest)


def load_run(out: str | Path, *, strict: bool = False) -> pd.DataFrame:
    """The sample table of a Monte Carlo folder, one row per sample, sorted by sample.

    Parameters
    ----------
    out : str or Path
        The run folder (``monte_carlo(..., out=...)``, ``neurospice mismatch --out``).
    strict : bool, default False
        Raise instead of warning when the run is not whole.

    Returns
    -------
    pandas.DataFrame
        The rows of every readable part. ``attrs``: ``manifest``; ``missing`` (samples the manifest
        expects but no readable part holds), ``duplicates`` (samples stored more than once: the oldest
        row is kept), ``unexpected`` (sample indices outside the run, dropped) and ``corrupt``
        (unreadable parts). If any is non-empty an :class:`IncompleteRunWarning` is issued.

    Raises
    ------
    StoreError
        No run folder there, or a manifest that is empty, malformed or holds absurd fields.
    IncompleteRunError
        With ``strict=True``, when samples are missing, duplicated or unreadable.

    Examples
    --------
    >>> import tempfile
    >>> from neurospice import load_run, monte_carlo
    >>> out = tempfile.mkdtemp() + "/mc"
    >>> _ = monte_carlo("dpi-synapse", "gf180mcu", samples=3, seed=1, tstop=0.03, out=out, workers=1, progress=False)
    >>> table = load_run(out)
    >>> len(table), table.attrs["missing"], table.attrs["manifest"]["seed"]
    (3, [], 1)
    """
    out = Path(out)
    manifest = read_manifest(out)
    table, corrupt = _read_parts(out)
    expected = int(manifest["samples"])
    wanted = expected_samples(manifest)
    duplicates: list[int] = []
    unexpected: list[int] = []
    if not table.empty:
        samples = table["sample"].astype(int)
        inside = samples.isin(wanted) if len(wanted) != expected else samples.between(0, expected - 1)
        unexpected = sorted(set(samples[~inside].tolist()))
        table = table[inside.to_numpy()]
        duplicates = sorted(set(table.loc[table["sample"].duplicated(), "sample"].astype(int).tolist()))
        table = table.drop_duplicates("sample", keep="first").sort_values("sample").reset_index(drop=True)
    present = table["sample"].to_numpy(dtype=np.int64) if not table.empty else np.empty(0, dtype=np.int64)
    missing = np.setdiff1d(wanted, present).tolist()
    table.attrs.update(
        manifest=manifest,
        missing=missing,
        duplicates=duplicates,
        unexpected=unexpected,
        corrupt=[p.name for p in corrupt],
    )
    problems = _describe_problems(expected, missing, duplicates, unexpected, corrupt)
    if problems:
        message = f"{out}: not the whole run: {problems}"
        if strict:
            raise IncompleteRunError(message)
        warnings.warn(message, IncompleteRunWarning, stacklevel=2)
    return table


def _describe_problems(
    expected: int, missing: list[int], duplicates: list[int], unexpected: list[int], corrupt: list[Path]
) -> str:
    def some(items: list[Any]) -> str:
        return ", ".join(str(x) for x in items[:8]) + (", ..." if len(items) > 8 else "")

    parts = []
    if missing:
        parts.append(f"{len(missing)} of {expected} samples missing ({some(missing)}); resuming the run runs them")
    if duplicates:
        parts.append(f"{len(duplicates)} samples stored twice ({some(duplicates)}); the first row of each is kept")
    if unexpected:
        parts.append(f"rows for samples outside 0..{expected - 1} dropped ({some(unexpected)})")
    if corrupt:
        parts.append(f"unreadable parts {some([p.name for p in corrupt])}")
    return "; ".join(parts)


class PartWriter:
    """Streams rows to ``samples/part-<time>-<pid>-<token>.parquet`` every ``every`` rows or ``seconds``.

    Each part is written atomically under a name no other writer can pick. A failed write
    raises :class:`StoreError` at once: the rows of that part are not stored (a resume runs
    them), everything stored before is intact. Without ``out``, rows are kept in memory.
    """

    def __init__(self, out: Path | None, every: int = 64, seconds: float = 2.0) -> None:
        self.out, self.every, self.seconds = out, every, seconds
        self.rows: list[dict[str, Any]] = []  # in memory (only without ``out``)
        self.pending: list[dict[str, Any]] = []
        self.stored = 0
        self.last = time.monotonic()

    def add(self, row: dict[str, Any]) -> None:
        waves = row.pop("_waves", None)
        if self.out is None:
            self.rows.append(row)
            return
        if waves is not None:
            folder = self.out / "waveforms"
            path = folder / f"sample-{row['sample']:06d}.parquet"
            self._guard(path, lambda: folder.mkdir(exist_ok=True))
            self._guard(path, lambda: atomic_write(path, lambda p: pd.DataFrame(waves).to_parquet(p)))
        self.pending.append(row)
        if len(self.pending) >= self.every or time.monotonic() - self.last > self.seconds:
            self.flush()

    def flush(self) -> None:
        if self.out is not None and self.pending:
            frame = pd.DataFrame(self.pending)
            name = f"part-{time.time_ns():019d}-{os.getpid()}-{secrets.token_hex(4)}.parquet"
            path = self.out / "samples" / name
            self.pending = []
            self._guard(path, lambda: atomic_write(path, lambda p: frame.to_parquet(p, index=False)))
            self.stored += len(frame)
        self.last = time.monotonic()

    @staticmethod
    def _guard(path: Path, write: Any) -> None:
        try:
            write()
        except OSError as exc:
            raise StoreError(exc.errno, f"cannot write {path}: {exc.strerror or exc}") from exc
