"""A process that writes through a store until it is killed (for ``test_crash``).

Run as ``python crash_writer.py SPEC PREFIX SEED``, where ``SPEC`` is the JSON
of a ``conftest.OpenSpec``: the store to open, named by import path, so that
this script knows nothing of any backend.

A few concurrent tasks each create keys under ``PREFIX`` and move each one
through a chain of conditional updates. Every value carries its own checksum
and names its key and its place in the chain (``seq``), so that a reader can
tell a torn or foreign value from a good one and order two good ones. After
each write the store acknowledged, one line goes to stdout, flushed before the
next write starts::

    ACK <key> <revision> <seq> <sha256 of the value>

``OPEN`` is printed just before the store is opened, so a killer can aim at
the opening too.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import json
import random
import sys
from dataclasses import dataclass
from typing import cast

from kubelite.store import Store

TASKS = 4


@dataclass(frozen=True, slots=True)
class Payload:
    """What a value says about itself, once its checksum holds."""

    key: str
    seq: int


def encode(key: str, seq: int, rng: random.Random) -> bytes:
    # Sizes up to a few pages, so that a torn write has room to show.
    padding = rng.randbytes(rng.choice([0, 16, 600, 5000, 20000])).hex()
    body = json.dumps({"key": key, "seq": seq, "padding": padding}).encode()
    return body + b"|" + hashlib.sha256(body).hexdigest().encode()


def decode(value: bytes) -> Payload:
    """The payload of a value, or ``ValueError`` if it is not whole."""
    body, _, digest = value.rpartition(b"|")
    if hashlib.sha256(body).hexdigest().encode() != digest:
        raise ValueError(f"checksum mismatch in a value of {len(value)} bytes")
    fields = json.loads(body)
    return Payload(key=fields["key"], seq=fields["seq"])


def digest(value: bytes) -> str:
    return hashlib.sha256(value).hexdigest()


def acknowledge(key: str, revision: int, seq: int, value: bytes) -> None:
    sys.stdout.write(f"ACK {key} {revision} {seq} {digest(value)}\n")
    sys.stdout.flush()


async def chain(store: Store, prefix: str, task: int, rng: random.Random) -> None:
    """Create a key, update it a few times conditionally, go on to the next."""
    for number in range(1_000_000):
        key = f"{prefix}{task}/{number:06d}"
        value = encode(key, 0, rng)
        kv = await store.create(key, value)
        acknowledge(key, kv.mod_revision, 0, value)
        for seq in range(1, rng.randint(1, 6)):
            value = encode(key, seq, rng)
            kv = await store.update(key, value, revision=kv.mod_revision)
            acknowledge(key, kv.mod_revision, seq, value)


async def open_store(spec: str) -> Store:
    fields = json.loads(spec)
    module, _, name = fields["factory"].partition(":")
    factory = getattr(importlib.import_module(module), name)
    return cast(Store, await factory.open(fields["target"]))


async def main(spec: str, prefix: str, seed: int) -> None:
    sys.stdout.write("OPEN\n")
    sys.stdout.flush()
    store = await open_store(spec)
    try:
        await asyncio.gather(
            *(
                chain(store, prefix, task, random.Random(seed * TASKS + task))
                for task in range(TASKS)
            )
        )
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
