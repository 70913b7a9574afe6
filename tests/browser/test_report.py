"""``deepfix report`` in Debian's Chromium: a real server subprocess on a free loopback port over a
real SQLite MLflow store, and the exported file opened with the network cut off.

Screenshots go to ``<basetemp>/report-screenshots/`` (printed with ``-s``; kept with the other
pytest temp dirs).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from process_helpers import free_port, stop_process_tree, tail

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
from seeding import HOSTILE, Seeded, seed_many, seed_store

from deepfix_notebook.artifacts import list_runs, load_mlflow_analysis

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90.0
UI_TIMEOUT_MS = 60_000


class ReportServer:
    """``python -m deepfix_notebook.cli report`` on 127.0.0.1, stopped with its children."""

    def __init__(self, base: Path, uri: str, *args: str) -> None:
        base.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.stderr = base / "report.err"
        env = {
            **os.environ,
            "DEEPFIX_HOME": str(base / "home"),
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        env.pop("MLFLOW_TRACKING_URI", None)
        command = [
            sys.executable, "-m", "deepfix_notebook.cli", "report",
            "--tracking-uri", uri, "--port", str(self.port), *args,
        ]  # fmt: skip
        with (base / "report.out").open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                command, cwd=base, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"deepfix report exited early:\n{tail(self.stderr)}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"deepfix report did not answer {self.url}:\n{tail(self.stderr)}")

    def stop(self) -> None:
        stop_process_tree(self.process)


def _serve(base: Path, uri: str, *args: str) -> Iterator[ReportServer]:
    server = ReportServer(base, uri, *args)
    try:
        server.wait_ready()
    except RuntimeError as error:
        server.stop()
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return seed_store(tmp_path_factory.mktemp("browser-report-store"))


@pytest.fixture(scope="module")
def report(store: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportServer]:
    yield from _serve(tmp_path_factory.mktemp("browser-report"), store.uri)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.getbasetemp() / "report-screenshots"
    folder.mkdir(exist_ok=True)
    print(f"\nreport screenshots: {folder}")
    return folder


def _shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _tab(page: Any, title: str) -> Any:
    return page.locator(".bk-tab").filter(has_text=re.compile(f"^{re.escape(title)}$"))


def _run_cell(page: Any, name: str) -> Any:
    return page.locator(".tabulator-cell[tabulator-field='run']").filter(
        has_text=re.compile(f"^{re.escape(name)}$")
    )


def _no_errors(browser: Any) -> None:
    assert browser.errors == []
    assert browser.page.evaluate("window.__deepfix_xss") is None


def _health(page: Any, name: str) -> Any:
    row = page.locator(".tabulator-row").filter(has=_run_cell(page, name))
    return row.locator(".tabulator-cell[tabulator-field='health']")


def test_overview_lists_the_seeded_runs(
    report: ReportServer, store: Seeded, browser_page: Any, shots: Path
) -> None:
    page = browser_page.page
    page.goto(report.url)
    for name in ("quickstart", "overfitting", "diverging", "lightning_style", "no-artifacts"):
        expect(_run_cell(page, name)).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(_run_cell(page, HOSTILE)).to_have_count(1)  # shown as text
    # overfitting's logged analysis: solid badges.
    logged = _health(page, "overfitting").locator(".df-logged")
    expect(logged).to_contain_text("high", timeout=UI_TIMEOUT_MS)
    expect(logged).to_have_attribute("title", re.compile("logged with the run"))
    # The runs without one were analysed for display by the local engine: outlined badges.
    for name in ("quickstart", "diverging", "lightning_style", HOSTILE):
        computed = _health(page, name).locator(".df-computed")
        expect(computed).to_have_count(1, timeout=UI_TIMEOUT_MS)
        expect(computed).to_have_attribute("title", re.compile("not saved to the run"))
    expect(_health(page, "diverging").locator(".df-badge.df-high")).to_contain_text("high")
    expect(_health(page, "no-artifacts")).to_have_text("no artifacts")
    legend = page.locator(".deepfix-health-legend")
    expect(legend).to_contain_text("computed for display by the local engine, not saved")
    _shot(page, shots, "overview")
    page.locator(".deepfix-health-filter select").select_option("has high")
    expect(page.locator(".tabulator-row")).to_have_count(2, timeout=UI_TIMEOUT_MS)
    expect(page.locator(".deepfix-count")).to_contain_text("applies to analysed runs")
    _shot(page, shots, "overview-has-high")
    page.locator(".deepfix-health-filter select").select_option("any")
    page.locator(".deepfix-search input").fill("lightning")
    expect(page.locator(".tabulator-row")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    page.locator(".deepfix-search input").fill("")
    expect(page.locator(".tabulator-row")).to_have_count(6, timeout=UI_TIMEOUT_MS)
    # Shown, not saved: the runs still have no logged analysis.
    for name in ("quickstart", "lightning_style"):
        assert load_mlflow_analysis(store.ids[name], store.uri) is None
    _no_errors(browser_page)


def test_opening_a_run_shows_findings_and_annotated_curves(
    report: ReportServer, browser_page: Any, shots: Path
) -> None:
    page = browser_page.page
    page.goto(report.url)
    _run_cell(page, "overfitting").click(timeout=UI_TIMEOUT_MS)
    page.wait_for_selector(".deepfix-curves .js-plotly-plot .main-svg", timeout=UI_TIMEOUT_MS)
    page.get_by_text("DeepFix analysis of").wait_for(timeout=UI_TIMEOUT_MS)
    assert page.locator(".deepfix-curves .shapelayer path").count() > 0  # finding regions
    assert page.locator(".deepfix-curves .legendtext").filter(has_text="val_loss").count() == 1
    header = page.locator(".deepfix-run-header")
    assert header.get_by_text("logged with the run").count() == 1
    _shot(page, shots, "run-overfitting")
    _no_errors(browser_page)


def test_the_url_follows_the_pages_and_the_run_shown(
    report: ReportServer, store: Seeded, browser_page: Any, shots: Path
) -> None:
    page = browser_page.page
    page.goto(report.url)
    _run_cell(page, "overfitting").click(timeout=UI_TIMEOUT_MS)
    page.get_by_text("DeepFix analysis of").wait_for(timeout=UI_TIMEOUT_MS)
    expect(page).to_have_url(re.compile(f"run={store.ids['overfitting']}"), timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text("Choose a run on the Overview page")).to_have_count(0)
    _tab(page, "Knowledge").click()
    expect(page).to_have_url(re.compile("page=knowledge"), timeout=UI_TIMEOUT_MS)
    page.reload()  # the shared link opens the same page
    expect(page.locator(".bk-tab.bk-active")).to_have_text("Knowledge", timeout=UI_TIMEOUT_MS)
    unknown = "0" * 32
    page.goto(f"{report.url}?run={unknown}")
    expect(page.get_by_text(f"Run {unknown} was not found in")).to_have_count(
        1, timeout=UI_TIMEOUT_MS
    )
    expect(page.get_by_text("Metrics per step or epoch")).to_have_count(0)
    _shot(page, shots, "run-not-found")
    _no_errors(browser_page)


def test_a_link_to_a_run_draws_its_curves_once_plotly_arrives(
    report: ReportServer, store: Seeded, browser_page: Any
) -> None:
    page = browser_page.page
    page.goto(f"{report.url}?run={store.ids['overfitting']}")
    # plotly.js is loaded after the first paint; the plot rendered before it must be drawn then.
    page.wait_for_selector(".deepfix-curves .js-plotly-plot .main-svg", timeout=UI_TIMEOUT_MS)
    assert page.locator(".deepfix-curves .scatterlayer .trace").count() >= 2
    assert page.evaluate("typeof window.Plotly") == "object"
    _no_errors(browser_page)


def test_analyze_button_runs_the_backend_with_progress(
    report: ReportServer, store: Seeded, browser_page: Any, shots: Path
) -> None:
    page = browser_page.page
    page.goto(f"{report.url}?run={store.ids['diverging']}")
    button = page.get_by_role("button", name="Analyze", exact=True)
    button.wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_text("Not analysed yet").wait_for()
    button.click()
    page.get_by_role("button", name="Re-analyze").wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_text("DeepFix analysis of").wait_for(timeout=UI_TIMEOUT_MS)
    page.locator(".deepfix-findings").get_by_text("nan_loss").first.wait_for()
    _shot(page, shots, "run-analyzed")
    _no_errors(browser_page)


def test_run_without_artifacts_explains_how_to_log_them(
    report: ReportServer, store: Seeded, browser_page: Any, shots: Path
) -> None:
    page = browser_page.page
    page.goto(f"{report.url}?run={store.ids['no-artifacts']}")
    page.get_by_text("Missing for a full diagnosis").wait_for(timeout=UI_TIMEOUT_MS)
    assert page.get_by_text("This run cannot be read").count() == 1
    assert page.get_by_role("button", name="Analyze").is_disabled()
    _shot(page, shots, "run-no-artifacts")
    _no_errors(browser_page)


def test_hostile_run_name_params_and_metric_are_text(
    report: Any, store: Seeded, browser_page: Any, shots: Path
) -> None:
    page = browser_page.page
    page.goto(f"{report.url}?run={store.ids['hostile']}")
    page.wait_for_selector(".deepfix-curves .js-plotly-plot .main-svg", timeout=UI_TIMEOUT_MS)
    header = page.locator(".deepfix-run-header")
    expect(header.locator("h2")).to_have_text(HOSTILE)
    expect(header).to_contain_text(f"note={HOSTILE}")
    legend = page.locator(".deepfix-curves .legendtext")
    expect(legend.filter(has_text="window.__deepfix_xss=2")).to_have_count(1)
    _shot(page, shots, "run-hostile")
    _no_errors(browser_page)


def test_compare_selected_runs(report: ReportServer, browser_page: Any, shots: Path) -> None:
    page = browser_page.page
    page.goto(report.url)
    page.wait_for_selector(".tabulator-row", timeout=UI_TIMEOUT_MS)
    for name in ("overfitting", "quickstart", HOSTILE):
        row = page.locator(".tabulator-row").filter(has=_run_cell(page, name))
        row.locator("input[type='checkbox']").check()
    page.get_by_role("button", name="Compare selected (3)").click(timeout=UI_TIMEOUT_MS)
    page.wait_for_selector(".deepfix-compare-matrix .main-svg", timeout=UI_TIMEOUT_MS)
    overlay = page.locator(".deepfix-compare-curves")
    assert overlay.locator(".legendtext").filter(has_text=HOSTILE).count() == 1
    assert page.get_by_text("Parameters that differ").count() == 1
    _shot(page, shots, "compare")
    _no_errors(browser_page)


def test_knowledge_search(report: ReportServer, browser_page: Any, shots: Path) -> None:
    page = browser_page.page
    page.goto(f"{report.url}?page=knowledge")
    page.locator(".deepfix-question input").fill("learning rate too high, loss explodes")
    page.get_by_role("button", name="Search").click(timeout=UI_TIMEOUT_MS)
    page.get_by_text("Knowledge for").wait_for(timeout=UI_TIMEOUT_MS)
    _shot(page, shots, "knowledge")
    _no_errors(browser_page)


def test_backend_down_shows_a_banner_with_retry(
    store: Seeded,
    refused_uri: str,
    tmp_path: Path,
    browser_page: Any,
    shots: Path,
) -> None:
    page = browser_page.page
    for server in _serve(tmp_path, store.uri, "--backend", refused_uri):
        page.goto(f"{server.url}?run={store.ids['overfitting']}")
        page.get_by_text("Backend down.").wait_for(timeout=UI_TIMEOUT_MS)
        assert page.get_by_text(f"{refused_uri} is not reachable").count() == 1
        page.get_by_text("DeepFix analysis of").wait_for()  # the logged analysis still shows
        page.get_by_role("button", name="Retry").click()
        page.get_by_text("Backend down.").wait_for()
        _shot(page, shots, "backend-down")
        # A server's analyses are not started for the overview: Analyze on the Run page does.
        _tab(page, "Overview").click()
        cell = _health(page, "quickstart").locator(".df-not-analysed")
        expect(cell).to_have_text("not analysed", timeout=UI_TIMEOUT_MS)
        expect(cell).to_have_attribute("title", re.compile("press Analyze on the Run page"))
        expect(_health(page, "overfitting").locator(".df-logged")).to_have_count(1)
        expect(page.locator(".deepfix-health-legend")).to_contain_text(refused_uri)
        _shot(page, shots, "overview-remote-backend")
    _no_errors(browser_page)


@pytest.mark.slow
def test_500_runs_are_paginated(
    tmp_path_factory: pytest.TempPathFactory, browser_page: Any, shots: Path
) -> None:
    many = seed_store(tmp_path_factory.mktemp("browser-report-500"))
    seed_many(many.uri, 500 - len(many.ids), experiment=many.experiment)
    page = browser_page.page
    for server in _serve(tmp_path_factory.mktemp("browser-report-500-server"), many.uri):
        page.goto(server.url)
        page.wait_for_selector(".tabulator-row", timeout=UI_TIMEOUT_MS)
        assert page.locator(".tabulator-row").count() == 25
        assert page.get_by_text("500 run(s)").count() == 1
        page.locator(".tabulator-page[data-page='next']").click()
        first_of_page_2 = list_runs(many.uri, limit=26)[25].run_name  # newest first
        expect(
            page.locator(".tabulator-row").first.locator("[tabulator-field='run']")
        ).to_have_text(first_of_page_2, timeout=UI_TIMEOUT_MS)
        assert page.locator(".tabulator-row").count() == 25
        # The new page's runs (no logged analysis) are analysed in the background; these bulk
        # runs log a val_loss alone, which the engine cannot diagnose: the badge says why.
        expect(_health(page, first_of_page_2).locator(".df-error")).to_have_attribute(
            "title", re.compile("No train-loss column found"), timeout=UI_TIMEOUT_MS
        )
        health = page.locator(".tabulator-cell[tabulator-field='health']")
        expect(health.locator(".df-error")).to_have_count(25, timeout=UI_TIMEOUT_MS)
        expect(health.locator(".df-analysing")).to_have_count(0)
        _shot(page, shots, "overview-500")
    _no_errors(browser_page)


def test_export_works_offline(
    store: Seeded, tmp_path: Path, browser_page: Any, shots: Path
) -> None:
    from deepfix_notebook.cli import main

    target = tmp_path / "report.html"
    assert main(["report", "--tracking-uri", store.uri, "--export", str(target)]) == 0
    page = browser_page.page
    blocked: list[str] = []

    def offline(route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.context.route("**/*", offline)
    page.goto(target.as_uri())
    page.wait_for_selector(".tabulator-row", timeout=UI_TIMEOUT_MS)
    _tab(page, "Runs").click()
    _tab(page, "overfitting").click()
    shown = page.locator(".deepfix-curves .js-plotly-plot >> visible=true")
    shown.locator(".main-svg").first.wait_for(timeout=UI_TIMEOUT_MS)
    assert shown.locator(".scatterlayer .trace").count() > 0  # the curves are drawn
    assert shown.locator(".shapelayer path").count() > 0  # with the findings' regions
    _tab(page, "Compare").click()
    page.wait_for_selector(".deepfix-compare-matrix .main-svg", timeout=UI_TIMEOUT_MS)
    _shot(page, shots, "export-offline")
    assert blocked == []
    _no_errors(browser_page)


def _headings_shown(page: Any, tag: str = "h2") -> list[str]:
    """The ``tag`` headings' texts a person sees: Bokeh keeps every tab laid out, hiding the
    inactive ones through an ancestor's opacity and visibility."""
    visible = "e.checkVisibility({visibilityProperty: true, opacityProperty: true})"
    shown: list[str] = page.locator(tag).evaluate_all(
        f"els => els.filter(e => {visible}).map(e => e.textContent)"
    )
    return shown


