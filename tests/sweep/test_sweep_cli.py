"""`deepfix sweep` as a user runs it: the console script, JSON checked against the model."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from collections.abc import Callable

from conftest import Sweep

from deepfix_notebook.contract import ErrorResponse, SweepResult


def deepfix(*args: str) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("deepfix")
    assert executable is not None
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    return subprocess.run([executable, *args], capture_output=True, text=True, timeout=120, env=env)


def test_json_is_one_sweep_result(planted: Sweep) -> None:
    done = deepfix(
        "sweep", "--experiment", planted.experiment, "--tracking-uri", planted.uri,
        "--format", "json", "--no-reuse",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # not a terminal, not long: no progress lines
    result = SweepResult.model_validate_json(done.stdout)
    assert len(result.runs) == 45
    assert json.loads(done.stdout) == json.loads(result.model_dump_json())
    assert result.associations[0].code.value == "exploding_loss"


def test_text_lists_groups_associations_and_best(planted: Sweep) -> None:
    done = deepfix(
        "sweep", "--experiment", planted.experiment, "--tracking-uri", planted.uri,
        "--max-runs", "20", "--filter", "params.batch_size != '999'",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for heading in ("High-severity problems:", "Clean:", "Could not be analysed: 0",
                    "Associations:", "Best clean runs by val_accuracy"):  # fmt: skip
        assert heading in out, heading
    assert "20 runs in" in out


def test_an_unknown_experiment_lists_the_ones_there_are(planted: Sweep) -> None:
    done = deepfix("sweep", "--experiment", "nope", "--tracking-uri", planted.uri)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "RUN_NOT_FOUND" in done.stderr and "lr-sweep" in done.stderr

    done = deepfix(
        "sweep", "--experiment", "nope", "--tracking-uri", planted.uri, "--format", "json"
    )
    envelope = ErrorResponse.model_validate_json(done.stdout)
    assert envelope.error.value == "RUN_NOT_FOUND" and "lr-sweep" in envelope.message


def test_bad_input_never_shows_a_traceback(planted: Sweep, tmp_path: object) -> None:
    cases = [
        (["--experiment", planted.experiment, "--tracking-uri", planted.uri, "--filter", "x ="], 1),
        (["--experiment", planted.experiment, "--tracking-uri", planted.uri, "--max-runs", "0"], 2),
        (["--experiment", " ", "--tracking-uri", planted.uri], 2),
        (["--experiment", "x", "--tracking-uri", "sqlite:////nonexistent/dir/mlflow.db"], 1),
        (["--experiment", "x", "--tracking-uri", "http://127.0.0.1:9"], 1),
        ([], 2),
    ]
    for args, code in cases:
        done = deepfix("sweep", *args)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr + done.stdout, args


def test_save_then_a_second_sweep_reuses_every_analysis(make_sweep: Callable[..., Sweep]) -> None:
    sweep = make_sweep(runs=12)
    common = ["sweep", "--experiment", sweep.experiment, "--tracking-uri", sweep.uri]
    first = SweepResult.model_validate_json(deepfix(*common, "--save", "--format", "json").stdout)
    assert {run.status for run in first.runs} == {"analysed"}
    again = SweepResult.model_validate_json(deepfix(*common, "--format", "json").stdout)
    assert {run.status for run in again.runs} == {"reused"}
    assert [r.problems for r in again.runs] == [r.problems for r in first.runs]


def test_progress_is_a_bar_on_a_terminal_only() -> None:
    from deepfix_notebook import _cli_sweep

    class Stream(io.StringIO):
        def __init__(self, tty: bool) -> None:
            super().__init__()
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    piped = Stream(tty=False)
    progress = _cli_sweep._Progress(piped)
    progress(5, 10)
    progress(10, 10)
    progress.clear()
    assert piped.getvalue() == ""

    terminal = Stream(tty=True)
    drawn = _cli_sweep._Progress(terminal)
    drawn(4, 10)
    drawn(10, 10)
    shown = terminal.getvalue()
    assert "deepfix sweep" in shown and "/10" in shown and "run/s" in shown
    drawn.clear()
    assert terminal.getvalue().endswith("\r")  # the bar is wiped, not left above the result
