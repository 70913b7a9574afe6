"""The %deepfix magics through IPython's own shell: mime bundles, bound results, usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.testing import globalipapp
from IPython.utils.capture import capture_output
from notebook_helpers import notice_on_top

from deepfix_notebook.notebook import MIME_ANALYSIS
from deepfix_notebook.views import MIME_COMPARISON

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "runs"


@pytest.fixture(scope="module")
def ip() -> Iterator[Any]:
    globalipapp.start_ipython()  # once per process; later calls return None
    shell = globalipapp.get_ipython()
    assert shell is not None
    # A terminal shell formats text only; a kernel formats everything, as here.
    shell.display_formatter.active_types = shell.display_formatter.format_types
    shell.run_line_magic("load_ext", "deepfix_notebook")
    yield shell
    shell.run_line_magic("unload_ext", "deepfix_notebook")


def rich(outputs: list[Any]) -> list[dict[str, Any]]:
    return [o.data for o in outputs if MIME_ANALYSIS in o.data or "text/html" in o.data]


def test_load_ext_is_light_and_idempotent() -> None:
    code = (
        "import sys, time\n"
        "from IPython.testing.globalipapp import start_ipython\n"
        "ip = start_ipython()\n"
        "before = set(sys.modules)\n"
        "t = time.perf_counter()\n"
        "ip.run_line_magic('load_ext', 'deepfix_notebook')\n"
        "ip.run_line_magic('reload_ext', 'deepfix_notebook')\n"
        "print(time.perf_counter() - t)\n"
        "heavy = {'mlflow', 'pyarrow', 'plotly', 'pandas', 'pydantic', 'torch', 'fastapi'}\n"
        "print(sorted(heavy & (set(sys.modules) - before)))\n"
        "print(len(ip.magics_manager.magics['line']['deepfix'].__self__.__class__.__mro__) > 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, heavy, _ = out.stdout.splitlines()
    assert float(seconds) < 1.0  # the 0.3 s target is measured in benchmarks/
    assert heavy == "[]"


def test_analyze_a_directory_renders_and_binds(ip: Any) -> None:
    with capture_output() as cap:
        ip.run_line_magic("deepfix", f"analyze {EXAMPLES / 'overfitting'} --out over")
    bundles = [d for d in rich(cap.outputs) if MIME_ANALYSIS in d]
    assert len(bundles) == 1
    data = bundles[0]
    payload = data[MIME_ANALYSIS]
    assert payload["version"] == 1
    assert payload["result"]["run_id"] == "overfitting"
    assert "val_loss" in payload["curves"]["series"]
    assert (
        "overfitting" in data["text/html"]
        and "DeepFix analysis of overfitting" in data["text/plain"]
    )
    assert ip.user_ns["over"].run_id == "overfitting"
    json.dumps(payload)  # JSON-safe: NaN/Inf encoded as strings


def test_analyze_a_dataframe_variable(ip: Any) -> None:
    epochs = np.arange(30)
    ip.user_ns["frame"] = pd.DataFrame(
        {"loss": 2 * np.exp(-epochs / 3) + 0.05, "val_loss": 2 * np.exp(-epochs / 3) + 0.1},
        index=pd.Index(epochs, name="epoch"),
    )
    with capture_output() as cap:
        ip.run_line_magic("deepfix", "analyze $frame --no-plots")
    data = next(d for d in rich(cap.outputs) if MIME_ANALYSIS in d)
    assert data[MIME_ANALYSIS]["curves"] is None
    assert ip.user_ns["deepfix_result"].summary.startswith("The run looks healthy")


def test_background_returns_at_once_and_fills_in(ip: Any) -> None:
    with capture_output():
        start = time.perf_counter()
        ip.run_line_magic("deepfix", f"analyze {EXAMPLES / 'diverging'} --background --out bg")
        returned = time.perf_counter() - start
        magics = ip.magics_manager.registry["DeepFixMagics"]
        for thread in magics._background:
            thread.join(30)
    assert returned < 5
    assert ip.user_ns["bg"].run_id == "diverging"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "needs a subcommand"),
        ("frobnicate", "unknown subcommand 'frobnicate'"),
        ("analyze $frame_missing.info", "no variable named 'frame_missing'"),
        ("analyze {1/0}", "{1/0} failed: ZeroDivisionError"),
        ("analyze x --focus speed", "--focus takes"),
        ("analyze x --out 1bad", "not a Python name"),
        ("analyze $nope", "no variable named 'nope'"),
        ("compare", "give run ids/paths or --experiment"),
        ("compare only-one", "at least two runs"),
        ("ask", "required: question"),
        ("connect ftp://elsewhere", "'local' or an http(s) URL"),
        ("runs --limit 0", "--limit must be at least 1"),
    ],
)
def test_bad_arguments_are_one_line_usage_errors(ip: Any, line: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        ip.run_line_magic("deepfix", line)
    assert message in str(info.value)
    assert "\n" not in str(info.value).strip()


def test_unreadable_run_is_shown_not_raised(ip: Any, tmp_path: Path) -> None:
    with capture_output() as cap:
        ip.run_line_magic("deepfix", f"analyze {tmp_path}")
    html = "".join(d.get("text/html", "") for d in rich(cap.outputs))
    assert "ARTIFACT_NOT_FOUND" in html


def test_help(ip: Any) -> None:
    with capture_output() as cap:
        ip.run_line_magic("deepfix", "analyze --help")
    assert "--background" in cap.stdout
    doc = ip.find_line_magic("deepfix").__doc__
    assert doc is not None and "%deepfix analyze [RUN]" in doc and "$run.info.run_id" in doc


@pytest.mark.parametrize("line", ["--help", "-h", "help"])
def test_deepfix_help_lists_the_subcommands(ip: Any, line: str) -> None:
    with capture_output() as cap:
        ip.run_line_magic("deepfix", line)
    for command in ("connect", "runs", "analyze", "compare", "ask", "status", "report"):
        assert f"%deepfix {command}" in cap.stdout
    assert "--tracking-uri URI" in cap.stdout


def test_analyze_finds_runs_where_mlflow_put_them(
    ip: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    copy_blank_store: Any,
    deepfix_env: Path,
) -> None:
    """The issue's new user: a run logged with plain MLflow into ./mlflow.db (MLflow 3's
    default) is found; one in another store is read with --tracking-uri; an unknown id says
    which stores were searched and the command that points elsewhere."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    here, elsewhere = (copy_blank_store(p / "mlflow.db") for p in (project, tmp_path / "other"))
    ids = []
    for uri in (here, elsewhere):
        client = MlflowClient(tracking_uri=uri)
        run_id = client.create_run("0").info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric("loss", 2 / (e + 1), 0, e) for e in range(20)]
            + [Metric("val_loss", 2.2 / (e + 1), 0, e) for e in range(20)],
        )
        ids.append(run_id)
    with capture_output():
        ip.run_line_magic("deepfix", f"analyze {ids[0]} --out found_here")
        ip.run_line_magic("deepfix", f"analyze {ids[1]} --tracking-uri {elsewhere} --out there")
    assert ip.user_ns["found_here"].run_id == ids[0]
    assert ip.user_ns["there"].run_id == ids[1]
    with capture_output() as cap:
        ip.run_line_magic("deepfix", f"analyze {ids[1]}")  # not in any store searched
    html = "".join(d.get("text/html", "") for d in rich(cap.outputs))
    assert "RUN_NOT_FOUND" in html and f"{here} (MLflow&#39;s default store" in html
    assert f"%deepfix analyze {ids[1]} --tracking-uri URI" in html
    assert not deepfix_env.exists()