def test_export_row_click_opens_the_run(store: Seeded, tmp_path: Path, browser_page: Any) -> None:
    from deepfix_notebook.cli import main

    target = tmp_path / "report.html"
    assert main(["report", "--tracking-uri", store.uri, "--export", str(target)]) == 0
    page = browser_page.page
    page.goto(target.as_uri())
    page.wait_for_selector(".tabulator-row", timeout=UI_TIMEOUT_MS)
    active = page.locator(".bk-tab.bk-active")
    for name in ("diverging", "overfitting", "diverging"):  # the same row again, too
        _tab(page, "Overview").click()
        _run_cell(page, name).click()
        expect(active.filter(has_text=re.compile("^Runs$"))).to_have_count(1)
        expect(active.filter(has_text=re.compile(f"^{name}$"))).to_have_count(1)
        deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
        while _headings_shown(page) != [name] and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert _headings_shown(page) == [name]  # that run's page, and only it
        assert _headings_shown(page, "h3") == [f"DeepFix analysis of {name}"]
    curves = page.locator(".deepfix-curves .js-plotly-plot >> visible=true")
    curves.locator(".main-svg").first.wait_for(timeout=UI_TIMEOUT_MS)
    browser_page.screenshot("report-export-row-opens-run.png")
    _no_errors(browser_page)
