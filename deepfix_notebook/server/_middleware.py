"""The one ASGI middleware around the app: correlation id, body limit, access log, metrics, 500s.

It sits inside Starlette's own error middleware, so an unexpected exception is answered here
with the contract's 500 envelope (and the ``X-Request-ID`` header) rather than a bare text.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deepfix_notebook.contract import ErrorCode, ErrorResponse
from deepfix_notebook.server._errors import envelope_response, internal_error
from deepfix_notebook.server._logging import (
    bind_request_id,
    correlation_id,
    get_logger,
    unbind_request_id,
)
from deepfix_notebook.server._metrics import Metrics

log = get_logger("deepfix_notebook.server.access")
REQUEST_ID_HEADER = "X-Request-ID"


class RequestContextMiddleware:
    """Per HTTP request: take or make ``X-Request-ID``, cap the body, log, count, catch."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = correlation_id(headers.get(REQUEST_ID_HEADER))
        token = bind_request_id(request_id)
        state: dict[str, Any] = {"status": 500, "started": False}
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"], state["started"] = message["status"], True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            body = await self._read_body(headers, receive)
            if body is None:
                await self._too_large(scope, receive, send_with_id)
            else:
                await self.app(scope, _replay(body, receive), send_with_id)
        except Exception:
            log.exception("unhandled error", extra={"path": scope.get("path")})
            if not state["started"]:
                await envelope_response(internal_error())(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - start
            route = _route(scope)
            self.metrics.request_done(scope["method"], route, state["status"], seconds)
            log.info(
                "%s %s %s",
                scope["method"],
                scope.get("path"),
                state["status"],
                extra={
                    "method": scope["method"],
                    "path": scope.get("path"),
                    "route": route,
                    "status": state["status"],
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
            unbind_request_id(token)

    async def _read_body(self, headers: Headers, receive: Receive) -> list[Message] | None:
        """The request's messages up to the end of the body; None when it is over the limit."""
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            return None
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                return None
            if not message.get("more_body", False):
                return messages

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        envelope = ErrorResponse(
            error=ErrorCode.PAYLOAD_TOO_LARGE,
            message=f"The request body is larger than this server accepts "
            f"({self.max_body_bytes} bytes).",
            details={"max_body_bytes": self.max_body_bytes},
        )
        response = envelope_response(envelope, headers={"Connection": "close"})
        await response(scope, receive, send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = deque(messages)

    async def replay() -> Message:
        return pending.popleft() if pending else await receive()

    return replay


def _route(scope: Scope) -> str:
    """The route template (``/api/v1/status/{request_id}``): bounded label values."""
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return str(route.path)
    if "endpoint" in scope:  # a plain Starlette route such as /docs
        return str(scope.get("path", ""))
    return "<unmatched>"
