"""``deepfix sweep``: triage every run of an experiment, with progress on stderr."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO


def add_sweep_command(commands: Any) -> None:
    """Register ``sweep`` on the ``deepfix`` subcommands."""
    sweep = commands.add_parser(
        "sweep",
        help="triage every run of an experiment: health, problems x hyperparameters, best runs",
        description="Diagnose every run of an MLflow experiment (reusing the analysis logged "
        "with a run while it is newer than the run's last metric), group the runs by health, "
        "and find the hyperparameter splits that go with each problem (one-sided Fisher's "
        "exact test, Bonferroni-corrected) and the best clean runs. A run that cannot be read "
        "is listed with the reason; it never stops the sweep. With --format json, one "
        "SweepResult document (`deepfix schema SweepResult`). Progress goes to stderr.",
    )
    sweep.add_argument("--experiment", required=True, metavar="NAME", help="MLflow experiment")
    sweep.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="the MLflow store (default: MLFLOW_TRACKING_URI, ./mlflow.db, then DeepFix's "
        "local store; the first that has the experiment)",
    )
    sweep.add_argument(
        "--filter",
        default="",
        metavar="EXPR",
        help='MLflow search filter, e.g. "params.optimizer = \'adam\'" or "metrics.val_loss < 1"',
    )
    sweep.add_argument("--max-runs", type=int, metavar="N", help="the newest N runs only")
    sweep.add_argument("--save", action="store_true", help="write new analyses back to their runs")
    sweep.add_argument(
        "--no-reuse",
        dest="reuse",
        action="store_false",
        help="analyse every run again, even those with a current logged analysis",
    )
    sweep.add_argument(
        "--workers", type=int, metavar="N", help="analysis processes (default: the CPUs)"
    )
    sweep.add_argument("--format", choices=("text", "json"), default="text")
    sweep.set_defaults(handler=_sweep)


def _sweep(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from deepfix_notebook._api import sweep
    from deepfix_notebook.artifacts import ArtifactError
    from deepfix_notebook.contract import ErrorCode, ErrorResponse
    from deepfix_notebook.sweeps import render_sweep

    if not args.experiment.strip():
        parser.error("sweep: --experiment needs a name")
    for flag, value in (("--max-runs", args.max_runs), ("--workers", args.workers)):
        if value is not None and value < 1:
            parser.error(f"sweep: {flag} must be at least 1, got {value}")
    progress = _Progress(sys.stderr)
    try:
        result = sweep(
            args.experiment,
            tracking_uri=args.tracking_uri,
            filter=args.filter,
            max_runs=args.max_runs,
            save=args.save,
            reuse=args.reuse,
            workers=args.workers,
            on_progress=progress,
        )
    except ArtifactError as error:
        envelope = error.to_response()
    except KeyboardInterrupt:
        progress.clear()
        return 130
    except Exception as error:  # never a traceback: the envelope names what broke
        envelope = ErrorResponse(
            error=ErrorCode.INTERNAL_SERVER_ERROR, message=f"{type(error).__name__}: {error}"
        )
    else:
        progress.clear()
        if args.format == "json":
            sys.stdout.write(result.model_dump_json() + "\n")
        else:
            sys.stdout.write(render_sweep(result) + "\n")
        return 0
    progress.clear()
    if args.format == "json":
        sys.stdout.write(envelope.model_dump_json() + "\n")
    else:
        sys.stderr.write(f"deepfix sweep: {envelope.error.value}: {envelope.message}\n")
    return 1


class _Progress:
    """A bar of runs done on stderr (tqdm), drawn on a terminal only: tqdm's ``disable=None``
    keeps logs and pipes free of carriage-return redraws."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total,
                desc="deepfix sweep",
                unit="run",
                file=self._stream,
                disable=None,
                leave=False,
                dynamic_ncols=True,
            )
        self._bar.total = total
        self._bar.update(done - self._bar.n)

    def clear(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
