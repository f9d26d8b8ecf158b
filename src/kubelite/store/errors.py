"""Errors raised by every store backend.

The tree, with what a caller should do about each::

    StoreError                      base class; never raised itself
    ├── KeyExistsError              create of a key that exists; final
    ├── KeyNotFoundError            get, update or delete of a missing key; final
    ├── ConflictError               the key changed since the caller read it; re-read, retry
    ├── CompactedError              the revision asked for was compacted away; re-list
    ├── FutureRevisionError         a read at a revision the store has not reached; retry
    ├── WatchOverflowError          a watcher fell too far behind and was dropped; re-watch
    └── StoreUnavailableError       the backend cannot be reached or is closed; retry later

The API server maps these to Kubernetes ``Status`` errors in one place; backends map
their engine's own failures onto this tree and chain the cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubelite.store.interface import KeyValue


class StoreError(Exception):
    """Base of every store error."""


class KeyExistsError(StoreError):
    """A create found the key already present."""

    def __init__(self, key: str) -> None:
        super().__init__(f"key already exists: {key}")
        self.key = key


class KeyNotFoundError(StoreError):
    """The key does not exist (at the revision asked for)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"key not found: {key}")
        self.key = key


class ConflictError(StoreError):
    """The key's last-modified revision is not the one the caller expected.

    ``current`` is the key's value now, so that a caller retrying an update does not
    need another read.
    """

    def __init__(self, key: str, expected: int, current: KeyValue) -> None:
        super().__init__(
            f"conflict on {key}: expected revision {expected}, found {current.mod_revision}"
        )
        self.key = key
        self.expected = expected
        self.current = current


class CompactedError(StoreError):
    """The revision asked for is older than the store's compacted revision."""

    def __init__(self, revision: int, compacted: int) -> None:
        super().__init__(f"revision {revision} has been compacted (compacted up to {compacted})")
        self.revision = revision
        self.compacted = compacted


class FutureRevisionError(StoreError):
    """A read asked for a revision newer than the store's current one."""

    def __init__(self, revision: int, current: int) -> None:
        super().__init__(f"revision {revision} is in the future (current revision {current})")
        self.revision = revision
        self.current = current


class WatchOverflowError(StoreError):
    """A watcher did not keep up and was dropped; it must start again."""

    def __init__(self, prefix: str, revision: int) -> None:
        super().__init__(f"watch on {prefix!r} fell behind at revision {revision} and was dropped")
        self.prefix = prefix
        self.revision = revision


class StoreUnavailableError(StoreError):
    """The backend is closed or cannot be reached."""
