"""Credentials in a tracking URI (``http://user:password@host``): how to show the URI, and
the Basic authorization they stand for.

MLflow's HTTP calls (requests) send the URI's credentials as Basic authorization themselves;
per URI, unlike ``MLFLOW_TRACKING_USERNAME``/``PASSWORD``, which would go to every store the
process reads. Only what DeepFix sends itself, and what it shows, needs the userinfo removed.
"""

from __future__ import annotations

import base64
from urllib.parse import unquote, urlsplit, urlunsplit


def split_credentials(uri: str) -> tuple[str, str | None]:
    """``uri`` without its userinfo, and the ``Authorization`` header value it stands for."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri, None
    if "@" not in parts.netloc:
        return uri, None
    host = parts.netloc.rpartition("@")[2]
    plain = urlunsplit(parts._replace(netloc=host))
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return plain, f"Basic {token}"


def redact_uri(uri: str) -> str:
    """``uri`` with any password replaced by ``***``: fit for messages and logs."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri
    if parts.password is None:
        return uri
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def redact(text: str, uri: str) -> str:
    """``text`` (e.g. an MLflow error quoting a request URL) without the password of ``uri``."""
    safe = redact_uri(uri)
    if safe == uri:
        return text
    secret = urlsplit(uri).netloc.rpartition("@")[0]
    return text.replace(uri, safe).replace(f"{secret}@", f"{secret.partition(':')[0]}:***@")
