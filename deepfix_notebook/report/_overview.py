"""The Overview page: the store's runs in a paginated table with health badges, search, filters."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from deepfix_notebook.artifacts import ArtifactError
from deepfix_notebook.report._notices import Notices
from deepfix_notebook.report._panels import (
    health_legend,
    html_pane,
    notice,
    runs_formatters,
    runs_table,
)
from deepfix_notebook.report._rows import (
    HEALTH_FILTERS,
    STATUSES,
    health_cell,
    health_matches,
    matches,
    runs_frame,
)
from deepfix_notebook.report._store import RunStore
from deepfix_notebook.views._report_html import muted_html

if TYPE_CHECKING:
    from deepfix_notebook.artifacts._mlflow import RunSummary
    from deepfix_notebook.report._background import DisplayAnalyses

ANY = "any"
PATCH_EVERY_S = 0.25
# The page's ``onload`` comes when Bokeh has built the document, before the table has drawn its
# rows; analyses started then made the first visit's first paint ~0.5 s slower (benchmarks/).
AFTER_PAINT_S = 0.5
OpenRun = Callable[[str], Coroutine[Any, Any, None]]
CompareRuns = Callable[[list[str]], Coroutine[Any, Any, None]]


class OverviewPage:
    """Runs newest first; clicking a run's name opens it; ticked runs can be compared.

    The health of the shown page's runs is read after the first paint: their logged analyses,
    then, with ``analyses`` (the local engine), the runs without one are analysed for display.
    """

    def __init__(
        self,
        store: RunStore,
        notices: Notices,
        *,
        on_open: OpenRun,
        on_compare: CompareRuns,
        page_size: int = 25,
        analyses: DisplayAnalyses | None = None,
        backend_name: str = "local",
    ) -> None:
        import panel as pn

        self.store = store
        self.notices = notices
        self.on_open = on_open
        self.on_compare = on_compare
        self.analyses = analyses
        self.runs: list[RunSummary] = []
        self._by_id: dict[str, RunSummary] = {}
        self._generation = 0  # of `fill_health` calls: an older one stops patching
        self._started = False
        self.filling: asyncio.Task[None] | None = None  # the latest `fill_health` under way
        self.search = pn.widgets.TextInput(
            label="Search",
            placeholder="name, run id, experiment, parameter=value",
            width=340,
            css_classes=["deepfix-search"],
        )
        self.status = pn.widgets.Select(label="Status", options=[ANY, *STATUSES], width=140)
        self.health = pn.widgets.Select(
            label="Health (analysed runs)",
            options=[ANY, *HEALTH_FILTERS],
            width=190,
            css_classes=["deepfix-health-filter"],
        )
        self.experiment = pn.widgets.Select(
            label="Experiment", options=[ANY], width=200, visible=store.experiment is None
        )
        self.compare_button = pn.widgets.Button(
            label="Compare selected", color="primary", disabled=True, align="end"
        )
        self.refresh_button = pn.widgets.Button(label="Refresh", align="end")
        self.count = html_pane("", sizing_mode="stretch_width", css_classes=["deepfix-count"])
        self.legend = health_legend(computed=analyses is not None, backend=backend_name)
        self.table = runs_table(runs_frame([], {}), page_size=page_size)
        self.table.on_click(self._clicked)
        self.empty = pn.Column(sizing_mode="stretch_width")
        self.view = pn.Column(
            pn.Row(
                self.search,
                self.status,
                self.health,
                self.experiment,
                self.compare_button,
                self.refresh_button,
                sizing_mode="stretch_width",
            ),
            self.count,
            self.legend,
            self.empty,
            self.table,
            sizing_mode="stretch_width",
        )
        self.search.param.watch(lambda _: self.apply_filters(), "value_input")
        self.status.param.watch(lambda _: self.apply_filters(), "value")
        self.health.param.watch(lambda _: self.apply_filters(), "value")
        self.experiment.param.watch(lambda _: self.apply_filters(), "value")
        self.table.param.watch(self._selected, "selection")
        self.table.param.watch(lambda _: pn.state.execute(self.fill_health), ["page", "sorters"])
        self.compare_button.on_click(lambda _: pn.state.execute(self._compare))
        self.refresh_button.on_click(lambda _: pn.state.execute(self.refresh))

    # --- loading ----------------------------------------------------------------------------

    def load(self) -> bool:
        """List the runs (cached by the store) and show them; False when the store failed."""
        try:
            runs = self.store.runs()
        except ArtifactError as error:
            self._failed(error)
            return False
        self._set_runs(runs)
        return True

    async def refresh(self) -> None:
        """List the runs again (bypassing the cache, and what was read of their health) and
        read the health of the shown page."""
        try:
            runs = await asyncio.to_thread(self.store.runs, refresh=True)
        except ArtifactError as error:
            self._failed(error)
            return
        self._set_runs(runs, fill=False)
        await self.fill_health()

    def _set_runs(self, runs: list[RunSummary], *, fill: bool = True) -> None:
        self.notices.clear("store")
        self.runs = runs
        self._by_id = {run.run_id: run for run in runs}
        self.experiment.options = [ANY, *sorted({run.experiment for run in runs})]
        self.apply_filters(fill=fill)

    def _failed(self, error: ArtifactError) -> None:
        self.runs = []
        self.notices.show("store", error.message, title="Cannot list runs.", retry=self.refresh)
        self._show_empty(None)

    def apply_filters(self, *, fill: bool = True) -> None:
        """Show the runs passing search, status, health and experiment, health from what is
        known; then (once the page has loaded, and ``fill``) read the health of the new page."""
        import panel as pn

        query = self.search.value_input or ""
        status = "" if self.status.value == ANY else str(self.status.value)
        experiment = "" if self.experiment.value == ANY else str(self.experiment.value)
        shown = [run for run in self.runs if matches(run, query, status, experiment)]
        known = {run.run_id: health for run in shown if (health := self.store.health(run))}
        wanted = str(self.health.value)
        by_health = ""
        if wanted != ANY:
            analysed = sum(1 for health in known.values() if health.counts is not None)
            unread = len(shown) - len(known)
            by_health = (
                f" · the health filter applies to analysed runs: {analysed:,} of the "
                f"{len(shown):,} matching the other filters (logged, or computed for display)"
                + (f"; {unread:,} not read yet (their page was not shown)" if unread else "")
            )
            shown = [run for run in shown if health_matches(known.get(run.run_id), wanted)]
        computing = self.analyses is not None
        cells = {rid: health_cell(health, computing=computing) for rid, health in known.items()}
        frame = runs_frame(shown, cells)
        self.table.formatters = runs_formatters(frame)
        self.table.value = frame
        self.table.page = 1
        self._show_empty(shown)
        capped = len(self.runs) >= self.store.max_runs
        total = f"{len(self.runs):,} run(s)" + (" (the newest; more exist)" if capped else "")
        filtered = f"{len(shown):,} shown of " if len(shown) != len(self.runs) else ""
        where = f"{self.store.experiment or 'all experiments'} · {self.store.tracking_uri}"
        self.count.object = muted_html(f"{filtered}{total} in {where}{by_health}")
        if fill and self._started:
            pn.state.execute(self.fill_health)

    def visible_ids(self) -> list[str]:
        """Run ids on the table's current page, in the order shown."""
        view = self.table.current_view
        size = self.table.page_size or 25
        start = (max(self.table.page, 1) - 1) * size
        return [str(rid) for rid in view.index[start : start + size]]

    async def fill_health(self, *, after_paint: float = 0.0) -> None:
        """Read the logged analyses of the runs on the current page and patch their health;
        then, with the local engine, analyse the ones without, newest first, in the background
        (``after_paint`` seconds later), patching the badges as the analyses come. A later call
        (another page) takes over."""
        self._started = True
        self.filling = asyncio.current_task()
        self._generation += 1
        generation = self._generation
        runs = [self._by_id[rid] for rid in self.visible_ids() if rid in self._by_id]
        if self.analyses is not None:  # what the previous page queued is not needed any more
            self.analyses.withdraw(self, keep=[(run.run_id, run.end_time) for run in runs])
        if not runs:
            return
        await asyncio.to_thread(self.store.read_health, runs)
        if generation != self._generation:
            return
        self._patch(runs)
        if self.analyses is None:
            return
        waiting = [run for run in runs if _not_analysed(self.store, run)]
        waiting.sort(key=_started_at, reverse=True)
        if waiting and after_paint > 0:
            await asyncio.sleep(after_paint)
            if generation != self._generation:
                return
        futures = self.analyses.request(self, waiting)
        pending = {asyncio.wrap_future(future): run_id for run_id, future in futures.items()}
        while pending:
            # What came in a while is patched at once: one message to the browser, not one a run.
            done, _ = await asyncio.wait(pending, timeout=PATCH_EVERY_S)
            finished = []
            for future in done:
                run = self._by_id.get(pending.pop(future))
                # Withdrawn (cancelled) when another page asked for the worker meanwhile.
                if run is not None and not future.cancelled() and future.exception() is None:
                    finished.append(run)
            self._patch(finished)

    def _patch(self, runs: Sequence[RunSummary]) -> None:
        """Patch the health cells of ``runs`` that changed (each patch redraws the table)."""
        shown = self.table.value["health"]
        computing = self.analyses is not None
        cells = [
            (run.run_id, cell)
            for run in runs
            if run.run_id in shown.index
            and (cell := health_cell(self.store.health(run), computing=computing))
            != shown[run.run_id]
        ]
        if not cells:
            return
        if self.table.pagination == "remote" and self.table.page > 1:
            # Tabulator.patch sends the rows of a remote page with their index in the whole
            # table, which that page's data source (its rows alone) refuses: redraw the page.
            frame = self.table.value
            for run_id, cell in cells:
                frame.loc[run_id, "health"] = cell
            self.table.param.trigger("value")
        else:
            self.table.patch({"health": cells}, as_index=True)

    def close(self) -> None:
        """The session ended: analyses it queued and nobody else waits for are dropped."""
        if self.analyses is not None:
            self.analyses.withdraw(self)

    # --- events -----------------------------------------------------------------------------

    def selected_ids(self) -> list[str]:
        frame = self.table.value
        return [str(frame.index[i]) for i in self.table.selection if 0 <= i < len(frame)]

    def _selected(self, _: Any) -> None:
        self.compare_button.disabled = len(self.table.selection) < 2
        count = len(self.table.selection)
        self.compare_button.label = f"Compare selected ({count})" if count else "Compare selected"

    async def _compare(self) -> None:
        await self.on_compare(self.selected_ids())

    def _clicked(self, event: Any) -> None:
        import panel as pn

        if event.column != "run":
            return
        run_id = str(self.table.value.index[event.row])

        async def open_run() -> None:
            await self.on_open(run_id)

        pn.state.execute(open_run)

    def _show_empty(self, shown: list[RunSummary] | None) -> None:
        self.empty.clear()
        self.table.visible = bool(shown)
        if shown is None or shown:
            return
        if self.runs:
            self.empty.append(notice("No run matches the search and filters.", "info"))
            return
        where = (
            f"experiment {self.store.experiment!r}" if self.store.experiment else "any experiment"
        )
        self.empty.append(
            notice(
                f"No runs yet in {where} of {self.store.tracking_uri}. Log one from Python — "
                'with deepfix_notebook.track("my-run") as run: run.log(epoch=..., train_loss=...) '
                "— or with deepfix_notebook.log_run(metrics=...), then press Refresh.",
                "info",
                title="Empty store.",
            )
        )


def _not_analysed(store: RunStore, run: RunSummary) -> bool:
    health = store.health(run)
    return health is not None and health.state == "none"


def _started_at(run: RunSummary) -> datetime:
    return run.start_time or datetime.min.replace(tzinfo=UTC)