def test_ask_and_status(ip: Any) -> None:
    with capture_output() as cap:
        ip.run_line_magic("deepfix", 'ask "validation loss goes up" --type diagnostic')
        ip.run_line_magic("deepfix", "status")
    outputs = rich(cap.outputs)
    assert any("application/vnd.deepfix.knowledge+json" in d for d in outputs)
    assert any("backend <code>local</code>: ok" in d.get("text/html", "") for d in outputs)


def test_compare_two_directories(ip: Any) -> None:
    with capture_output() as cap:
        ip.run_line_magic(
            "deepfix",
            f"compare {EXAMPLES / 'quickstart'} {EXAMPLES / 'overfitting'} --align epoch",
        )
    data = next(d for d in rich(cap.outputs) if "application/vnd.deepfix.comparison+json" in d)
    payload = data["application/vnd.deepfix.comparison+json"]
    assert set(payload["results"]) == {"quickstart", "overfitting"}
    assert payload["align"] == "epoch" and ">epoch<" in data["text/html"]
    assert "overfitting" in data["text/plain"]


def test_runs_lists_the_local_store(
    ip: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deepfix_notebook.artifacts import load_directory, log_run

    uri = f"sqlite:///{tmp_path / 'store.db'}"
    bundle = load_directory(EXAMPLES / "quickstart")
    assert bundle.metrics is not None
    run_id = log_run(metrics=bundle.metrics, tracking_uri=uri, experiment="nb", run_name="<b>x</b>")
    with capture_output():
        ip.run_line_magic("deepfix", f"connect local --tracking-uri {uri}")
    try:
        with capture_output() as cap:
            ip.run_line_magic("deepfix", "runs --experiment nb")
        html = "".join(d.get("text/html", "") for d in rich(cap.outputs))
        assert run_id in html and f"%deepfix analyze {run_id}" in html
        assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
        for header in ("name", "status", "start", "duration", "health", "key params"):
            assert f"<th>{header}</th>" in html
        with capture_output() as cap:
            ip.run_line_magic("deepfix", f"analyze {run_id}")
        assert ip.user_ns["deepfix_result"].run_id == run_id
        data = next(d for d in rich(cap.outputs) if MIME_ANALYSIS in d)
        assert data[MIME_ANALYSIS]["run_name"] == "<b>x</b>"  # the name, escaped when drawn
        assert f'title="{run_id}">&lt;b&gt;x&lt;/b&gt;' in data["text/html"]
        second = log_run(metrics=bundle.metrics, tracking_uri=uri, experiment="nb", run_name="y")
        with capture_output() as cap:
            ip.run_line_magic("deepfix", f"compare {run_id} {second}")
        data = next(d for d in rich(cap.outputs) if MIME_COMPARISON in d)
        assert data[MIME_COMPARISON]["names"] == {run_id: "<b>x</b>", second: "y"}
        assert f'title="{second}">y</span>' in data["text/html"]
    finally:
        with capture_output():
            ip.run_line_magic("deepfix", "connect local")


def test_cell_magic_tracks_the_cell_and_analyses_it(ip: Any) -> None:
    body = (
        "import math\n"
        "import deepfix_notebook\n"
        "for epoch in range(25):\n"
        "    deepfix_notebook.log(epoch=epoch, train_loss=2 * math.exp(-epoch / 3) + 0.05,\n"
        "                         val_loss=2 * math.exp(-epoch / 3) + 0.1)\n"
    )
    with capture_output() as cap:
        ip.run_cell_magic("deepfix", "--name cell-run --experiment cells", body)
    data = next(d for d in rich(cap.outputs) if MIME_ANALYSIS in d)
    result = ip.user_ns["deepfix_result"]
    assert data[MIME_ANALYSIS]["result"]["run_id"] == result.run_id
    assert result.summary.startswith("The run looks healthy")
    from deepfix_notebook.artifacts import list_runs

    (run,) = list_runs(experiment="cells")
    assert run.run_name == "cell-run" and run.status == "FINISHED"


def test_cell_magic_failure_keeps_what_was_logged(ip: Any) -> None:
    body = (
        "import deepfix_notebook\n"
        "deepfix_notebook.log(step=0, train_loss=1.0)\n"
        "raise ValueError('boom')\n"
    )
    with capture_output() as cap:
        ip.run_cell_magic("deepfix", "--experiment cells-failed", body)
    html = "".join(d.get("text/html", "") for d in rich(cap.outputs))
    assert "the cell failed" in html and "marked FAILED" in html
    from deepfix_notebook.artifacts import list_runs

    assert [r.status for r in list_runs(experiment="cells-failed")] == ["FAILED"]


@pytest.mark.parametrize("mode", ["local", "fallback"])
def test_connect_to_a_server_that_is_down_follows_the_offline_mode(
    ip: Any, refused_uri: str, mode: str
) -> None:
    try:
        with capture_output() as cap:
            ip.run_line_magic("deepfix", f"connect {refused_uri} --offline {mode}")
        html = "".join(d.get("text/html", "") for d in rich(cap.outputs))
        assert "is not reachable" in html and f"<code>{mode}</code>" in html
        assert "embedded engine analyses the runs it can read" in html
        from deepfix_notebook.artifacts import load_directory, log_run

        bundle = load_directory(EXAMPLES / "overfitting")
        assert bundle.metrics is not None
        run_id = log_run(metrics=bundle.metrics, experiment="offline")
        with capture_output() as cap, warnings.catch_warnings(record=True) as raw:
            warnings.simplefilter("always")
            ip.run_line_magic("deepfix", f"analyze {run_id} --out offline_result")
        assert raw == []  # said in the output, not as a raw warning with a source line
        result = ip.user_ns["offline_result"]
        assert result.run_id == run_id and result.status.value == "completed"
        assert "local" in (result.backend or "")
        data = next(d for d in rich(cap.outputs) if MIME_ANALYSIS in d)
        notice = f"Server {refused_uri} unreachable; analysed by the embedded engine"
        assert notice in notice_on_top(data["text/html"])
        assert data[MIME_ANALYSIS]["notice"].startswith(notice)
        assert data["text/plain"].startswith(notice)
        lines = [o.data["text/plain"] for o in cap.outputs if "notice" in str(o.data)]
        assert lines == [data["text/plain"]]  # the view says it once: no notice line of its own
    finally:
        with capture_output():
            ip.run_line_magic("deepfix", "connect local")


def test_cell_magic_picks_up_what_the_body_logs_to_mlflow(ip: Any) -> None:
    body = (
        "import math, mlflow\n"
        "for step in range(30):\n"
        "    mlflow.log_metric('loss', 2 * math.exp(-step / 4) + 0.05, step=step)\n"
        "    mlflow.log_metric('val_loss', 0.5 + 0.002 * (step - 10) ** 2, step=step)\n"
        "mlflow.log_param('lr', 0.01)\n"
    )
    with capture_output():
        ip.run_cell_magic("deepfix", "--name mlflow-cell --experiment cells-mlflow", body)
    result = ip.user_ns["deepfix_result"]
    from deepfix_notebook.artifacts import list_runs, load_mlflow_run

    (run,) = list_runs(experiment="cells-mlflow")
    assert result.run_id == run.run_id and run.status == "FINISHED"
    codes = {a.findings.code.value for _, a in result.findings() if a.findings.code}
    assert "overfitting" in codes
    bundle = load_mlflow_run(run.run_id)
    assert bundle.layout == "mlflow-history" and bundle.params is not None
    assert bundle.params.learning_rate == 0.01
    assert bundle.previous_analysis is not None


def test_unload_ext_removes_the_magics_and_load_ext_brings_them_back(ip: Any) -> None:
    ip.run_line_magic("unload_ext", "deepfix_notebook")
    assert "deepfix" not in ip.magics_manager.magics["line"]
    assert "deepfix" not in ip.magics_manager.magics["cell"]
    ip.run_line_magic("load_ext", "deepfix_notebook")
    assert "deepfix" in ip.magics_manager.magics["line"]
    assert "deepfix" in ip.magics_manager.magics["cell"]


def test_analyze_takes_runs_as_the_notebook_holds_them(
    ip: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copy_blank_store: Any
) -> None:
    """``$run`` (an ``mlflow.ActiveRun``), ``$run.info.run_id``, ``{expression}``, a run name
    (``--experiment`` when it is not unique) and no run at all (the kernel's last run) name
    the same run; what is not a run says what is."""
    import mlflow

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", copy_blank_store(tmp_path / "mlflow.db"))
    ids = []
    for experiment in ("other", "magic"):
        mlflow.set_experiment(experiment)
        with mlflow.start_run(run_name="magic-run") as active:
            for step in range(20):
                mlflow.log_metric("loss", 2 / (step + 1), step=step)
                mlflow.log_metric("val_loss", 2.2 / (step + 1), step=step)
        ids.append(active.info.run_id)
    ip.user_ns.update(active=active, best={"run": active.info.run_id}, thing=object())
    for line in (
        "$active",
        "$active.info.run_id",
        "{best['run']}",
        "magic-run --experiment magic",
        "",
    ):
        ip.user_ns.pop("expanded", None)
        with capture_output():
            ip.run_line_magic("deepfix", f"analyze {line} --out expanded --no-plots")
        assert ip.user_ns["expanded"].run_id == active.info.run_id, line
    shown = {}
    for line in ("magic-run", "$thing"):
        with capture_output() as cap:
            ip.run_line_magic("deepfix", f"analyze {line}")
        shown[line] = "".join(d.get("text/html", "") for d in rich(cap.outputs))
    assert "2 runs are named &#39;magic-run&#39;" in shown["magic-run"]
    assert all(run_id in shown["magic-run"] for run_id in ids)
    assert "type object is not a run: give an MLflow run id" in shown["$thing"]
