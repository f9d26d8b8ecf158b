"""The store: desired state, kept as a revisioned key-value log with etcd's semantics.

Everything kubelite knows lives here. The API server is the store's only client; it
writes objects as JSON under ``/registry/<group>/<resource>/<namespace>/<name>`` and
learns about every change through ``watch``. Two backends implement one protocol:

- ``SqliteStore`` (the default): one database file, embedded, with a single writer
  that commits concurrent writes together and pushes watch events in-process.
- ``EtcdStore``: a real etcd v3 cluster, for when more than one API server shares the
  data or one machine is not enough.

``interface`` defines the protocol and its values, ``errors`` the error tree; the same
conformance suite (``tests/unit/store``) runs unchanged against both backends.
"""

from kubelite.store.errors import (
    CompactedError,
    ConflictError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    StoreError,
    StoreUnavailableError,
    WatchOverflowError,
)
from kubelite.store.interface import Event, EventType, KeyValue, Page, Store, Watch

__all__ = [
    "CompactedError",
    "ConflictError",
    "Event",
    "EventType",
    "FutureRevisionError",
    "KeyExistsError",
    "KeyNotFoundError",
    "KeyValue",
    "Page",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "Watch",
    "WatchOverflowError",
]
