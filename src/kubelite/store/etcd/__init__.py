"""The etcd backend of the ``Store`` protocol.

It owns everything between the store's methods and an etcd v3 cluster: the
gRPC channel and its failover (``connection``), the request each method sends
(``store``), the one watch stream that feeds every watch of a store through
the shared hub and resumes across breaks (``watch``), replays of older
history (``history``) and the opening of watch streams both use
(``streams``), the protobuf conversions (``codec``) and the mapping of etcd's
failures onto the store's errors (``errors``). It speaks etcd through etcd3aio's service layer
and generated protocol, over a channel configured here; ``bench/etcd_clients.py``
records why etcd3aio.

    store = await EtcdStore.open(["http://127.0.0.1:2379"])
    try:
        await store.create("/registry/pods/default/a", b"{}")
    finally:
        await store.close()
"""

from kubelite.store.etcd.connection import EtcdOptions
from kubelite.store.etcd.errors import EtcdRequestError
from kubelite.store.etcd.store import EtcdStore

__all__ = ["EtcdOptions", "EtcdRequestError", "EtcdStore"]
