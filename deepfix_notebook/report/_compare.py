"""The Compare page: chosen runs' curves overlaid, their findings matrix, differing parameters."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from deepfix_notebook.report._panels import comparison_panel, notice, run_labels
from deepfix_notebook.report._store import RunDetails, RunStore

if TYPE_CHECKING:
    from deepfix_notebook.artifacts import MetricsTable
    from deepfix_notebook.artifacts._mlflow import RunSummary
    from deepfix_notebook.contract import AnalysisResult

MAX_COMPARED = 10
DEFAULT_METRICS = ("val_loss", "train_loss", "val_accuracy", "train_accuracy")


class ComparePage:
    """Pick two or more runs; the metric and the x axis change the overlay without re-reading."""

    def __init__(self, store: RunStore) -> None:
        import panel as pn

        self.store = store
        # A native multiple select: run names are shown as text (Choices.js, behind MultiChoice,
        # renders option labels as HTML).
        self.picker = pn.widgets.MultiSelect(
            label="Runs (Ctrl/Shift-click for several)",
            options={},
            size=6,
            width=420,
            css_classes=["deepfix-pick"],
        )
        self.metric = pn.widgets.Select(label="Metric", options=list(DEFAULT_METRICS), width=180)
        self.align = pn.widgets.RadioButtonGroup(options=["step", "epoch"], align="end")
        self.button = pn.widgets.Button(label="Compare", color="primary", align="end")
        self.body = pn.Column(
            notice("Pick two or more runs (or tick them on the Overview page).", "info"),
            sizing_mode="stretch_width",
        )
        self.view = pn.Column(
            pn.Row(self.picker, self.metric, self.align, self.button),
            self.body,
            sizing_mode="stretch_width",
        )
        self.loaded: list[RunDetails] = []
        self.button.on_click(lambda _: pn.state.execute(self.compare))
        self.metric.param.watch(lambda _: self.render(), "value")
        self.align.param.watch(lambda _: self.render(), "value")

    def set_runs(self, runs: list[RunSummary]) -> None:
        self.picker.options = run_labels([(run.run_id, run.run_name) for run in runs])

    async def compare(self, run_ids: Sequence[str] | None = None) -> None:
        """Read the runs (``run_ids``, else the picked ones) in threads and render them."""
        if run_ids is not None:
            known = set(self.picker.options.values())
            extra = {rid: rid for rid in run_ids if rid not in known}
            if extra:
                self.picker.options = {**self.picker.options, **extra}
            self.picker.value = list(run_ids)[:MAX_COMPARED]
        chosen = [str(rid) for rid in self.picker.value]
        if len(chosen) < 2 or len(chosen) > MAX_COMPARED:
            self.body.objects = [
                notice(f"Pick between two and {MAX_COMPARED} runs to compare.", "warning")
            ]
            return
        self.body.loading = True
        try:
            self.loaded = await asyncio.gather(
                *(asyncio.to_thread(self.store.details, rid) for rid in chosen)
            )
        finally:
            self.body.loading = False
        names = sorted(
            {
                n
                for d in self.loaded
                if d.bundle and d.bundle.metrics
                for n in d.bundle.metrics.names
            }
        )
        preferred = [m for m in DEFAULT_METRICS if m in names]
        self.metric.options = list(dict.fromkeys([*preferred, *names])) or list(DEFAULT_METRICS)
        self.render()

    def render(self) -> None:
        if not self.loaded:
            return
        labels = _labels(self.loaded, self.store)
        tables: dict[str, MetricsTable] = {}
        results: dict[str, AnalysisResult] = {}
        params: dict[str, dict[str, object]] = {}
        notes: list[Any] = []
        unread, unanalysed = [], []
        for details in self.loaded:
            label = labels[details.run_id]
            bundle = details.bundle
            if bundle is None:
                unread.append(f"{label} ({details.error})")
                continue
            if bundle.metrics is not None:
                tables[label] = bundle.metrics
            params[label] = dict(bundle.params.raw) if bundle.params is not None else {}
            if details.analysis is not None:
                results[label] = details.analysis
            else:
                unanalysed.append(label)
        if unread:
            notes.append(notice("Not readable: " + "; ".join(unread), "warning"))
        if unanalysed:
            notes.append(
                notice(
                    "Not analysed yet (left out of the findings matrix; Analyze them on the Run "
                    "page): " + ", ".join(unanalysed),
                    "info",
                )
            )
        metric = str(self.metric.value or DEFAULT_METRICS[0])
        align: Literal["step", "epoch"] = "epoch" if self.align.value == "epoch" else "step"
        view = comparison_panel(results, tables, params, metric=metric, align=align)
        self.body.objects = [*notes, view]


def _labels(loaded: Sequence[RunDetails], store: RunStore) -> dict[str, str]:
    """A unique, readable label per run: its name, with the id's start when names repeat."""
    names = {}
    for details in loaded:
        summary = store.summary(details.run_id)
        names[details.run_id] = summary.run_name if summary is not None else details.run_id
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    return {
        rid: name if counts[name] == 1 else f"{name} ({rid[:8]})" for rid, name in names.items()
    }
