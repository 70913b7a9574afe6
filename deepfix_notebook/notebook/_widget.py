"""`AnalysisWidget`, `ComparisonWidget` and `RunsWidget`: DeepFix's own views, live, in any host
with widgets.

They are anywidgets whose front end is the bundle of the repository's ``widgets/`` (the same
views the JupyterLab extension draws, built into ``static/`` by ``pip install``) and whose state
is the JSON of the output's ``application/vnd.deepfix.*+json``. Their mime bundle also carries
that JSON, the self-contained HTML and the text, so a host without widgets, a saved notebook and
the JupyterLab extension still show the same result. Import this module lazily: it imports
anywidget (and ipywidgets).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from deepfix_notebook.artifacts import MetricsTable
from deepfix_notebook.contract import AnalysisResult
from deepfix_notebook.notebook._runs import MIME_RUNS, RunsView
from deepfix_notebook.notebook._views import AnalysisView, ComparisonView

if TYPE_CHECKING:
    from deepfix_notebook.artifacts._mlflow_runs import RunSummary

STATIC = Path(__file__).with_name("static")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Without the bundle (``SKIP_JUPYTER_BUILDER=1``) a widget would draw nothing useful: the output
# then offers no widget view, and hosts show the JSON view or the HTML instead.
_NO_BUNDLE = "export default { render({ model, el }) { el.textContent = model.get('text'); } };"


def bundle_built() -> bool:
    """Whether the front end was built into the package (``npm run build`` in labextension/)."""
    return (STATIC / "widget.js").is_file()


def _static(name: str, default: str) -> str:
    path = STATIC / name
    return path.read_text(encoding="utf-8") if path.is_file() else default


class DeepFixWidget(anywidget.AnyWidget):
    """A DeepFix display object (``AnalysisView``, ``ComparisonView``, ``RunsView``) drawn live."""

    _esm = _static("widget.js", _NO_BUNDLE)
    _css = _static("widget.css", "")
    mime = traitlets.Unicode().tag(sync=True)
    payload = traitlets.Dict().tag(sync=True)
    text = traitlets.Unicode().tag(sync=True)

    def __init__(self, view: AnalysisView | ComparisonView | RunsView, mime: str) -> None:
        self.view = view
        self.static: dict[str, Any] = view._repr_mimebundle_()
        super().__init__(mime=mime, payload=self.static[mime], text=self.static["text/plain"])

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        data = dict(self.static)
        metadata: dict[str, Any] = {}
        live = super()._repr_mimebundle_(**kwargs) if bundle_built() else None
        if live is not None:
            widget, metadata = live
            data[WIDGET_VIEW] = widget[WIDGET_VIEW]
        return data, metadata


class AnalysisWidget(DeepFixWidget):
    """One analysis: filters, findings, the plan, and the curves with the open finding's steps."""

    def __init__(
        self,
        result: AnalysisResult,
        table: MetricsTable | None = None,
        *,
        run_name: str | None = None,
    ) -> None:
        from deepfix_notebook.views import MIME_ANALYSIS

        super().__init__(AnalysisView(result, table, run_name=run_name), MIME_ANALYSIS)

    @property
    def result(self) -> AnalysisResult:
        return self.view.result  # type: ignore[union-attr]


class ComparisonWidget(DeepFixWidget):
    """Several analysed runs: problems by run, differing parameters, ranking, overlay."""

    def __init__(self, view: ComparisonView) -> None:
        from deepfix_notebook.views import MIME_COMPARISON

        super().__init__(view, MIME_COMPARISON)

    @property
    def results(self) -> Mapping[str, AnalysisResult]:
        return self.view.results  # type: ignore[union-attr]


class RunsWidget(DeepFixWidget):
    """The runs table, sortable and filterable, whose Analyze buttons ask the kernel to analyse a
    run; the analysis shows below the table, as ``%deepfix analyze RUN`` would show it."""

    def __init__(self, runs: Sequence[RunSummary], analyze: Callable[[str], None]) -> None:
        import ipywidgets

        super().__init__(RunsView(runs), MIME_RUNS)
        self._analyze = analyze
        self.output = ipywidgets.Output()
        # The table and, below it, the output the analyses are drawn into: one widget view.
        self.root = ipywidgets.VBox([self, self.output])
        self.on_msg(self._on_message)

    def analyze(self, run_id: str) -> None:
        """What the Analyze button of ``run_id`` does: its analysis replaces the one below."""
        from IPython.display import HTML, display
        from IPython.utils.capture import capture_output

        from deepfix_notebook.views._markup import html

        names = {run.run_id: run.run_name for run in self.view.runs}  # type: ignore[union-attr]
        if run_id not in names:
            raise ValueError(f"{run_id!r} is not a run of this table ({len(names)} runs).")
        self.output.clear_output()
        with self.output:
            from deepfix_notebook.views._markup import html

            display(HTML(str(html("<i>DeepFix: analysing {}…</i>", names[run_id] or run_id))))
        # An Output widget ignores display updates, and the analysis updates its progress display
        # in place: its outputs are captured and the final state of each shown once it is done.
        with self.output:  # an error shows there too, below the table
            try:
                with capture_output() as captured:
                    self._analyze(run_id)
            finally:
                self.output.clear_output(wait=True)
                print(captured.stdout, end="")
                print(captured.stderr, end="", file=sys.stderr)
                for output in _final(captured.outputs):
                    display(output.data, metadata=output.metadata, raw=True)

    def _on_message(self, _: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event") == "analyze":
            self.analyze(str(content.get("run_id")))

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        data, metadata = super()._repr_mimebundle_(**kwargs)
        if WIDGET_VIEW in data:
            data[WIDGET_VIEW] = self.root._repr_mimebundle_(**kwargs)[WIDGET_VIEW]
        return data, metadata


def _final(outputs: Sequence[Any]) -> list[Any]:
    """Captured outputs (``IPython.utils.capture.RichOutput``) as they read in the end: an update
    of a display takes that display's place."""
    shown: list[Any] = []
    where: dict[str, int] = {}
    for output in outputs:
        display_id = (output.transient or {}).get("display_id")
        if output.update and display_id in where:
            shown[where[display_id]] = output
        elif not output.update:
            if display_id:
                where[display_id] = len(shown)
            shown.append(output)
    return shown
