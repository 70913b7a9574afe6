"""`RunsView`: MLflow runs as a table with their key metrics and the command to analyse each."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deepfix_notebook.artifacts._mlflow import RunSummary

KEY_METRICS = ("train_loss", "val_loss", "val_accuracy", "loss", "accuracy")


@dataclass
class RunsView:
    runs: Sequence[RunSummary]

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self.html(), "text/plain": self.text()}

    def text(self) -> str:
        if not self.runs:
            return "No runs yet: train with the DeepFix callback or tracker, or log to MLflow."
        lines = [f"{'run id':<34} {'name':<24} {'status':<10} metrics"]
        for run in self.runs:
            lines.append(
                f"{run.run_id:<34} {run.run_name[:24]:<24} {run.status:<10} {_metrics(run)}"
            )
        return "\n".join(lines)

    def html(self) -> str:
        if not self.runs:
            return f"<p>{html.escape(self.text())}</p>"
        e = html.escape
        rows = "".join(
            "<tr>"
            f"<td><code>{e(run.run_id)}</code></td><td>{e(run.run_name)}</td>"
            f"<td>{e(run.experiment)}</td><td>{e(run.status)}</td><td>{e(_metrics(run))}</td>"
            f"<td><code>%deepfix analyze {e(run.run_id)}</code></td>"
            "</tr>"
            for run in self.runs
        )
        return (
            "<table class='deepfix-runs'><thead><tr><th>run id</th><th>name</th>"
            "<th>experiment</th><th>status</th><th>key metrics</th><th>analyze</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )


def _metrics(run: RunSummary) -> str:
    shown = [(k, run.metrics[k]) for k in KEY_METRICS if k in run.metrics]
    return ", ".join(f"{k}={v:.4g}" for k, v in shown) or "-"


class RunsWidget:
    """The runs table with an Analyze button per run (in a live kernel with widgets)."""

    def __init__(self, runs: Sequence[RunSummary], analyze: Callable[[str], None]) -> None:
        import ipywidgets as w

        self.static = RunsView(runs)
        self.output = w.Output()
        self.buttons: dict[str, Any] = {}
        rows = []
        for run in runs:
            button = w.Button(description="Analyze", tooltip=f"%deepfix analyze {run.run_id}")
            button.on_click(lambda _, run_id=run.run_id: self._analyze(run_id, analyze))
            self.buttons[run.run_id] = button
            label = w.HTML(
                f"<code>{html.escape(run.run_id)}</code> {html.escape(run.run_name)} "
                f"[{html.escape(run.experiment)}, {html.escape(run.status)}] "
                f"{html.escape(_metrics(run))}"
            )
            rows.append(w.HBox([button, label]))
        self.root = w.VBox([*rows, self.output])
        self.root.add_class("deepfix-runs-widget")

    def _analyze(self, run_id: str, analyze: Callable[[str], None]) -> None:
        self.output.clear_output()
        with self.output:
            analyze(run_id)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.static._repr_mimebundle_(include, exclude))
        widget = self.root._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle.update({k: v for k, v in widget.items() if k != "text/plain"})
        return bundle
