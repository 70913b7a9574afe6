"""`export_report`: the report as one self-contained HTML file that works offline.

The pages are the served app's components, rendered once: the overview of the exported runs, one
tab per run (a click on a run's row in the overview opens it), and the comparison. Bokeh, Panel,
Tabulator and plotly.js are inlined, and so are the components' stylesheets (Panel links them
from its CDN by default), so the file makes no network request. Runs without a logged analysis
are analysed with the backend; nothing is written back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deepfix_notebook.report._panels import (
    comparison_panel,
    health_html,
    health_legend,
    html_pane,
    notice,
    runs_table,
)
from deepfix_notebook.report._rows import health_cell, runs_frame
from deepfix_notebook.report._run import run_header, run_parts
from deepfix_notebook.report._store import (
    READ_THREADS,
    RunDetails,
    RunStore,
    details_health,
    with_analysis,
)
from deepfix_notebook.views._report_html import report_header_html

if TYPE_CHECKING:
    from bokeh.document import Document
    from panel.viewable import Viewable

    from deepfix_notebook.artifacts._mlflow import RunSummary
    from deepfix_notebook.backends import AnalysisBackend

MAX_EXPORTED = 20  # newest runs exported when no run is named
FAVICON = "data:,"  # no favicon request
PAGES_CLASS = "deepfix-export-pages"
RUNS_CLASS = "deepfix-export-runs"
TABLE_CLASS = "deepfix-runs-table"
ROW_LINK_CSS = ".tabulator-row{cursor:pointer}"
# A click selects the row (Tabulator, in the browser); this opens the selected run's tab and
# clears the selection, so the same row opens it again later.
_OPEN_RUN_JS = """
const picked = source.selected.indices;
if (picked.length === 0) return;
source.selected.indices = [];
const tab = tabs_of_rows[picked[0]];
if (tab === undefined || tab < 0) return;
runs.active = tab;
pages.active = 1;
"""


def export_report(
    path: str | Path,
    store: RunStore,
    backend: AnalysisBackend | None,
    *,
    run_ids: Sequence[str] = (),
) -> Path:
    """Write the report of ``run_ids`` (default: the newest `MAX_EXPORTED` runs) to ``path``.

    ``backend`` analyses the runs that logged no analysis (None: they are shown unanalysed).
    Raises `ArtifactError` when the store cannot be listed.
    """
    runs = store.runs()
    chosen = list(dict.fromkeys(run_ids)) or [run.run_id for run in runs[:MAX_EXPORTED]]
    with ThreadPoolExecutor(READ_THREADS, thread_name_prefix="deepfix-export") as pool:
        details = list(pool.map(store.details, chosen))
    if backend is not None:
        details = [_analysed(item, backend) for item in details]
    layout, link = _layout(store, details, backend)
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    save_offline(layout, target, title="DeepFix report", link=link)
    return target


def save_offline(
    layout: Viewable,
    path: Path,
    *,
    title: str,
    link: Callable[[Document], None] | None = None,
) -> None:
    """Save ``layout`` with every script and stylesheet inlined; ``link`` may add browser-side
    callbacks to its Bokeh document first."""
    from bokeh.document import Document
    from bokeh.models.ui import UIElement
    from bokeh.resources import INLINE
    from panel.io.model import add_to_doc
    from panel.io.notebook import patch_inline_stylesheets
    from panel.io.resources import set_resource_mode
    from panel.io.save import save

    with set_resource_mode("inline"):
        document = Document()
        root = layout.get_root(document)
        add_to_doc(root, document, True)
        for model in list(document.models):
            if isinstance(model, UIElement):
                patch_inline_stylesheets(model)
        if link is not None:
            link(document)
        save(
            document,
            str(path),
            title=title,
            resources=INLINE,
            template_variables={"apple_icon": "", "app_favicon": FAVICON},
        )


def _analysed(details: RunDetails, backend: AnalysisBackend) -> RunDetails:
    if details.analysis is not None or details.bundle is None:
        return details
    try:
        result = backend.analyze(details.bundle)
    except Exception as error:  # one run that cannot be analysed must not stop the export
        note = f"Not analysed: {type(error).__name__}: {error}"
        return replace(details, analysis=None, analysis_source=None, notes=(*details.notes, note))
    return with_analysis(details, result, f"{backend.name} when the report was exported")


def _layout(
    store: RunStore, details: list[RunDetails], backend: AnalysisBackend | None
) -> tuple[Viewable, Callable[[Document], None]]:
    """The report's layout, and what links its overview's rows to the runs' tabs."""
    import panel as pn

    summaries = {rid: store.summary(rid) for rid in (d.run_id for d in details)}
    listed: list[RunSummary] = [s for s in summaries.values() if s is not None]
    overview: list[Any] = []
    if listed:
        cells = {d.run_id: _health_cell(d) for d in details}
        overview.append(
            health_legend(
                backend=backend.name if backend else "", computed=backend is not None, exported=True
            )
        )
        table = runs_table(runs_frame(listed, cells), pagination="local", selectable="row")
        table.stylesheets = [*table.stylesheets, ROW_LINK_CSS]
        overview.append(table)
    else:
        overview.append(notice("No runs to show.", "info"))
    runs = pn.Tabs(
        *((_run_title(d, summaries[d.run_id]), _run_view(d, summaries[d.run_id])) for d in details),
        tabs_location="left",
        dynamic=False,
        sizing_mode="stretch_width",
        css_classes=[RUNS_CLASS],
    )
    tabs: list[tuple[str, Any]] = [("Overview", pn.Column(*overview, sizing_mode="stretch_width"))]
    if details:
        tabs.append(("Runs", runs))
    comparison = _comparison(details, summaries)
    if comparison is not None:
        tabs.append(("Compare", comparison))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    where = store.experiment or "all experiments"
    header = html_pane(
        report_header_html(
            where,
            store.tracking_uri,
            backend.name if backend is not None else None,
            runs=len(details),
            exported=stamp,
        ),
        sizing_mode="stretch_width",
    )
    layout = pn.Column(
        header,
        pn.Tabs(*tabs, dynamic=False, sizing_mode="stretch_width", css_classes=[PAGES_CLASS]),
        sizing_mode="stretch_width",
        styles={"padding": "0 16px"},
    )
    return layout, _open_runs_on_click([s.run_id for s in listed], details)


