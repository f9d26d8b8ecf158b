"""The ``Store`` protocol: a revisioned key-value log with etcd v3's semantics.

Every committed write gets the next global revision, exactly one more than the last.
A key remembers the revision that created it (``create_revision``) and the one that
last changed it (``mod_revision``); writes can be conditioned on ``mod_revision``,
which is how the API server implements optimistic concurrency. History is kept until
it is compacted, so reads can be made at a past revision and watches can start in the
past. A worked example, on an empty store::

    create("/a", b"1")            -> revision 1   /a: create 1, mod 1
    create("/b", b"x")            -> revision 2   /b: create 2, mod 2
    update("/a", b"2", revision=1) -> revision 3  /a: create 1, mod 3
    delete("/b")                  -> revision 4   /b gone
    get("/a", revision=2)         -> b"1" (mod 1), as it was at revision 2
    list("/", revision=2)         -> /a=b"1", /b=b"x", read at revision 2
    watch("/", revision=2)        -> PUT /a (3, prev b"1"), DELETE /b (4, prev b"x"), ...
    compact(3); get("/a", revision=2) -> CompactedError

Conventions shared by every method:

- ``revision=0`` means "the latest"; a positive revision newer than the store has
  reached fails with ``FutureRevisionError``, an older one than the compacted revision
  with ``CompactedError``.
- A watch delivers every event *after* its start revision, in revision order, none
  twice and none missing; starting at 0 means "from now". Starting in the future is
  allowed: events up to that revision are skipped, as etcd does.
- ``limit=0`` means no limit. A page that stops early has ``more`` set; the next page
  is read with ``start=page.continue_key`` at ``revision=page.revision``, so a long
  list is one consistent snapshot even while writes go on.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self


@dataclass(frozen=True, slots=True)
class KeyValue:
    """A key as it stood at ``mod_revision``."""

    key: str
    value: bytes
    create_revision: int
    mod_revision: int


class EventType(enum.Enum):
    PUT = "PUT"
    DELETE = "DELETE"


@dataclass(frozen=True, slots=True)
class Event:
    """One change to one key.

    ``kv`` is the key after a PUT; ``None`` after a DELETE. ``prev`` is the key just
    before the change: ``None`` for a PUT that created it.
    """

    type: EventType
    key: str
    revision: int
    kv: KeyValue | None
    prev: KeyValue | None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list, all read at ``revision``."""

    items: list[KeyValue]
    revision: int
    more: bool

    @property
    def continue_key(self) -> str | None:
        """Where the next page starts, or ``None`` when this page was the last."""
        if not self.more or not self.items:
            return None
        return self.items[-1].key + "\x00"


class Watch(Protocol):
    """A running watch: an async iterator of events, closed with ``aclose``.

    Use it as ``async with store.watch(prefix) as watch: async for event in watch``.
    Once ``__aenter__`` has returned the watch is established: a watch from revision 0
    sees every write committed after that. ``__aenter__`` or the first ``__anext__``
    raises ``CompactedError`` when the start revision was compacted away; iteration
    raises ``WatchOverflowError`` when the watcher fell too far behind and
    ``StoreUnavailableError`` when the store closed.
    """

    def __aiter__(self) -> AsyncIterator[Event]: ...

    async def __anext__(self) -> Event: ...

    async def aclose(self) -> None: ...

    def progress(self) -> int:
        """The revision up to which every event under the prefix has been returned
        (beyond the last event when nothing is queued); 0 before it is established."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class Store(Protocol):
    """What the API server needs from its storage, whatever the backend."""

    async def current_revision(self) -> int:
        """The revision of the last committed write.

        A new sqlite store is at 0; a new etcd cluster is already at 1, so revisions
        are compared, never assumed to start anywhere.
        """
        ...

    async def create(self, key: str, value: bytes, *, ttl: float | None = None) -> KeyValue:
        """Store a new key; ``KeyExistsError`` if it exists. ``ttl`` in seconds."""
        ...

    async def update(
        self,
        key: str,
        value: bytes,
        *,
        revision: int | None,
        ttl: float | None = None,
    ) -> KeyValue:
        """Replace an existing key's value.

        With ``revision`` set, the write happens only if the key's ``mod_revision`` is
        still that revision (``ConflictError`` otherwise); ``None`` writes whatever the
        key's revision. ``KeyNotFoundError`` if the key does not exist.
        """
        ...

    async def delete(self, key: str, *, revision: int | None = None) -> Event:
        """Delete a key, conditioned like ``update``; returns the DELETE event."""
        ...

    async def get(self, key: str, *, revision: int = 0) -> KeyValue:
        """The key at ``revision`` (latest if 0); ``KeyNotFoundError`` if absent."""
        ...

    async def list(
        self,
        prefix: str,
        *,
        revision: int = 0,
        limit: int = 0,
        start: str | None = None,
    ) -> Page:
        """Keys under ``prefix`` in key order, from ``start`` (inclusive) if given."""
        ...

    async def count(self, prefix: str) -> int:
        """How many keys exist under ``prefix`` now."""
        ...

    def watch(self, prefix: str, *, revision: int = 0) -> Watch:
        """Stream every change under ``prefix`` after ``revision``."""
        ...

    async def compact(self, revision: int) -> None:
        """Forget history before ``revision``; reads at ``revision`` still work."""
        ...

    async def close(self) -> None:
        """Stop background work and release the backend; idempotent."""
        ...
