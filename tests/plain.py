"""Plain ``ngspice -b`` on a netlist, as its author runs it: what the comparisons with neurospice read."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path


def plain_measures(folder: Path, netlist: str, pattern: str = r"\w+") -> dict[str, float]:
    """Run ``ngspice -b netlist`` in ``folder``; every ``name = value`` it prints whose name matches ``pattern``."""
    out = subprocess.run(
        [shutil.which("ngspice") or "ngspice", "-b", netlist], cwd=folder, capture_output=True, text=True, timeout=300
    )
    found = re.findall(rf"^({pattern})\s*=\s*([-+0-9.eE]+)", out.stdout, re.MULTILINE)
    return {name: float(value) for name, value in found}
