"""The ``datasheet`` command: a stored run's metrics over its conditions, with spreads, specs and verdicts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._app import app
from .common import FailOnSpecOpt, JsonOpt, SpecOpt, guard


@app.command(rich_help_panel="Results")
def datasheet(
    run_dir: Annotated[Path, typer.Argument(help="a folder written by `sweep --out`, `mismatch --out` or `run`")],
    spec: SpecOpt = None,
    fail_on_spec: FailOnSpecOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Write RUN_DIR/datasheet.{html,md,json}: each metric's min/typ/max over the conditions, its spread, its spec
    (--spec, else the specs table of the study file the folder keeps), the yield and the worst case."""
    from ..params import ParameterError
    from ..params.specs import parse_spec
    from ..present.datasheet import write_datasheet
    from ..store import read_manifest
    from ..store.declarations import declared_metrics

    def prepare() -> list[object] | None:
        if not (run_dir / "manifest.json").is_file():
            raise ParameterError("run_dir", f"{run_dir}: not a run folder (no manifest.json)")
        units = {name: m.unit for name, m in declared_metrics(read_manifest(run_dir)).items()}
        return [parse_spec(text, units) for text in spec] if spec else None

    specs = guard(prepare)
    sheet, paths = guard(lambda: write_datasheet(run_dir, specs))  # type: ignore[arg-type]
    rows = sheet.summary.to_dict("records") if "met" in sheet.summary else []
    judged = [r for r in rows if isinstance(r.get("met"), bool)]
    if as_json:
        import json

        from ..store.simrun import json_safe

        doc = json.loads((run_dir / "datasheet.json").read_text())
        typer.echo(json.dumps(json_safe({**doc, "wrote": [str(p) for p in paths]})))
    for r in [] if as_json else judged:
        verdict = "pass" if r["met"] else f"FAIL (worst case {r['worst_case']})"
        typer.echo(f"  {r['metric']!s:22s} lowest yield {100 * float(r['yield_min']):.1f} %  {verdict}")
    for path in [] if as_json else paths:
        typer.echo(f"wrote {path}")
    if fail_on_spec and not all(r["met"] for r in judged):
        raise typer.Exit(1)
