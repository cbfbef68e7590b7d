"""The notebooks in examples/ run top to bottom on the default technology (each asserts what it shows)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.ngspice
@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [
        o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"
    ]
    assert not errors


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.ipynb")), ids=lambda p: p.name)
def test_every_notebook_is_stored_with_its_outputs_and_displays_rather_than_prints(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    shown = [o for c in code for o in c.get("outputs", []) if o.output_type in ("display_data", "execute_result")]
    assert code and all(c.get("execution_count") for c in code), f"{path.name}: stored without running every cell"
    assert shown, f"{path.name}: no displayed output (tables, plots, labelled data)"
    assert any("image/png" in o.get("data", {}) for o in shown) or path.name.startswith("04"), f"{path.name}: no plot"
    assert not any("/tmp/" in str(o) or str(Path.home()) in str(o) for c in code for o in c.get("outputs", []))


def test_the_monte_carlo_notebook_shows_a_progress_bar_updated_in_place() -> None:
    notebook = nbformat.read(EXAMPLES / "02_mismatch.ipynb", as_version=4)
    html = [o["data"].get("text/html", "") for c in notebook.cells for o in c.get("outputs", []) if "data" in o]
    assert any("<progress" in h and "16/16 samples, 0 failed" in h for h in html)
