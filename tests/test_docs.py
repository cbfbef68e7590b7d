"""The documentation: its API reference complete and its examples true, its transcripts fresh, its site built
with warnings as errors and looked at in a real browser, its Python blocks run as written."""

from __future__ import annotations

import contextlib
import doctest
import functools
import http.server
import importlib.resources
import inspect
import re
import socketserver
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))

import transcripts  # noqa: E402  (docs/transcripts.py: the generator of every transcript the pages show)

import neurospice  # noqa: E402
from neurospice import analysis  # noqa: E402
from neurospice.analysis import bibliography  # noqa: E402

PUBLIC: list[tuple[str, Callable[..., Any]]] = [
    *((f"neurospice.{n}", getattr(neurospice, n)) for n in neurospice.__all__),
    *((f"neurospice.analysis.{n}", getattr(analysis, n)) for n in analysis.__all__ if inspect.isfunction(getattr(analysis, n))),
    *((f"neurospice.analysis.bibliography.{n}", getattr(bibliography, n)) for n in bibliography.__all__),
]  # fmt: skip
#: the facade's examples run ngspice; the analysis layer's are pure numpy
NEEDS_NGSPICE = {name for name, _ in PUBLIC if name.count(".") == 1}


def _sections(fn: Callable[..., Any]) -> Any:
    from numpydoc.docscrape import FunctionDoc

    return FunctionDoc(fn)


@pytest.mark.parametrize("name, fn", PUBLIC, ids=[n for n, _ in PUBLIC])
def test_every_public_function_documents_parameters_returns_raises_and_an_example(name: str, fn: Any) -> None:
    doc = _sections(fn)
    params = [
        ("**" if p.kind is p.VAR_KEYWORD else "*" if p.kind is p.VAR_POSITIONAL else "") + p.name
        for p in inspect.signature(fn).parameters.values()
    ]
    documented = [n.strip() for item in doc["Parameters"] for n in item.name.split(",")]
    assert documented == params, f"{name}: documents {documented}, takes {params}"
    assert all(" ".join(item.desc).strip() for item in doc["Parameters"]), f"{name}: a parameter without a word"
    assert doc["Returns"], f"{name}: no Returns section"
    assert doc["Raises"], f"{name}: no Raises section"
    assert ">>>" in "\n".join(doc["Examples"]), f"{name}: no runnable example"
    assert doc["Summary"] and doc["Summary"][0].strip(), f"{name}: no summary line"


def test_a_function_without_its_sections_is_caught() -> None:
    def half(x: float) -> float:
        """Half of ``x``."""
        return x / 2

    with pytest.raises(AssertionError, match="documents"):
        test_every_public_function_documents_parameters_returns_raises_and_an_example("half", half)


def _examples(name: str, fn: Any) -> doctest.TestResults:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs = {**getattr(fn, "__globals__", {}), "__name__": "__doctest__"}  # the module's names, as in its own file
    for test in doctest.DocTestFinder(recurse=False).find(fn, name, globs=globs):
        runner.run(test, out=lambda text: sys.stderr.write(text))
    return runner.summarize(verbose=False)


@pytest.mark.parametrize(
    "name, fn",
    [
        pytest.param(n, f, marks=[pytest.mark.ngspice, pytest.mark.slow] if n in NEEDS_NGSPICE else [])
        for n, f in PUBLIC
    ],
    ids=[n for n, _ in PUBLIC],
)
def test_every_docstring_example_runs_and_prints_what_it_says(
    name: str, fn: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    result = _examples(name, fn)
    assert result.attempted > 0 and result.failed == 0, f"{name}: {result.failed} of {result.attempted} failed"


# ----------------------------------------------------------------------------- transcripts


@pytest.fixture(scope="module")
def fresh_transcripts() -> dict[str, str | BaseException]:
    """Every transcript run again, two at a time (most are one ngspice process; the machine has two cores)."""
    from concurrent.futures import ThreadPoolExecutor

    def run(name: str) -> str | BaseException:
        try:
            return transcripts.run(name)
        except Exception as exc:  # reported by that transcript's own test
            return exc

    names = sorted(transcripts.TRANSCRIPTS, key=lambda n: -len(transcripts.TRANSCRIPTS[n].steps))
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(names, pool.map(run, names), strict=True))


