"""`deepfix analyze`/`validate` with `--run-id ID [ID ...]`, `--run-name`, `--experiment`:
JSON Lines in command-line order, an error envelope on each line that failed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric

from deepfix_notebook.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "runs"
UNKNOWN = "0123456789abcdef0123456789abcdef"


def log_run(client: MlflowClient, experiment_id: str, name: str, start: int) -> str:
    run_id: str = client.create_run(experiment_id, start_time=start, run_name=name).info.run_id
    epochs = range(15)
    client.log_batch(
        run_id,
        metrics=[Metric("loss", 1.0 / (e + 1), 0, e) for e in epochs]
        + [Metric("val_loss", 1.1 / (e + 1) + 0.05, 0, e) for e in epochs],
    )
    client.set_terminated(run_id)
    return run_id


@pytest.fixture
def store(copy_blank_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A store with experiment `sweep` (runs a, b, dup; b newest) and `other` (dup); the
    working directory is an empty temp dir."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    uri = copy_blank_store(tmp_path / "store" / "mlflow.db")
    client = MlflowClient(tracking_uri=uri)
    sweep = client.create_experiment("sweep", (tmp_path / "artifacts" / "sweep").as_uri())
    other = client.create_experiment("other", (tmp_path / "artifacts" / "other").as_uri())
    ids = {
        "a": log_run(client, sweep, "a", 1_700_000_000_000),
        "dup_sweep": log_run(client, sweep, "dup", 1_700_000_100_000),
        "b": log_run(client, sweep, "b", 1_700_000_200_000),
        "dup_other": log_run(client, other, "dup", 1_700_000_300_000),
    }
    return uri, ids


def json_lines(
    capsys: pytest.CaptureFixture[str], *args: str, code: int = 0
) -> list[dict[str, Any]]:
    assert main([*args, "--format", "json"]) == code
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_every_run_id_is_a_run_id_in_order_with_errors_in_place(
    store: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    uri, ids = store
    lines = json_lines(
        capsys,
        "analyze",
        *("--run-id", ids["b"], UNKNOWN, ids["a"], "../../etc"),
        *("--tracking-uri", uri),
        code=1,
    )
    assert [line.get("run_id") for line in lines] == [ids["b"], None, ids["a"], None]
    assert lines[0]["status"] == "completed" and lines[2]["status"] == "completed"
    assert lines[1]["error"] == "RUN_NOT_FOUND" and lines[1]["details"]["source"] == UNKNOWN
    assert lines[3]["error"] == "VALIDATION_ERROR"
    assert "32 hexadecimal characters" in lines[3]["message"]
    assert "'../../etc'" in lines[3]["message"]
    assert lines[3]["details"]["provided"] == "../../etc"


def test_paths_and_run_ids_keep_the_command_lines_order(
    store: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    uri, ids = store
    path = str(EXAMPLES / "quickstart")
    first = json_lines(capsys, "analyze", path, "--run-id", ids["a"], "--tracking-uri", uri)
    assert [line["run_id"] for line in first] == ["quickstart", ids["a"]]
    later = json_lines(capsys, "analyze", "--run-id", ids["a"], "--tracking-uri", uri, path)
    assert [line["run_id"] for line in later] == [ids["a"], "quickstart"]


def test_run_names_unique_ambiguous_and_scoped(
    store: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    uri, ids = store
    lines = json_lines(
        capsys, "analyze", "--run-name", "a", "dup", "nobody", "--tracking-uri", uri, code=1
    )
    assert lines[0]["run_id"] == ids["a"]
    ambiguous = lines[1]
    assert ambiguous["error"] == "VALIDATION_ERROR"
    assert "2 runs are named 'dup'" in ambiguous["message"]
    assert ids["dup_sweep"] in ambiguous["message"] and ids["dup_other"] in ambiguous["message"]
    assert "started 2023-11-14" in ambiguous["message"] and "--experiment" in ambiguous["message"]
    candidates = ambiguous["details"]["candidates"]
    assert [c["run_id"] for c in candidates] == [ids["dup_other"], ids["dup_sweep"]]
    assert lines[2]["error"] == "RUN_NOT_FOUND" and "'nobody'" in lines[2]["message"]

    scoped = json_lines(
        capsys, "validate", "--run-name", "dup", "--experiment", "other", "--tracking-uri", uri
    )
    assert [line["run_id"] for line in scoped] == [ids["dup_other"]]


def test_an_experiment_alone_is_every_run_of_it(
    store: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    uri, ids = store
    lines = json_lines(capsys, "analyze", "--experiment", "sweep", "--tracking-uri", uri)
    assert [line["run_id"] for line in lines] == [ids["b"], ids["dup_sweep"], ids["a"]]
    (missing,) = json_lines(
        capsys, "analyze", "--experiment", "nope", "--tracking-uri", uri, code=1
    )
    assert missing["error"] == "RUN_NOT_FOUND" and "experiment 'nope'" in missing["message"]


def test_experiment_with_run_ids_is_a_usage_error(
    store: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _, ids = store
    with pytest.raises(SystemExit) as info:
        main(["analyze", "--experiment", "sweep", "--run-id", ids["a"]])
    assert info.value.code == 2
    assert "scopes --run-name" in capsys.readouterr().err


def test_unknown_run_through_the_console_script_is_quiet_and_says_what_to_do(
    tmp_path: Path,
) -> None:
    script = shutil.which("deepfix")
    assert script is not None, "install the package: pip install -e ."
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    env = {**os.environ, "DEEPFIX_HOME": str(home), "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    out = subprocess.run(
        [script, "analyze", "--run-id", UNKNOWN],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1
    assert out.stderr == ""
    assert out.stdout.startswith(f"{UNKNOWN}: RUN_NOT_FOUND: No MLflow run")
    assert "(DeepFix's local store), not created yet" in out.stdout
    assert f"deepfix analyze --run-id {UNKNOWN} --tracking-uri URI" in out.stdout
    assert list(work.iterdir()) == [] and not home.exists()
