"""MLflow stores: a client for one that is known to be reachable, quietly opened; the errors
of a store that cannot be read. With `_mlflow_runs` and `_mlflow`, the only modules that import
mlflow, and only inside functions."""

from __future__ import annotations

import logging
import os
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from cachetools import TTLCache

from deepfix_notebook.artifacts._credentials import redact, redact_uri, split_credentials
from deepfix_notebook.artifacts._errors import ArtifactError
from deepfix_notebook.artifacts._store import (
    default_artifact_root,
    default_tracking_uri,
    local_path,
    resolve_tracking_uri,
)
from deepfix_notebook.contract import ErrorCode

if TYPE_CHECKING:
    from mlflow import MlflowClient

CONNECT_TIMEOUT_S = float(os.environ.get("DEEPFIX_MLFLOW_TIMEOUT", "5"))
PING_TTL_S = 5.0
# MLflow retries HTTP errors 7 times with exponential backoff by default: minutes of waiting for a
# server that is down. Bound them unless the user chose their own values.
_MLFLOW_HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
    # A run's layout is a few small files: a progress bar per download is noise in a notebook
    # cell and in JSON logs alike.
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


_OURS: set[str] = set()  # MLflow settings this process set itself, not its user


def bound_mlflow_http(values: dict[str, str]) -> None:
    """Use ``values`` for MLflow's HTTP settings (``MLFLOW_HTTP_REQUEST_*``) that the user did
    not set: a server's tighter bounds replace this module's defaults, never a user's choice."""
    for key, value in values.items():
        if key not in os.environ or key in _OURS:
            os.environ[key] = value
            _OURS.add(key)


def tracking_client(tracking_uri: str | None = None, *, create: bool = False) -> MlflowClient:
    """An ``MlflowClient`` for a store that is known to be reachable, its store already opened
    (quietly: MLflow and Alembic log INFO lines when they open a database).

    ``create`` allows creating a SQLite store that does not exist yet.
    """
    uri = resolve_tracking_uri(tracking_uri)
    for key, value in _MLFLOW_HTTP_DEFAULTS.items():
        if key not in os.environ:
            os.environ[key] = value
            _OURS.add(key)
    _check_reachable(uri, create=create)
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    with quiet_mlflow():
        getattr(getattr(client, "_tracking_client", None), "store", None)
    return client


def _check_reachable(uri: str, *, create: bool) -> None:
    parsed = urlparse(uri)
    if parsed.scheme in {"http", "https"}:
        _ping(uri)
    elif parsed.scheme == "sqlite":
        _sqlite_store(uri, create=create)
    elif parsed.scheme in {"file", ""}:
        path = Path(parsed.path if parsed.scheme else uri)
        if os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").lower() not in {"1", "true"}:
            raise _file_store_error(uri, path)
        if not create and not path.is_dir():
            raise connection_error(uri, f"there is no MLflow file store at {str(path)!r}")


# A server that answered is not asked again for a few seconds: a busy DeepFix server loads runs
# back to back, and each ping is a request for the tracking server too.
_ANSWERED: TTLCache[str, bool] = TTLCache(maxsize=64, ttl=PING_TTL_S)
_ANSWERED_LOCK = threading.Lock()


