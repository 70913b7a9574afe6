"""Which side a failure to read a run's artifacts is on: the artifact (a permanent 4xx that
names the file) or MLflow (``MLFLOW_CONNECTION_ERROR``, worth retrying)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from deepfix_notebook.artifacts._credentials import redact_uri
from deepfix_notebook.artifacts._errors import ArtifactError, invalid
from deepfix_notebook.artifacts._mlflow_store import (
    connection_error,
    credentials_refused,
    store_error,
)
from deepfix_notebook.contract import ErrorCode

ARTIFACTS_ROUTE = "/mlflow-artifacts/artifacts"  # what MLflow's HTTP artifact repository needs
_ROUTE_SHOWN = f"http(s)://HOST/api/2.0{ARTIFACTS_ROUTE}/..."
_INVALID = frozenset({"INVALID_PARAMETER_VALUE", "BAD_REQUEST"})
_MISSING = frozenset({"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"})
_REGULAR_FILES_ONLY = (
    "DeepFix reads only regular files inside the run's artifact directory: log the file "
    "itself, not a link to a file elsewhere or a pipe."
)


def check_location(artifact_uri: str) -> None:
    """Refuse an ``http(s)`` artifact location without MLflow's artifacts route up front:
    MLflow cannot list it (it fails with a bare ``ValueError``)."""
    parts = urlsplit(artifact_uri)
    if parts.scheme in {"http", "https"} and ARTIFACTS_ROUTE not in parts.path:
        shown = redact_uri(artifact_uri)
        raise ArtifactError(
            ErrorCode.ARTIFACT_INVALID,
            f"The run's artifact location {shown} is a plain {parts.scheme.upper()} URL, which "
            "MLflow cannot read artifacts from; it must be an MLflow server's artifacts route "
            f"({_ROUTE_SHOWN}, or mlflow-artifacts:/... with "
            "--serve-artifacts). Create the experiment with such an artifact location.",
            field="artifact_location",
            details={
                "provided": shown,
                "constraint": f"mlflow-artifacts:/..., {_ROUTE_SHOWN} or another store MLflow "
                "reads (file:, s3:, ...)",
            },
        )


def check_size(sizes: dict[str, int], max_bytes: int) -> None:
    """``PAYLOAD_TOO_LARGE`` when the layout files of ``sizes`` (bytes) exceed ``max_bytes``."""
    total = sum(sizes.values())
    if total <= max_bytes:
        return
    largest = max(sizes, key=lambda name: sizes[name])
    raise ArtifactError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"The run's artifacts are {total:,} bytes ({largest}: {sizes[largest]:,}), more than "
        f"the {max_bytes:,} bytes allowed; log fewer rows (e.g. every Nth step) or raise the "
        "limit.",
        file=largest,
        details={"total_bytes": total, "max_bytes": max_bytes, "sizes": sizes},
    )


@contextmanager
def reading(path: str, uri: str) -> Iterator[None]:
    """Turn MLflow's errors while listing or fetching artifact ``path`` ("" for the root)
    into `ArtifactError`: the artifact's problems name it, MLflow's are a connection error."""
    from mlflow.exceptions import MlflowException
    from requests import HTTPError
    from requests.exceptions import JSONDecodeError

    try:
        yield
    except JSONDecodeError as exc:  # a redirect (not followed on a server), or not MLflow
        raise invalid(
            f"The run's artifact location did not answer with MLflow's listing of "
            f"{path or 'its artifacts'}: it redirects (redirects are not followed) or is not "
            f"an MLflow artifacts route ({_ROUTE_SHOWN}). Point the experiment at the final URL.",
            file=path or "the run's artifacts",
            field="artifact_location",
        ) from exc
    except shutil.SpecialFileError as exc:  # a FIFO or device: copying it would block
        raise invalid(f"{path} is not a regular file. {_REGULAR_FILES_ONLY}", file=path) from exc
    except MlflowException as exc:
        if exc.error_code in _INVALID | _MISSING:
            raise _classified(path, uri, exc.error_code, exc.message) from exc
        raise store_error(uri, exc) from exc
    except HTTPError as exc:  # MLflow's proxied artifacts answered 4xx/5xx
        status = exc.response.status_code if exc.response is not None else 500
        if status in (401, 403):
            raise credentials_refused(uri, status) from exc
        code = "INVALID_PARAMETER_VALUE" if status == 400 else "NOT_FOUND" if status == 404 else ""
        raise _classified(path, uri, code, _server_message(exc)) from exc


def _classified(path: str, uri: str, code: str, message: str) -> ArtifactError:
    what = path or "the run's artifacts"
    if code in _INVALID:
        return invalid(f"{what} cannot be read: {message}. {_REGULAR_FILES_ONLY}", file=what)
    if code in _MISSING:
        return ArtifactError(
            ErrorCode.ARTIFACT_NOT_FOUND,
            f"{what} was listed but could not be fetched ({message}); log it again.",
            file=what,
        )
    return connection_error(uri, message)


def _server_message(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    try:
        message = response.json().get("message") if response is not None else None
    except ValueError:
        message = None
    return str(message) if message else str(exc).split(" for url:")[0]
