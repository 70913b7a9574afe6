"""The server's settings, read from ``DEEPFIX_*`` environment variables."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from deepfix_notebook.artifacts import deepfix_home

MIB = 1024 * 1024


def _default_allowlist() -> list[str]:
    uri = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    return [uri] if uri else []


def _default_job_store() -> str:
    return f"sqlite:///{(deepfix_home() / 'jobs.db').resolve()}"


def normalize_uri(uri: str) -> str:
    """The form in which tracking URIs are compared: scheme and host lower-cased, no trailing
    slash, no fragment. Paths, ports, queries and user info must match exactly."""
    text = uri.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    netloc = parts.netloc
    if parts.hostname is not None:
        host = parts.hostname.lower()
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        userinfo = netloc.rpartition("@")[0]
        netloc = (userinfo + "@" if userinfo else "") + host
        try:
            port = parts.port
        except ValueError:
            return text
        if port is not None:
            netloc += f":{port}"
    path = parts.path.rstrip("/") if parts.path not in ("", "/") else ""
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))


class Settings(BaseSettings):
    """Configuration of ``deepfix serve``; every field is ``DEEPFIX_<NAME>`` in the environment.

    Lists may be given as JSON (``["a", "b"]``) or comma-separated (``a,b``).
    """

    model_config = SettingsConfigDict(env_prefix="DEEPFIX_", extra="ignore")

    allowed_tracking_uris: Annotated[list[str], NoDecode] = Field(
        default_factory=_default_allowlist,
        description="Tracking URIs the server may read runs from; nothing else is contacted. "
        "Default: MLFLOW_TRACKING_URI when set, else none.",
    )
    allowed_artifact_uris: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Artifact locations (URI prefixes, e.g. s3://bucket/mlflow or "
        "http://artifacts:5000) runs may have, besides what is allowed without configuration: "
        "the tracking server's own proxied artifacts (mlflow-artifacts:/...) and local paths "
        "of a local (sqlite:) store. Nothing else is contacted.",
    )
    api_key: str | None = Field(
        default=None, description="When set, every route but health needs `Bearer <key>`."
    )
    job_store_url: str = Field(
        default_factory=_default_job_store,
        description="SQLAlchemy URL of the job store (default: $DEEPFIX_HOME/jobs.db).",
    )
    max_concurrent: int = Field(default=10, ge=1, description="Analyses running at once.")
    result_ttl_seconds: float = Field(
        default=86400.0, gt=0, description="Finished jobs are purged after this long."
    )
    max_body_bytes: int = Field(default=MIB, ge=1024, description="Largest request body.")
    max_artifact_bytes: int = Field(
        default=64 * MIB,
        ge=1024,
        description="Largest total size of the layout files one analysis reads (413 beyond).",
    )
    max_metric_rows: int = Field(
        default=1_000_000,
        ge=10,
        description="Most metric rows (steps) one analysis reads (422 beyond).",
    )
    retry_after_seconds: int = Field(
        default=30, ge=1, description="Retry-After sent with 503 (MLflow unreachable) and 429."
    )
    poll_after_seconds: int = Field(
        default=2, ge=1, description="Retry-After sent with 202 while a job is queued/running."
    )
    load_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A synchronous request waits max_analysis_time plus this for its result.",
    )
    heartbeat_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often a server marks its jobs alive; jobs silent for three beats are "
        "recovered (re-queued once, then failed) by any server sharing the store.",
    )
    dispatch_lease_seconds: float = Field(
        default=10.0,
        gt=0,
        description="A job still queued this long after it was sent to the broker, while the "
        "broker holds fewer messages than there are queued jobs, is sent again (its message "
        "was lost: a broker restarted empty, flushed or failed over). Checked every heartbeat.",
    )
    broker_url: str | None = Field(
        default=None,
        description="When set (e.g. redis://127.0.0.1:6379/0), jobs run on Celery workers "
        "(`deepfix worker`) through this broker instead of the server's thread pool.",
    )
    redis_url: str | None = Field(
        default=None,
        description="When set, the knowledge query cache lives in this Redis, shared by every "
        "server and worker; otherwise each process keeps its own in memory.",
    )
    queue_name: str = Field(
        default="deepfix", min_length=1, description="The Celery queue jobs are sent to."
    )
    worker_concurrency: int = Field(
        default=2, ge=1, description="Analyses one `deepfix worker` runs at once (threads)."
    )
    public_url: str | None = Field(
        default=None,
        description="URL reported as `backend` in results (default: the request's base URL).",
    )

    @field_validator("allowed_tracking_uris", "allowed_artifact_uris", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @property
    def stale_after_seconds(self) -> float:
        """A running job silent this long (three heartbeats) is taken over."""
        return 3 * self.heartbeat_seconds

    def allowed_uri(self, uri: str) -> str | None:
        """The allowlist entry ``uri`` stands for (compared in `normalize_uri` form), or None.

        The server contacts the configured entry, never the spelling a request gave.
        """
        wanted = normalize_uri(uri)
        for allowed in self.allowed_tracking_uris:
            if normalize_uri(allowed) == wanted:
                return allowed
        return None
