"""The Overview page: the store's runs in a paginated table with health badges, search, filters."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from html import escape
from typing import TYPE_CHECKING, Any

from deepfix_notebook.artifacts import ArtifactError
from deepfix_notebook.report._notices import Notices
from deepfix_notebook.report._rows import STATUSES, matches, runs_frame
from deepfix_notebook.report._store import RunStore
from deepfix_notebook.views.panels import (
    health_html,
    html_pane,
    notice,
    runs_formatters,
    runs_table,
)

if TYPE_CHECKING:
    from deepfix_notebook.artifacts._mlflow import RunSummary

ANY = "any"
OpenRun = Callable[[str], Coroutine[Any, Any, None]]
CompareRuns = Callable[[list[str]], Coroutine[Any, Any, None]]


class OverviewPage:
    """Runs newest first; clicking a run's name opens it; ticked runs can be compared."""

    def __init__(
        self,
        store: RunStore,
        notices: Notices,
        *,
        on_open: OpenRun,
        on_compare: CompareRuns,
        page_size: int = 25,
    ) -> None:
        import panel as pn

        self.store = store
        self.notices = notices
        self.on_open = on_open
        self.on_compare = on_compare
        self.runs: list[RunSummary] = []
        self.search = pn.widgets.TextInput(
            label="Search",
            placeholder="name, run id, experiment, parameter=value",
            width=340,
            css_classes=["deepfix-search"],
        )
        self.status = pn.widgets.Select(label="Status", options=[ANY, *STATUSES], width=140)
        self.experiment = pn.widgets.Select(
            label="Experiment", options=[ANY], width=200, visible=store.experiment is None
        )
        self.compare_button = pn.widgets.Button(
            label="Compare selected", color="primary", disabled=True, align="end"
        )
        self.refresh_button = pn.widgets.Button(label="Refresh", align="end")
        self.count = html_pane("", sizing_mode="stretch_width", css_classes=["deepfix-count"])
        self.table = runs_table(runs_frame([], {}), page_size=page_size)
        self.table.on_click(self._clicked)
        self.empty = pn.Column(sizing_mode="stretch_width")
        self.view = pn.Column(
            pn.Row(
                self.search,
                self.status,
                self.experiment,
                self.compare_button,
                self.refresh_button,
                sizing_mode="stretch_width",
            ),
            self.count,
            self.empty,
            self.table,
            sizing_mode="stretch_width",
        )
        self.search.param.watch(lambda _: self.apply_filters(), "value_input")
        self.status.param.watch(lambda _: self.apply_filters(), "value")
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
        """List the runs again (bypassing the cache) and read the health of the shown page."""
        try:
            runs = await asyncio.to_thread(self.store.runs, refresh=True)
        except ArtifactError as error:
            self._failed(error)
            return
        self._set_runs(runs)
        await self.fill_health()

    def _set_runs(self, runs: list[RunSummary]) -> None:
        self.notices.clear("store")
        self.runs = runs
        self.experiment.options = [ANY, *sorted({run.experiment for run in runs})]
        self.apply_filters()

    def _failed(self, error: ArtifactError) -> None:
        self.runs = []
        self.notices.show("store", error.message, title="Cannot list runs.", retry=self.refresh)
        self._show_empty(None)

    def apply_filters(self) -> None:
        """Show the runs passing search, status and experiment, health from what is known."""
        query = self.search.value_input or ""
        status = "" if self.status.value == ANY else str(self.status.value)
        experiment = "" if self.experiment.value == ANY else str(self.experiment.value)
        shown = [run for run in self.runs if matches(run, query, status, experiment)]
        known = self.store.known_counts(run.run_id for run in shown)
        frame = runs_frame(shown, known)
        self.table.formatters = runs_formatters(frame)
        self.table.value = frame
        self.table.page = 1
        self._show_empty(shown)
        capped = len(self.runs) >= self.store.max_runs
        total = f"{len(self.runs):,} run(s)" + (" (the newest; more exist)" if capped else "")
        filtered = f"{len(shown):,} shown of " if len(shown) != len(self.runs) else ""
        where = f"{self.store.experiment or 'all experiments'} · {self.store.tracking_uri}"
        self.count.object = f"<span class='df-muted'>{filtered}{total} in {escape(where)}</span>"

    def visible_ids(self) -> list[str]:
        """Run ids on the table's current page, in the order shown."""
        view = self.table.current_view
        size = self.table.page_size or 25
        start = (max(self.table.page, 1) - 1) * size
        return [str(rid) for rid in view.index[start : start + size]]

    async def fill_health(self) -> None:
        """Read the runs on the current page that were not read yet and patch their health."""
        ids = self.visible_ids()
        if not ids:
            return
        counts = await asyncio.to_thread(self.store.counts, ids)
        present = set(self.table.value.index)
        patch = {"health": [(rid, health_html(counts[rid])) for rid in ids if rid in present]}
        if patch["health"]:
            self.table.patch(patch, as_index=True)

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
