"""Open a report page in a real headless Chromium (playwright driving the system's browser, which
`make setup-report` / infra/setup-report.sh installs) and say what each figure drew.

Under CI=true a missing browser or playwright is a failure, not a skip: the suite must prove the page
renders. Elsewhere the browser test is skipped with the command that installs one.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = "run `make setup-report` (apt-get install chromium) or set OCTOPACK_CHROMIUM"


def find_chromium() -> str | None:
    env = os.environ.get("OCTOPACK_CHROMIUM")
    if env:
        return shutil.which(env) or (env if Path(env).is_file() else None)
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def require_chromium() -> str:
    """The browser's path; fails under CI, skips elsewhere, when there is none (or no playwright)."""
    import importlib.util

    if importlib.util.find_spec("playwright") is None:
        _missing("the playwright package is not installed (pip install -e '.[dev]')")
    path = find_chromium()
    if not path:
        _missing(f"no Chromium found: {INSTALL_HINT}")
    return path


def _missing(why: str):
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


@dataclass
class PageResult:
    figures: dict[str, dict] = field(default_factory=dict)  # element id -> {figure, rendered, error, marks}
    console_errors: list[str] = field(default_factory=list)
    network_requests: list[str] = field(default_factory=list)  # anything not file:// (must stay empty)


# Per figure element: which figure, whether vegaEmbed finished, and the data marks (role-mark groups'
# children: bars, lines, text) drawn into its SVG; axes and legends are not counted.
FIGURE_STATE_JS = """els => els.map(e => ({id: e.id, figure: e.dataset.figure, rendered: e.dataset.rendered || null,
  error: e.dataset.error || null, svgs: e.querySelectorAll('svg').length,
  marks: e.querySelectorAll('svg g.role-mark > *').length}))"""
ALL_SETTLED_JS = """() => [...document.querySelectorAll('.vega-figure')].every(
  e => e.dataset.rendered || e.dataset.error)"""


def open_report(html: Path, chromium: str, timeout_ms: int = 60_000) -> PageResult:
    """Load `html` with every non-file request blocked (a self-contained page makes none) and wait until
    each figure has rendered or failed."""
    from playwright.sync_api import sync_playwright

    result = PageResult()
    with sync_playwright() as p:
        # --no-sandbox: CI runs as root, where Chromium refuses its sandbox.
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("console", lambda m: result.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: result.console_errors.append(f"pageerror: {e}"))

            def block_network(route):
                if not route.request.url.startswith("file://"):
                    result.network_requests.append(route.request.url)
                    return route.abort()
                return route.continue_()

            page.route("**/*", block_network)
            page.goto(html.resolve().as_uri())
            page.wait_for_function(ALL_SETTLED_JS, timeout=timeout_ms)
            for fig in page.eval_on_selector_all(".vega-figure", FIGURE_STATE_JS):
                result.figures[fig["id"]] = fig
        finally:
            browser.close()
    return result


def assert_all_rendered(result: PageResult, expected: list[str]) -> None:
    """Each expected figure key is on the page, rendered to SVG with data marks; no errors, no network."""
    assert result.console_errors == [], result.console_errors
    assert result.network_requests == [], result.network_requests
    assert sorted(f["figure"] for f in result.figures.values()) == sorted(expected)
    for fid, fig in result.figures.items():
        assert fig["rendered"] == "1" and fig["error"] is None, (fid, fig)
        assert fig["svgs"] >= 1 and fig["marks"] >= 1, (fid, fig)
