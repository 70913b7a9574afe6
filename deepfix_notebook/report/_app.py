"""`ReportApp`: one browser session of the report: header, banners and the four pages."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from deepfix_notebook.report._backend import backend_problem
from deepfix_notebook.report._background import DisplayAnalyses, display_analyses
from deepfix_notebook.report._compare import ComparePage
from deepfix_notebook.report._knowledge import KnowledgePage
from deepfix_notebook.report._notices import Notices
from deepfix_notebook.report._overview import AFTER_PAINT_S, OverviewPage
from deepfix_notebook.report._panels import html_pane
from deepfix_notebook.report._run import RunPage, sync_url
from deepfix_notebook.report._store import RunStore
from deepfix_notebook.report._sweep import SweepPage
from deepfix_notebook.views._report_html import report_header_html

if TYPE_CHECKING:
    from collections.abc import Mapping

    from deepfix_notebook.backends import AnalysisBackend

PAGES = ("overview", "run", "compare", "knowledge", "sweep")


class ReportApp:
    """Built per session from the shared `RunStore`, backend and `DisplayAnalyses` (None: a
    session of its own when the backend is the local engine; see `display_analyses`).

    The first page of runs is in the first paint (the store caches the list); the backend check
    and the health of the shown runs follow in `start`, without blocking the page.
    """

    def __init__(
        self,
        store: RunStore,
        backend: AnalysisBackend,
        *,
        page_size: int = 25,
        analyses: DisplayAnalyses | None = None,
    ) -> None:
        import panel as pn

        self.store = store
        self.backend = backend
        self.notices = Notices()
        self.overview = OverviewPage(
            store,
            self.notices,
            on_open=self.open_run,
            on_compare=self.open_compare,
            page_size=page_size,
            analyses=analyses or display_analyses(store, backend),
            backend_name=backend.name,
        )
        self.run = RunPage(store, backend, self.notices)
        self.compare = ComparePage(store)
        self.knowledge = KnowledgePage(backend, self.notices)
        self.sweep = SweepPage(store, backend, self.notices)
        self.tabs = pn.Tabs(
            ("Overview", self.overview.view),
            ("Run", self.run.view),
            ("Compare", self.compare.view),
            ("Knowledge", self.knowledge.view),
            ("Sweep", self.sweep.view),
            dynamic=False,
            sizing_mode="stretch_width",
        )
        header = html_pane(
            _header_html(store, backend), sizing_mode="stretch_width", css_classes=["deepfix-head"]
        )
        self.tabs.param.watch(self._page_shown, "active")
        self.view = pn.Column(
            header,
            self.notices.view,
            self.tabs,
            sizing_mode="stretch_width",
            styles={"padding": "0 16px"},
            css_classes=["deepfix-report"],
        )
        if self.overview.load():
            self.run.set_runs(self.overview.runs)
            self.compare.set_runs(self.overview.runs)
            self.sweep.set_runs(self.overview.runs)

    async def start(self, args: Mapping[str, str] | None = None) -> None:
        """After the first paint: check the backend, read the shown runs' health, and open
        ``args["run"]`` / the page ``args["page"]`` (from the URL's query) if given; the sweep
        of ``args["experiment"]`` on the Sweep page."""
        args = args or {}
        if args.get("run"):
            await self.open_run(args["run"])
        elif args.get("page") in PAGES:
            self.tabs.active = PAGES.index(args["page"])
        sweep = args.get("experiment") if args.get("page") == "sweep" else None
        await asyncio.gather(
            self.check_backend(),
            self.overview.fill_health(after_paint=AFTER_PAINT_S),
            *([self.sweep.sweep(sweep)] if sweep else []),
        )

    def _page_shown(self, event: object) -> None:
        page = PAGES[self.tabs.active]
        run = self.run.run_id if page == "run" and self.run.run_id else ""
        experiment = self.sweep.experiment if page == "sweep" else ""
        sync_url(page=page, run=run, experiment=experiment)

    async def check_backend(self) -> None:
        problem = await asyncio.to_thread(backend_problem, self.backend)
        if problem is None:
            self.notices.clear("backend")
            return
        self.notices.show(
            "backend",
            f"The analysis backend {self.backend.name} is not reachable: {problem}. Analyses "
            "already logged with the runs still show; Analyze and Knowledge need the backend.",
            title="Backend down.",
            retry=self.check_backend,
        )

    async def open_run(self, run_id: str) -> None:
        self.tabs.active = PAGES.index("run")
        await self.run.show(run_id)

    async def open_compare(self, run_ids: list[str]) -> None:
        self.tabs.active = PAGES.index("compare")
        await self.compare.compare(run_ids)


def session_app(
    store: RunStore,
    backend: AnalysisBackend,
    page_size: int = 25,
    analyses: DisplayAnalyses | None = None,
) -> object:
    """The Panel object of a new session; its `start` runs once the page has loaded."""
    import panel as pn

    from deepfix_notebook.report._page import page_template

    if pn.state.curdoc is not None:
        pn.state.curdoc.template = page_template()
    app = ReportApp(store, backend, page_size=page_size, analyses=analyses)
    pn.state.on_session_destroyed(lambda _: app.overview.close())
    args = {
        key: values[0].decode("utf-8", "replace")
        for key, values in (pn.state.session_args or {}).items()
        if values
    }

    async def start() -> None:
        await app.start(args)

    pn.state.onload(start)
    return app.view


def _header_html(store: RunStore, backend: AnalysisBackend) -> str:
    where = store.experiment or "all experiments"
    return report_header_html(where, store.tracking_uri, backend.name)
