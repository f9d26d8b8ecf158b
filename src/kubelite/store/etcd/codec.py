"""Conversions between the store's values and etcd's protobuf messages.

Keys are ``str`` in the store and UTF-8 bytes in etcd. A prefix becomes the
half-open range ``[prefix, prefix_end(prefix))``: the end is the prefix with
its last byte that is not 0xff incremented and the rest dropped, so that
``/a/`` covers up to, but not including, ``/a0``. The empty prefix covers the
whole key space, which etcd spells as the range ``[\\x00, \\x00)``.

The protobuf classes come from etcd3aio's generated module; gRPC's stubs are
untyped, so messages are ``Any`` here and converted to the store's frozen
dataclasses at this boundary and nowhere else.
"""

from __future__ import annotations

from typing import Any

from etcd3aio._protobuf import (
    Compare,
    DeleteRangeRequest,
    PutRequest,
    RangeRequest,
    RequestOp,
)

from kubelite.store.interface import Event, EventType, KeyValue

# etcd's mvccpb.Event.EventType values.
_PUT = 0
_DELETE = 1


def encode(key: str) -> bytes:
    return key.encode("utf-8")


def prefix_range(prefix: str) -> tuple[bytes, bytes]:
    """The etcd range ``(key, range_end)`` holding every key under ``prefix``."""
    start = encode(prefix)
    if not start:
        return b"\x00", b"\x00"
    end = bytearray(start)
    while end and end[-1] == 0xFF:
        end.pop()
    if not end:
        # Only 0xff bytes: every key from the prefix on.
        return start, b"\x00"
    end[-1] += 1
    return start, bytes(end)


def key_value(kv: Any) -> KeyValue:
    """A store ``KeyValue`` from an ``mvccpb.KeyValue``."""
    return KeyValue(
        key=bytes(kv.key).decode("utf-8"),
        value=bytes(kv.value),
        create_revision=int(kv.create_revision),
        mod_revision=int(kv.mod_revision),
    )


def event(ev: Any) -> Event:
    """A store ``Event`` from an ``mvccpb.Event`` watched with ``prev_kv``."""
    prev = key_value(ev.prev_kv) if ev.HasField("prev_kv") else None
    key = bytes(ev.kv.key).decode("utf-8")
    revision = int(ev.kv.mod_revision)
    if ev.type == _DELETE:
        return Event(type=EventType.DELETE, key=key, revision=revision, kv=None, prev=prev)
    return Event(type=EventType.PUT, key=key, revision=revision, kv=key_value(ev.kv), prev=prev)


def compare_mod(key: str, revision: int) -> Any:
    """Txn condition: the key was last modified at ``revision``."""
    return Compare(result=Compare.EQUAL, target=Compare.MOD, key=encode(key), mod_revision=revision)


def compare_exists(key: str, *, exists: bool) -> Any:
    """Txn condition: the key exists (``create_revision > 0``) or does not."""
    result = Compare.GREATER if exists else Compare.EQUAL
    return Compare(result=result, target=Compare.CREATE, key=encode(key), create_revision=0)


def op_put(key: str, value: bytes, *, lease: int) -> Any:
    return RequestOp(
        request_put=PutRequest(key=encode(key), value=value, lease=lease, prev_kv=True)
    )


def op_get(key: str) -> Any:
    return RequestOp(request_range=RangeRequest(key=encode(key)))


def op_delete(key: str) -> Any:
    return RequestOp(request_delete_range=DeleteRangeRequest(key=encode(key), prev_kv=True))
