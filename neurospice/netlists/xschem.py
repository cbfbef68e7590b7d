"""An xschem schematic (``.sch``) as a netlist: netlisted by the machine's own xschem, then read like any netlist.

xschem netlists without a display only with ``xschem -n -s -q -x -r`` and an rc file that sets
``netlist_dir`` (Debian's xschem 2.8.1 segfaults otherwise). neurospice writes that rc into a scratch
folder of its cache, with the symbol search path set to xschem's own library and the schematic's folder,
runs xschem there (``HOME`` pointing at the scratch folder, no input, a time limit) and reads the netlist
it wrote with :func:`neurospice.netlists.imported.read_user_netlist`, like any other.

A schematic is untrusted input too, and xschem evaluates Tcl while netlisting (``tcleval(...)`` in an
attribute, a ``tclcommand``): a schematic, or a symbol or schematic beside it, that holds either is refused
before xschem starts. The netlist is kept under the SHA-256 of every file that went in (a Monte Carlo
worker, or a second run, reads it again without running xschem).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..params import ParameterError

__all__ = ["SYSTEM_LIBRARY", "netlist_schematic", "xschem_available"]

#: where Debian's xschem keeps its symbol library (``devices/nmos4.sym``...)
SYSTEM_LIBRARY = Path("/usr/share/xschem/xschem_library")
_TCL = re.compile(rb"tcleval\s*\(|tclcommand", re.IGNORECASE)
_MAX_FILES = 2000


def xschem_available() -> str | None:
    """The xschem program on the PATH, None without one."""
    return shutil.which("xschem")


def netlist_schematic(path: str | Path, cache: Path) -> Path:
    """The SPICE netlist xschem writes for schematic ``path`` (made once, kept in ``cache``);
    :class:`ParameterError` naming ``circuit`` when there is no xschem, the schematic holds Tcl, or xschem fails."""
    sch = Path(path).resolve()
    if not sch.is_file():
        raise ParameterError("circuit", f"{path}: no such file")
    program = xschem_available()
    if program is None:
        raise ParameterError(
            "circuit",
            f"{path}: a schematic, and xschem is not installed here (Debian: apt-get install xschem); or export "
            "its netlist in xschem (Netlist, or: xschem -n -s -q -x -r FILE.sch) and pass the .spice",
        )
    digest = hashlib.sha256()
    for source in [sch, *_neighbours(sch)]:
        data = source.read_bytes()
        if _TCL.search(data):
            shown = source.name if source == sch else f"{source.name} beside it"
            raise ParameterError(
                "circuit",
                f"{path}: {shown} holds Tcl (tcleval or tclcommand), which xschem runs while netlisting; "
                "netlist it in xschem yourself and pass the .spice",
            )
        digest.update(str(source.relative_to(sch.parent)).encode() + b"\0" + hashlib.sha256(data).digest())
    folder = cache / "xschem" / digest.hexdigest()[:32]
    netlist = folder / f"{sch.stem}.spice"
    if not netlist.is_file():
        _run(program, sch, folder)
    return netlist


def _neighbours(sch: Path) -> list[Path]:
    """The schematics and symbols in the schematic's folder tree (what xschem may load besides its own library)."""
    found = sorted(p for p in sch.parent.rglob("*") if p.suffix in (".sch", ".sym") and p.is_file() and p != sch)
    if len(found) > _MAX_FILES:
        raise ParameterError("circuit", f"{sch}: more than {_MAX_FILES} schematics and symbols beside it")
    return found


def _run(program: str, sch: Path, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".netlisting-", dir=folder.parent))
    try:
        libraries = [str(SYSTEM_LIBRARY), str(sch.parent)]
        (scratch / "xschemrc").write_text(
            f"set netlist_dir {{{scratch}}}\nset XSCHEM_LIBRARY_PATH {{{':'.join(libraries)}}}\n"
        )
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(scratch), "PWD": str(scratch)}
        env["LANG"] = "C.UTF-8"
        command = [program, "--rcfile", str(scratch / "xschemrc"), "-n", "-s", "-q", "-x", "-r", str(sch)]
        try:
            done = subprocess.run(
                command, cwd=scratch, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120, check=False
            )
        except subprocess.TimeoutExpired:
            raise ParameterError("circuit", f"{sch}: xschem did not finish netlisting within 120 s") from None
        written = scratch / f"{sch.stem}.spice"
        if done.returncode != 0 or not written.is_file():
            raise ParameterError("circuit", f"{sch}: xschem could not netlist it (exit {done.returncode})")
        missing = re.findall(r"(?m)^\* (\S+) - (\S+) IS MISSING", written.read_text(errors="replace"))
        if missing:
            raise ParameterError(
                "circuit",
                f"{sch}: xschem found no symbol {missing[0][1]} (for {missing[0][0]}) in its library "
                "or beside the schematic",
            )
        if folder.exists():
            shutil.rmtree(folder)
        scratch.rename(folder)
        for leftover in folder.iterdir():
            if leftover.name != written.name:
                shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
