"""The client side of ``bench.http_frameworks``: load, a stream reader, uploads.

Runs in a process of its own so that the server under test has its own core.
The load is a closed loop over keep-alive connections, one request in flight
per connection, with responses parsed by httptools (llhttp) on uvloop: the
cheapest client Python offers, yet still a Python client, so on two cores the
fastest servers are bounded by it (``--wrk`` in the runner checks that).

    python -m bench.http_load load PORT PATH CONNECTIONS SECONDS
    python -m bench.http_load stream PORT SECONDS
    python -m bench.http_load upload PORT SIZE

Each prints one JSON object on stdout.
"""

from __future__ import annotations

import asyncio
import sys
from time import perf_counter
from typing import Any, cast

import httptools
import orjson
import uvloop

from bench.load import spread


class _Client(asyncio.Protocol):
    """One keep-alive connection sending ``request`` until ``deadline``."""

    def __init__(self, request: bytes, deadline: float, latencies: list[float]) -> None:
        self._request = request
        self._deadline = deadline
        self._latencies = latencies
        self._parser = httptools.HttpResponseParser(self)
        self._sent = 0.0
        self._transport: asyncio.Transport | None = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.errors = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._send()

    def _send(self) -> None:
        if self._transport is None:
            return
        self._sent = perf_counter()
        self._transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def on_message_complete(self) -> None:
        now = perf_counter()
        if self._parser.get_status_code() != 200:
            self.errors += 1
        self._latencies.append(now - self._sent)
        if now < self._deadline:
            self._send()
        elif self._transport is not None:
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def load(port: int, path: str, connections: int, seconds: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    latencies: list[float] = []
    start = perf_counter()
    deadline = start + seconds
    clients: list[_Client] = []
    for _ in range(connections):
        _, client = await loop.create_connection(
            lambda: _Client(request, deadline, latencies), "127.0.0.1", port
        )
        clients.append(client)
    await asyncio.wait_for(asyncio.gather(*(c.done for c in clients)), seconds + 30)
    elapsed = perf_counter() - start
    summary = spread(latencies)
    return {
        "requests": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": summary.p50 * 1000,
        "p99_ms": summary.p99 * 1000,
        "errors": sum(c.errors for c in clients),
    }


async def stream(port: int, seconds: float) -> dict[str, Any]:
    """Read ``/stream`` for ``seconds``, then hang up; the bytes per second read."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    received = 0
    newlines = 0
    start = perf_counter()
    while perf_counter() - start < seconds:
        data = await asyncio.wait_for(reader.read(1 << 16), 10)
        if not data:
            break
        received += len(data)
        newlines += data.count(b"\n")
    elapsed = perf_counter() - start
    writer.close()
    await writer.wait_closed()
    status = int(head.split(b" ", 2)[1])
    # A chunked body has two CRLFs per chunk besides the line's own newline.
    return {"status": status, "bytes_per_second": received / elapsed, "newlines": newlines}


async def upload(port: int, size: int) -> dict[str, Any]:
    """POST ``size`` bytes to ``/upload``; the status, or how the server hung up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode()
    )

    async def send_body() -> None:
        # A server may answer 413 and hang up before the body is all sent.
        try:
            writer.write(b" " * size)
            await writer.drain()
        except OSError:
            return

    sending = asyncio.create_task(send_body())
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        status: int | str = int(head.split(b" ", 2)[1])
    except (OSError, asyncio.IncompleteReadError, TimeoutError) as err:
        status = type(err).__name__
    await sending
    writer.close()
    return {"size": size, "status": status}


def main() -> None:
    command, port = sys.argv[1], int(sys.argv[2])
    if command == "load":
        coro = load(port, sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    elif command == "stream":
        coro = stream(port, float(sys.argv[3]))
    elif command == "upload":
        coro = upload(port, int(sys.argv[3]))
    else:
        raise SystemExit(f"unknown command {command!r}")
    result = uvloop.run(coro)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
