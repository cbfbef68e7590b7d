"""Files and folders that appear whole or not at all, with the user's permissions.

Every file neurospice writes goes through :func:`atomic_write` (a temporary name in the same
folder, then :func:`os.replace`), and every output location is checked with
:func:`check_new_dir` / :func:`check_new_file` before any simulation runs. ``tempfile`` creates
0600 files and 0700 folders; what is renamed into place gets the modes a plain ``open`` or
``mkdir`` would give (0644 / 0755 under a 022 umask).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..params import ParameterError

__all__ = ["atomic_write", "check_new_dir", "check_new_file", "is_empty_dir", "remove_partial", "staged_dir", "umask"]


def umask() -> int:
    """The process's file-mode creation mask (read without changing it, from /proc when possible)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:  # pragma: no cover - not Linux
        pass
    old = os.umask(0o022)  # pragma: no cover
    os.umask(old)  # pragma: no cover
    return old  # pragma: no cover


_IN_FLIGHT: set[Path] = set()  # temporary files and folders not yet renamed into place


def remove_partial() -> None:
    """Delete every temporary file or folder still being written (for a process about to exit at once)."""
    for path in list(_IN_FLIGHT):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    _IN_FLIGHT.clear()


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path`` (mode 0666 & ~umask)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    _IN_FLIGHT.add(tmp)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        _IN_FLIGHT.discard(tmp)


@contextmanager
def staged_dir(out: Path) -> Iterator[Path]:
    """A hidden sibling folder to fill; renamed to ``out`` (mode 0777 & ~umask) when the block ends without error."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    _IN_FLIGHT.add(staging)
    try:
        yield staging
        staging.chmod(0o777 & ~umask())
        if out.exists():
            out.rmdir()  # an empty folder (checked by the caller) gives way
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        _IN_FLIGHT.discard(staging)


def is_empty_dir(path: Path, ignore: tuple[str, ...] = ()) -> bool:
    """``path`` is a folder holding nothing but the names in ``ignore``."""
    return path.is_dir() and all(p.name in ignore for p in path.iterdir())


def _writable_ancestor(path: Path, name: str) -> None:
    """The nearest existing ancestor of ``path`` must be a folder this process may write into."""
    probe = path.parent
    while not probe.exists():
        if probe == probe.parent:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise ParameterError(name, f"{path}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ParameterError(name, f"{path}: {probe} is not writable")
    try:  # /proc, /sys and read-only mounts pass os.access for root: try a real file
        fd, tmp = tempfile.mkstemp(prefix=".neurospice-probe-", dir=probe)
    except OSError as exc:
        raise ParameterError(name, f"{path}: cannot write into {probe} ({exc.strerror})") from None
    os.close(fd)
    os.unlink(tmp)


def check_new_dir(path: Path, name: str = "out", *, resume_hint: bool = False) -> None:
    """Refuse an output folder that exists and is not empty, or that cannot be created (before any work)."""
    if path.exists():
        if not path.is_dir():
            raise ParameterError(name, f"{path}: exists and is a file; give a new folder")
        if any(path.iterdir()):
            hint = " or resume the run there" if resume_hint else ""
            raise ParameterError(name, f"{path}: exists and is not empty; choose a new folder{hint}")
        _writable_ancestor(path / "x", name)
        return
    _writable_ancestor(path, name)


def check_new_file(path: Path, name: str = "out") -> None:
    """Refuse an output file that exists, or whose folder is missing or not writable (before any work)."""
    if path.exists() or path.is_symlink():
        raise ParameterError(name, f"{path}: exists; choose a new file")
    if not path.parent.is_dir():
        raise ParameterError(name, f"{path}: folder {path.parent} does not exist")
    _writable_ancestor(path, name)
