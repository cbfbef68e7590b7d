"""Sphinx configuration of neurospice's documentation site (built by the tests with warnings as errors)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS))

import neurospice  # noqa: E402
from neurospice import analysis  # noqa: E402

project = "neurospice"
author = "the neurospice developers"
copyright = "2026, the neurospice developers"
release = version = neurospice.__version__

extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinxcontrib.bibtex",
]

# one bibliography, inside the package (reports and exports cite from the same file)
bibtex_bibfiles = [str(ROOT / "neurospice" / "analysis" / "data" / "references.bib")]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

# notebooks are stored with their outputs (tests/test_notebooks.py executes them); the site renders them as stored
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

intersphinx_mapping: dict[str, tuple[str, None]] = {}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "transcripts/*.txt", "_generated_cli.md"]
templates_path = ["_templates"]

html_theme = "pydata_sphinx_theme"
html_title = "neurospice"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_last_updated_fmt = None


def _gallery() -> None:
    """Copy the stored notebooks of ``examples/`` into the gallery (the site renders them as they are stored)."""
    target = DOCS / "gallery"
    for notebook in sorted((ROOT / "examples").glob("*.ipynb")):
        copy = target / notebook.name
        if not copy.exists() or copy.read_bytes() != notebook.read_bytes():
            shutil.copyfile(notebook, copy)


def _api_pages() -> None:
    """One autosummary list per public namespace, from its ``__all__`` (a new function is documented at once)."""
    functions = {
        "facade": ("neurospice", neurospice.__all__),
        "analysis": ("neurospice.analysis", analysis.__all__),
    }
    for name, (module, names) in functions.items():
        lines = [f".. currentmodule:: {module}", "", ".. autosummary::", "   :toctree: generated", ""]
        lines += [f"   {item}" for item in sorted(names, key=str.lower)]
        page = DOCS / "api" / f"_{name}_list.rst"
        text = "\n".join(lines) + "\n"
        if not page.exists() or page.read_text() != text:
            page.write_text(text)


def _cli_reference() -> None:
    """The command line reference, generated from the Typer application itself (``typer ... utils docs``)."""
    import subprocess

    text = subprocess.run(
        [sys.executable, "-m", "typer", "neurospice.cli", "utils", "docs", "--name", "neurospice"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout  # fmt: skip
    text = text.replace("# `neurospice`", "## `neurospice`", 1)
    page = DOCS / "_generated_cli.md"
    if not page.exists() or page.read_text() != text:
        page.write_text(text)


_gallery()
_api_pages()
_cli_reference()
