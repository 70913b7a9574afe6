"""Which MLflow stores hold runs, in one order (docs/decisions.md, "Where runs are").

1. a tracking URI given explicitly (``--tracking-uri``, ``tracking_uri=``): that store alone;
2. the one `connect` chose;
3. this process's MLflow configuration: ``mlflow.set_tracking_uri`` (read only when mlflow is
   already imported), ``MLFLOW_TRACKING_URI``, and MLflow's own default store in the working
   directory when it exists (``./mlflow.db``, then a ``./mlruns`` file store);
4. DeepFix's local store, ``$DEEPFIX_HOME/mlflow.db``.

New runs go to the first; a run id not found there is looked for in the others.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

EXPLICIT = "given explicitly"
CONNECTED = "connect()"
SET_TRACKING_URI = "mlflow.set_tracking_uri"
ENVIRONMENT = "MLFLOW_TRACKING_URI"
WORKING_DIRECTORY = "MLflow's default store in the working directory"
LOCAL = "DeepFix's local store"


@dataclass(frozen=True)
class Store:
    """A candidate MLflow store and why it is one."""

    uri: str
    origin: str

    def __str__(self) -> str:
        return f"{self.uri} ({self.origin})"

    def exists(self) -> bool:
        """False for a SQLite database or file store that is not on disk (servers: True)."""
        path = local_path(self.uri)
        return path is None or path.exists()


def deepfix_home() -> Path:
    """``$DEEPFIX_HOME``, by default ``~/.deepfix``."""
    return Path(os.environ.get("DEEPFIX_HOME") or Path.home() / ".deepfix").expanduser()


def default_tracking_uri() -> str:
    """DeepFix's local store: SQLite under ``$DEEPFIX_HOME``."""
    return f"sqlite:///{(deepfix_home() / 'mlflow.db').resolve()}"


def default_artifact_root() -> Path:
    return (deepfix_home() / "artifacts").resolve()


def candidate_stores(uri: str | None = None, *, connected: str | None = None) -> list[Store]:
    """The stores to use, best first (see the module docstring); with ``uri``, that one alone."""
    if uri:
        return [Store(uri, EXPLICIT)]
    found: list[Store] = []
    if connected:
        found.append(Store(connected, CONNECTED))
    configured = _set_tracking_uri()
    if configured:
        found.append(Store(configured, SET_TRACKING_URI))
    if os.environ.get("MLFLOW_TRACKING_URI"):
        found.append(Store(os.environ["MLFLOW_TRACKING_URI"], ENVIRONMENT))
    database = Path("mlflow.db")
    if database.is_file():
        found.append(Store(f"sqlite:///{database.resolve()}", WORKING_DIRECTORY))
    if _is_file_store(Path("mlruns")):
        found.append(Store(Path("mlruns").resolve().as_uri(), WORKING_DIRECTORY))
    found.append(Store(default_tracking_uri(), LOCAL))
    unique: dict[str, Store] = {}
    for store in found:
        unique.setdefault(_identity(store.uri), store)
    return list(unique.values())


def resolve_tracking_uri(uri: str | None = None, *, connected: str | None = None) -> str:
    """The store new runs go to: the first of `candidate_stores`."""
    return candidate_stores(uri, connected=connected)[0].uri


def local_path(uri: str) -> Path | None:
    """The file or folder of a ``sqlite:///`` or file store URI; None for servers."""
    parsed = urlparse(uri)
    if parsed.scheme == "sqlite":
        path = uri[len("sqlite:///") :] if uri.startswith("sqlite:///") else parsed.path
        return Path(unquote(path.split("?", 1)[0]))
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "" and uri:
        return Path(uri)
    return None


def _identity(uri: str) -> str:
    path = local_path(uri)
    return str(path.expanduser().resolve()) if path is not None else uri.rstrip("/")


def _set_tracking_uri() -> str | None:
    """What ``mlflow.set_tracking_uri`` set, if mlflow is imported (it is not imported here)."""
    module = sys.modules.get("mlflow.tracking._tracking_service.utils")
    value = getattr(module, "_tracking_uri", None)
    return value if isinstance(value, str) and value else None


def _is_file_store(folder: Path) -> bool:
    """``./mlruns`` holding experiments (MLflow's own test), not just a SQLite store's artifacts."""
    try:
        return any(
            entry.is_dir() and entry.name.isdigit() and (entry / "meta.yaml").exists()
            for entry in folder.iterdir()
        )
    except OSError:
        return False
