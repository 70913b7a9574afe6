"""A Basic-auth gate in front of a real server (an ``mlflow server`` has no auth of its own
here): requests with the right ``Authorization`` are forwarded, others answered 401; every
request is recorded with whether it carried the credentials."""

from __future__ import annotations

import base64
import contextlib
import http.server
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field

_HOP_HEADERS = {"host", "authorization", "content-length", "connection", "transfer-encoding"}


@dataclass
class AuthProxy:
    port: int
    seen: list[tuple[str, str, bool]] = field(default_factory=list)  # method, path, authorized

    def url(self, user: str, password: str) -> str:
        """The proxy's URL with ``user:password@`` (both already percent-encoded)."""
        return f"http://{user}:{password}@127.0.0.1:{self.port}"


@contextlib.contextmanager
def auth_proxy(
    upstream: str, user: str, password: str, *, refusal: int = 401, open_paths: tuple[str, ...] = ()
) -> Iterator[AuthProxy]:
    """Serve the gate on a free 127.0.0.1 port, in a thread; stopped on exit. Refused requests
    are answered ``refusal``; ``open_paths`` (e.g. ``/health``, as MLflow's own auth leaves it)
    are forwarded without credentials."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    proxy = AuthProxy(0)

    class Gate(http.server.BaseHTTPRequestHandler):
        def _forward(self) -> None:
            authorized = self.headers.get("Authorization") == expected
            proxy.seen.append((self.command, self.path, authorized))
            if not authorized and self.path not in open_paths:
                self._answer(refusal, {"WWW-Authenticate": "Basic"}, b"")
                return
            length = int(self.headers.get("Content-Length") or 0)
            request = urllib.request.Request(
                upstream + self.path,
                data=self.rfile.read(length) if length else None,
                method=self.command,
                headers={k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    status, headers, body = answer.status, answer.headers, answer.read()
            except urllib.error.HTTPError as error:
                status, headers, body = error.code, error.headers, error.read()
            kept = {k: v for k, v in headers.items() if k.lower() not in _HOP_HEADERS}
            self._answer(status, kept, body)

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gate)
    proxy.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="auth-proxy", daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
