"""The store: every file neurospice writes or reads back, for every kind of run.

- :mod:`~neurospice.store.files`: atomic writes, staged folders, output checks, permissions.
- :mod:`~neurospice.store.runs`: Monte Carlo run folders (manifest, lock, parts, :func:`load_run`).
- :mod:`~neurospice.store.simrun`: a single simulation's folder (:func:`write_run`).
- :mod:`~neurospice.store.provenance`: library and simulator versions, technology hashes, options.

The store imports nothing of the run layer: it never starts ngspice.
"""

from __future__ import annotations

from .files import atomic_write, check_new_dir, check_new_file, is_empty_dir, remove_partial, staged_dir, umask
from .provenance import provenance_record, versions
from .runs import (
    IncompleteRunError,
    IncompleteRunWarning,
    PartWriter,
    RunFolderError,
    RunLockedError,
    StoreError,
    load_run,
    lock_run,
    open_run,
    read_manifest,
    record_status,
    write_manifest,
)
from .simrun import result_json, write_run

__all__ = [
    "IncompleteRunError",
    "IncompleteRunWarning",
    "PartWriter",
    "RunFolderError",
    "RunLockedError",
    "StoreError",
    "atomic_write",
    "check_new_dir",
    "check_new_file",
    "is_empty_dir",
    "load_run",
    "lock_run",
    "open_run",
    "provenance_record",
    "read_manifest",
    "record_status",
    "remove_partial",
    "result_json",
    "staged_dir",
    "umask",
    "versions",
    "write_manifest",
    "write_run",
]
