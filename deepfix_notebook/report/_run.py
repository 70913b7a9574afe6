"""The Run page: one run's findings, plan and annotated curves, and its Analyze button."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from deepfix_notebook.contract import ErrorCode
from deepfix_notebook.report._backend import AnalysisFailed, run_analysis
from deepfix_notebook.report._notices import Notices
from deepfix_notebook.report._panels import (
    analysis_panel,
    artifacts_html,
    curves_pane,
    html_pane,
    notice,
    run_header_html,
    run_labels,
)
from deepfix_notebook.report._store import RunDetails, RunStore
from deepfix_notebook.views._report_html import muted_html

if TYPE_CHECKING:
    from deepfix_notebook.artifacts._mlflow import RunSummary
    from deepfix_notebook.backends import AnalysisBackend
    from deepfix_notebook.contract import JobStatus

MAX_SHOWN_PARAMS = 12
# The picker's first option. Built without options, a Select keeps no value when they arrive, and
# the page then shows it blank even after the first run is chosen: a placeholder avoids that.
CHOOSE = {"Choose a run…": ""}


class RunPage:
    """The chosen run: header, what is missing, its analysis (logged or new) beside its curves."""

    def __init__(self, store: RunStore, backend: AnalysisBackend, notices: Notices) -> None:
        import panel as pn

        self.store = store
        self.backend = backend
        self.notices = notices
        self.run_id: str | None = None
        self.details: RunDetails | None = None
        self.picker = pn.widgets.Select(label="Run", options=dict(CHOOSE), value="", width=360)
        self.analyze_button = pn.widgets.Button(
            label="Analyze", color="primary", disabled=True, align="end"
        )
        self.progress = pn.indicators.Progress(
            value=0, max=100, width=220, visible=False, align="center"
        )
        self.state = html_pane("", align="center", css_classes=["deepfix-run-state"])
        self.header = html_pane("", sizing_mode="stretch_width", css_classes=["deepfix-run-header"])
        self.body = pn.Column(
            notice("Choose a run on the Overview page, or here.", "info"),
            sizing_mode="stretch_width",
        )
        self.view = pn.Column(
            pn.Row(self.picker, self.analyze_button, self.progress, self.state),
            self.header,
            self.body,
            sizing_mode="stretch_width",
        )
        self.picker.param.watch(self._picked, "value")
        self.analyze_button.on_click(lambda _: pn.state.execute(self.analyze))

    def set_runs(self, runs: list[RunSummary]) -> None:
        options = {**CHOOSE, **run_labels([(run.run_id, run.run_name) for run in runs])}
        if self.run_id is not None and self.run_id not in options.values():
            options[self.run_id] = self.run_id  # a run opened by id, beyond the listed ones
        self.picker.options = options

    async def show(self, run_id: str, *, refresh: bool = False) -> None:
        """Read ``run_id`` (in a thread) and render it."""
        self.run_id = run_id
        if run_id not in self.picker.options.values():
            self.picker.options = {**self.picker.options, run_id: run_id}
        if self.picker.value != run_id:
            self.picker.value = run_id
        sync_url(page="run", run=run_id)
        if not refresh:  # what the page says while the run is read, not "Choose a run"
            self.header.object = ""
            self.body.objects = [notice(f"Loading run {run_id}…", "info")]
            self.analyze_button.disabled = True
        self.body.loading = True
        try:
            details = await asyncio.to_thread(self.store.details, run_id, refresh=refresh)
        finally:
            self.body.loading = False
        if self.run_id == run_id:  # the user did not pick another run meanwhile
            self.render(details)

    def render(self, details: RunDetails) -> None:
        self.details = details
        if details.error_code is ErrorCode.RUN_NOT_FOUND:
            self.header.object = ""
            self.body.objects = [
                notice(
                    f"Run {details.run_id} was not found in {self.store.tracking_uri}. Check the "
                    "id, or open the report on the store that holds the run: deepfix report "
                    "--tracking-uri URI.",
                    "error",
                )
            ]
            self.analyze_button.disabled = True
            return
        summary = self.store.summary(details.run_id)
        self.header.object = run_header(details, summary)
        parts = run_parts(
            details,
            f"Not analysed yet. Analyze diagnoses it with the backend {self.backend.name} and "
            "writes the result to the run (deepfix/analysis.json).",
            summary.run_name if summary is not None else None,
        )
        self.body.objects = parts
        self.analyze_button.disabled = details.bundle is None
        self.analyze_button.label = "Analyze" if details.analysis is None else "Re-analyze"

    async def analyze(self) -> None:
        """Analyse the shown run with the backend, showing progress; then show and save it."""
        details = self.details
        if details is None or details.bundle is None:
            return
        run_id = details.run_id
        self.analyze_button.disabled = True
        self.progress.value, self.progress.visible = 0, True
        self.state.object = muted_html("submitting…")
        try:
            result = await run_analysis(self.backend, details.bundle, self._progress)
        except AnalysisFailed as error:

            async def again() -> None:
                if self.run_id == run_id:  # still the run shown
                    await self.analyze()

            self.notices.show(
                "analysis",
                f"Analysing {run_id} with {self.backend.name} failed: {error}",
                title="Analysis failed.",
                retry=again,
            )
            self.state.object = ""
            return
        finally:
            self.progress.visible = False
            self.analyze_button.disabled = False
        self.notices.clear("analysis")
        self.store.remember(result, self.backend.name)
        problem = await asyncio.to_thread(self.store.save, result)
        if problem is not None:
            self.notices.show(
                "save",
                f"The analysis of {run_id} is shown but could not be written to the run: {problem}",
                "warning",
            )
        self.state.object = muted_html(result.status.value)
        if self.run_id == run_id:
            await self.show(run_id)

    def _progress(self, status: JobStatus) -> None:
        self.progress.value = round(status.progress * 100)
        agents = f", {status.agents_done} agent(s) done" if status.agents_done else ""
        self.state.object = muted_html(f"{status.status.value}{agents}")

    def _picked(self, event: Any) -> None:
        import panel as pn

        if event.new and event.new != self.run_id:
            run_id = str(event.new)

            async def show() -> None:
                await self.show(run_id)

            pn.state.execute(show)


def sync_url(**query: str) -> None:
    """Put ``query`` in the page's URL (``?page=run&run=ID``), so a view can be shared and
    reloaded; nothing outside a served session (the static export, tests)."""
    import panel as pn

    if pn.state.location is not None:
        pn.state.location.update_query(**query)  # type: ignore[arg-type]  # panel types kwargs as Mapping


def run_header(details: RunDetails, summary: RunSummary | None) -> str:
    """The run's name, id, experiment, status, first parameters and where its analysis is from."""
    bundle = details.bundle
    params: dict[str, object] = {}
    if summary is not None:
        params = dict(summary.params)
    elif bundle is not None and bundle.params is not None:
        params = dict(bundle.params.raw)
    source = None
    if details.analysis is not None:
        stamp = details.analysis.timestamp.strftime("%Y-%m-%d %H:%M UTC")
        origin = (
            "logged with the run (deepfix/analysis.json)"
            if details.analysis_source == "logged"
            else f"by {details.analysis_source}"
        )
        source = f"Analysis of {stamp}, {origin}."
    started = None
    if summary is not None and summary.start_time is not None:
        started = summary.start_time.strftime("%Y-%m-%d %H:%M UTC")
    return run_header_html(
        summary.run_name if summary is not None else details.run_id,
        details.run_id,
        experiment=summary.experiment if summary is not None else None,
        status=summary.status if summary is not None else None,
        started=started,
        params=dict(list(params.items())[:MAX_SHOWN_PARAMS]),
        source=source,
    )


def run_parts(details: RunDetails, not_analysed: str, run_name: str | None = None) -> list[Any]:
    """Notes, the analysis beside the curves (or ``not_analysed`` and the bare curves), and
    what the run lacks for a full diagnosis; the analysis names the run ``run_name``."""
    parts: list[Any] = [notice(note, "warning") for note in details.notes]
    bundle = details.bundle
    table = bundle.metrics if bundle is not None else None
    if details.analysis is not None:
        parts.append(analysis_panel(details.analysis, table, run_name=run_name))
    elif bundle is not None:
        parts.append(notice(not_analysed, "info"))
        if table is not None:
            parts.append(curves_pane(table))
    missing = artifacts_html(details.run_id, bundle, details.error)
    if missing is not None:
        parts.append(html_pane(missing, sizing_mode="stretch_width"))
    return parts
