"""What the server may fetch, and how much: the allowed tracking stores, the artifact locations
of their runs that the allowlists cover, within the size limits. Nothing else is contacted,
redirects included.

A run's artifact location is data in the store, written by whoever logged the run: unchecked,
``http://127.0.0.1:PORT/...`` or ``s3://someone-elses-bucket`` would make the server fetch from
anywhere its network or its cloud credentials reach. Allowed without configuration: the tracking
server's own proxied artifacts (``mlflow-artifacts:/...``, or its own origin), and local paths of
a local (``sqlite:``) store, which is on the server's disk already. Anything else must be under
an entry of ``DEEPFIX_ALLOWED_ARTIFACT_URIS``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from urllib.parse import SplitResult, urlsplit

from deepfix_notebook.artifacts import (
    ArtifactBundle,
    ArtifactError,
    bound_mlflow_http,
    load_mlflow_run,
    redact_uri,
)
from deepfix_notebook.contract import ErrorCode
from deepfix_notebook.server._settings import Settings

SETTING = "DEEPFIX_ALLOWED_ARTIFACT_URIS"
BYTES_SETTING = "DEEPFIX_MAX_ARTIFACT_BYTES"
ROWS_SETTING = "DEEPFIX_MAX_METRIC_ROWS"
_LOCAL_STORES = frozenset({"sqlite", "file"})
# A server answers for MLflow within a client's retry budget (15 s by default): a request MLflow
# leaves without a byte for 6 s, tried twice, is MLflow hung, a 503 naming it. (The client and
# CLI keep MLflow's 30 s, 3 tries: a person waits for their own store.) Operators may set these.
_SERVER_MLFLOW_HTTP = {"MLFLOW_HTTP_REQUEST_TIMEOUT": "6", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1"}


def guarded_loader(settings: Settings) -> Callable[[str, str], ArtifactBundle]:
    """The job runner's loader: a run's artifacts are read only from allowed locations."""
    # MLflow follows redirects by default, to any host; this process follows none.
    os.environ["MLFLOW_ALLOW_HTTP_REDIRECTS"] = "false"
    bound_mlflow_http(_SERVER_MLFLOW_HTTP)

    def load(run_id: str, tracking_uri: str) -> ArtifactBundle:
        def guard(artifact_uri: str) -> None:
            check_artifact_uri(artifact_uri, tracking_uri, settings.allowed_artifact_uris)

        try:
            bundle = load_mlflow_run(
                run_id,
                tracking_uri,
                artifact_guard=guard,
                max_bytes=settings.max_artifact_bytes,
                max_rows=settings.max_metric_rows,
            )
        except ArtifactError as exc:
            if exc.code is ErrorCode.PAYLOAD_TOO_LARGE:
                exc.message += f" This server's limit is {BYTES_SETTING}."
                exc.details["setting"] = BYTES_SETTING
            elif "max_rows" in exc.details:
                exc.message += f" This server's limit is {ROWS_SETTING}."
                exc.details["setting"] = ROWS_SETTING
            raise
        check_rows(bundle, settings.max_metric_rows)
        return bundle

    return load


def check_rows(bundle: ArtifactBundle, max_rows: int) -> None:
    """``ARTIFACT_INVALID`` naming `ROWS_SETTING` when the metrics have more than ``max_rows``
    (steps: a long file or a history within the limit while read may still pivot to more)."""
    rows = 0 if bundle.metrics is None else len(bundle.metrics)
    if rows > max_rows:
        raise ArtifactError(
            ErrorCode.ARTIFACT_INVALID,
            f"The run's metrics have {rows:,} rows (steps), more than the {max_rows:,} this "
            f"server analyses ({ROWS_SETTING}); log every Nth step, or raise the limit.",
            field="metrics",
            details={"rows": rows, "max_rows": max_rows, "setting": ROWS_SETTING},
        )


def check_artifact_uri(artifact_uri: str, tracking_uri: str, allowed: list[str]) -> None:
    """Raise ``VALIDATION_ERROR`` naming `SETTING` unless ``artifact_uri`` may be read."""
    if not artifact_allowed(artifact_uri, tracking_uri, allowed):
        shown = redact_uri(artifact_uri)
        raise ArtifactError(
            ErrorCode.VALIDATION_ERROR,
            f"The run's artifact location {shown} is not on this server's allowlist, so it "
            f"was not contacted. To read it, add it (or a prefix of it) to {SETTING}; or log "
            "the run to an experiment whose artifacts the tracking server serves "
            "(mlflow server --serve-artifacts, mlflow-artifacts:/...).",
            field="artifact_location",
            details={
                "provided": shown,
                "setting": SETTING,
                "allowed": [redact_uri(entry) for entry in allowed],
            },
        )


def artifact_allowed(artifact_uri: str, tracking_uri: str, allowed: list[str]) -> bool:
    """Whether the server may read artifacts at ``artifact_uri`` for a run of ``tracking_uri``."""
    parts = urlsplit(artifact_uri)
    scheme = _scheme(parts)
    if scheme == "mlflow-artifacts" and not parts.netloc:
        return True  # the tracking server's own artifact route
    tracking = urlsplit(tracking_uri)
    if scheme in {"http", "https", "mlflow-artifacts"} and _origin(parts) == _origin(tracking):
        return True
    if scheme == "file" and _scheme(tracking) in _LOCAL_STORES:
        return True
    return any(_under(artifact_uri, entry) for entry in allowed)


def _scheme(parts: SplitResult) -> str:
    """The scheme, ``file`` for a bare path (or a Windows drive letter)."""
    scheme = parts.scheme.lower()
    return "file" if len(scheme) <= 1 else scheme


def _origin(parts: SplitResult) -> tuple[str, int | None] | None:
    """Host and port of a URL, the scheme's default port filled in; None without a host."""
    if not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    default = 443 if scheme == "https" else 80 if scheme == "http" else None
    return parts.hostname.lower(), port or default


def _under(uri: str, entry: str) -> bool:
    """``uri`` is ``entry`` or below it: same scheme and host (default ports filled in, any
    credentials ignored), and a path below the entry's (``s3://b/run`` is not ``s3://b/r``)."""
    wanted, prefix = urlsplit(uri.strip()), urlsplit(entry.strip())
    if _scheme(wanted) != _scheme(prefix):
        return False
    if _origin(wanted) != _origin(prefix):
        return False
    base = prefix.path.rstrip("/")
    return wanted.path == base or wanted.path.startswith(base + "/")
