"""`deepfix analyze` and `deepfix ask` through the real console script, in one process each."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from deepfix_notebook.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "runs"


def deepfix(*args: str) -> subprocess.CompletedProcess[str]:
    script = shutil.which("deepfix")
    assert script is not None, "install the package: pip install -e ."
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=120)


def test_json_lines_in_input_order_with_errors_in_place(tmp_path: Path) -> None:
    broken = tmp_path / "broken" / "training_artifacts"
    broken.mkdir(parents=True)
    (broken / "metrics.csv").write_text("step,loss\n0,1\n")
    runs = [EXAMPLES / "diverging", broken.parent, EXAMPLES / "quickstart"]
    out = deepfix("analyze", "--format", "json", *map(str, runs))
    assert out.returncode == 1
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 3
    assert lines[0]["run_id"] == "diverging" and lines[0]["status"] == "completed"
    codes = {a["findings"]["code"] for r in lines[0]["agent_results"] for a in r["analysis"]}
    assert "nan_loss" in codes
    assert lines[1]["error"] == "ARTIFACT_INVALID"
    assert lines[1]["details"]["source"] == str(broken.parent)
    assert lines[2]["run_id"] == "quickstart"
    assert lines[2]["summary"].startswith("The run looks healthy")


def test_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(EXAMPLES / "overfitting")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("DeepFix analysis of overfitting  [completed, local,")
    assert "Plan" in out and "1. [" in out
    assert "overfitting: val_loss rose" in out


def test_focus_is_validated(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["analyze", "--focus", "speed", str(EXAMPLES / "quickstart")])
    assert info.value.code == 2
    assert "invalid choice: 'speed'" in capsys.readouterr().err


def test_unknown_run_id_gives_an_envelope(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'missing.db'}"
    run_id = "0" * 31 + "a"
    out = deepfix("analyze", "--format", "json", "--run-id", run_id, "--tracking-uri", uri)
    assert out.returncode == 1
    envelope = json.loads(out.stdout)
    assert envelope["error"] == "MLFLOW_CONNECTION_ERROR"
    assert set(envelope) == {"error", "message", "details", "timestamp"}


def test_ask_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "validation loss rises while training loss falls"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Knowledge for") and "Source:" in text
    assert main(["ask", "learning rate too high", "--format", "json", "--max-results", "2"]) == 0
    response = json.loads(capsys.readouterr().out)
    assert len(response["results"]) == 2
    scores = [item["relevance_score"] for item in response["results"]]
    assert all(0 < score <= 1 for score in scores)
    assert any("learning" in item["content"].lower() for item in response["results"])


def test_ask_rejects_an_empty_question(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["ask", "   "])
    assert info.value.code == 2
