"""Run tasks on worker processes that each hold one task at a time, or on a Dask cluster.

Why not :class:`concurrent.futures.ProcessPoolExecutor`: when one of its workers dies, every
pending future fails (``BrokenProcessPool``), so one ``kill -9`` used to mark the whole queue as
crashed. Here the parent hands each worker one task and waits for its answer, so it always
knows which task a dead worker held: only that task is reported ``crashed``, the worker is
replaced and the others go on. The parent also enforces the per-task timeout (from the
moment the worker reports the task started, after its one-off set-up) by killing the worker.

Workers ignore SIGINT (the parent decides what an interrupt means) and die with their parent:
Linux's parent-death signal, plus end-of-file on their pipe when the parent is gone.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from ..engines import die_with_parent

__all__ = ["DaskExecutor", "LocalPool", "StopRequest", "Task", "catch_interrupts", "connect_dask"]

log = logging.getLogger("neurospice")

#: (sample index, seed, attempt)
Task = tuple[int, int, int]
Row = dict[str, Any]


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; exit now if that already happened (not
    Linux: the pipe's end-of-file still ends us)."""
    die_with_parent()
    if os.getppid() != parent:
        os._exit(0)


def _worker_main(
    conn: Connection, parent: int, setup: Callable[[Any], None], run: Callable[..., Row], spec: Any
) -> None:
    """Worker loop: receive ``(index, seed)``, report ``started`` after set-up, then the row."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, seed = task
        try:
            setup(spec)
            conn.send(("started", index))
            row = run(spec, index, seed)
        except Exception as exc:  # a bug or an unexpected error: that sample fails, the worker goes on
            row = {"sample": index, "seed": seed, "status": "failed", "message": f"{type(exc).__name__}: {exc}"}
        try:
            conn.send(("row", row))
        except (BrokenPipeError, OSError):
            return


@dataclass
class _Worker:
    process: Any
    conn: Connection
    task: Task | None = None
    deadline: float = float("inf")


@dataclass
class LocalPool:
    """``size`` worker processes running ``run(spec, index, seed)`` one task each at a time.

    ``poll`` returns finished ``(task, row)`` pairs; a worker that dies yields a ``crashed`` row
    for its own task only, one that runs past ``timeout`` seconds is killed and yields a
    ``timeout`` row; either way a fresh worker takes its place for the next task.
    """

    size: int
    spec: Any
    setup: Callable[[Any], None]
    run: Callable[..., Row]
    timeout: float | None = None
    start_method: str = "fork"
    queue: deque[Task] = field(default_factory=deque)
    workers: list[_Worker] = field(default_factory=list)

    def submit(self, task: Task) -> None:
        self.queue.append(task)

    def pending(self) -> int:
        return len(self.queue) + sum(w.task is not None for w in self.workers)

    def cancel_queued(self) -> None:
        """Drop tasks not yet started (they stay missing from the run; a resume runs them)."""
        self.queue.clear()

    def _spawn(self) -> _Worker:
        ctx: Any = mp.get_context(self.start_method)
        parent_end, child_end = ctx.Pipe()
        process = ctx.Process(
            target=_worker_main, args=(child_end, os.getpid(), self.setup, self.run, self.spec), daemon=True
        )
        process.start()
        child_end.close()
        worker = _Worker(process, parent_end)
        self.workers.append(worker)
        return worker

    def _dispatch(self) -> None:
        idle = [w for w in self.workers if w.task is None]
        while self.queue and (idle or len(self.workers) < self.size):
            worker = idle.pop() if idle else self._spawn()
            task = self.queue.popleft()
            worker.task, worker.deadline = task, float("inf")
            worker.conn.send(task[:2])

    def poll(self, seconds: float) -> list[tuple[Task, Row]]:
        """Dispatch queued tasks to idle workers; wait up to ``seconds`` for results."""
        self._dispatch()
        busy = [w for w in self.workers if w.task is not None]
        if not busy:
            return []
        nearest = min(w.deadline for w in busy) - time.monotonic()
        ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], max(0.0, min(seconds, nearest)))
        results = []
        for worker in busy:
            result = self._check(worker, worker.conn in ready or worker.process.sentinel in ready)
            if result is not None:
                results.append(result)
        return results

    def _check(self, worker: _Worker, ready: bool) -> tuple[Task, Row] | None:
        task = worker.task
        assert task is not None
        while ready and worker.conn.poll():
            try:
                kind, payload = worker.conn.recv()
            except (EOFError, OSError):
                break
            if kind == "started" and self.timeout is not None:
                worker.deadline = time.monotonic() + self.timeout
            elif kind == "row":
                worker.task = None
                return task, payload
        if not worker.process.is_alive():
            code = worker.process.exitcode
            self._discard(worker)
            how = f"killed by {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
            return task, _row(task, "crashed", f"worker process died ({how})")
        if time.monotonic() >= worker.deadline:
            self._discard(worker)
            return task, _row(task, "timeout", f"timeout: took longer than {self.timeout:g} s")
        return None

    def _discard(self, worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        worker.conn.close()
        self.workers.remove(worker)

    def kill_running(self) -> None:
        """Kill the workers that hold a task (their samples stay missing; a resume runs them)."""
        for worker in [w for w in self.workers if w.task is not None]:
            self._discard(worker)
        self.queue.clear()

    def close(self) -> None:
        """End every worker: idle ones are asked to leave, busy ones are killed."""
        self.kill_running()
        for worker in list(self.workers):
            with suppress(OSError):
                worker.conn.send(None)
        for worker in list(self.workers):
            worker.process.join(2)
            self._discard(worker)


def _row(task: Task, status: str, message: str) -> Row:
    return {"sample": task[0], "seed": task[1], "status": status, "message": message}


def connect_dask(address: str, timeout: float = 5.0) -> Any:
    """A ``dask.distributed.Client`` for ``address``; :class:`ParameterError` naming ``dask`` if unreachable."""
    import re

    from ..params import ParameterError

    if not re.fullmatch(
        r"(?:(?:tcp|tls|ws|wss|ucx)://)?[A-Za-z0-9_.\-]+(?::\d{1,5})?|(?:tcp|tls)://\[[0-9a-fA-F:]+\]:\d{1,5}", address
    ):
        raise ParameterError("dask", f"got {address!r}; accepted: a scheduler address such as tcp://host:8786")
    import queue
    import threading

    from dask.distributed import Client

    # Something other than a scheduler at that port (a web server...) accepts the connection and never answers
    # dask's handshake, and Client's own timeout does not cover that: connect in a daemon thread with a hard
    # deadline (a thread left hanging there does not keep the process alive).
    answer: queue.Queue[tuple[bool, Any]] = queue.Queue()

    def connect() -> None:
        try:
            answer.put((True, Client(address, timeout=timeout)))  # type: ignore[no-untyped-call]
        except BaseException as exc:  # handed to the caller
            answer.put((False, exc))

    threading.Thread(target=connect, name="neurospice-dask-connect", daemon=True).start()
    try:
        ok, value = answer.get(timeout=timeout + 5.0)
    except queue.Empty:
        raise ParameterError(
            "dask",
            f"{address} answered, but not as a dask scheduler within {timeout + 5.0:g} s; "
            "accepted: the address of a running dask scheduler",
        ) from None
    if ok:
        return value
    if not isinstance(value, Exception):
        raise value
    reason = str(value).strip().splitlines()[0] if str(value).strip() else type(value).__name__
    raise ParameterError("dask", f"cannot reach scheduler {address} within {timeout:g} s ({reason})") from None


@dataclass
class DaskExecutor:
    """The same interface as :class:`LocalPool`, on a Dask cluster (a lost task is a ``crashed`` row)."""

    client: Any
    spec: Any
    run: Callable[..., Row]
    futures: dict[Any, Task] = field(default_factory=dict)
    shared: Any = None

    def submit(self, task: Task) -> None:
        if self.shared is None:  # send the specification to every worker once, not with every task
            self.shared = self.client.scatter(self.spec, broadcast=True, hash=False)
        future = self.client.submit(self.run, self.shared, task[0], task[1], pure=False)
        self.futures[future] = task

    def pending(self) -> int:
        return len(self.futures)

    def poll(self, seconds: float) -> list[tuple[Task, Row]]:
        from dask.distributed import wait as dask_wait

        if not self.futures:
            return []
        try:
            dask_wait(list(self.futures), timeout=seconds, return_when="FIRST_COMPLETED")  # type: ignore[no-untyped-call]
        except TimeoutError:
            return []
        results = []
        for future in [f for f in self.futures if f.done()]:
            task = self.futures.pop(future)
            try:
                results.append((task, future.result()))
            except Exception as exc:  # a lost worker or a killed process
                results.append((task, _row(task, "crashed", f"worker failed: {exc!r}")))
        return results

    def cancel_queued(self) -> None:
        """Dask does not say which tasks have started: cancel them all (a resume runs them)."""
        self.kill_running()

    def kill_running(self) -> None:
        if self.futures:
            self.client.cancel(list(self.futures))
        self.futures.clear()

    def close(self) -> None:
        self.kill_running()


@dataclass
class StopRequest:
    """Interrupts received during a run: the first asks to stop dispatching, the second to stop at once."""

    count: int = 0
    first_at: float = 0.0
    signum: int = signal.SIGINT

    def hard(self) -> bool:
        return self.count >= 2


@contextmanager
def catch_interrupts(grace: float) -> Iterator[StopRequest]:
    """Turn SIGINT (and SIGTERM, as a hard stop) into a :class:`StopRequest` for the block (main thread only)."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def on_signal(signum: int, frame: Any) -> None:
        request.signum = signum
        request.count = 2 if signum == signal.SIGTERM else request.count + 1
        if request.count == 1:
            request.first_at = time.monotonic()
            log.warning(
                "interrupt: no new samples; letting running ones finish (up to %g s); interrupt again to stop at once",
                grace,
            )

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield request
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
