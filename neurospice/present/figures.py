"""What every rendered page shares: its style sheet and figures embedded as PNG (matplotlib, no display)."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CSS", "SORTABLE_JS", "eng_axis", "figure", "png"]

CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td{white-space:nowrap}.wide{overflow-x:auto}td:first-child,th:first-child{text-align:left}img{max-width:100%}
.note{color:#555;font-size:90%}pre{background:#f6f6f6;padding:8px;overflow-x:auto}
table.sortable th{cursor:pointer}table.sortable th:after{content:" \\2195";color:#aaa}
details{margin:1em 0}summary{cursor:pointer;color:#2b5d9b}"""

#: click a header of a ``<table class=sortable>`` to sort by that column (cells sort by their ``data-v``, else text)
SORTABLE_JS = """document.querySelectorAll('table.sortable').forEach(function(t){
t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
var b=t.tBodies[0],r=Array.from(b.rows),up=th.dataset.up!=='1';th.dataset.up=up?'1':'0';
function k(x){var c=x.cells[i],v=c.dataset.v;return v!==undefined?parseFloat(v):c.textContent;}
r.sort(function(a,c){var x=k(a),y=k(c);if(typeof x==='number'&&typeof y==='number'){
if(isNaN(x))return 1;if(isNaN(y))return -1;return up?x-y:y-x;}return up?String(x).localeCompare(y):
String(y).localeCompare(x);});r.forEach(function(x){b.appendChild(x);});});});});"""


def png(fig: Figure) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def figure(rows: int = 1, cols: int = 1, size: tuple[float, float] = (6, 4)) -> tuple[Figure, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(rows, cols, figsize=size, squeeze=False)


def eng_axis(ax: Any, which: str, unit: str, *, log: bool = False) -> None:
    """Label ``ax``'s ``which`` axis ("x" or "y") in engineering units (2 pA, 5 pA, 10 pA ...), readable on a
    log axis too: ticks at 1, 2 and 5 of each decade, each labelled, none in scientific notation."""
    from matplotlib.ticker import EngFormatter, LogLocator, NullFormatter

    axis = ax.xaxis if which == "x" else ax.yaxis
    if log:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_minor_formatter(NullFormatter())
    if unit or log:
        axis.set_major_formatter(EngFormatter(unit=unit, sep=" "))
