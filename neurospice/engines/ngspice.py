"""Run decks in ngspice's shared library (through PySpice's ``NgSpiceShared``).

One engine per process: libngspice keeps global state, so :func:`get_engine` hands out a
single :class:`Engine`; parallel work uses processes. The engine sets ngspice's OpenMP to one
thread before any circuit is loaded (the Debian build defaults to two, and two processes on
two cores then run about 100x slower), checks every load for ngspice's own error messages,
turns failed analyses into :class:`SimulationError` carrying ngspice's output, and returns
vectors as float64 numpy arrays in SI units.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..netlists.gate import check_deck
from ..ngspice_models import trusted_model_files
from ..params.options import SimOptions
from .base import NetlistError, SimulationError, Vectors

__all__ = ["Engine"]

# Messages ngspice prints without making the call fail, that mean the analysis did not finish.
# (intermediate messages such as "Dynamic gmin stepping failed" are followed by other methods)
_FAILURE = re.compile(r"timestep too small|simulation\(s\) aborted|iteration limit reached|fatal error", re.IGNORECASE)
# ngspice's own load-error messages, matched at the start of its stderr lines only: the text after them, and
# everything on stdout (ngspice echoes the deck's title there), may hold the user's words ("error_budget/")
_LOAD_ERROR = re.compile(
    r"^\s*(error\b|unknown subckt|could not find|unable to find|no such file|undefined parameter"
    r"|expression err|formula\(\) error|cannot compute)",
    re.IGNORECASE,
)


#: a measure command as :class:`neurospice.netlists.analyses.Measure` writes it: no character the control language
#: gives a meaning beyond the measure (``>`` redirects output to a file, ``$`` and backquotes substitute, ``;``...)
_MEASURE = re.compile(r"^meas (dc|ac|tran) ([a-z_][a-z0-9_]*) [a-z0-9_.,()=+\-#:\[\] ]+$")


#: where a conda environment, Homebrew and Linuxbrew put the library (after $NGSPICE_LIBRARY_PATH and ldconfig)
_HOMEBREW = ("/opt/homebrew/lib", "/usr/local/lib", "/home/linuxbrew/.linuxbrew/lib")
_NAMES = ("libngspice.so", "libngspice.so.0", "libngspice.dylib", "libngspice.0.dylib")

#: what to do when no library is found: every layout neurospice looks in, and the variable that overrides them
LIBRARY_HINT = (
    "install Debian's ngspice libngspice0 libngspice0-dev (or conda-forge's ngspice-lib, or Homebrew's libngspice), "
    "or set NGSPICE_LIBRARY_PATH to the library file"
)


def _conda_dirs() -> list[Path]:
    dirs = [Path(os.environ["CONDA_PREFIX"]) / "lib"] if os.environ.get("CONDA_PREFIX") else []
    return [*dirs, Path(sys.prefix) / "lib"]


def find_libngspice() -> str:
    """The ngspice shared library to load: ``$NGSPICE_LIBRARY_PATH`` (PySpice's own variable) when set; else a
    conda environment's (``$CONDA_PREFIX/lib``, ``sys.prefix/lib``: conda-forge's ``ngspice-lib``); else the
    system's (ldconfig: Debian's ``libngspice0``); else Homebrew's; else PySpice's own default name, left to
    the dynamic loader. :class:`SimulationError` naming ``NGSPICE_LIBRARY_PATH`` when it points nowhere."""
    given = os.environ.get("NGSPICE_LIBRARY_PATH")
    if given:
        if "/" in given and not Path(given).is_file():  # a bare soname (libngspice.so.0) is the loader's to find
            raise SimulationError(f"NGSPICE_LIBRARY_PATH={given!r} is not a file; point it at libngspice, or unset it")
        return given
    for folder in _conda_dirs():
        for name in _NAMES:
            if (folder / name).is_file():
                return str(folder / name)
    soname = ctypes.util.find_library("ngspice")
    if soname is not None:
        return soname
    for folder in map(Path, _HOMEBREW):
        for name in _NAMES:
            if (folder / name).is_file():
                return str(folder / name)
    try:
        ctypes.CDLL("libngspice.so" if sys.platform != "darwin" else "libngspice.dylib")
    except OSError:
        looked = ", ".join(str(d) for d in [*_conda_dirs(), *_HOMEBREW])
        raise SimulationError(f"libngspice not found (looked in ldconfig's paths, {looked}): {LIBRARY_HINT}") from None
    return "libngspice.so" if sys.platform != "darwin" else "libngspice.dylib"


class Engine:
    """The process's ngspice shared library. Use :func:`get_engine`, not this constructor."""

    def __init__(self) -> None:
        os.environ["NGSPICE_LIBRARY_PATH"] = find_libngspice()
        for name in ("PySpice", "PySpice.Spice.NgSpice.Shared"):
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)
        from PySpice.Spice.NgSpice.Shared import NgSpiceShared

        self._ng: Any = NgSpiceShared.new_instance()
        self._command("set num_threads=1")
        self.library_path: str = os.environ["NGSPICE_LIBRARY_PATH"]
        self.version: str = self._version()
        self._loaded = False
        self._settings: tuple[str, ...] = ()
        #: the plot the last run made for each analysis kind (``tran`` -> ``tran1``)
        self._plots: dict[str, str] = {}

    def _version(self) -> str:
        text = self._command("version -f")
        match = re.search(r"ngspice-(\S+)", text)
        return match.group(1) if match else "unknown"

    def _output(self) -> str:
        return "\n".join([*self._ng._stdout, *self._ng._stderr])

    def _command(self, command: str) -> str:
        from PySpice.Spice.NgSpice.Shared import NgSpiceCommandError

        try:
            return str(self._ng.exec_command(command))
        except NgSpiceCommandError:
            # PySpice also fails a command whose stdout holds the word "error" (a title, a path): only ngspice's
            # own stderr counts
            if self._ng._error_in_stderr:
                raise SimulationError(f"ngspice command {command!r} failed", self._output()) from None
            return "\n".join(self._ng._stdout)

    def _circ(self, deck: str) -> int:
        """Hand ``deck``'s lines to ``ngSpice_Circ`` as they are: split at ``\\n`` only (PySpice's own loader
        splits at every Unicode line break, and fails any load whose echoed title holds the word "error")."""
        from PySpice.Spice.NgSpice.Shared import ffi

        lines = [line for line in deck.split("\n") if line] + [""]
        keep = [ffi.new("char[]", line.encode("utf-8")) for line in lines] + [ffi.NULL]
        self._ng.clear_output()
        return int(self._ng._ngspice_shared.ngSpice_Circ(ffi.new("char *[]", keep)))

    name = "ngspice"

    def load(
        self, deck: str, settings: tuple[str, ...] = (), tech: Any = None, options: SimOptions | None = None
    ) -> None:
        """Load ``deck`` (replacing any loaded circuit); raise :class:`NetlistError` with ngspice's messages.

        ``settings`` are ngspice variables the deck's technology needs at parse time (``set``
        before loading, ``unset`` again before a deck that does not ask for them). ``tech`` (what
        the deck's header loads) and ``options`` (what its ``.options`` line says) are for engines that translate
        the deck; ngspice reads both from the deck itself.
        """
        check_deck(deck, trusted_model_files())  # before anything of it reaches ngspice
        self._clear()
        self._apply(settings)
        status = self._circ(deck)
        errors = [ln for ln in self._ng._stderr if _LOAD_ERROR.match(ln)]
        if status or errors or not self._ng.plot_names:
            output = self._output()
            if not status:  # a circuit ngspice parsed with errors stays loaded: remove it before the next deck
                with contextlib.suppress(SimulationError):
                    self._command("remcirc")
            raise NetlistError("ngspice could not load the netlist", output)
        self._loaded = True

    def run(self, command: str = "run") -> Vectors:
        """Run the loaded deck's analysis (or ``command``) and return the new plot's vectors."""
        if not self._loaded:
            raise SimulationError("no circuit loaded")
        from PySpice.Spice.NgSpice.Shared import NgSpiceCommandError

        before = set(self._ng.plot_names)
        # PySpice calls any stderr line an error, ngspice's "Note:" lines included: judge the output ourselves
        with contextlib.suppress(NgSpiceCommandError):
            self._ng.exec_command(command)
        after = self._ng.plot_names
        text = self._output()
        new = [p for p in after if p not in before]
        if _FAILURE.search(text) or not new:
            raise SimulationError(f"ngspice analysis {command!r} failed", text.strip())
        current = self.vectors(after[0])  # the last analysis' vectors, by their own names (a built-in's transient)
        vectors = dict(current)
        self._plots.clear()
        for plot in new:  # and every analysis' vectors by ``kind:name`` (``tran:time``, ``op:out``, ``ac:out``)
            kind = plot.rstrip("0123456789")
            self._plots.setdefault(kind, plot)
            found = current if plot == after[0] else self.vectors(plot)
            vectors.update({f"{kind}:{k}": v for k, v in found.items()})
        return vectors

    def vectors(self, plot: str) -> Vectors:
        """All vectors of ``plot`` as float64 arrays, keyed by ngspice's lower-case names (an AC analysis'
        complex vectors as their magnitude)."""
        data = self._ng.plot(None, plot)
        take = np.abs if plot.startswith("ac") else np.real
        return {name.lower(): take(np.asarray(vec._data)).astype(np.float64) for name, vec in data.items()}

    def measure(self, analysis: str, command: str) -> float:
        """Run one ``meas`` command (:meth:`neurospice.netlists.analyses.Measure.command`) on the plot the last
        :meth:`run` made for ``analysis`` (``dc``, ``ac``, ``tran``); its value, or :class:`SimulationError`
        with ngspice's message when it finds nothing."""
        from PySpice.Spice.NgSpice.Shared import NgSpiceCommandError

        match = _MEASURE.match(command)
        plot = self._plots.get(analysis)
        if match is None or match.group(1) != analysis:
            raise SimulationError(f"not a measure neurospice writes: {command[:40]!r}")
        if plot is None:
            raise SimulationError(f"measure {match.group(2)}: the run made no {analysis} analysis")
        self._command(f"setplot {plot}")
        self._ng.clear_output()
        with contextlib.suppress(NgSpiceCommandError):
            self._ng.exec_command(command)
        found = self._ng.plot(None, plot).get(match.group(2))
        if found is None or len(found._data) == 0:
            said = " ".join(ln.strip() for ln in self._ng._stderr if ln.strip()) or "no value"
            raise SimulationError(f"measure {match.group(2)} found nothing", said)
        return float(np.real(np.asarray(found._data))[0])

    def simulate(
        self, deck: str, settings: tuple[str, ...] = (), tech: Any = None, options: SimOptions | None = None
    ) -> Vectors:
        """Load ``deck`` (with the technology's ``settings``) and run it."""
        self.load(deck, settings, tech)
        return self.run()

    def _apply(self, settings: tuple[str, ...]) -> None:
        # An `.option scale` in a model file (sky130's: 1e-6) stays behind as an ngspice variable and
        # would shrink the next technology's devices a millionfold: every deck starts from scale 1.
        self._command("unset scale")
        for name in set(self._settings) - set(settings):
            self._command(f"unset {name.partition('=')[0]}")
        for setting in settings:
            if setting not in self._settings:
                self._command(f"set {setting}")
        self._settings = tuple(settings)

    def command(self, command: str) -> str:
        """Run a validated ngspice control command (``alter``, ``setseed``, ``reset``...)."""
        return self._command(command)

    def _clear(self) -> None:
        if self._loaded:
            self._command("destroy all")
            self._command("remcirc")
            self._loaded = False
        self._ng.clear_output()
