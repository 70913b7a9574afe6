"""``deepfix report``: serve the report, or export it to one HTML file."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import TextIO


class ReportError(Exception):
    """The report cannot run as asked; the message says what to do."""


def require_panel() -> None:
    """Raise `ReportError` unless the ``report`` extra is installed."""
    missing = [name for name in ("panel", "plotly", "tsdownsample") if find_spec(name) is None]
    if missing:
        raise ReportError(
            f"the report needs {' and '.join(missing)}: pip install 'deepfix-notebook[report]'"
        )


def report_command(
    *,
    tracking_uri: str | None = None,
    experiment: str | None = None,
    backend: str = "local",
    host: str = "127.0.0.1",
    port: int = 5006,
    show: bool = False,
    export: str | None = None,
    run_ids: Sequence[str] = (),
    out: TextIO = sys.stdout,
) -> int:
    """Serve the report (blocks), or write it to ``export``; the exit code.

    Raises `ReportError` for arguments that do not fit together or a missing dependency, and
    `ArtifactError` when an export cannot list the store.
    """
    if run_ids and export is None:
        raise ReportError("--run selects the runs of an export; use it with --export FILE")
    if not 0 <= port <= 65535:
        raise ReportError(f"--port must be between 0 and 65535, got {port}")
    if export is not None and Path(export).suffix.lower() not in {".html", ".htm"}:
        raise ReportError(f"--export writes HTML: give a file name ending in .html, not {export!r}")
    require_panel()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no tqdm per run read
    from deepfix_notebook.report._backend import open_backend
    from deepfix_notebook.report._store import RunStore

    store = RunStore(tracking_uri, experiment)
    try:
        analysis_backend = open_backend(backend, store.tracking_uri)
    except ValueError as error:
        raise ReportError(f"--backend: {error}") from None
    if export is not None:
        from deepfix_notebook.report._export import export_report

        path = export_report(export, store, analysis_backend, run_ids=run_ids)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)", file=out)
        return 0
    from deepfix_notebook.report._serve import serve

    serve(store, analysis_backend, host=host, port=port, show=show, out=out)
    return 0
