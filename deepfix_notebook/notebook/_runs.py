"""`RunsView`: MLflow runs as a table with their key metrics and the command to analyse each."""

from __future__ import annotations

import html
from collections.abc import Sequence
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
