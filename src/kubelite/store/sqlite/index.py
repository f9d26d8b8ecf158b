"""The key index: which revisions of which keys the log holds, kept in memory.

The log table is appended to in revision order and has no index on the key: an
index on the key would be updated at a random place by nearly every write, and
measured on this machine it cost more than half of the insert rate. Instead, as
etcd does, the store keeps the key-to-revisions map in memory, rebuilt from the log
when the store opens, and reads a value from the log by its revision (the table's
primary key). A worked example, after ``create /a`` (1), ``create /b`` (2),
``update /a`` (3), ``delete /b`` (4)::

    /a  revisions [1, 3]  creates [1, 1]   live, current revision 3
    /b  revisions [2, 4]  creates [2, 0]   deleted at 4 (a 0 marks the tombstone)

    at(/b, 3) -> (2, 2)     at(/b, 4) -> None     at(/a, 2) -> (1, 1)

Compacting to C keeps, per key, the newest revision at or below C (unless it is a
tombstone) and everything above C; a key left with nothing is forgotten.

The index holds only what is durable: the event loop updates it when a batch has
committed, and every read runs on the loop too, so a read sees the index as of one
commit, at ``revision``, with no lock.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from sortedcontainers import SortedDict

from kubelite.store.sqlite import schema


class Entry(NamedTuple):
    """A key's row in the log: its revision, and the revision that created the key."""

    key: str
    mod_revision: int
    create_revision: int


@dataclass(slots=True)
class _History:
    # Ascending revisions of the key's retained rows; creates[i] is the key's create
    # revision at revisions[i], or 0 where that row is a tombstone.
    revisions: list[int] = field(default_factory=list)
    creates: list[int] = field(default_factory=list)

    def at(self, revision: int) -> tuple[int, int] | None:
        i = bisect_right(self.revisions, revision) - 1
        if i < 0 or self.creates[i] == 0:
            return None
        return self.revisions[i], self.creates[i]

    def latest(self) -> tuple[int, int] | None:
        if not self.revisions or self.creates[-1] == 0:
            return None
        return self.revisions[-1], self.creates[-1]


class KeyIndex:
    """Every retained revision of every key, ordered by key."""

    def __init__(self) -> None:
        # The last revision applied; reads under the lock see exactly this state.
        self.revision = 0
        self.compacted = 0
        self._keys: SortedDict = SortedDict()
        self._live = 0

    def __len__(self) -> int:
        """How many keys exist now."""
        return self._live

    def current(self, key: str) -> Entry | None:
        history: _History | None = self._keys.get(key)
        found = history.latest() if history is not None else None
        return None if found is None else Entry(key, *found)

    def at(self, key: str, revision: int) -> Entry | None:
        history: _History | None = self._keys.get(key)
        found = history.at(revision) if history is not None else None
        return None if found is None else Entry(key, *found)

    def scan(self, low: str, high: str | None, revision: int) -> Iterator[Entry]:
        """The keys in ``[low, high)`` that exist at ``revision``, in key order."""
        keys = self._keys
        for key in keys.irange(low, high, inclusive=(True, False)):
            found = keys[key].at(revision)
            if found is not None:
                yield Entry(key, *found)

    def count(self, low: str, high: str | None) -> int:
        keys = self._keys
        return sum(
            1
            for key in keys.irange(low, high, inclusive=(True, False))
            if keys[key].creates[-1] != 0
        )

    def put(self, key: str, revision: int, create_revision: int) -> None:
        history: _History | None = self._keys.get(key)
        if history is None:
            history = self._keys[key] = _History()
        if not history.creates or history.creates[-1] == 0:
            self._live += 1
        history.revisions.append(revision)
        history.creates.append(create_revision)

    def delete(self, key: str, revision: int) -> None:
        history: _History = self._keys[key]
        if history.creates and history.creates[-1] != 0:
            self._live -= 1
        history.revisions.append(revision)
        history.creates.append(0)

    def compact(self, revision: int) -> list[int]:
        """Forget what a read at ``revision`` or later cannot see; returns its revisions."""
        dropped: list[int] = []
        forget: list[str] = []
        for key, history in self._keys.items():
            revisions = history.revisions
            if revisions[0] > revision:
                continue
            keep = bisect_right(revisions, revision) - 1
            if history.creates[keep] == 0:
                keep += 1
            if keep:
                dropped.extend(revisions[:keep])
                del revisions[:keep]
                del history.creates[:keep]
            if not revisions:
                forget.append(key)
        for key in forget:
            del self._keys[key]
        self.compacted = revision
        return dropped


def load(connection: sqlite3.Connection) -> tuple[KeyIndex, list[tuple[float, str, int]]]:
    """Rebuild the index from the log, with the expiries of the keys that have one."""
    index = KeyIndex()
    expiring: dict[str, tuple[float, int]] = {}
    rows = connection.execute(schema.LOAD_INDEX)
    for revision, key, create_revision, deleted, expires_at in rows:
        if deleted:
            index.delete(key, revision)
        else:
            index.put(key, revision, create_revision)
        if expires_at is None or deleted:
            expiring.pop(key, None)
        else:
            expiring[key] = (expires_at, revision)
    meta = dict(connection.execute(schema.READ_META).fetchall())
    index.revision = meta["revision"]
    index.compacted = meta["compacted"]
    expiries = [(at, key, revision) for key, (at, revision) in expiring.items()]
    return index, expiries