def _open_runs_on_click(rows: list[str], details: list[RunDetails]) -> Callable[[Document], None]:
    """Wires the overview's rows (run ids ``rows``, in table order) to the runs' tabs: a click
    on a row shows the Runs page at that run, in the browser, with no server."""
    tab_of = {d.run_id: index for index, d in enumerate(details)}

    def link(document: Document) -> None:
        from bokeh.models import CustomJS

        def one(css_class: str) -> Any:
            found = [m for m in document.models if css_class in getattr(m, "css_classes", ())]
            return found[0] if len(found) == 1 else None

        table, pages, runs = one(TABLE_CLASS), one(PAGES_CLASS), one(RUNS_CLASS)
        if table is None or pages is None or runs is None:  # no runs: nothing to open
            return
        callback = CustomJS(
            args={
                "source": table.source,
                "pages": pages,
                "runs": runs,
                "tabs_of_rows": [tab_of.get(run_id, -1) for run_id in rows],
            },
            code=_OPEN_RUN_JS,
        )
        table.source.selected.js_on_change("indices", callback)

    return link


def _health_cell(details: RunDetails) -> str:
    if details.analysis is not None and details.analysis_source != "logged":
        return health_html("computed", details.counts)  # analysed for the file
    health = details_health(details)
    if health.state == "none" and details.notes:  # the export's analysis failed: the last note
        return health_html("error", note=details.notes[-1])
    return health_cell(health, computing=False)


def _run_title(details: RunDetails, summary: RunSummary | None) -> str:
    # Tab titles are rendered as text by Bokeh.
    name = summary.run_name if summary is not None else details.run_id
    return name if len(name) <= 40 else name[:39] + "…"


def _run_view(details: RunDetails, summary: RunSummary | None) -> Any:
    import panel as pn

    name = summary.run_name if summary is not None else None
    parts = run_parts(details, "Not analysed.", name)
    return pn.Column(
        html_pane(run_header(details, summary), sizing_mode="stretch_width"),
        *parts,
        sizing_mode="stretch_width",
    )


def _comparison(details: list[RunDetails], summaries: dict[str, RunSummary | None]) -> Any | None:
    readable = [d for d in details if d.bundle is not None]
    if len(readable) < 2:
        return None
    names: dict[str, str] = {}
    for item in readable:
        summary = summaries[item.run_id]
        name = summary.run_name if summary is not None else item.run_id
        names[item.run_id] = name if name not in names.values() else f"{name} ({item.run_id[:8]})"
    tables = {names[d.run_id]: d.bundle.metrics for d in readable if d.bundle and d.bundle.metrics}
    results = {names[d.run_id]: d.analysis for d in readable if d.analysis is not None}
    params = {
        names[d.run_id]: dict(d.bundle.params.raw) if d.bundle and d.bundle.params else {}
        for d in readable
    }
    return comparison_panel(results, tables, params)
