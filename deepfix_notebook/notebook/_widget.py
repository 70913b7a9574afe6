"""`AnalysisWidget` and `ComparisonWidget`: DeepFix's own views, live, in any host with widgets.

They are anywidgets whose front end is the bundle of the repository's ``widgets/`` (the same
views the JupyterLab extension draws, built into ``static/`` by ``pip install``) and whose state
is the JSON of the output's ``application/vnd.deepfix.*+json``. Their mime bundle also carries
that JSON, the self-contained HTML and the text, so a host without widgets, a saved notebook and
the JupyterLab extension still show the same result. Import this module lazily: it imports
anywidget (and ipywidgets).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from deepfix_notebook.artifacts import MetricsTable
from deepfix_notebook.contract import AnalysisResult
from deepfix_notebook.notebook._views import AnalysisView, ComparisonView

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
    """A DeepFix display object (``AnalysisView``, ``ComparisonView``) drawn live."""

    _esm = _static("widget.js", _NO_BUNDLE)
    _css = _static("widget.css", "")
    mime = traitlets.Unicode().tag(sync=True)
    payload = traitlets.Dict().tag(sync=True)
    text = traitlets.Unicode().tag(sync=True)

    def __init__(self, view: AnalysisView | ComparisonView, mime: str) -> None:
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
