"""The Sweep page: pick an experiment, triage every run of it, and see which hyperparameters go
with which problems, drawn by the same front end as the notebook (``widgets/src/sweep.ts``).

The view is the anywidget bundle the notebook's widgets load (``notebook/static/widget.js``),
mounted by Panel's `AnyWidgetComponent`, so the report and the notebook draw one view from one
payload. A sweep is kept per experiment for the server's life: opening it again (another
session, the page's URL ``?page=sweep&experiment=NAME``) shows it at once; "Sweep again"
reads the runs afresh (logged analyses newer than a run's metrics are still reused).
"""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from deepfix_notebook.report._notices import Notices
from deepfix_notebook.report._panels import notice
from deepfix_notebook.report._run import sync_url
from deepfix_notebook.report._store import RunStore
from deepfix_notebook.views import MIME_SWEEP, sweep_payload

if TYPE_CHECKING:
    from deepfix_notebook.artifacts._mlflow import RunSummary
    from deepfix_notebook.backends import AnalysisBackend
    from deepfix_notebook.contract import SweepResult

# The notebook's anywidget bundle, read as package data: the report sits below `notebook` in
# the layers, so it takes the built files, not the module.
STATIC = Path(__file__).resolve().parents[1] / "notebook" / "static"
# The server's threads would be forked with the workers (`sweeps._analyse`): one process.
WORKERS = 1
_SWEPT: dict[tuple[str, str], SweepResult] = {}


@cache
def _view_class() -> type:
    """The Panel component that draws a DeepFix payload with the shared front end (made once:
    Panel registers a component class by name)."""
    import param
    from panel.custom import AnyWidgetComponent

    class DeepFixView(AnyWidgetComponent):
        _esm = (STATIC / "widget.js").read_text(encoding="utf-8")
        _stylesheets: ClassVar[list[str]] = [(STATIC / "widget.css").read_text(encoding="utf-8")]
        mime = param.String()
        payload = param.Dict()
        text = param.String()

    return DeepFixView


def bundle_built() -> bool:
    return (STATIC / "widget.js").is_file() and (STATIC / "widget.css").is_file()


def sweep_component(result: SweepResult) -> Any:
    """``result`` drawn by the shared front end, or its static HTML without the bundle."""
    import panel as pn

    if not bundle_built():
        from deepfix_notebook.views import sweep_html

        return pn.pane.HTML(str(sweep_html(result)), sizing_mode="stretch_width")
    return _view_class()(
        mime=MIME_SWEEP,
        payload=sweep_payload(result),
        text=result.summary,
        sizing_mode="stretch_width",
        css_classes=["deepfix-sweep-view"],
    )


class SweepPage:
    """An experiment picker, Sweep / Sweep again, and the sweep's view."""

    def __init__(self, store: RunStore, backend: AnalysisBackend, notices: Notices) -> None:
        import panel as pn

        self.store = store
        self.backend = backend
        self.notices = notices
        self.experiment = ""
        self.picker = pn.widgets.Select(
            label="Experiment", options=[], width=320, css_classes=["deepfix-experiment"]
        )
        self.button = pn.widgets.Button(label="Sweep", color="primary", align="end")
        self.again = pn.widgets.Button(label="Sweep again", align="end", disabled=True)
        self.progress = pn.indicators.Progress(value=0, max=1, width=320, visible=False)
        self.counted = pn.pane.Str("", css_classes=["deepfix-sweep-progress"])
        self.body = pn.Column(
            notice(
                "Pick an experiment and press Sweep: every run is diagnosed, and the "
                "hyperparameters that go with each problem are shown.",
                "info",
            ),
            sizing_mode="stretch_width",
        )
        self.view = pn.Column(
            pn.Row(self.picker, self.button, self.again),
            self.body,
            sizing_mode="stretch_width",
        )
        self.button.on_click(lambda _: pn.state.execute(self.sweep))
        self.again.on_click(lambda _: pn.state.execute(self.sweep_again))

    def set_runs(self, runs: list[RunSummary]) -> None:
        """The experiments to pick from: the store's own, and those of the runs listed."""
        names = [self.store.experiment] if self.store.experiment else []
        names += sorted({run.experiment for run in runs if run.experiment})
        options = list(dict.fromkeys(names))
        current = self.picker.value if self.picker.value in options else None
        # The value with the options: set alone, Bokeh's select shows none of them.
        self.picker.param.update(options=options, value=current or next(iter(options), None))

    def _count(self, done: int, total: int) -> None:
        """``done`` of ``total`` runs analysed (reused ones count as done); before the runs are
        listed, that they are being listed."""
        self.progress.param.update(visible=True, max=max(total, 1), value=min(done, total))
        self.counted.object = (
            f"{done} of {total} runs analysed" if total else "Listing the experiment's runs…"
        )

    async def sweep_again(self) -> None:
        await self.sweep(again=True)

    async def sweep(self, experiment: str | None = None, *, again: bool = False) -> None:
        """Show the sweep of ``experiment`` (else the picked one): the one already made unless
        ``again``, else a new one, made in a thread."""
        from deepfix_notebook.artifacts import ArtifactError
        from deepfix_notebook.sweeps import run_sweep

        name = (experiment or str(self.picker.value or "")).strip()
        if not name:
            self.body.objects = [notice("Pick an experiment to sweep.", "warning")]
            return
        if name not in self.picker.options:
            self.picker.param.update(options=[*self.picker.options, name], value=name)
        self.picker.value = name
        self.experiment = name
        sync_url(page="sweep", experiment=name)
        key = (self.store.tracking_uri, name)
        result = None if again else _SWEPT.get(key)
        if result is None:
            loop = asyncio.get_running_loop()

            def progress(done: int, total: int) -> None:  # from the sweep's thread
                loop.call_soon_threadsafe(self._count, done, total)

            self._count(0, 0)
            self.body.objects = [self.progress, self.counted]
            try:
                result = await asyncio.to_thread(
                    run_sweep,
                    name,
                    tracking_uri=self.store.tracking_uri,
                    workers=WORKERS,
                    connected=self.backend.tracking_uri,
                    backend=self.backend,
                    on_progress=progress,
                )
            except ArtifactError as error:
                self.body.objects = [notice(error.message, "error", title="Cannot sweep.")]
                return
            finally:
                self.progress.visible = False
            _SWEPT[key] = result
        self.again.disabled = False
        self.body.objects = [sweep_component(result)]
