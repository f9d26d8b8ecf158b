"""The HTTP servers that ``bench.http_frameworks`` compares, one per candidate.

Each serves the same four routes, written the way that framework is meant to be
used, with nothing tuned beyond choosing uvloop where the framework lets us:

- ``GET /fixed``: a fixed 2 KB JSON document, encoded once (the ceiling).
- ``GET /pod``: the same document as a dict, ``orjson.dumps`` per request (the
  shape of a GET of one object).
- ``GET /stream``: an endless NDJSON stream with flow control, written as fast
  as the client reads; the shape of a busy watch. It must stop once the client
  goes away.
- ``POST /upload``: a body of at most ``MAX_BODY`` bytes, 413 beyond.

Run one as ``python -m bench.http_servers NAME PORT``; it serves until SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import orjson

from bench.load import make_value

BODY_SIZE = 2048
MAX_BODY = 3 * 1024 * 1024
FIXED = make_value(BODY_SIZE)
POD: dict[str, Any] = json.loads(FIXED)
LINE = orjson.dumps({"type": "MODIFIED", "object": {"kind": "Pod", "note": "x" * 160}}) + b"\n"
JSON_TYPE = "application/json"
STREAM_TYPE = "application/json;stream=watch"

if orjson.dumps(POD) != FIXED:
    raise RuntimeError("orjson does not reproduce the fixed document byte for byte")


# --- aiohttp ---------------------------------------------------------------


def serve_aiohttp(port: int) -> None:
    from aiohttp import web

    async def fixed(request: web.Request) -> web.Response:
        return web.Response(body=FIXED, content_type=JSON_TYPE)

    async def pod(request: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps(POD), content_type=JSON_TYPE)

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": STREAM_TYPE})
        await response.prepare(request)
        try:
            while True:
                await response.write(LINE)
        except ConnectionResetError:  # aiohttp raises once the peer has gone
            return response

    async def upload(request: web.Request) -> web.Response:
        body = await request.read()  # 413 past client_max_size, by aiohttp
        return web.Response(body=orjson.dumps({"size": len(body)}), content_type=JSON_TYPE)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_get("/fixed", fixed)
    app.router.add_get("/pod", pod)
    app.router.add_get("/stream", stream)
    app.router.add_post("/upload", upload)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, loop=_uvloop())


def serve_aiohttp_lowlevel(port: int) -> None:
    """aiohttp's server without its application layer (router, middlewares):
    one handler that dispatches on the path, as kubelite's API server is built."""
    from aiohttp import web

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if path == "/fixed":
            return web.Response(body=FIXED, content_type=JSON_TYPE)
        if path == "/pod":
            return web.Response(body=orjson.dumps(POD), content_type=JSON_TYPE)
        if path == "/stream":
            response = web.StreamResponse(headers={"Content-Type": STREAM_TYPE})
            await response.prepare(request)
            try:
                while True:
                    await response.write(LINE)
            except ConnectionResetError:
                return response
        if path == "/upload":
            try:
                body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                return web.Response(status=413, body=b"{}", content_type=JSON_TYPE)
            return web.Response(body=orjson.dumps({"size": len(body)}), content_type=JSON_TYPE)
        return web.Response(status=404, body=b"{}", content_type=JSON_TYPE)

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def request_factory(
            message: Any, payload: Any, protocol: Any, writer: Any, task: Any
        ) -> web.BaseRequest:
            return web.BaseRequest(
                message, payload, protocol, writer, task, loop, client_max_size=MAX_BODY
            )

        server = web.Server(handle, request_factory=request_factory, access_log=None)
        runner = web.ServerRunner(server)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await asyncio.Event().wait()

    _uvloop().run_until_complete(main())


# --- Starlette (under uvicorn or granian) ---------------------------------


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    async def fixed(request: Request) -> Response:
        return Response(FIXED, media_type=JSON_TYPE)

    async def pod(request: Request) -> Response:
        return Response(orjson.dumps(POD), media_type=JSON_TYPE)

    async def lines() -> AsyncIterator[bytes]:
        while True:
            yield LINE

    async def stream(request: Request) -> Response:
        return StreamingResponse(lines(), media_type=STREAM_TYPE)

    async def upload(request: Request) -> Response:
        # Starlette has no body limit of its own: check the header, then count.
        if int(request.headers.get("content-length", "0")) > MAX_BODY:
            return Response(b"{}", status_code=413, media_type=JSON_TYPE)
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                return Response(b"{}", status_code=413, media_type=JSON_TYPE)
        return Response(orjson.dumps({"size": size}), media_type=JSON_TYPE)

    routes = [
        Route("/fixed", fixed),
        Route("/pod", pod),
        Route("/stream", stream),
        Route("/upload", upload, methods=["POST"]),
    ]
    return Starlette(routes=routes)


