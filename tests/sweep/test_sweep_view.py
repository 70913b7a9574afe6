"""The sweep's view: the JSON the shared front end draws, the static HTML, and how the notebook
shows them (``%deepfix sweep``, a `SweepResult` ending a cell, the anywidget)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Sweep
from IPython.testing import globalipapp
from IPython.utils.capture import capture_output

from deepfix_notebook.contract import SweepResult
from deepfix_notebook.notebook._sweep import SweepView, sweep_display
from deepfix_notebook.sweeps import run_sweep
from deepfix_notebook.views import MIME_SWEEP, sweep_html, sweep_payload
from deepfix_notebook.views._sweep import axis, position

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def result(planted: Sweep) -> SweepResult:
    return run_sweep(planted.experiment, tracking_uri=planted.uri)


@pytest.fixture(scope="module")
def ip() -> Iterator[Any]:
    globalipapp.start_ipython()
    shell = globalipapp.get_ipython()
    assert shell is not None
    shell.display_formatter.active_types = shell.display_formatter.format_types
    shell.run_line_magic("load_ext", "deepfix_notebook")
    yield shell
    shell.run_line_magic("unload_ext", "deepfix_notebook")


def test_axes_log_scale_decades_and_order_categories_naturally() -> None:
    assert axis("lr", ["1e-4", "0.01", "1"])["scale"] == "log"
    assert axis("lr", ["0.1", "0.5", "1"])["scale"] == "linear"  # one decade: linear
    assert axis("shift", ["-1", "10", "1000"])["scale"] == "linear"  # not positive
    spec = axis("arch", ["net-10", "net-2", "net-2", "resnet"])
    assert spec["scale"] == "category"
    assert spec["categories"] == ["net-2", "net-10", "resnet"]
    assert axis("flag", ["True", "False"])["categories"] == ["False", "True"]
    assert axis("lr", ["nan", "1"])["scale"] == "category"  # not finite: not a number axis
    log = axis("lr", ["1e-4", "1"])
    assert [position(log, v) for v in ("1e-4", "0.01", "1", "0", "x", None)] == [
        0.0,
        0.5,
        1.0,
        None,
        None,
        None,
    ]


def test_payload_is_the_result_and_its_axes(result: SweepResult) -> None:
    payload = json.loads(json.dumps(sweep_payload(result)))  # what a notebook stores
    assert payload["version"] == 1
    assert SweepResult.model_validate(payload["result"]) == result
    axes = {a["name"]: a for a in payload["axes"]}
    # The associated parameter first; every varying parameter has an axis.
    assert payload["axes"][0]["name"] == result.associations[0].param == "learning_rate"
    assert set(axes) == {name for run in result.runs for name in run.params}
    assert axes["learning_rate"] | {"low": round(axes["learning_rate"]["low"], 12)} == {
        "name": "learning_rate",
        "scale": "log",
        "low": 1e-4,
        "high": 1.0,
        "categories": [],
    }
    assert axes["optimizer"]["scale"] == "category"
    assert axes["optimizer"]["categories"] == ["adam", "sgd"]
    assert axes["batch_size"]["scale"] == "linear"
    assert result.best is not None
    metrics = [r.metric for r in result.runs if r.metric is not None]
    assert payload["metric"]["name"] == result.best.metric
    assert (payload["metric"]["low"], payload["metric"]["high"]) == (min(metrics), max(metrics))


def test_static_html_draws_every_run_and_the_associations(result: SweepResult) -> None:
    page = str(sweep_html(result))
    assert page.count("<path ") == len(result.runs)
    for run in result.runs:
        assert f"{run.run_name} (run id {run.run_id})" in page
    assert "learning_rate ≥ 0.316" in page
    association = result.associations[0]
    assert f"{association.hits_in}/{association.support} ({association.rate_in:.0%})" in page
    assert "log scale" in page
    assert "<script" not in page


def test_run_names_and_errors_reach_the_html_escaped(result: SweepResult) -> None:
    runs = [result.runs[0].model_copy(update={"run_name": HOSTILE}), *result.runs[1:]]
    hostile = result.model_copy(update={"runs": runs, "summary": HOSTILE})
    page = str(sweep_html(hostile))
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_bundle_carries_the_json_html_and_text(result: SweepResult) -> None:
    bundle = SweepView(result)._repr_mimebundle_()
    assert set(bundle) == {MIME_SWEEP, "text/html", "text/plain"}
    assert bundle[MIME_SWEEP] == sweep_payload(result)
    assert 'data-deepfix-view="sweep"' in bundle["text/html"]
    assert result.experiment in bundle["text/plain"]


def test_live_kernels_get_the_widget_with_the_same_bundle(result: SweepResult) -> None:
    from deepfix_notebook.notebook._widget import WIDGET_VIEW, bundle_built

    widget = sweep_display(result, live=True)
    try:
        assert widget.mime == MIME_SWEEP
        assert widget.payload == json.loads(json.dumps(sweep_payload(result)))
        data, _ = widget._repr_mimebundle_()
        assert {MIME_SWEEP, "text/html", "text/plain"} <= set(data)
        assert (WIDGET_VIEW in data) == bundle_built()
    finally:
        widget.close()
    assert isinstance(sweep_display(result, live=False), SweepView)


def test_magic_and_a_result_ending_a_cell_show_the_sweep_view(
    ip: Any, planted: Sweep, result: SweepResult
) -> None:
    with capture_output() as cap:
        ip.run_line_magic(
            "deepfix", f"sweep --experiment {planted.experiment} --tracking-uri {planted.uri}"
        )
    shown = [o.data for o in cap.outputs if MIME_SWEEP in o.data]
    assert len(shown) == 1  # not a kernel: the static view (the widget needs one)
    assert len(shown[0][MIME_SWEEP]["result"]["runs"]) == 45
    data, _ = ip.display_formatter.format(result)
    assert data[MIME_SWEEP]["axes"] == sweep_payload(result)["axes"]
    assert re.search(r'data-deepfix-view="sweep"', data["text/html"])


def test_unloading_the_extension_forgets_the_sweep_formatter(ip: Any, result: SweepResult) -> None:
    ip.run_line_magic("unload_ext", "deepfix_notebook")
    try:
        data, _ = ip.display_formatter.format(result)
        assert MIME_SWEEP not in data
    finally:
        ip.run_line_magic("load_ext", "deepfix_notebook")
    data, _ = ip.display_formatter.format(result)
    assert MIME_SWEEP in data
