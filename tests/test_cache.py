"""The on-disk result cache: same key, same value; a damaged or unwritable entry costs time, not a result."""

from __future__ import annotations

from pathlib import Path

import pytest

from neurospice.store.cache import cached_json, results_dir


def test_a_result_is_computed_once_per_key_and_recomputed_when_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEUROSPICE_CACHE_DIR", str(tmp_path))
    calls: list[int] = []

    def compute() -> dict[str, object]:
        calls.append(1)
        return {"sigma": [0.1, 0.2], "n": len(calls)}

    first = cached_json("check", {"deck": "a"}, compute)
    assert cached_json("check", {"deck": "a"}, compute) == first and len(calls) == 1
    assert cached_json("check", {"deck": "b"}, compute)["n"] == 2  # another key, another result
    (entry,) = [p for p in (results_dir() / "check").iterdir() if '"n": 1' in p.read_text()]
    entry.write_text("{not json")
    assert cached_json("check", {"deck": "a"}, compute)["n"] == 3 and len(calls) == 3
    assert cached_json("check", {"deck": "a"}, compute)["n"] == 3  # rewritten whole


def test_an_unwritable_cache_still_returns_the_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("NEUROSPICE_CACHE_DIR", str(blocked))  # a file where the folder should be
    assert cached_json("check", {"deck": "a"}, lambda: {"x": 1}) == {"x": 1}
