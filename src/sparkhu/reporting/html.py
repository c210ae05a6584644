"""Lay a :class:`~sparkhu.reporting.model.Report` out as one self-contained HTML page (jinja2 template)."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from sparkhu.reporting.model import Report

TEMPLATE = "report.html.j2"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The template environment: package templates, HTML autoescaping, undefined names are errors."""
    env = Environment(loader=PackageLoader("sparkhu.reporting", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    # SVG is written by matplotlib, which escapes the texts (series ids, methods) it embeds: it goes in as
    # markup; every other value is escaped by the template.
    env.filters["svg"] = Markup
    return env


def render_html(report: Report) -> str:
    """The report as HTML text: inline CSS and SVG, no scripts, fonts or other external resources."""
    return environment().get_template(TEMPLATE).render(report=report)
