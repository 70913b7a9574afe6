"""The report's Sweep page over a real store, without a browser (``tests/browser`` draws it)."""

from __future__ import annotations

import asyncio

from conftest import Sweep

from deepfix_notebook.backends import LocalBackend
from deepfix_notebook.report import RunStore
from deepfix_notebook.report._app import PAGES, ReportApp
from deepfix_notebook.report._sweep import STATIC, SweepPage, bundle_built
from deepfix_notebook.views import MIME_SWEEP


def _page(sweep: Sweep) -> SweepPage:
    from deepfix_notebook.report._notices import Notices

    store = RunStore(sweep.uri)
    page = SweepPage(store, LocalBackend(tracking_uri=sweep.uri), Notices())
    page.set_runs(store.runs())
    return page


def test_the_page_offers_the_experiments_and_draws_the_shared_view(planted: Sweep) -> None:
    page = _page(planted)
    assert page.picker.options == [planted.experiment]
    asyncio.run(page.sweep(planted.experiment))
    [view] = page.body.objects
    assert bundle_built()  # `npm run build` in labextension/ (the bundle is package data)
    assert view.mime == MIME_SWEEP
    assert len(view.payload["result"]["runs"]) == 45
    assert view.payload["axes"][0]["name"] == "learning_rate"
    assert view._esm == (STATIC / "widget.js").read_text(encoding="utf-8")  # the notebook's
    # While it ran, a bar counted the runs analysed; it is gone with the result.
    assert page.counted.object == "45 of 45 runs analysed"
    assert (page.progress.value, page.progress.max, page.progress.visible) == (45, 45, False)
    assert not page.again.disabled
    # Opened again (another session, a link): the sweep made is shown, not made again.
    other = _page(planted)
    asyncio.run(other.sweep(planted.experiment))
    assert other.body.objects[0].payload == view.payload


def test_an_unknown_experiment_says_which_there_are(planted: Sweep) -> None:
    page = _page(planted)
    asyncio.run(page.sweep("nope"))
    [shown] = page.body.objects
    assert "nope" in shown.object and planted.experiment in shown.object


def test_the_report_has_the_sweep_page(planted: Sweep) -> None:
    backend = LocalBackend(tracking_uri=planted.uri)
    app = ReportApp(RunStore(planted.uri), backend)
    assert PAGES[-1] == "sweep" and app.tabs.objects[-1] is app.sweep.view
    asyncio.run(app.start({"page": "sweep", "experiment": planted.experiment}))
    assert app.tabs.active == PAGES.index("sweep")
    assert app.sweep.experiment == planted.experiment
    assert app.sweep.body.objects[0].payload["result"]["experiment"] == planted.experiment
