"""The etcd launcher the tests and benchmarks stand on: a real etcd on loopback."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator

import pytest

from kubelite.testing import etcd
from kubelite.testing.etcd import EtcdServer

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port something else is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_port_taken_before_etcd_binds_it_is_replaced(
    taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first pick is a port another process took after it was found free.
    picks = iter([taken_port])
    real = etcd.free_port
    monkeypatch.setattr(etcd, "free_port", lambda: next(picks, None) or real())
    with EtcdServer() as server:
        assert server.running
        assert taken_port not in (server.client_port, server.peer_port)
        with urllib.request.urlopen(f"{server.endpoint}/health", timeout=5) as response:
            assert b'"health":"true"' in response.read()


def test_a_restart_keeps_the_ports_and_the_data() -> None:
    with EtcdServer() as server:
        ports = (server.client_port, server.peer_port)
        server.kill()
        assert not server.running
        server.start()
        assert (server.client_port, server.peer_port) == ports
        assert server.running


def test_a_port_given_by_the_caller_is_not_replaced(taken_port: int) -> None:
    server = EtcdServer(client_port=taken_port)
    try:
        with pytest.raises(RuntimeError, match="address already in use"):
            server.start()
    finally:
        server.cleanup()
