"""`deepfix validate`: what it prints and its exit codes, through the real console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deepfix_notebook.cli import main

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval" / "howreal"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "runs" / "quickstart"


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().out


def make_bad(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name / "training_artifacts" / "metrics.csv"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path.parents[1]


def test_every_eval_run_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    if not EVAL.is_dir():
        pytest.skip(f"{EVAL} is not here (the shared eval set sits beside the repository in CI)")
    runs = sorted(str(p) for p in EVAL.iterdir() if p.is_dir())
    assert len(runs) >= 30
    code, out = run_cli(["validate", "--format", "json", *runs], capsys)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert len(lines) == len(runs) and all(line["valid"] for line in lines)
    assert all("train_loss" in line["metrics"]["recognised"] for line in lines)


def test_text_report_lists_artifacts_metrics_and_params(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = make_bad(tmp_path, "ok", "step,epoch,loss,val_acc\n0,0,1,0.5\n1,1,0.5,\n2,2,0.25,0.7\n")
    (run / "training_artifacts" / "params.yaml").write_text("lr: 0.01\nbatch_size: 32\n")
    code, out = run_cli(["validate", str(run)], capsys)
    assert code == 0
    assert out.startswith(f"valid    {run}")
    assert "training_artifacts/metrics.csv, training_artifacts/params.yaml" in out
    assert "3 steps by step and epoch" in out
    assert "train_loss" in out and "(logged as loss)" in out
    assert "val_accuracy" in out and "2 rows  (logged as val_acc)" in out
    assert "learning_rate=0.01, batch_size=32" in out


def test_invalid_and_valid_mixed_exit_1_and_report_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_bad(tmp_path, "good", "step,loss\n0,1\n1,0.5\n2,0.2\n")
    bad = make_bad(tmp_path, "bad", "step,loss\n0,1\n1,x\n2,0.2\n")
    code, out = run_cli(["validate", "--format", "json", str(bad), str(good)], capsys)
    first, second = (json.loads(line) for line in out.splitlines())
    assert code == 1
    assert first["valid"] is False and first["error"] == "ARTIFACT_INVALID"
    assert first["details"]["field"] == "loss" and first["details"]["row"] == 2
    assert second["valid"] is True


def test_text_error_names_code_file_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = make_bad(tmp_path, "bad", "step,loss\n0,1\n1,0.5\n")
    code, out = run_cli(["validate", str(bad)], capsys)
    assert code == 1
    assert "INVALID" in out and "ARTIFACT_INVALID" in out
    assert "training_artifacts/metrics.csv:loss" in out and "at least 3" in out


def test_no_arguments_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2
    assert "needs a PATH, --run-id ID, --run-name NAME or --experiment NAME" in (
        capsys.readouterr().err
    )


def test_run_id_against_a_missing_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    uri = f"sqlite:///{tmp_path / 'absent.db'}"
    run_id = "0" * 31 + "a"
    code, out = run_cli(["validate", "--run-id", run_id, "--tracking-uri", uri], capsys)
    assert code == 1 and "MLFLOW_CONNECTION_ERROR" in out
    assert not (tmp_path / "absent.db").exists()


def test_schema_lists_and_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert "AnalysisResult" in capsys.readouterr().out.split()
    assert main(["schema", "KnowledgeQuery"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "query_type" in schema["required"]


def test_console_script_validates_the_shipped_example() -> None:
    script = shutil.which("deepfix")
    assert script is not None, "install the package: pip install -e ."
    out = subprocess.run(
        [script, "validate", str(EXAMPLE)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("valid")


def test_module_entry_point() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "deepfix_notebook.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and out.stdout.startswith("deepfix ")
