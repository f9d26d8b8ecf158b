"""How API objects are kept in the store: keys, encoding, and the metadata the
server owns.

Every object lives at one key::

    /registry/<group>/<plural>/<namespace>/<name>    namespaced ("core" for group "")
    /registry/<group>/<plural>/<name>                cluster-scoped

and is stored as JSON without its ``resourceVersion``: that is the store's
revision of the key's last change, set on the way out, exactly as Kubernetes
does on etcd. So an object read at revision 42 says ``resourceVersion: "42"``
whatever was sent in.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from kubelite.api.resources import ResourceType
from kubelite.store import KeyValue

JSONObject = dict[str, Any]

_UIDS = random.Random()  # seeded from os.urandom


def collection_prefix(resource: ResourceType, namespace: str = "") -> str:
    """The key prefix of every object of ``resource`` (in ``namespace``, if given)."""
    base = f"/registry/{resource.group or 'core'}/{resource.plural}/"
    if resource.namespaced and namespace:
        return f"{base}{namespace}/"
    return base


def object_key(resource: ResourceType, namespace: str, name: str) -> str:
    return collection_prefix(resource, namespace if resource.namespaced else "") + name


def encode(obj: JSONObject) -> bytes:
    """The stored form: the object without its ``resourceVersion``.

    The bytes are copied once: orjson hands back a buffer that can be several
    times the size of its JSON, and stored values stay in memory (the store's
    recent events) long after the write.
    """
    metadata = obj.get("metadata")
    if isinstance(metadata, dict) and "resourceVersion" in metadata:
        obj = {**obj, "metadata": {k: v for k, v in metadata.items() if k != "resourceVersion"}}
    return bytes(memoryview(orjson.dumps(obj)))


def decode(kv: KeyValue) -> JSONObject:
    """The object stored in ``kv``, with its ``resourceVersion``."""
    obj: JSONObject = orjson.loads(kv.value)
    obj.setdefault("metadata", {})["resourceVersion"] = str(kv.mod_revision)
    return obj


def with_revision(obj: JSONObject, revision: int) -> JSONObject:
    """``obj`` with ``resourceVersion`` set to ``revision`` (a shallow copy)."""
    return {**obj, "metadata": {**obj.get("metadata", {}), "resourceVersion": str(revision)}}


def timestamp(moment: datetime) -> str:
    """Kubernetes' wire form of a time: RFC 3339, UTC, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uid() -> str:
    """A random (version 4) UUID. UIDs tell objects apart and guard nothing, so
    they come from a generator seeded once from the system, not a system call each."""
    return str(uuid.UUID(int=_UIDS.getrandbits(128), version=4))


def metadata(obj: JSONObject) -> JSONObject:
    """``obj``'s metadata, created empty if missing."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = obj["metadata"] = {}
    return meta
