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

import functools
import math
import random
from datetime import UTC, datetime
from typing import Any

import orjson

from kubelite.api.resources import ResourceType
from kubelite.store import KeyValue

JSONObject = dict[str, Any]

_UIDS = random.Random()  # seeded from os.urandom
# RFC 4122: the version nibble (4) and the variant bits (10) of a random UUID.
_UUID_RANDOM_BITS = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_VERSION_4 = (0x4000 << 64) | (0x8000 << 48)


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
    return _second(math.floor(moment.timestamp()))


@functools.lru_cache(maxsize=4)
def _second(epoch: int) -> str:
    # Objects written in the same second share the text: formatted once.
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uid() -> str:
    """A random (version 4) UUID. UIDs tell objects apart and guard nothing, so
    they come from a generator seeded once from the system, not a system call each."""
    bits = _UIDS.getrandbits(128) & _UUID_RANDOM_BITS | _UUID_VERSION_4
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def metadata(obj: JSONObject) -> JSONObject:
    """``obj``'s metadata, created empty if missing."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = obj["metadata"] = {}
    return meta
