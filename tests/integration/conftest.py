"""An in-process API server on a real socket, for the integration tests.

``server`` starts an ``ApiServer`` over an SQLite store in the test's own
directory and gives a :class:`~kubelite.testing.rest.Api` that talks to it;
``client`` is kubelite's own client on that server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from kubelite.apiserver.server import ApiServer
from kubelite.client import Client, ClusterConfig
from kubelite.store.sqlite import SqliteStore
from kubelite.testing.rest import Api


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Api]:
    store = await SqliteStore.open(tmp_path / "state.db")
    api_server = ApiServer(store)
    port = await api_server.start("127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as session:
            yield Api(session, f"http://127.0.0.1:{port}")
    finally:
        await api_server.stop()
        await store.close()


@pytest.fixture
async def client(server: Api) -> AsyncIterator[Client]:
    """kubelite's own client, on the test's server, as field manager "tester"."""
    async with Client(ClusterConfig(server.base), field_manager="tester") as made:
        yield made
