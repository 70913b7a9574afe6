"""Which MLflow store to use: an explicit URI, then ``MLFLOW_TRACKING_URI``, then a local one."""

from __future__ import annotations

import os
from pathlib import Path


def deepfix_home() -> Path:
    """``$DEEPFIX_HOME``, by default ``~/.deepfix``."""
    return Path(os.environ.get("DEEPFIX_HOME") or Path.home() / ".deepfix").expanduser()


def default_tracking_uri() -> str:
    """The local store used when nothing is configured: SQLite under ``$DEEPFIX_HOME``."""
    return f"sqlite:///{(deepfix_home() / 'mlflow.db').resolve()}"


def default_artifact_root() -> Path:
    return (deepfix_home() / "artifacts").resolve()


def resolve_tracking_uri(uri: str | None = None) -> str:
    """``uri`` if given, else ``MLFLOW_TRACKING_URI``, else the local default store."""
    return uri or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()
