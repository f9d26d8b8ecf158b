"""The client side of ``bench.apiserver``: creates, lists and watches of pods.

Runs in processes of its own, apart from the API server under test, as
``bench.http_load`` does (``bench.apiserver`` uses that one as is for GETs).
Every connection is keep-alive HTTP/1.1 with one request in flight, parsed by
httptools on uvloop: the cheapest client Python offers, though still a Python
client sharing two cores with the server.

    python -m bench.apiserver_load create PORT NAMESPACE PREFIX CONNECTIONS SECONDS
    python -m bench.apiserver_load fill PORT NAMESPACE PREFIX FIRST COUNT CONNECTIONS
    python -m bench.apiserver_load list PORT PATH RUNS [ACCEPT]
    python -m bench.apiserver_load watch PORT NAMESPACE WATCHERS DRAIN
    python -m bench.apiserver_load write PORT NAMESPACE RATE SECONDS CONNECTIONS
    python -m bench.apiserver_load create-body PORT PATH BODY-FILE PREFIX CONNECTIONS SECONDS
    python -m bench.apiserver_load patch PORT PATH BODY-FILE CONTENT-TYPE CONNECTIONS SECONDS

Each prints one JSON object on stdout. ``watch`` prints ``ready`` first, once
every watcher has received a warm-up event, then reads from stdin how many
events the writer created, and waits (at most ``DRAIN`` seconds) for every
watcher to receive them all.

The watch latency is measured across processes: the writer stamps each pod
with the time it sends the create (``SENT_ANNOTATION``, ``CLOCK_MONOTONIC``,
which is one clock for the whole machine) and a watcher subtracts it from the
time the event's bytes arrived.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import httptools
import orjson
import uvloop

from bench.load import spread

SENT_ANNOTATION = "bench.kubelite.io/sent"
_NAME = b"@NAME@"
_SENT = b"@SENT@"
_SENT_MARK = b'"' + SENT_ANNOTATION.encode() + b'":"'
# How long the warm-up of the watchers, and each request of a setup, may take.
_SETUP_TIMEOUT = 30.0


def now() -> float:
    """Seconds on ``CLOCK_MONOTONIC``, comparable between processes."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def pod(name: str, namespace: str, *, sent: str | None = None) -> dict[str, Any]:
    """A pod as a ReplicaSet would create it: about 2 KB once the server has
    added its metadata. ``sent`` goes in ``SENT_ANNOTATION`` when given."""
    annotations = {
        "kubectl.kubernetes.io/restartedAt": "2026-11-30T10:00:00Z",
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "9090",
    }
    if sent is not None:
        annotations[SENT_ANNOTATION] = sent
    container = {
        "name": "web",
        "image": "registry.example.com/shop/web:1.27.3",
        "imagePullPolicy": "IfNotPresent",
        "ports": [
            {"name": "http", "containerPort": 8080, "protocol": "TCP"},
            {"name": "metrics", "containerPort": 9090, "protocol": "TCP"},
        ],
        "env": [
            {"name": "LOG_LEVEL", "value": "info"},
            {
                "name": "POD_NAME",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
            },
        ],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "readinessProbe": {
            "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
            "periodSeconds": 10,
            "timeoutSeconds": 1,
            "successThreshold": 1,
            "failureThreshold": 3,
        },
        "volumeMounts": [
            {"name": "config", "mountPath": "/etc/web", "readOnly": True},
            {
                "name": "kube-api-access-x2k4q",
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                "readOnly": True,
            },
        ],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {
                "app.kubernetes.io/name": "web",
                "app.kubernetes.io/instance": "shop",
                "app.kubernetes.io/component": "frontend",
                "pod-template-hash": "5d8c7b9f6d",
            },
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "web-5d8c7b9f6d",
                    "uid": "3f0c6a52-8c1e-4c37-9d0e-6a1f2b7c9e41",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "containers": [container],
            "volumes": [
                {"name": "config", "configMap": {"name": "web-config", "defaultMode": 420}},
                {
                    "name": "kube-api-access-x2k4q",
                    "projected": {
                        "defaultMode": 420,
                        "sources": [
                            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                            {"configMap": {"name": "kube-root-ca.crt"}},
                        ],
                    },
                },
            ],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "web",
            "schedulerName": "default-scheduler",
            "securityContext": {"runAsNonRoot": True, "fsGroup": 2000},
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
            ],
            "priority": 0,
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
        },
    }


