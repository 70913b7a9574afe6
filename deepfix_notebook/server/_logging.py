"""JSON logs carrying a correlation id (the ``X-Request-ID`` of the request or of the job)."""

from __future__ import annotations

import logging
import os
import re
import sys
import uuid
from collections.abc import MutableMapping
from contextvars import ContextVar, Token
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

_REQUEST_ID: ContextVar[str | None] = ContextVar("deepfix_request_id", default=None)
_VALID_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def current_request_id() -> str | None:
    """The correlation id of the request or job this code runs for, if any."""
    return _REQUEST_ID.get()


def bind_request_id(value: str | None) -> Token[str | None]:
    """Make ``value`` the current correlation id; pass the token to `unbind_request_id`."""
    return _REQUEST_ID.set(value)


def unbind_request_id(token: Token[str | None]) -> None:
    _REQUEST_ID.reset(token)


def correlation_id(given: str | None) -> str:
    """``given`` when it is a sane id (letters, digits, ``._:-``, at most 128), else a new one."""
    if given is not None and _VALID_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class ContextLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger whose records carry ``request_id`` (the current correlation id)."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        extra = dict(kwargs.get("extra") or {})
        extra.setdefault("request_id", current_request_id())
        kwargs["extra"] = extra
        return msg, kwargs


def get_logger(name: str) -> ContextLogger:
    return ContextLogger(logging.getLogger(name), {})


class _CorrelationFilter(logging.Filter):
    """Adds ``request_id`` to records from loggers that do not set it (uvicorn, libraries)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time, level, logger, message, request_id and any extras."""
    return JsonFormatter(
        "{asctime}{levelname}{name}{message}",
        style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],  # uvicorn's ANSI-coloured copy
    )


def configure_logging(level: str | int = "INFO") -> None:
    """Send every log record to stderr as JSON (replaces the root logger's handlers)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    handler.addFilter(_CorrelationFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    access = logging.getLogger("uvicorn.access")  # the app logs requests itself, with their id
    access.handlers.clear()
    access.propagate = False
    # MLflow draws progress bars on stderr when it downloads a run: not JSON, and noise here.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