@pytest.mark.ngspice
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(transcripts.TRANSCRIPTS))
def test_every_transcript_in_the_docs_is_what_a_fresh_run_prints(
    name: str, fresh_transcripts: dict[str, str | BaseException]
) -> None:
    stored = (DOCS / "transcripts" / f"{name}.txt").read_text()
    fresh = fresh_transcripts[name]
    if isinstance(fresh, BaseException):
        raise fresh
    assert transcripts.figures(fresh) == transcripts.figures(stored), (
        f"docs/transcripts/{name}.txt is stale: regenerate it with `python docs/transcripts.py {name}`\n{fresh}"
    )
    assert fresh.splitlines()[0] == stored.splitlines()[0]  # the same command


def test_a_changed_figure_is_caught_and_a_timing_is_not() -> None:
    text = "dpi-synapse on gf180mcu, 200 ms transient (ngspice 39, 0.14 s)\n  tau_s  11.56 ms"
    assert transcripts.figures(text.replace("0.14 s", "0.31 s")) == transcripts.figures(text)
    assert transcripts.figures(text.replace("11.56", "11.57")) != transcripts.figures(text)


def test_every_transcript_is_shown_by_a_page_and_every_page_shows_a_generated_one() -> None:
    pages = "\n".join(p.read_text() for p in DOCS.rglob("*.md"))
    for name in transcripts.TRANSCRIPTS:
        assert f"transcripts/{name}.txt" in pages, f"{name} is generated but no page includes it"
    for included in re.findall(r"transcripts/([\w-]+)\.txt", pages):
        assert included in transcripts.TRANSCRIPTS, f"a page includes {included}.txt, which no script generates"
    # no hand-written output: a block that starts with a command prompt and shows what it printed
    for page in DOCS.rglob("*.md"):
        for block in re.findall(r"```\n(\$ neurospice .*?)```", page.read_text(), re.DOTALL):
            assert len(block.strip().splitlines()) == 1 or all(
                line.startswith("$ ") for line in block.strip().splitlines()
            ), f"{page.relative_to(ROOT)}: a hand-written transcript:\n{block[:300]}"


# ----------------------------------------------------------------------------- python blocks


def _python_blocks() -> list[tuple[str, str]]:
    found = []
    for page in [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]:
        for i, code in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), re.DOTALL)):
            found.append((f"{page.relative_to(ROOT)}:{i}", code))
    return found


BLOCKS = _python_blocks()


def test_the_pages_have_python_blocks() -> None:
    assert len(BLOCKS) >= 4 and any(name.startswith("README.md") for name, _ in BLOCKS)


