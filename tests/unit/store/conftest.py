"""Fixtures that run the store tests against every backend.

Each backend is described once, by a ``StoreFactory`` subclass listed in
``FACTORIES``: how to lay out its data under the test's ``tmp_path``, how to
open a store on that data (in this process, or in a child process for the crash
tests), and how to crash and restart its server when it has one. Adding a
backend means writing one such class and adding it to the list; the
conformance suite and the crash tests then run against it unchanged.

Two fixtures come out of it:

- ``store``: a fresh, empty store, closed after the test;
- ``store_factory``: the factory behind it, for tests that close a store and
  open another one on the same data.
"""

from __future__ import annotations

import abc
import asyncio
import collections
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from kubelite.store import Store
from kubelite.testing.etcd import EtcdServer

JSON = str | int | float | bool | None | list["JSON"] | dict[str, "JSON"]


@dataclass(frozen=True, slots=True)
class OpenSpec:
    """How a child process opens a store: ``await <factory>.open(target)``.

    ``factory`` is ``"module:Class"``; ``target`` is the one argument its
    ``open`` takes, as JSON. The crash writer is given this and nothing else,
    so it needs no knowledge of any backend.
    """

    factory: str
    target: JSON

    def to_json(self) -> str:
        return json.dumps({"factory": self.factory, "target": self.target})


class StoreFactory(abc.ABC):
    """Opens stores of one backend on one set of data, and closes them all.

    Every store opened through ``open`` is closed by ``aclose``, so a test can
    open and reopen freely. Backends with a separate server process override
    ``kill_server`` and ``start_server``.
    """

    name: ClassVar[str]
    marks: ClassVar[tuple[pytest.MarkDecorator, ...]] = ()
    has_server: ClassVar[bool] = False

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._opened: list[Store] = []

    async def start(self, request: pytest.FixtureRequest) -> None:
        """Prepare the data (and start the server, if any) before the first open.

        ``request`` lets a backend use session-wide fixtures of its own.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)

    async def open(self) -> Store:
        """A new store on this factory's data."""
        store = await self._open()
        self._opened.append(store)
        return store

    @abc.abstractmethod
    async def _open(self) -> Store: ...

    @abc.abstractmethod
    def open_spec(self) -> OpenSpec:
        """How a child process opens a store on the same data."""

    async def kill_server(self) -> None:
        """SIGKILL the backend's server, keeping its data."""
        raise NotImplementedError(f"the {self.name} backend has no server")

    async def start_server(self) -> None:
        """Start the server again on the same data after ``kill_server``."""
        raise NotImplementedError(f"the {self.name} backend has no server")

    async def aclose(self) -> None:
        """Close every store opened here, then stop the server."""
        opened, self._opened = self._opened, []
        for store in opened:
            await store.close()


class SqliteFactory(StoreFactory):
    """The embedded backend: one database file in the test's directory."""

    name = "sqlite"

    @property
    def path(self) -> Path:
        return self.data_dir / "kubelite.db"

    async def _open(self) -> Store:
        from kubelite.store.sqlite import SqliteStore

        store: Store = await SqliteStore.open(self.path)
        return store

    def open_spec(self) -> OpenSpec:
        return OpenSpec("kubelite.store.sqlite:SqliteStore", str(self.path))


class EtcdSpares:
    """Starts the next tests' etcd members while the current test runs.

    A member takes most of a second to start, longer than most tests take to
    run, but most of that is waiting, so a few start well side by side: with
    ``AHEAD`` of them always starting, a test rarely waits. Each member is
    used by one test only, so every test still gets a fresh, empty etcd.
    Members live in numbered directories under ``root``.
    """

    AHEAD = 3

    def __init__(self, root: Path) -> None:
        self._root = root
        self._numbers = itertools.count()
        self._executor = ThreadPoolExecutor(self.AHEAD, thread_name_prefix="etcd-spare")
        # Invariant: after the first take, exactly AHEAD members are queued.
        self._queue: collections.deque[Future[EtcdServer]] = collections.deque()

    def _start_one(self) -> EtcdServer:
        data_dir = self._root / f"etcd-{next(self._numbers)}"
        data_dir.mkdir(parents=True)
        server = EtcdServer(data_dir=data_dir)
        server.start()
        return server

    async def take(self) -> EtcdServer:
        """A running member nobody has used; start another in its place."""
        while len(self._queue) <= self.AHEAD:
            self._queue.append(self._executor.submit(self._start_one))
        return await asyncio.wrap_future(self._queue.popleft())

    def close(self) -> None:
        """Kill the members nobody took."""
        while self._queue:
            with contextlib.suppress(Exception):
                self._queue.popleft().result().kill()
        self._executor.shutdown()


class EtcdFactory(StoreFactory):
    """A real etcd member per test, fresh and empty.

    The member comes from ``EtcdSpares``, so its data lives in the session's
    temporary directory; ``data_dir/etcd`` links to it.
    """

    name = "etcd"
    marks = (pytest.mark.etcd,)
    has_server = True
    server: EtcdServer

    async def start(self, request: pytest.FixtureRequest) -> None:
        await super().start(request)
        spares: EtcdSpares = request.getfixturevalue("etcd_spares")
        self.server = await spares.take()
        assert self.server.data_dir is not None
        (self.data_dir / "etcd").symlink_to(self.server.data_dir, target_is_directory=True)

    async def _open(self) -> Store:
        from kubelite.store.etcd import EtcdStore

        store: Store = await EtcdStore.open([self.server.endpoint])
        return store

    def open_spec(self) -> OpenSpec:
        return OpenSpec("kubelite.store.etcd:EtcdStore", [self.server.endpoint])

    async def kill_server(self) -> None:
        await asyncio.to_thread(self.server.kill)

    async def start_server(self) -> None:
        await asyncio.to_thread(self.server.start)

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            # The data is thrown away, so there is nothing to stop gracefully
            # for.
            await asyncio.to_thread(self.server.kill)


FACTORIES: list[type[StoreFactory]] = [SqliteFactory, EtcdFactory]


@pytest.fixture(scope="session")
def etcd_spares(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdSpares]:
    """The session's supply of fresh etcd members (see ``EtcdSpares``)."""
    spares = EtcdSpares(tmp_path_factory.mktemp("etcd"))
    try:
        yield spares
    finally:
        spares.close()


@pytest.fixture(
    params=[pytest.param(factory, id=factory.name, marks=factory.marks) for factory in FACTORIES]
)
async def store_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[StoreFactory]:
    """A factory for one backend, on empty data in ``tmp_path``."""
    factory: StoreFactory = request.param(tmp_path / "data")
    await factory.start(request)
    try:
        yield factory
    finally:
        await factory.aclose()


@pytest.fixture
async def store(store_factory: StoreFactory) -> Store:
    """A fresh, empty store, closed (with its server) after the test."""
    return await store_factory.open()
