"""The live monitor: throttling (on an injected clock, no sleeps), early warnings said once,
``stop_on`` in a plain loop, and the static output it leaves when training ends."""

from __future__ import annotations

import itertools
import logging
import math
from typing import Any

import pytest

import deepfix_notebook as dfx
from deepfix_notebook.training import LiveMonitor, Throttle, TrackedRun
from deepfix_notebook.training._monitor import NotebookSurface

PLOTLY = "application/vnd.plotly.v1+json"
WIDGET = "application/vnd.jupyter.widget-view+json"


class Clock:
    """A fake ``time.monotonic``: time moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Recorder:
    """A surface that remembers what it was asked to show, and when."""

    live = True

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.renders: list[tuple[float, str, Any]] = []
        self.said: list[tuple[Any, Any]] = []
        self.ends: list[tuple[str, Any]] = []
        self.finals: list[Any] = []

    def warn(self, item: Any, shown: list[Any], stop: Any) -> None:
        self.said.append((item, stop))

    def curves(self, table: Any, result: Any, status: str) -> None:
        self.renders.append((self.clock.now, status, result))

    def end(self, table: Any, result: Any, title: str, status: str) -> None:
        self.ends.append((status, result))

    def final(self, result: Any, table: Any) -> None:
        self.finals.append(result)

    def note(self, text: str) -> None: ...


def loss_at(step: int, explode_at: int | None = None, nan_at: int | None = None) -> float:
    if nan_at is not None and step >= nan_at:
        return math.nan
    loss = 2.0 * math.exp(-step / 60) + 0.1
    if explode_at is not None and step >= explode_at:
        loss = min(loss * 1.2 ** (step - explode_at + 1), 30.0)  # diverges, stays high
    return loss


# --------------------------------------------------------------------------- throttle


def test_throttle_runs_at_most_twice_a_second() -> None:
    clock = Clock()
    throttle = Throttle(0.5, clock=clock)
    times = []
    for _ in range(80):  # 10 s of calls, 8 per second
        if throttle.ready():
            throttle.run(lambda: times.append(clock.now))
        clock.advance(0.125)
    assert len(times) == 20
    assert all(b - a >= 0.5 for a, b in itertools.pairwise(times))


def test_throttle_keeps_a_slow_action_within_its_time_budget() -> None:
    clock = Clock()
    throttle = Throttle(0.5, budget=0.05, clock=clock)
    spent = 0.0
    for _ in range(480):  # 60 s of calls
        if throttle.ready():
            throttle.run(lambda: clock.advance(0.1))  # each run costs 100 ms
            spent += 0.1
        clock.advance(0.125)
    assert throttle.interval == pytest.approx(2.0)  # 0.1 s / 5%
    assert spent / clock.now <= 0.05 + 1e-9
    assert throttle.runs >= 25


def test_bad_throttle_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="budget"):
        Throttle(0.5, budget=0)


# --------------------------------------------------------------------------- monitor


def test_live_view_updates_are_throttled_and_a_divergence_is_said_once() -> None:
    clock = Clock()
    surface = Recorder(clock)
    run = TrackedRun(monitor=LiveMonitor(surface=surface, clock=clock))
    for step in range(400):  # 100 rows per simulated second
        run.log(step=step, train_loss=loss_at(step, explode_at=300))
        clock.advance(0.01)
    times = [t for t, _, _ in surface.renders]
    assert times[0] >= 0.5  # the first frame after half a second
    assert 6 <= len(times) <= 8  # 4 s, at most 2 per second
    assert all(b - a >= 0.5 for a, b in itertools.pairwise(times))
    codes = [item.findings.code.value for item, _ in surface.said]
    assert codes.count("exploding_loss") in (1, 2)  # once, again only when it turned high
    assert [i.findings.severity.value for i, _ in surface.said][-1] == "high"
    assert not run.should_stop  # no stop_on
    assert surface.renders[-1][2] is not None  # the latest view shades the warning's range
    assert surface.renders[-1][1].startswith("step ")


def test_a_new_nan_is_checked_at_once_and_stops_with_stop_on() -> None:
    clock = Clock()
    surface = Recorder(clock)
    monitor = LiveMonitor(surface=surface, clock=clock, stop_on=("nan_loss",))
    monitor.checks = Throttle(3600.0, clock=clock)  # no check is due for an hour...
    run = TrackedRun(monitor=monitor)
    for step in range(30):
        run.log(step=step, train_loss=loss_at(step, nan_at=25))
        clock.advance(0.01)
        if run.should_stop:
            break
    assert step == 25  # ...but the first NaN is judged at once
    assert run.stop_reason is not None and run.stop_reason.findings.code.value == "nan_loss"
    assert surface.said[-1][1] is run.stop_reason


def test_stop_on_in_a_plain_loop_and_warnings_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="deepfix_notebook"),
        dfx.track("stop", stop_on=("nan_loss", "exploding_loss")) as run,
    ):
        for epoch in range(60):
            run.log(epoch=epoch, train_loss=loss_at(epoch * 10, nan_at=200))
            if run.should_stop:
                break
    assert epoch == 20 and run.stop_reason is not None
    assert run.result is not None
    assert any(a.findings.code.value == "nan_loss" for _, a in run.result.findings())
    said = [r.getMessage() for r in caplog.records if "early warning" in r.getMessage()]
    assert len(said) == 1 and "[nan_loss, high]" in said[0] and "Stopping training" in said[0]


def test_without_stop_on_the_run_goes_on_and_says_it_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="deepfix_notebook"), dfx.track("go-on") as run:
        for epoch in range(40):
            run.log(epoch=epoch, train_loss=loss_at(epoch * 10, nan_at=200))
            assert not run.should_stop
    said = [r for r in caplog.records if "nan_loss" in r.getMessage()]
    assert len(said) == 1 and [w.findings.code.value for w in run.warnings] == ["nan_loss"]


def test_stop_on_takes_early_warning_codes_only() -> None:
    with pytest.raises(ValueError, match=r"exploding_gradients, exploding_loss, nan_loss"):
        LiveMonitor(stop_on=("overfitting",))
    with pytest.raises(ValueError, match="stop_on"), dfx.track("x", stop_on=("plateau",)):
        pass
    assert LiveMonitor(stop_on="nan_loss").stop_on == {"nan_loss"}


def test_a_broken_monitor_never_breaks_the_loop(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(Recorder):
        def curves(self, table: Any, result: Any, status: str) -> None:
            raise RuntimeError("display went away")

    clock = Clock()
    run = TrackedRun(monitor=LiveMonitor(surface=Broken(clock), clock=clock))
    with caplog.at_level(logging.WARNING, logger="deepfix_notebook"):
        for step in range(5):
            run.log(step=step, train_loss=1.0 / (step + 1))
            clock.advance(1.0)
    assert len(run.rows) == 5 and run.monitor is None
    assert "live monitor turned off" in caplog.text


def test_merge_adds_to_the_row_of_the_same_step() -> None:
    run = TrackedRun()
    run.log(step=4, epoch=0, train_loss=0.5)
    run.log(step=4, epoch=0, merge=True, val_loss=0.6)
    run.log(step=5, merge=True, train_loss=0.4)
    assert run.rows == [
        {"step": 4.0, "epoch": 0.0, "train_loss": 0.5, "val_loss": 0.6},
        {"step": 5.0, "train_loss": 0.4},
    ]


# --------------------------------------------------------------------------- the end of training


class Notebook:
    """IPython's ``display`` as a fake: each output's bundles, the last one being what it shows."""

    def __init__(self) -> None:
        self.outputs: list[list[dict[str, Any]]] = []

    def __call__(self, bundle: dict[str, Any], **kwargs: Any) -> Any:
        assert kwargs.get("raw") is True
        self.outputs.append([bundle])
        bundles = self.outputs[-1]

        class Handle:
            def update(self, bundle: dict[str, Any], **kwargs: Any) -> None:
                bundles.append(bundle)

        return Handle() if kwargs.get("display_id") else None


def test_the_live_figure_becomes_static_html_when_training_ends() -> None:
    clock, notebook = Clock(), Notebook()
    run = TrackedRun(monitor=LiveMonitor(surface=NotebookSurface(notebook), clock=clock))
    for step in range(400):
        run.log(step=step, train_loss=loss_at(step, explode_at=300), val_loss=loss_at(step))
        clock.advance(0.01)
    curves, alerts = notebook.outputs  # each updated in place, never a new output
    assert all(PLOTLY in b for b in curves) and len(curves) >= 6
    assert "deepfix-early-warnings" in alerts[-1]["text/html"]
    text = alerts[-1]["text/plain"]  # frontends without HTML read the same warnings
    assert text.startswith("DeepFix early warnings\n- exploding_loss (high): ") and "Fix: " in text
    run.close_monitor()
    assert len(notebook.outputs) == 2 and len(curves) >= 7
    end = curves[-1]
    assert set(end) == {"text/html", "text/plain"}  # no Plotly JSON, no widget view
    page = end["text/html"]
    assert page.startswith('<div class="deepfix-view" data-deepfix-view="curves">')
    assert page.count("<svg") == 1 and "<script" not in page.lower()
    assert "exploding_loss" in page  # the warning's range, shaded as in the live figure
    assert end["text/plain"] == (
        "DeepFix training: Training finished; step 399: train_loss 30, val_loss 0.1026"
    )


def test_the_end_says_how_training_ended() -> None:
    def ended(error: BaseException | None = None, *, stop_on: str = "") -> str:
        clock = Clock()
        surface = Recorder(clock)
        run = TrackedRun(monitor=LiveMonitor(surface=surface, clock=clock, stop_on=stop_on or ()))
        for step in range(30):
            run.log(step=step, epoch=step // 10, train_loss=loss_at(step, nan_at=25))
            if run.should_stop:
                break
        run.close_monitor(error)
        ((status, shaded),) = surface.ends
        assert shaded is not None  # findings to shade: the early warnings of the run
        return status

    assert ended() == "Training finished; step 29, epoch 2: train_loss nan"
    assert ended(stop_on="nan_loss").startswith("Training stopped early (nan_loss); step 25")
    assert ended(RuntimeError("boom")).startswith("Training failed (RuntimeError); step 29")
    assert ended(KeyboardInterrupt()).startswith("Training interrupted; step 29")


def test_a_shown_result_takes_the_place_of_the_curves() -> None:
    clock = Clock()
    surface = Recorder(clock)
    run = TrackedRun(monitor=LiveMonitor(surface=surface, clock=clock))
    for step in range(30):
        run.log(step=step, train_loss=loss_at(step))
    run.result = dfx.analyze(run.columns())
    run.close_monitor(show=True)
    assert surface.finals == [run.result] and not surface.ends
    run.close_monitor()  # not shown: the curves, shaded with the result's findings
    assert surface.ends[-1][1] is run.result


def test_track_shows_the_end_even_when_the_block_raises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Gone(Recorder):
        def end(self, table: Any, result: Any, title: str, status: str) -> None:
            raise RuntimeError("display went away")

    clock = Clock()
    recorder, gone = Recorder(clock), Gone(clock)
    for surface in (recorder, gone):
        with pytest.raises(ValueError, match="bad batch"), dfx.track("fails") as run:
            run.monitor = LiveMonitor(surface=surface, clock=clock)  # a recording surface
            run.log(step=0, train_loss=1.0)
            run.log(step=1, train_loss=0.9)
            raise ValueError("bad batch")  # raised as is, after the end was shown ...
    assert [status for status, _ in recorder.ends] == [
        "Training failed (ValueError); step 1: train_loss 0.9"
    ]
    # ... or could not be: said, and the block's own error still raised
    assert "could not show the end of the run: RuntimeError('display went away')" in caplog.text
