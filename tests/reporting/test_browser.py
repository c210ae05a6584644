"""The report opened in a real headless Chromium: plots render, nothing is fetched, no errors."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, ConsoleMessage, Request, Route, sync_playwright

from sparkhu.reporting import ReportRequest, write_report
from sparkhu.storage.lake import Lake
from tests.reporting.synthetic import FUSION_PLOTS, RELATION_PLOTS, Truth

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_SCHEMES = ("file://", "data:")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (never a downloaded browser); skipped only outside CI."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def report_file(full_lake: tuple[Lake, Truth], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    write_report(full_lake[0], ReportRequest(), out, now=datetime(2024, 3, 4, tzinfo=UTC))
    return out


def test_report_renders_offline_in_chromium(chromium: Browser, report_file: Path) -> None:
    context = chromium.new_context(viewport={"width": 1300, "height": 900}, offline=True)
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: _record_error(message, errors))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: _record_request(request, requests))
    context.route("**/*", _only_local)
    page.goto(report_file.as_uri(), wait_until="load")

    plots = page.locator("figure.plot > svg")
    assert plots.count() == 7 + len(RELATION_PLOTS) + len(FUSION_PLOTS)
    for index in range(plots.count()):
        box = plots.nth(index).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 80, (index, box)
        assert box["width"] <= 1300  # fits the page, no horizontal overflow
    lines = page.locator("#plot-series-1-series path")
    assert lines.count() > 10
    legend = page.locator("#plot-series-1-series text", has_text="anomalies (2)")
    legend_box = legend.first.bounding_box()
    assert legend_box is not None and legend_box["width"] > 0  # SVG text is laid out by the browser
    forecast = page.locator("#plot-series-1-series text", has_text="forecast (").first.bounding_box()
    assert forecast is not None and forecast["width"] > 0  # plant.flow has a forecast, plant.temperature none
    assert page.locator("#plot-series-2-series text", has_text="forecast (").count() == 0
    assert page.title().startswith("Sparkhu report · run ")
    assert page.locator("section.series").count() == 2

    screenshot = report_file.with_suffix(".png")
    page.screenshot(path=str(screenshot), full_page=True)
    context.close()
    assert errors == []
    assert requests and all(url.startswith(LOCAL_SCHEMES) for url in requests), requests
    _assert_not_blank(screenshot)


def _record_error(message: ConsoleMessage, errors: list[str]) -> None:
    if message.type == "error":
        errors.append(message.text)


def _record_request(request: Request, requests: list[str]) -> None:
    requests.append(request.url)


def _only_local(route: Route) -> None:
    """Let file:// and data: through; abort anything else (it is also recorded as a failure)."""
    if route.request.url.startswith(LOCAL_SCHEMES):
        route.continue_()
    else:
        route.abort()


def _assert_not_blank(screenshot: Path) -> None:
    """The screenshot is a tall page with plots drawn in it (many distinct colours, not a blank page)."""
    pixels = np.asarray(Image.open(screenshot).convert("RGB"))
    assert pixels.shape[0] > 2000 and pixels.shape[1] == 1300
    packed = (pixels[..., 0].astype(np.int32) << 16) | (pixels[..., 1].astype(np.int32) << 8) | pixels[..., 2]
    assert len(np.unique(packed)) > 50
    blue_line = np.all(pixels == (0x2B, 0x6C, 0xB0), axis=-1).sum()
    assert blue_line > 500  # the series lines' colour is on screen
