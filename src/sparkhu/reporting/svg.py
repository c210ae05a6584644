"""Render matplotlib figures to SVG text that can be inlined in an HTML page.

Figures are built with the object API (``Figure``), never ``pyplot``: no global figure registry, no GUI
backend, and nothing to close. Text stays text (``svg.fonttype = none``) so the browser draws it with
the page's own fonts and it can be searched and selected; every figure gets its own id salt so the
element ids of several inlined SVGs never collide in one document.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

_PROLOGUE = re.compile(r"\A.*?(?=<svg)", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
# Element ids and the references to them: matplotlib numbers its groups per figure (axes_1, ...), so
# several figures in one page would repeat ids; each gets its figure's key as prefix.
_IDS = re.compile(r'(\bid="|xlink:href="#|href="#|url\(#)([^"()]+)')
_STYLE: dict[RcKeyType, Any] = {
    "font.family": "sans-serif",
    "font.size": 9.0,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10.0,
    "axes.titleweight": "bold",
    "legend.fontsize": 8.0,
    "legend.frameon": False,
}


def render_svg(draw: Callable[[Figure], None], size: tuple[float, float], key: str) -> str:
    """Draw a figure in the report's style and return it as an ``<svg>`` element.

    Args:
        draw: Fills the empty figure it is given (axes, artists, legend).
        size: Width and height in inches.
        key: Unique name of the plot in the report: its element id and the salt of its inner ids.
    """
    with mpl.rc_context(_STYLE):
        figure = Figure(figsize=size, layout="constrained")
        FigureCanvasAgg(figure)  # headless canvas of its own: no pyplot, no global backend switch
        draw(figure)
        return figure_svg(figure, key)


def figure_svg(figure: Figure, key: str) -> str:
    """The figure as an ``<svg>`` element (XML prologue and doctype removed).

    Args:
        figure: A drawn figure.
        key: Unique name of the plot in the report: its element id and the salt of its inner ids.
    """
    buffer = io.StringIO()
    settings: dict[RcKeyType, Any] = {"svg.fonttype": "none", "svg.hashsalt": key, "svg.id": key}
    with mpl.rc_context(settings):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = _METADATA.sub("", _PROLOGUE.sub("", buffer.getvalue(), count=1), count=1)
    return _IDS.sub(lambda match: _prefixed(match, key), svg)


def _prefixed(match: re.Match[str], key: str) -> str:
    """An id (or a reference to one) prefixed with the figure's key; the root id is the key itself."""
    opening, name = match.group(1), match.group(2)
    return f"{opening}{name}" if name == key else f"{opening}{key}-{name}"
