"""Crash tests: no acknowledged write is lost, no write is left half done.

A child process (``crash_writer.py``) writes through the store and prints each
write the store acknowledged; this test SIGKILLs it at random points, for the
etcd backend sometimes together with the etcd server, then opens the store
again and checks, after every round and for every round so far:

- every acknowledged write is there: its value at its revision, and the key
  now holds it or a later write of the same chain (one the writer may have
  made but not lived to acknowledge);
- every visible value is whole (its checksum holds) and belongs to its key;
- the revisions from the first write to the last are contiguous: a watch
  replaying them sees every one, once.

The value format is the writer's (see its docstring); it is decoded here
independently, so that the two sides check each other.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kubelite.store import KeyValue, Store

if TYPE_CHECKING:
    from tests.unit.store.conftest import StoreFactory

pytestmark = pytest.mark.slow

WRITER = Path(__file__).with_name("crash_writer.py")
ROUNDS = 9
PREFIX = "/crash/"


@dataclass(frozen=True, slots=True)
class Ack:
    """One write the writer was told had succeeded."""

    key: str
    revision: int
    seq: int
    digest: str

    @classmethod
    def parse(cls, line: str) -> Ack:
        tag, key, revision, seq, digest = line.split()
        if tag != "ACK":
            raise ValueError(f"not an acknowledgement: {line!r}")
        return cls(key, int(revision), int(seq), digest)


def payload(kv: KeyValue) -> tuple[str, int]:
    """The key and chain position a value names; fails if it is not whole."""
    body, _, checksum = kv.value.rpartition(b"|")
    assert hashlib.sha256(body).hexdigest().encode() == checksum, (
        f"{kv.key} at {kv.mod_revision}: torn value of {len(kv.value)} bytes"
    )
    fields = json.loads(body)
    assert fields["key"] == kv.key, f"{kv.key} holds the value of {fields['key']}"
    return fields["key"], fields["seq"]


async def run_writer(
    factory: StoreFactory, round_: int, rng: random.Random, log_dir: Path
) -> list[Ack]:
    """Start a writer, kill it at a random point, return what it acknowledged."""
    kill_server = factory.has_server and round_ % 2 == 1
    # Aim at the opening of the store, at its first writes, or deep in: the
    # number of acknowledgements to wait for before the kill.
    target = [0, rng.randint(1, 20), rng.randint(50, 400)][round_ % 3]
    stderr_path = log_dir / f"writer-{round_}.stderr"
    with stderr_path.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(WRITER),
            factory.open_spec().to_json(),
            f"{PREFIX}{round_}/",
            str(rng.randrange(2**32)),
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    assert process.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(30):
        while len(lines) <= target:
            line = await process.stdout.readline()
            assert line.endswith(b"\n"), (
                f"writer exited early: {stderr_path.read_text(errors='replace')[-3000:]}"
            )
            lines.append(line.decode())

    # Kill the two in either order: a server that dies first leaves writes
    # in flight that it may or may not have made durable.
    server_first = kill_server and rng.random() < 0.5
    if server_first:
        await factory.kill_server()
    process.kill()
    if kill_server and not server_first:
        await factory.kill_server()
    async with asyncio.timeout(30):
        rest = await process.stdout.read()
        await process.wait()
    if kill_server:
        await factory.start_server()

    # A line cut short by the kill was never an acknowledgement.
    lines.extend(line + "\n" for line in rest.decode().split("\n")[:-1])
    return [Ack.parse(line) for line in lines if line.startswith("ACK ")]


async def list_all(store: Store, prefix: str) -> list[KeyValue]:
    """Every key under ``prefix``, read in pages of one snapshot."""
    page = await store.list(prefix, limit=100)
    items = list(page.items)
    while page.continue_key is not None:
        page = await store.list(prefix, limit=100, start=page.continue_key, revision=page.revision)
        items.extend(page.items)
    return items


async def verify(store: Store, acks: list[Ack]) -> None:
    """Check every acknowledged write and every visible value."""
    latest = await store.current_revision()
    for ack in acks:
        assert ack.revision <= latest, f"lost {ack}: the store is at revision {latest}"
    for ack in acks:
        kv = await store.get(ack.key, revision=ack.revision)
        assert kv.mod_revision == ack.revision, ack
        assert hashlib.sha256(kv.value).hexdigest() == ack.digest, ack
        assert payload(kv) == (ack.key, ack.seq)

    last: dict[str, Ack] = {}
    for ack in acks:
        if ack.key not in last or ack.revision > last[ack.key].revision:
            last[ack.key] = ack
    current = {kv.key: kv for kv in await list_all(store, PREFIX)}
    for kv in current.values():
        payload(kv)
    for key, ack in last.items():
        assert key in current, f"lost {ack}: the key is gone"
        kv = current[key]
        _, seq = payload(kv)
        assert kv.mod_revision >= ack.revision, ack
        assert (seq == ack.seq) == (kv.mod_revision == ack.revision), (ack, kv.mod_revision)
        assert seq >= ack.seq, ack

    # Contiguous revisions: replay everything from the first write on.
    if not acks:
        return
    # (A watch from 0 means "from now", so a first write at revision 1 is
    # left to the acknowledgement checks above.)
    start = max(min(ack.revision for ack in acks) - 1, 1)
    async with store.watch(PREFIX, revision=start) as watch, asyncio.timeout(30):
        events = [await anext(watch) for _ in range(latest - start)]
    assert [event.revision for event in events] == list(range(start + 1, latest + 1))
    written = {(event.key, event.revision) for event in events}
    assert all((ack.key, ack.revision) in written for ack in acks if ack.revision > start)


async def test_acknowledged_writes_survive_kills(
    store_factory: StoreFactory, tmp_path: Path
) -> None:
    seed = random.randrange(2**32)
    print(f"crash test seed {seed}")
    rng = random.Random(seed)
    acks: list[Ack] = []

    for round_ in range(ROUNDS):
        acks.extend(await run_writer(store_factory, round_, rng, tmp_path))
        print(f"round {round_}: {len(acks)} acknowledged writes so far")

        store = await store_factory.open()
        try:
            await verify(store, acks)
        finally:
            await store.close()
