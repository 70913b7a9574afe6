"""The overview's health column over a real SQLite store: logged analyses, analyses computed
for display in the background (local engine), what a remote backend shows, the health filter.

The background worker's executor is injected (`StepExecutor`): the test decides when the queued
analyses run, so what is queued, withdrawn and patched is checked without sleeping.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from concurrent.futures import Executor, Future
from datetime import UTC, datetime
from typing import Any

import pytest
from seeding import HOSTILE, Seeded

from deepfix_notebook.artifacts import load_mlflow_analysis
from deepfix_notebook.backends import LocalBackend, RemoteBackend
from deepfix_notebook.report import RunStore
from deepfix_notebook.report._app import ReportApp
from deepfix_notebook.report._background import DisplayAnalyses, display_analyses
from deepfix_notebook.report._rows import health_matches
from deepfix_notebook.report._store import Health


class StepExecutor(Executor):
    """Queues jobs; `run` runs them in the calling thread. ``submitted`` is set at each one."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Future[Any], Callable[[], Any], str]] = []
        self.submitted: asyncio.Event | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        run_id = getattr(args[0], "run_id", "?") if args else "?"
        self.jobs.append((future, lambda: fn(*args, **kwargs), run_id))
        if self.submitted is not None:
            self.submitted.set()
        return future

    def queued(self) -> list[str]:
        """Run ids of the jobs neither run nor cancelled, in submission order."""
        return [rid for future, _, rid in self.jobs if not future.done()]

    def run(self) -> None:
        for future, job, _ in self.jobs:
            if not future.done() and future.set_running_or_notify_cancel():
                try:
                    future.set_result(job())
                except BaseException as error:
                    future.set_exception(error)


def _app(seeded: Seeded, executor: StepExecutor, *, page_size: int = 25) -> ReportApp:
    store = RunStore(seeded.uri, seeded.experiment)
    backend = LocalBackend(tracking_uri=seeded.uri)
    analyses = DisplayAnalyses(store, backend, executor=executor)
    return ReportApp(store, backend, page_size=page_size, analyses=analyses)


def _cell(app: ReportApp, seeded: Seeded, name: str) -> str:
    return str(app.overview.table.value["health"][seeded.ids[name]])


def test_runs_without_analysis_are_analysed_for_display_newest_first(seeded: Seeded) -> None:
    executor = StepExecutor()
    app = _app(seeded, executor)

    async def scenario() -> None:
        executor.submitted = asyncio.Event()
        filling = asyncio.create_task(app.overview.fill_health())
        await executor.submitted.wait()
        # Logged analyses and missing artifacts are shown; the others are being analysed.
        assert 'class="df-logged"' in _cell(app, seeded, "overfitting")
        assert "no artifacts" in _cell(app, seeded, "no-artifacts")
        for name in ("hostile", "lightning_style", "diverging", "quickstart"):
            assert "analysing…" in _cell(app, seeded, name)
        # Newest first: the order of the listing (no-artifacts is newest, quickstart oldest).
        names = {rid: name for name, rid in seeded.ids.items()}
        assert [names[rid] for rid in executor.queued()] == [
            "hostile",
            "lightning_style",
            "diverging",
            "quickstart",
        ]
        executor.run()
        await filling

    asyncio.run(scenario())
    assert 'class="df-computed"' in _cell(app, seeded, "diverging")
    # Four high findings, one of them the cross-artifact cause of a code training found too.
    assert "3 high" in _cell(app, seeded, "diverging")
    assert "Analyze on the Run page saves it" in _cell(app, seeded, "quickstart")
    assert 'class="df-logged"' in _cell(app, seeded, "overfitting")  # not analysed again
    assert app.overview.analyses is not None and app.overview.analyses.queued == 0
    for name in ("diverging", "quickstart", "hostile", "lightning_style"):
        assert load_mlflow_analysis(seeded.ids[name], seeded.uri) is None  # nothing written


def test_changing_page_withdraws_what_the_old_page_queued(seeded: Seeded) -> None:
    executor = StepExecutor()
    app = _app(seeded, executor, page_size=2)
    overview = app.overview
    names = {rid: name for name, rid in seeded.ids.items()}

    async def scenario() -> None:
        executor.submitted = asyncio.Event()
        overview.table.page = 2  # lightning_style, diverging: the page watcher fills it
        await executor.submitted.wait()
        first = overview.filling
        assert [names[rid] for rid in executor.queued()] == ["lightning_style", "diverging"]
        executor.submitted.clear()
        overview.table.page = 3  # overfitting (logged), quickstart
        await executor.submitted.wait()
        assert overview.filling is not first
        assert [names[rid] for rid in executor.queued()] == ["quickstart"]
        cancelled = [names[rid] for future, _, rid in executor.jobs if future.cancelled()]
        assert cancelled == ["lightning_style", "diverging"]
        executor.run()
        assert first is not None and overview.filling is not None
        await asyncio.gather(first, overview.filling)

    asyncio.run(scenario())
    assert 'class="df-computed"' in _cell(app, seeded, "quickstart")
    # The withdrawn runs were not analysed: still waiting for their page to be shown again.
    assert "analysing…" in _cell(app, seeded, "diverging")
    summary = app.store.summary(seeded.ids["diverging"])
    assert summary is not None and app.store.health(summary).state == "none"  # type: ignore[union-attr]


