"""The web report: a Panel app over an MLflow store (Overview, Run, Compare, Knowledge pages),
served by ``deepfix report`` or ``%deepfix report``, or exported to one offline HTML file.

This room wires data and backends to the Panel components of `report._panels`, which wrap
the views. Panel is imported inside functions, so importing this package is cheap.
"""

from deepfix_notebook.report._command import ReportError, report_command, require_panel
from deepfix_notebook.report._export import export_report
from deepfix_notebook.report._serve import RunningReport, serve, start
from deepfix_notebook.report._store import RunDetails, RunStore

__all__ = [
    "ReportError",
    "RunDetails",
    "RunStore",
    "RunningReport",
    "export_report",
    "report_command",
    "require_panel",
    "serve",
    "start",
]
