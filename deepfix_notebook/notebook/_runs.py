"""`RunsView`: MLflow runs as a table (name, status, start, duration, health, key params) with the
command, or in a live kernel the button, to analyse each.

The view's JSON (``application/vnd.deepfix.runs+json``) is what the shared front end draws
(``widgets/src/runs.ts``): sortable, filterable, with an Analyze button per run in a live kernel
(``RunsWidget``, an anywidget defined with the others in ``_widget.py``). Its HTML is the
self-contained table hosts without widgets or JavaScript show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deepfix_notebook.artifacts._mlflow import RunSummary

MIME_RUNS = "application/vnd.deepfix.runs+json"
RUNS_PAYLOAD_VERSION = 1
KEY_METRICS = ("val_loss", "val_accuracy", "train_loss", "loss", "accuracy")
KEY_PARAMS = ("learning_rate", "lr", "batch_size", "optimizer", "epochs", "weight_decay")
MAX_PARAMS = 4
HEADERS = ("name", "status", "start", "duration", "health", "key params")
_STYLE = (
    "<style>.deepfix-runs{border-collapse:collapse;font-size:0.95em}"
    ".deepfix-runs th,.deepfix-runs td{border:1px solid rgba(127,127,127,0.3);padding:2px 8px;"
    "text-align:left;vertical-align:top}.deepfix-runs td.df-num{text-align:right;"
    "font-variant-numeric:tabular-nums}.deepfix-runs .df-bad{color:#cf222e;font-weight:600}"
    ".deepfix-runs small{opacity:0.7}</style>"
)


@dataclass
class RunsView:
    runs: Sequence[RunSummary]

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {MIME_RUNS: self.payload(), "text/html": self.html(), "text/plain": self.text()}

    def payload(self) -> dict[str, Any]:
        """The table as JSON: what every column shows, and the values it sorts by."""
        keys = key_params(self.runs)
        return {
            "version": RUNS_PAYLOAD_VERSION,
            "key_params": keys,
            "runs": [_row(run, keys) for run in self.runs],
        }

    def text(self) -> str:
        if not self.runs:
            return "No runs yet: train with the DeepFix callback or tracker, or log to MLflow."
        keys = key_params(self.runs)
        lines = [f"{'name':<24} {'status':<10} {'start':<17} {'duration':>9}  health / params"]
        for run in self.runs:
            lines.append(
                f"{run.run_name[:24]:<24} {run.status:<10} {_start(run):<17} "
                f"{_duration(run):>9}  {health(run)[0]}  {_params(run, keys)}  ({run.run_id})"
            )
        return "\n".join(lines)

    def html(self, *, commands: bool = True) -> str:
        from deepfix_notebook.views._markup import html

        if not self.runs:
            return str(html("<p>{}</p>", self.text()))
        keys = key_params(self.runs)
        rows = "".join(
            "<tr>"
            + "".join(f"<td{attrs}>{inner}</td>" for attrs, inner in cells(run, keys))
            + (f"<td>{_command(run)}</td>" if commands else "")
            + "</tr>"
            for run in self.runs
        )
        head = "".join(f"<th>{h}</th>" for h in HEADERS) + ("<th>analyze</th>" if commands else "")
        return (
            f"{_STYLE}<table class='deepfix-runs'><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )


def cells(run: RunSummary, keys: Sequence[str]) -> list[tuple[str, str]]:
    """A run's row in `HEADERS` order: ``(attributes, inner HTML)`` per cell, all escaped."""
    from deepfix_notebook.views._markup import escaped as e

    text, bad = health(run)
    return [
        (
            f' title="run id {e(run.run_id)}"',
            f"{e(run.run_name)}<br><small><code>{e(run.run_id[:8])}</code></small>",
        ),
        ("", e(run.status)),
        ("", e(_start(run))),
        (' class="df-num"', e(_duration(run))),
        (' class="df-bad"' if bad else "", e(text)),
        ("", e(_params(run, keys))),
    ]


def health(run: RunSummary) -> tuple[str, bool]:
    """The run's last key metrics, and whether one of them is NaN/Inf (a broken run)."""
    shown = [(k, run.metrics[k]) for k in KEY_METRICS if k in run.metrics][:2]
    broken = [k for k, v in run.metrics.items() if not math.isfinite(v)]
    if broken:
        return f"{broken[0]} is {run.metrics[broken[0]]:g}", True
    return ", ".join(f"{k}={v:.4g}" for k, v in shown) or "-", False


def key_params(runs: Sequence[RunSummary]) -> list[str]:
    """The parameters worth a column: those that differ between the runs, known ones first."""
    names = sorted({k for run in runs for k in run.params})
    differing = [k for k in names if len({run.params.get(k) for run in runs}) > 1]
    pool = differing or names
    known = [k for k in KEY_PARAMS if k in pool]
    return (known + [k for k in pool if k not in known])[:MAX_PARAMS]


def _params(run: RunSummary, keys: Sequence[str]) -> str:
    return ", ".join(f"{k}={run.params[k]}" for k in keys if k in run.params) or "-"


def _start(run: RunSummary) -> str:
    return run.start_time.strftime("%Y-%m-%d %H:%M") if run.start_time else "-"


def _duration(run: RunSummary) -> str:
    if run.start_time is None:
        return "-"
    if run.end_time is None:
        return "running" if run.status == "RUNNING" else "-"
    return _seconds((run.end_time - run.start_time).total_seconds())


def _seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min {seconds % 60:02.0f} s"
    return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:02.0f} min"


def _command(run: RunSummary) -> str:
    from deepfix_notebook.views._markup import html

    return str(html("<code>%deepfix analyze {}</code>", run.run_id))


def _row(run: RunSummary, keys: Sequence[str]) -> dict[str, Any]:
    text, broken = health(run)
    seconds = (
        (run.end_time - run.start_time).total_seconds()
        if run.start_time is not None and run.end_time is not None
        else None
    )
    return {
        "run_id": run.run_id,
        "run_name": run.run_name,
        "experiment": run.experiment,
        "status": run.status,
        "start": run.start_time.isoformat() if run.start_time else None,
        "start_text": _start(run),
        "duration_s": seconds,
        "duration_text": _duration(run),
        "health": text,
        "broken": broken,
        "params": {k: run.params[k] for k in keys if k in run.params},
    }


def __getattr__(name: str) -> Any:
    # `RunsWidget` is an anywidget: importing it imports anywidget, so only on first use.
    if name == "RunsWidget":
        from deepfix_notebook.notebook._widget import RunsWidget

        return RunsWidget
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