def test_sessions_share_analyses_kept_per_run_and_end_time(seeded: Seeded) -> None:
    executor = StepExecutor()
    store = RunStore(seeded.uri, seeded.experiment)
    backend = LocalBackend(tracking_uri=seeded.uri)
    analyses = DisplayAnalyses(store, backend, executor=executor)
    runs = {run.run_name: run for run in store.runs()}
    store.read_health(runs.values())
    one, two = object(), object()
    first = analyses.request(one, [runs["diverging"]])
    second = analyses.request(two, [runs["diverging"], runs["quickstart"]])
    assert second[runs["diverging"].run_id] is first[runs["diverging"].run_id]  # one analysis
    analyses.withdraw(one)  # two still waits for it
    assert executor.queued() == [runs["diverging"].run_id, runs["quickstart"].run_id]
    executor.run()
    health = store.health(runs["diverging"])
    assert health is not None and health.state == "computed"
    assert first[runs["diverging"].run_id].result() == health

    # A new session shows the kept results at once, and queues the runs not analysed yet only.
    app = ReportApp(store, backend, analyses=analyses)
    assert 'class="df-computed"' in _cell(app, seeded, "diverging")

    async def scenario() -> None:
        executor.submitted = asyncio.Event()
        filling = asyncio.create_task(app.overview.fill_health())
        await executor.submitted.wait()
        assert executor.queued() == [seeded.ids["hostile"], seeded.ids["lightning_style"]]
        executor.run()
        await filling

    asyncio.run(scenario())
    assert len(executor.jobs) == 4
    # A run that ended again (another end time) is analysed again.
    later = dataclasses.replace(runs["diverging"], end_time=datetime.now(UTC))
    again = store.health(later)
    assert again is not None and again.state == "none"


def test_a_remote_backend_analyses_nothing_and_points_to_analyze(
    seeded: Seeded, refused_uri: str
) -> None:
    backend = RemoteBackend(refused_uri, tracking_uri=seeded.uri, offline="strict")
    store = RunStore(seeded.uri, seeded.experiment)
    assert display_analyses(store, backend) is None
    app = ReportApp(store, backend)
    assert app.overview.analyses is None
    asyncio.run(app.overview.fill_health())
    for name in ("quickstart", "diverging", "hostile"):
        cell = _cell(app, seeded, name)
        assert ">not analysed<" in cell and "press Analyze on the Run page" in cell
    assert 'class="df-logged"' in _cell(app, seeded, "overfitting")
    assert "no artifacts" in _cell(app, seeded, "no-artifacts")
    legend = str(app.overview.legend.object)
    assert "computed for display" not in legend and refused_uri in legend
    app.overview.health.value = "not analysed"
    assert set(app.overview.table.value["run"]) == {
        "quickstart",
        "diverging",
        "lightning_style",
        HOSTILE,
    }


def test_health_filter_applies_to_what_is_known(seeded: Seeded) -> None:
    executor = StepExecutor()
    app = _app(seeded, executor, page_size=3)
    overview = app.overview

    def shown() -> set[str]:
        return set(overview.table.value["run"])

    async def filled(change: Callable[[], None]) -> None:
        """Make ``change`` (it shows new runs: the page fills them), run what it queued."""
        executor.submitted = asyncio.Event()
        change()
        await executor.submitted.wait()
        executor.run()
        assert overview.filling is not None
        await overview.filling

    async def scenario() -> None:
        await filled(
            lambda: setattr(overview.table, "page", 2)
        )  # diverging, overfitting, quickstart
        overview.health.value = "healthy"
        assert shown() == {"quickstart"}
        count = overview.count.object
        assert "applies to analysed runs" in count
        assert "3 of the 6 matching the other filters" in count
        assert "3 not read yet (their page was not shown)" in count
        overview.health.value = "has high"
        assert shown() == {"diverging", "overfitting"}
        # Back to every run: page 1 is filled (no-artifacts, hostile, lightning_style).
        await filled(lambda: setattr(overview.health, "value", "any"))
        overview.health.value = "has high"
        assert shown() == {"diverging", "overfitting"}
        overview.health.value = "has medium or high"
        assert shown() == {"diverging", "overfitting"}
        overview.status.value = "RUNNING"  # the other filters still apply
        assert overview.table.value.empty
        overview.status.value = "any"
        overview.health.value = "healthy"
        assert shown() == {HOSTILE, "lightning_style", "quickstart"}
        count = overview.count.object
        assert "5 of the 6 matching" in count and "not read yet" not in count
        overview.health.value = "not analysed"
        assert overview.table.value.empty  # all analysed, one way or another

    asyncio.run(scenario())
    with pytest.raises(ValueError, match="unknown health filter"):
        health_matches(Health("logged", {"high": 1}), "sick")
