"""Options and the one gRPC channel an ``EtcdStore`` talks through.

Every request of a store, unary or streaming, shares one channel. The channel
is given all the endpoints at once as a static address list and balances over
them round-robin, which is also how failover works: a member that stops
answering drops out of the list of ready subchannels, calls go to the others,
and gRPC keeps reconnecting to it in the background with its own back-off
(capped by ``EtcdOptions.reconnect_backoff_max``). Watch streams, which stay on
the subchannel they started on, reopen through the same balancer.

Limits, stated rather than approximated:

- Only ``http://`` endpoints (or bare ``host:port``); ``https://`` raises
  ``ValueError``, since TLS needs options this module does not take yet.
- Host names are resolved once, when the store opens. A member whose address
  changes afterwards is not followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import grpc.aio  # type: ignore[import-untyped]

DEFAULT_PORT = 2379


@dataclass(frozen=True, slots=True)
class EtcdOptions:
    """How an ``EtcdStore`` talks to etcd. Times are in seconds."""

    # Deadline of one unary request, retries included.
    request_timeout: float = 10.0
    # How often a read is tried when etcd answers "unavailable"; writes are
    # tried once, since a write that timed out may still have been applied.
    read_attempts: int = 3
    # Back-off of gRPC's reconnects and of watch resumption: first delay, cap.
    reconnect_backoff: float = 0.1
    reconnect_backoff_max: float = 2.0
    # How long the store's watch stream (or a replay of history) keeps trying
    # to resume before its watches fail with StoreUnavailableError.
    watch_resume_timeout: float = 60.0
    # Events kept in memory for watches that start in the recent past, and how
    # far one watch may fall behind before it is dropped (WatchOverflowError).
    watch_history: int = 10_000
    watch_max_pending: int = 100_000
    # The longest the watch stream holds an event back so that it reaches the
    # watches together with the next ones (see kubelite.store.etcd.watch).
    watch_batch_delay_max: float = 0.005
    # HTTP/2 keepalive pings: how often, and how long to wait for the answer
    # before the connection is declared dead.
    keepalive_time: float = 10.0
    keepalive_timeout: float = 5.0
    # Largest response accepted; gRPC's default of 4 MiB fails a big list.
    max_receive_bytes: int = 1 << 30

    def __post_init__(self) -> None:
        if self.read_attempts < 1:
            raise ValueError(f"read_attempts must be at least 1, got {self.read_attempts}")
        if not 0 < self.reconnect_backoff <= self.reconnect_backoff_max:
            raise ValueError(
                "reconnect back-off must satisfy 0 < reconnect_backoff <= "
                f"reconnect_backoff_max, got {self.reconnect_backoff} and "
                f"{self.reconnect_backoff_max}"
            )
        if self.watch_batch_delay_max < 0:
            raise ValueError(
                f"watch_batch_delay_max must not be negative, got {self.watch_batch_delay_max}"
            )
        if self.watch_history < 0 or self.watch_max_pending < 1:
            raise ValueError(
                "watch_history must not be negative and watch_max_pending must be "
                f"positive, got {self.watch_history} and {self.watch_max_pending}"
            )


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    """The host and port of ``http://host:port`` (or ``host:port``)."""
    url = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
    if url.scheme != "http":
        raise ValueError(f"unsupported etcd endpoint scheme {url.scheme!r} in {endpoint!r}")
    if not url.hostname:
        raise ValueError(f"etcd endpoint without a host: {endpoint!r}")
    return url.hostname, url.port or DEFAULT_PORT


async def resolve_target(endpoints: Sequence[str]) -> str:
    """A gRPC target listing every endpoint's address, e.g. ``ipv4:a:1,b:2``.

    gRPC's static address resolvers take one address family, so every endpoint
    must have an address of the family chosen: IPv4 when they all do, else IPv6.
    """
    if not endpoints:
        raise ValueError("at least one etcd endpoint is required")
    loop = asyncio.get_running_loop()
    v4: list[str] = []
    v6: list[str] = []
    for endpoint in endpoints:
        host, port = parse_endpoint(endpoint)
        found: set[tuple[int, str]]
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found = {(family, str(sockaddr[0])) for family, _, _, _, sockaddr in infos}
        else:
            family = socket.AF_INET if literal.version == 4 else socket.AF_INET6
            found = {(family, str(literal))}
        v4 += [f"{a}:{port}" for f, a in sorted(found) if f == socket.AF_INET][:1]
        v6 += [f"[{a}]:{port}" for f, a in sorted(found) if f == socket.AF_INET6][:1]
    if len(v4) == len(endpoints):
        return "ipv4:" + ",".join(v4)
    if len(v6) == len(endpoints):
        return "ipv6:" + ",".join(v6)
    raise ValueError(f"etcd endpoints do not share an address family: {list(endpoints)}")


def open_channel(target: str, options: EtcdOptions) -> Any:
    """An insecure ``grpc.aio.Channel`` to ``target``, balanced round-robin."""
    channel_options: list[tuple[str, str | int]] = [
        ("grpc.lb_policy_name", "round_robin"),
        ("grpc.keepalive_time_ms", int(options.keepalive_time * 1000)),
        ("grpc.keepalive_timeout_ms", int(options.keepalive_timeout * 1000)),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.initial_reconnect_backoff_ms", int(options.reconnect_backoff * 1000)),
        ("grpc.min_reconnect_backoff_ms", int(options.reconnect_backoff * 1000)),
        ("grpc.max_reconnect_backoff_ms", int(options.reconnect_backoff_max * 1000)),
        ("grpc.max_receive_message_length", options.max_receive_bytes),
    ]
    return grpc.aio.insecure_channel(target, options=channel_options)
