"""A run's progress: samples done, failures, rate and time left, in a terminal or a Jupyter notebook.

``monte_carlo(..., progress=True)`` (and every run that takes the run keywords) shows one; the command
line shows the same bar unless ``--quiet``. In a Jupyter kernel the bar is one HTML line updated in place
(no widget library needed, and the notebook keeps its last state); elsewhere it is a rich progress bar on
stderr.
"""

from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["ProgressDisplay", "in_jupyter"]


def in_jupyter() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell), where a terminal bar would not redraw."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


def _clock(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):  # NaN or inf
        return "-:--:--"
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class ProgressDisplay:
    """Called as ``display(done, failed, total)`` after each stored sample; :meth:`close` at the end."""

    def __init__(self, label: str = "mismatch", *, jupyter: bool | None = None) -> None:
        self.label = label
        self.jupyter = in_jupyter() if jupyter is None else jupyter
        self.start = time.monotonic()
        self._last = 0.0
        self._state = (0, 0, 0)
        self._handle: Any = None
        self._bar: Any = None
        self._task: Any = None

    def text(self) -> str:
        """The line shown: ``12/64 samples, 0 failed, 3.1 samples/s, 0:00:17 left``."""
        done, failed, total = self._state
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = done / elapsed
        left = (total - done) / rate if rate > 0 else float("nan")
        return f"{done}/{total} samples, {failed} failed, {rate:.1f} samples/s, {_clock(left)} left"

    def _html(self) -> Any:
        from IPython.display import HTML

        done, _, total = self._state
        return HTML(  # type: ignore[no-untyped-call]
            f'<div style="font-family: monospace"><progress value="{done}" max="{max(total, 1)}" '
            f'style="width: 40%"></progress> {self.label}: {self.text()}</div>'
        )

    def __call__(self, done: int, failed: int, total: int) -> None:
        self._state = (done, failed, total)
        if self.jupyter:
            from IPython.display import display

            now = time.monotonic()
            if self._handle is None:
                self._handle = display(self._html(), display_id=True)  # type: ignore[no-untyped-call]
            elif now - self._last > 0.25 or done >= total:
                self._handle.update(self._html())
            self._last = now
            return
        if self._bar is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            columns = (
                TextColumn(self.label),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
            )
            self._bar = Progress(*columns, transient=False)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=total, failed=0, rate="")
        rate = done / max(time.monotonic() - self.start, 1e-9)
        self._bar.update(self._task, total=total, completed=done, failed=failed, rate=f"{rate:.1f} samples/s")

    def close(self) -> None:
        """Draw the final state and release the terminal."""
        if self.jupyter and self._handle is not None:
            self._handle.update(self._html())
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