@pytest.mark.ngspice
@pytest.mark.slow
@pytest.mark.parametrize("code", [c for _, c in BLOCKS], ids=[n for n, _ in BLOCKS])
def test_every_python_block_of_the_pages_runs_as_written(code: str, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=900,
                          check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr


# ----------------------------------------------------------------------------- the README


def test_the_readme_is_a_front_page_whose_links_resolve() -> None:
    text = (ROOT / "README.md").read_text()
    assert len(text.encode()) < 12_000, f"README is {len(text.encode())} bytes: the details belong in docs/"
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if not target.startswith(("http://", "https://", "mailto:")):
            assert (ROOT / target).exists(), f"README links to {target}, which does not exist"
    assert "make run" in text and "make test" in text and "pip install" in text
    # its one output excerpt is lines of a generated transcript, as they are there
    synapse = (DOCS / "transcripts" / "synapse.txt").read_text().splitlines()
    excerpt = re.search(
        r"```sh\nneurospice simulate dpi-synapse --tech gf180mcu\n```\n\n```\n(.*?)```", text, re.DOTALL
    )
    assert excerpt and all(line in synapse for line in excerpt.group(1).splitlines())


# ----------------------------------------------------------------------------- the site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(out)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, f"sphinx-build -W failed:\n{proc.stderr[-6000:]}"
    return out


@pytest.mark.slow
def test_the_site_builds_with_warnings_as_errors_and_every_local_link_resolves(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    assert (site / "index.html").is_file() and len(pages) > 40
    for page in pages:
        for target in re.findall(r'href="([^"#:?]+)(?:#[^"]*)?"', page.read_text(errors="replace")):
            if target.endswith("/") or target.startswith("//"):
                continue
            assert (page.parent / target).resolve().exists(), f"{page.relative_to(site)} links to missing {target}"
    for name in neurospice.__all__:
        assert (site / "api" / "generated" / f"neurospice.{name}.html").is_file()
    cli = re.sub(r"<[^>]+>", "", (site / "cli.html").read_text())
    assert all(f"neurospice {cmd}" in cli for cmd in ("simulate", "mismatch", "sweep", "datasheet", "doctor"))
    assert "--samples N" in cli and "--json" in cli
    refs = (site / "references.html").read_text()
    assert "Neuromorphic electronic circuits for building autonomous cognitive systems" in refs


@contextlib.contextmanager
def _serve(folder: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    with socketserver.TCPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip


def _look(url: str) -> dict[str, Any]:
    """Open ``url`` in Debian's chromium (headless) and read what a reader sees: errors, styles, text."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        failed: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: failed.append(r.url))
        response = page.goto(url, wait_until="load")
        seen = page.evaluate(
            """() => ({
                title: document.title,
                font: getComputedStyle(document.body).fontFamily,
                navbar: !!document.querySelector('.bd-header, nav.navbar'),
                sidebar: document.querySelectorAll('.bd-sidebar a, nav.bd-links a').length,
                text: document.body.innerText,
                images: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length,
                stylesheets: document.styleSheets.length,
            })"""
        )
        browser.close()
    seen.update(status=response.status if response else 0, errors=errors,
                failed=[u for u in failed if u.startswith("http://127.0.0.1")])  # fmt: skip
    return seen


@pytest.mark.slow
def test_the_front_page_and_an_api_page_render_in_a_real_browser(site: Path) -> None:
    for where, must in (
        ("index.html", ["neurospice", "tau_s", "closed form", "Getting started"]),
        ("api/generated/neurospice.simulate.html", ["Parameters", "Returns", "Raises", "Examples", "overrides"]),
    ):
        with _serve(site) as base:
            seen = _look(f"{base}/{where}")
        assert seen["status"] == 200 and not seen["errors"] and not seen["failed"], (
            where,
            seen["errors"],
            seen["failed"],
        )
        assert seen["navbar"] and seen["sidebar"] > 3 and seen["stylesheets"] >= 2, (where, seen)
        assert "Times" not in seen["font"], f"{where}: the theme's style sheet did not apply ({seen['font']})"
        assert seen["images"] == 0, f"{where}: a broken image"
        for text in must:
            assert text in seen["text"], f"{where}: {text!r} not on the page"


@pytest.mark.slow
def test_the_browser_check_fails_on_a_broken_page(site: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "index.html").write_text(
        "<html><head><link rel=stylesheet href='_static/missing.css'></head>"
        "<body><script>undefined_function()</script><img src='nope.png'></body></html>"
    )
    with _serve(broken) as base:
        seen = _look(f"{base}/index.html")
    assert seen["errors"] and seen["failed"] and not seen["navbar"] and seen["images"] == 1


def test_the_bibliography_is_one_file_and_every_cited_key_is_in_it() -> None:
    keys = set(bibliography.keys())
    cited: set[str] = set()
    for path in [*ROOT.joinpath("neurospice").rglob("*.py"), *DOCS.rglob("*.md")]:
        for group in re.findall(r":cite:[pt]:`([^`]+)`|\{cite:[pt]\}`([^`]+)`", path.read_text()):
            cited |= {k.strip() for g in group if g for k in g.split(",")}
    assert cited and cited <= keys, f"cited but not in references.bib: {sorted(cited - keys)}"
    assert list(ROOT.rglob("*.bib")) == [ROOT / "neurospice" / "analysis" / "data" / "references.bib"] or all(
        ".venv" in str(p) or "_build" in str(p) for p in ROOT.rglob("*.bib") if p.name != "references.bib"
    )
    assert importlib.resources.files("neurospice.analysis").joinpath("data/references.bib").is_file()
