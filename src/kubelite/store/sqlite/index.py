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
from typing import NamedTuple

from sortedcontainers import SortedList

from kubelite.store.sqlite import schema


class Entry(NamedTuple):
    """A key's row in the log: its revision, and the revision that created the key."""

    key: str
    mod_revision: int
    create_revision: int


class _History:
    """The retained rows of one key.

    ``revisions`` ascend; ``creates[i]`` is the key's create revision at
    ``revisions[i]``, or 0 where that row is a tombstone.
    """

    __slots__ = ("creates", "revisions")

    def __init__(self) -> None:
        self.revisions: list[int] = []
        self.creates: list[int] = []

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
    """Every retained revision of every key, ordered by key.

    Keys are found in a dict; their order is kept in a sorted list that new keys
    join in bulk, when the next range read needs them, so that a write of a new
    key costs a dict insert rather than an insert into the middle of a list.
    """

    def __init__(self) -> None:
        # The last revision applied; reads see exactly this state.
        self.revision = 0
        self.compacted = 0
        self._histories: dict[str, _History] = {}
        # Every key of _histories, in order, except those still in _unsorted.
        self._sorted: SortedList = SortedList()
        self._unsorted: list[str] = []
        self._live = 0

    def __len__(self) -> int:
        """How many keys exist now."""
        return self._live

    def _ordered(self) -> SortedList:
        if self._unsorted:
            self._sorted.update(self._unsorted)
            self._unsorted.clear()
        return self._sorted

    def current(self, key: str) -> Entry | None:
        history = self._histories.get(key)
        found = history.latest() if history is not None else None
        return None if found is None else Entry(key, *found)

    def at(self, key: str, revision: int) -> Entry | None:
        history = self._histories.get(key)
        found = history.at(revision) if history is not None else None
        return None if found is None else Entry(key, *found)

    def scan(self, low: str, high: str | None, revision: int) -> Iterator[Entry]:
        """The keys in ``[low, high)`` that exist at ``revision``, in key order."""
        histories = self._histories
        for key in self._ordered().irange(low, high, inclusive=(True, False)):
            found = histories[key].at(revision)
            if found is not None:
                yield Entry(key, *found)

    def count(self, low: str, high: str | None) -> int:
        histories = self._histories
        return sum(
            1
            for key in self._ordered().irange(low, high, inclusive=(True, False))
            if histories[key].creates[-1] != 0
        )

    def put(self, key: str, revision: int, create_revision: int) -> None:
        history = self._histories.get(key)
        if history is None:
            history = self._histories[key] = _History()
            self._unsorted.append(key)
        creates = history.creates
        if not creates or creates[-1] == 0:
            self._live += 1
        history.revisions.append(revision)
        creates.append(create_revision)

    def delete(self, key: str, revision: int) -> None:
        history = self._histories[key]
        if history.creates and history.creates[-1] != 0:
            self._live -= 1
        history.revisions.append(revision)
        history.creates.append(0)

    def compact(self, revision: int) -> list[int]:
        """Forget what a read at ``revision`` or later cannot see; returns its revisions."""
        dropped: list[int] = []
        forget: list[str] = []
        for key, history in self._histories.items():
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
        ordered = self._ordered()
        for key in forget:
            del self._histories[key]
            ordered.remove(key)
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
