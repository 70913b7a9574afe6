"""MLflow run ids: 32 hexadecimal characters, never a path."""

from __future__ import annotations

import re

from deepfix_notebook.artifacts._errors import ArtifactError
from deepfix_notebook.contract import ErrorCode

_RUN_ID = re.compile(r"[0-9a-fA-F]{32}")
RUNS_PREFIX = "runs:/"
SHAPE = "32 hexadecimal characters"


def is_run_id(text: str) -> bool:
    """Whether ``text`` has the shape of an MLflow run id."""
    return _RUN_ID.fullmatch(text) is not None


def parse_run_id(text: str, *, field: str = "run_id") -> str:
    """``text`` as a run id (blanks and a ``runs:/`` prefix dropped, lower case).

    Raises ``VALIDATION_ERROR`` naming what was given, so a path never reaches MLflow as an id.
    """
    run_id = text.strip()
    if run_id.startswith(RUNS_PREFIX):
        run_id = run_id[len(RUNS_PREFIX) :].strip("/")
    if is_run_id(run_id):
        return run_id.lower()
    raise ArtifactError(
        ErrorCode.VALIDATION_ERROR,
        f"{text!r} is not an MLflow run id: run ids are {SHAPE} (e.g. "
        "0123456789abcdef0123456789abcdef). Give a run directory as a path, or a run by its "
        "name with --run-name.",
        field=field,
        details={"provided": text, "constraint": SHAPE},
    )