def serve_uvicorn(port: int) -> None:
    import uvicorn

    uvicorn.run(
        starlette_app(),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


# --- granian, its own RSGI interface --------------------------------------


async def rsgi_app(scope: Any, proto: Any) -> None:
    """The routes as a bare RSGI callable (granian's native interface)."""
    path = scope.path
    if path == "/fixed":
        proto.response_bytes(200, [("content-type", JSON_TYPE)], FIXED)
    elif path == "/pod":
        proto.response_bytes(200, [("content-type", JSON_TYPE)], orjson.dumps(POD))
    elif path == "/stream":
        from granian._granian import RSGIProtocolClosed

        transport = proto.response_stream(200, [("content-type", STREAM_TYPE)])
        try:
            while True:
                await transport.send_bytes(LINE)
        except (RSGIProtocolClosed, OSError):
            return
    elif path == "/upload":
        if int(scope.headers.get("content-length", "0")) > MAX_BODY:
            proto.response_bytes(413, [("content-type", JSON_TYPE)], b"{}")
            return
        body = await proto()
        proto.response_bytes(200, [("content-type", JSON_TYPE)], orjson.dumps({"size": len(body)}))
    else:
        proto.response_bytes(404, [("content-type", JSON_TYPE)], b"{}")


def serve_granian(port: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels

    Granian(
        "bench.http_servers:rsgi_app",
        address="127.0.0.1",
        port=port,
        interface=Interfaces.RSGI,
        workers=1,
        loop=Loops.uvloop,
        websockets=False,
        log_level=LogLevels.warning,
    ).serve()


# --- a plain asyncio.Protocol over httptools ------------------------------


class _HttpProtocol(asyncio.Protocol):
    """HTTP/1.1 keep-alive by hand: httptools parses, this class answers.

    What the frameworks give for free and this must do itself: routing, 413,
    flow control for streams (``pause_writing``), and stopping a stream on
    ``connection_lost``. Pipelined requests are answered in order because each
    is answered as soon as it is parsed; a stream ends the connection's reuse.
    """

    def __init__(self) -> None:
        import httptools

        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._length = 0
        self._body = 0
        self._too_large = False
        self._can_write = asyncio.Event()
        self._can_write.set()
        self._closed = False
        self._stream: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        import httptools

        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._respond(400, b"{}", keep_alive=False)

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._can_write.set()
        if self._stream is not None:
            self._stream.cancel()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url = b""
        self._length = 0
        self._body = 0
        self._too_large = False

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"content-length":
            self._length = int(value)

    def on_headers_complete(self) -> None:
        if self._length > MAX_BODY:
            self._too_large = True
            self._respond(413, b"{}", keep_alive=False)

    def on_body(self, body: bytes) -> None:
        self._body += len(body)
        if self._body > MAX_BODY and not self._too_large:
            self._too_large = True
            self._respond(413, b"{}", keep_alive=False)

    def on_message_complete(self) -> None:
        if self._too_large:
            return
        url = self._url
        if url == b"/fixed":
            self._respond(200, FIXED)
        elif url == b"/pod":
            self._respond(200, orjson.dumps(POD))
        elif url == b"/stream":
            self._start_stream()
        elif url == b"/upload":
            self._respond(200, orjson.dumps({"size": self._body}))
        else:
            self._respond(404, b"{}")

    # answers
    def _respond(self, status: int, body: bytes, *, keep_alive: bool = True) -> None:
        if self._transport is None or self._closed:
            return
        reason = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 413: b"Too Large"}
        head = b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % (
            status,
            reason[status],
            len(body),
        )
        if not keep_alive or not self._parser.should_keep_alive():
            self._transport.write(head + b"Connection: close\r\n\r\n" + body)
            self._transport.close()
        else:
            self._transport.write(head + b"\r\n" + body)

    def _start_stream(self) -> None:
        transport = self._transport
        if transport is None:
            return
        transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json;stream=watch\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"%x\r\n%s\r\n" % (len(LINE), LINE)

        async def pump() -> None:
            while not self._closed:
                await self._can_write.wait()
                transport.write(chunk)
                # Yield even when the buffer has room, or one stream starves
                # every other connection on the loop.
                await asyncio.sleep(0)

        self._stream = asyncio.get_running_loop().create_task(pump())


def serve_protocol(port: int) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_HttpProtocol, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()

    _uvloop().run_until_complete(main())


def _uvloop() -> asyncio.AbstractEventLoop:
    import uvloop

    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


SERVERS: dict[str, Callable[[int], None]] = {
    "aiohttp": serve_aiohttp,
    "aiohttp-lowlevel": serve_aiohttp_lowlevel,
    "uvicorn+starlette": serve_uvicorn,
    "granian-rsgi": serve_granian,
    "asyncio+httptools": serve_protocol,
}


def main() -> None:
    name, port = sys.argv[1], int(sys.argv[2])
    SERVERS[name](port)


if __name__ == "__main__":
    main()
