"""A TCP proxy that makes a real server slow: every chunk a client sends waits ``delay``
seconds before it is forwarded (so each HTTP request to the server takes that much longer).
Used by the fault tests and ``benchmarks/bench_faults.py`` in front of ``mlflow server``."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class DelayProxy:
    port: int
    delay: float
    requests: int = 0  # chunks forwarded to the server (about one per HTTP request)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def delay_proxy(upstream_port: int, delay: float) -> Iterator[DelayProxy]:
    """Serve the proxy on a free 127.0.0.1 port, in a thread; stopped on exit. Change
    ``proxy.delay`` at any time: it applies to the next chunk."""
    proxy = DelayProxy(port=0, delay=delay)
    started = threading.Event()
    stop: list[asyncio.Event] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, slow: bool) -> None:
        try:
            while chunk := await reader.read(65536):
                if slow:
                    proxy.requests += 1
                    await asyncio.sleep(proxy.delay)
                writer.write(chunk)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            with contextlib.suppress(RuntimeError):  # the loop is stopping
                writer.close()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", upstream_port)
        except OSError:
            client_w.close()
            return
        try:
            await asyncio.gather(pipe(client_r, server_w, True), pipe(server_r, client_w, False))
        except asyncio.CancelledError:  # the proxy is stopping: cut quietly
            for writer in (client_w, server_w):
                writer.close()

    async def serve() -> None:
        stop.append(asyncio.Event())
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        proxy.port = server.sockets[0].getsockname()[1]
        started.set()
        async with server:
            await stop[0].wait()
            server.close()  # no new connections; then the open ones are cut
            connections = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in connections:
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)

    loop = asyncio.new_event_loop()
    proxy._loop = loop
    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the delay proxy did not start")
    try:
        yield proxy
    finally:
        loop.call_soon_threadsafe(stop[0].set)
        thread.join(timeout=10)
        if not thread.is_alive():
            loop.close()