class _Template:
    """The pod's JSON with its name (and send time) spliced in per request."""

    def __init__(self, port: int, namespace: str, *, stamped: bool = False) -> None:
        sent = _SENT.decode() if stamped else None
        self._body = orjson.dumps(pod(_NAME.decode(), namespace, sent=sent))
        self._head = (
            f"POST /api/v1/namespaces/{namespace}/pods HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        ).encode()

    def request(self, name: bytes, sent: float | None = None) -> bytes:
        body = self._body.replace(_NAME, name)
        if sent is not None:
            body = body.replace(_SENT, b"%.6f" % sent)
        return self._head + b"Content-Length: %d\r\n\r\n" % len(body) + body


def get_request(port: int, path: str, accept: str = "application/json") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: {accept}\r\n\r\n".encode()


class _Connection(asyncio.Protocol):
    """One keep-alive connection: ``request`` sends, its future gets the answer."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        waiter, self._waiter = self._waiter, None
        body = b"".join(self._body)
        self._body = []
        if waiter is not None and not waiter.done():
            waiter.set_result((self._parser.get_status_code(), body))

    def connection_lost(self, exc: Exception | None) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionError("the server closed the connection"))

    def request(self, data: bytes) -> asyncio.Future[tuple[int, bytes]]:
        if self._transport is None or self._transport.is_closing():
            raise ConnectionError("not connected")
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(data)
        return self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def _connect(port: int, count: int) -> list[_Connection]:
    loop = asyncio.get_running_loop()
    connections = []
    for _ in range(count):
        _, connection = await loop.create_connection(_Connection, "127.0.0.1", port)
        connections.append(connection)
    return connections


def _latency(samples: list[float]) -> dict[str, float]:
    summary = spread(samples)
    return {"p50_ms": summary.p50 * 1000, "p99_ms": summary.p99 * 1000}


class BodyTemplate:
    """Any JSON body POSTed to ``path``, with ``@NAME@`` replaced per request."""

    def __init__(self, port: int, path: str, body: bytes) -> None:
        if _NAME not in body:
            raise ValueError("the body has no @NAME@ to replace")
        self._body = body
        self._head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        ).encode()

    def request(self, name: bytes, sent: float | None = None) -> bytes:
        body = self._body.replace(_NAME, name)
        return self._head + b"Content-Length: %d\r\n\r\n" % len(body) + body


async def _closed_loop(
    port: int,
    connections: int,
    seconds: float,
    request: Callable[[int, int], bytes],
    expected: int,
) -> dict[str, Any]:
    """Each of ``connections`` sends ``request(connection, count)`` and waits
    for the answer, over and over for ``seconds``; answers other than
    ``expected`` are counted as errors."""
    pool = await _connect(port, connections)
    latencies: list[float] = []
    errors: list[int] = []
    start = time.perf_counter()
    deadline = start + seconds

    async def caller(number: int, connection: _Connection) -> None:
        count = 0
        while time.perf_counter() < deadline:
            data = request(number, count)
            sent = time.perf_counter()
            status, _ = await connection.request(data)
            latencies.append(time.perf_counter() - sent)
            if status != expected:
                errors.append(status)
            count += 1

    await asyncio.gather(*(caller(n, c) for n, c in enumerate(pool)))
    elapsed = time.perf_counter() - start
    for connection in pool:
        connection.close()
    return {
        "requests": len(latencies),
        "per_second": len(latencies) / elapsed,
        **_latency(latencies),
        "errors": len(errors),
        "statuses": sorted(set(errors)),
    }


async def create(
    port: int,
    namespace: str,
    prefix: str,
    connections: int,
    seconds: float,
    template: _Template | BodyTemplate | None = None,
) -> dict[str, Any]:
    """A closed loop of creates of distinct pods (or of ``template``'s objects)
    for ``seconds``."""
    made = template or _Template(port, namespace)
    name = prefix.encode()
    return await _closed_loop(
        port,
        connections,
        seconds,
        lambda number, count: made.request(b"%s%d-%d" % (name, number, count)),
        201,
    )


async def patch(
    port: int, path: str, body: bytes, content_type: str, connections: int, seconds: float
) -> dict[str, Any]:
    """A closed loop of PATCHes: connection ``n`` writes the object at ``path``
    with ``@CONN@`` replaced by ``n``, each time with ``@REV@`` in ``body``
    replaced by a new number, so that every request changes the object."""
    heads = [
        (
            f"PATCH {path.replace('@CONN@', str(number))} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n"
        ).encode()
        for number in range(connections)
    ]

    def request(number: int, count: int) -> bytes:
        data = body.replace(b"@REV@", b"%d" % (count + 1))
        return heads[number] + b"Content-Length: %d\r\n\r\n" % len(data) + data

    return await _closed_loop(port, connections, seconds, request, 200)


async def fill(
    port: int, namespace: str, prefix: str, first: int, count: int, connections: int
) -> dict[str, Any]:
    """Create pods ``prefix{first}`` .. ``prefix{first + count - 1}``, concurrently."""
    template = _Template(port, namespace)
    pool = await _connect(port, connections)
    names = iter(range(first, first + count))
    errors: list[int] = []
    start = time.perf_counter()

    async def caller(connection: _Connection) -> None:
        for number in names:
            status, _ = await connection.request(
                template.request(b"%s%d" % (prefix.encode(), number))
            )
            if status != 201:
                errors.append(status)

    await asyncio.gather(*(caller(c) for c in pool))
    elapsed = time.perf_counter() - start
    for connection in pool:
        connection.close()
    return {
        "created": count - len(errors),
        "per_second": count / elapsed,
        "errors": len(errors),
        "statuses": sorted(set(errors)),
    }


async def list_timing(port: int, path: str, runs: int, accept: str) -> dict[str, Any]:
    """GET ``path`` ``runs`` times on one connection: ms to the last byte of each."""
    (connection,) = await _connect(port, 1)
    request = get_request(port, path, accept)
    timings: list[float] = []
    statuses: set[int] = set()
    size = 0
    items = -1
    for run in range(runs):
        start = time.perf_counter()
        status, body = await connection.request(request)
        timings.append((time.perf_counter() - start) * 1000)
        statuses.add(status)
        size = len(body)
        if run == 0 and status == 200:
            # Counted once, outside the timing: a Table has rows, a list items.
            decoded = orjson.loads(body)
            items = len(decoded.get("rows", decoded.get("items")) or [])
    connection.close()
    return {"ms": timings, "bytes": size, "items": items, "statuses": sorted(statuses)}


class _Watcher(asyncio.Protocol):
    """One watch stream; the latency of every stamped event it reads."""

    def __init__(self, request: bytes, latencies: list[float]) -> None:
        self._request = request
        self._latencies = latencies
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._partial = b""
        self.status = 0
        self.warm = False
        self.events = 0
        self.errors = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        arrived = now()
        lines = (self._partial + body).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            # A byte search, not a JSON decode: 100 watchers of 1,000 events/s
            # would otherwise spend this process's core on decoding.
            at = line.find(_SENT_MARK)
            if at >= 0:
                start = at + len(_SENT_MARK)
                sent = float(line[start : line.index(b'"', start)])
                self._latencies.append(arrived - sent)
                self.events += 1
            elif line.startswith(b'{"type":"ERROR"'):
                self.errors += 1
            else:
                self.warm = True

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether ``condition`` came true within ``seconds`` (polled every 10 ms)."""
    deadline = time.perf_counter() + seconds
    while not condition():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def watch(port: int, namespace: str, watchers: int, drain: float) -> dict[str, Any]:
    """Watch pods in ``namespace`` from ``watchers`` streams; see the module doc."""
    loop = asyncio.get_running_loop()
    (setup,) = await _connect(port, 1)
    pods = f"/api/v1/namespaces/{namespace}/pods"
    status, body = await setup.request(get_request(port, f"{pods}?limit=1"))
    if status != 200:
        raise SystemExit(f"listing {pods} answered {status}: {body[:200]!r}")
    revision = orjson.loads(body)["metadata"]["resourceVersion"]
    request = get_request(port, f"{pods}?watch=true&resourceVersion={revision}")
    latencies: list[float] = []
    streams: list[_Watcher] = []
    for _ in range(watchers):
        _, stream = await loop.create_connection(
            lambda: _Watcher(request, latencies), "127.0.0.1", port
        )
        streams.append(stream)

    # One unstamped pod that every watcher must see before the writer starts.
    status, body = await setup.request(_Template(port, namespace).request(b"warm-up"))
    if status != 201:
        raise SystemExit(f"creating the warm-up pod answered {status}: {body[:200]!r}")
    if not await _wait_for(lambda: all(s.warm for s in streams), _SETUP_TIMEOUT):
        warm = sum(s.warm for s in streams)
        raise SystemExit(f"only {warm} of {watchers} watchers got the warm-up event")
    sys.stdout.write("ready\n")
    sys.stdout.flush()

    line = await loop.run_in_executor(None, sys.stdin.readline)
    expected = int(line)
    started = time.perf_counter()
    complete = await _wait_for(lambda: all(s.events >= expected for s in streams), drain)
    waited = time.perf_counter() - started
    for stream in streams:
        stream.close()
    setup.close()

    delivered = sum(s.events for s in streams)
    # An event never delivered has an infinite latency: it weighs on the percentiles.
    missing = max(0, expected * watchers - delivered)
    summary = spread(latencies + [float("inf")] * missing)
    got = spread(latencies)
    return {
        "watchers": watchers,
        "expected": expected,
        "delivered": delivered,
        "complete": complete,
        "drain_seconds": waited,
        "fewest_events": min(s.events for s in streams),
        "errors": sum(s.errors for s in streams),
        "statuses": sorted({s.status for s in streams}),
        "p50_ms": summary.p50 * 1000,
        "p99_ms": summary.p99 * 1000,
        "max_ms": summary.max * 1000,
        "delivered_p50_ms": got.p50 * 1000,
        "delivered_p99_ms": got.p99 * 1000,
    }


async def write(
    port: int, namespace: str, rate: float, seconds: float, connections: int
) -> dict[str, Any]:
    """Create stamped pods ``w-0`` .. at ``rate`` per second, paced by the clock."""
    template = _Template(port, namespace, stamped=True)
    pool = await _connect(port, connections)
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    for connection in pool:
        idle.put_nowait(connection)
    total = int(rate * seconds)
    errors: list[int] = []
    latencies: list[float] = []

    async def one(connection: _Connection, number: int) -> None:
        sent = now()
        status, _ = await connection.request(template.request(b"w-%d" % number, sent))
        latencies.append(now() - sent)
        if status != 201:
            errors.append(status)
        idle.put_nowait(connection)

    tasks = set()
    start = time.perf_counter()
    for number in range(total):
        delay = start + number / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        # When every connection is busy the writer falls behind its pace.
        task = asyncio.create_task(one(await idle.get(), number))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*list(tasks))
    elapsed = time.perf_counter() - start
    for connection in pool:
        connection.close()
    return {
        "sent": total,
        "created": total - len(errors),
        "errors": len(errors),
        "statuses": sorted(set(errors)),
        "paced_rate": rate,
        "achieved_rate": total / elapsed,
        **_latency(latencies),
    }


def main() -> None:
    command, args = sys.argv[1], sys.argv[2:]
    port = int(args[0])
    if command == "create":
        coro = create(port, args[1], args[2], int(args[3]), float(args[4]))
    elif command == "create-body":
        # PORT PATH BODY-FILE PREFIX CONNECTIONS SECONDS
        body = BodyTemplate(port, args[1], Path(args[2]).read_bytes())
        coro = create(port, "", args[3], int(args[4]), float(args[5]), template=body)
    elif command == "patch":
        # PORT PATH BODY-FILE CONTENT-TYPE CONNECTIONS SECONDS
        body_bytes = Path(args[2]).read_bytes()
        coro = patch(port, args[1], body_bytes, args[3], int(args[4]), float(args[5]))
    elif command == "fill":
        coro = fill(port, args[1], args[2], int(args[3]), int(args[4]), int(args[5]))
    elif command == "list":
        accept = args[3] if len(args) > 3 else "application/json"
        coro = list_timing(port, args[1], int(args[2]), accept)
    elif command == "watch":
        coro = watch(port, args[1], int(args[2]), float(args[3]))
    elif command == "write":
        coro = write(port, args[1], float(args[2]), float(args[3]), int(args[4]))
    else:
        raise SystemExit(f"unknown command {command!r}")
    result = uvloop.run(coro)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