class _Unfollowed(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an address to contact: it raises `HTTPError` (3xx)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_NO_REDIRECTS = urllib.request.build_opener(_Unfollowed)


def _ping(uri: str) -> None:
    """Fail fast, with a clear message, when nothing answers at ``uri``."""
    with _ANSWERED_LOCK:
        if uri in _ANSWERED:
            return
    plain, authorization = split_credentials(uri)  # urllib would take user:pw@ for a host
    request = urllib.request.Request(f"{plain.rstrip('/')}/health")
    if authorization is not None:
        request.add_unredirected_header("Authorization", authorization)
    try:
        with _NO_REDIRECTS.open(request, timeout=CONNECT_TIMEOUT_S):
            pass
        with _ANSWERED_LOCK:
            _ANSWERED[uri] = True
        return
    except urllib.error.HTTPError as exc:
        if exc.code in _REFUSED:
            raise credentials_refused(uri, exc.code) from exc
        return  # something answered (a redirect too): MLflow's own calls say what is wrong
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise connection_error(uri, str(reason)) from exc


def sqlite_path(uri: str) -> Path:
    path = local_path(uri)
    assert path is not None, uri
    return path


def artifacts_beside(database: Path) -> Path:
    """Where a SQLite store's experiments keep artifacts: ``artifacts/`` beside the database, or
    ``mlruns/`` for MLflow's default store of the working directory (where MLflow puts them)."""
    database = database.resolve()
    default = database == Path("mlflow.db").resolve()
    return database.parent / ("mlruns" if default else "artifacts")


def _sqlite_store(uri: str, *, create: bool) -> None:
    """Check a SQLite store exists; with ``create``, create it (quietly) when it does not.

    Its default experiment keeps artifacts beside the database (``$DEEPFIX_HOME/artifacts`` for
    DeepFix's local store), not in ./mlruns of whatever directory the user is in.
    """
    path = sqlite_path(uri)
    if path.exists():
        return
    if not create:
        raise connection_error(uri, f"there is no MLflow database at {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    root = default_artifact_root() if uri == default_tracking_uri() else artifacts_beside(path)
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    root.mkdir(parents=True, exist_ok=True)
    with quiet_mlflow():
        store = SqlAlchemyStore(uri, root.as_uri())  # type: ignore[no-untyped-call]
    store.engine.dispose()


_QUIET_LOCK = threading.Lock()
_QUIET_DEPTH = [0]
_QUIET_LEVELS: dict[str, int] = {}


@contextmanager
def quiet_mlflow() -> Iterator[None]:
    """MLflow's and Alembic's INFO lines (``Creating initial MLflow database tables...``,
    ``Context impl SQLiteImpl.``) silenced for the block; warnings still show."""
    import mlflow  # noqa: F401  (configures its loggers on import: do that before changing them)

    with _QUIET_LOCK:
        if _QUIET_DEPTH[0] == 0:
            for name in ("mlflow", "alembic"):
                logger = logging.getLogger(name)
                _QUIET_LEVELS[name] = logger.level
                logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
        _QUIET_DEPTH[0] += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _QUIET_DEPTH[0] -= 1
            if _QUIET_DEPTH[0] == 0:
                for name, level in _QUIET_LEVELS.items():
                    logging.getLogger(name).setLevel(level)


def _file_store_error(uri: str, path: Path) -> ArtifactError:
    database = path.expanduser().resolve() / "mlflow.db"
    return ArtifactError(
        ErrorCode.VALIDATION_ERROR,
        f"{uri!r} names a folder: MLflow's file store is in maintenance mode and refused by "
        f"default. Use a database store such as sqlite:///{database} (migrate an mlruns folder "
        "with `mlflow migrate-filestore`), or set MLFLOW_ALLOW_FILE_STORE=true.",
        details={"tracking_uri": uri, "suggestion": f"sqlite:///{database}"},
    )


def connection_error(uri: str, reason: str) -> ArtifactError:
    """``MLFLOW_CONNECTION_ERROR`` for the store at ``uri``; its password is never quoted."""
    shown = redact_uri(uri)
    return ArtifactError(
        ErrorCode.MLFLOW_CONNECTION_ERROR,
        f"Cannot reach the MLflow tracking store at {shown} ({redact(reason, uri)}); start it, "
        "or pass the right --tracking-uri / MLFLOW_TRACKING_URI.",
        details={
            "tracking_uri": shown,
            "timeout": CONNECT_TIMEOUT_S,
            "suggestion": "Check that the MLflow server is running and reachable.",
        },
    )


_REFUSED = frozenset({401, 403})
CREDENTIALS_SETTINGS = (
    "DEEPFIX_ALLOWED_TRACKING_URIS",
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
)


def credentials_refused(uri: str, status: int) -> ArtifactError:
    """``VALIDATION_ERROR`` (permanent: retrying sends the same credentials): the store at
    ``uri`` answered 401/403. Names the settings that hold credentials, never their values."""
    shown = redact_uri(uri)
    given = "@" in urlparse(uri).netloc or bool(os.environ.get("MLFLOW_TRACKING_USERNAME"))
    what = "refused the credentials it was sent" if given else "needs credentials"
    return ArtifactError(
        ErrorCode.VALIDATION_ERROR,
        f"The MLflow tracking store at {shown} {what} (HTTP {status}): this is MLflow's "
        "login, not DeepFix's, and retrying will not help. Put the right user and password in "
        "the tracking URI (http://user:password@host; on a DeepFix server, in its entry of "
        "DEEPFIX_ALLOWED_TRACKING_URIS), or set MLFLOW_TRACKING_USERNAME and "
        "MLFLOW_TRACKING_PASSWORD.",
        field="mlflow_tracking_uri",
        details={
            "provided": shown,
            "status": status,
            "side": "mlflow",
            "settings": list(CREDENTIALS_SETTINGS),
        },
    )


def store_error(uri: str, exc: Exception) -> ArtifactError:
    """What an MLflow call failing with ``exc`` (an ``MlflowException``) means for the store
    at ``uri``: credentials refused (permanent), a redirect not followed, or unreachable."""
    message = str(getattr(exc, "message", exc))
    redirect = _REDIRECT.search(message)
    if redirect is not None:
        return redirected(uri, int(redirect.group(1)))
    status = getattr(exc, "get_http_status_code", lambda: None)()
    if status in _REFUSED:
        return credentials_refused(uri, status)
    return connection_error(uri, message)


# MLflow's message when a REST call is answered with a redirect it did not follow (a server
# sets MLFLOW_ALLOW_HTTP_REDIRECTS=false).
_REDIRECT = re.compile(r"failed with error code (3\d\d) != 200")


def redirected(uri: str, status: int) -> ArtifactError:
    """``VALIDATION_ERROR``: the store at ``uri`` redirects, and redirects are not followed."""
    shown = redact_uri(uri)
    return ArtifactError(
        ErrorCode.VALIDATION_ERROR,
        f"The MLflow tracking store at {shown} answered with a redirect (HTTP {status}), which "
        "is not followed: a redirect may point anywhere. Use the URL it redirects to as the "
        "tracking URI (on a DeepFix server, allow it in DEEPFIX_ALLOWED_TRACKING_URIS).",
        field="mlflow_tracking_uri",
        details={"provided": shown, "status": status, "setting": "DEEPFIX_ALLOWED_TRACKING_URIS"},
    )


def get_run(client: MlflowClient, run_id: str, uri: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        with quiet_mlflow():
            return client.get_run(run_id)
    except MlflowException as exc:
        if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"}:
            raise ArtifactError(
                ErrorCode.RUN_NOT_FOUND,
                f"No run {run_id!r} in the tracking store {uri}.",
                details={"run_id": run_id, "tracking_uri": uri},
            ) from exc
        raise store_error(uri, exc) from exc
    except OSError as exc:
        raise connection_error(uri, str(exc)) from exc
