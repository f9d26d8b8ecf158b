"""Store conformance, part one: writes, reads, lists and compaction.

Every test here runs unchanged against every backend (see ``conftest``), on a
fresh store. Revisions are compared relative to the store's revision when the
test starts, since backends begin at different revisions (an empty etcd is at
1, an empty sqlite store at 0). Watches and TTLs are in
``test_conformance_watch``; concurrency and the model-based checks in
``test_conformance_model``.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import pytest

from kubelite.store import (
    CompactedError,
    ConflictError,
    Event,
    EventType,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    Store,
    StoreUnavailableError,
)

if TYPE_CHECKING:
    from tests.unit.store.conftest import StoreFactory

# Keys that sit right next to each other in byte order, or that would match a
# careless prefix test: a sibling sharing a prefix ("/a/b" and "/a/bc"), the
# key right past the end of a prefix's range ("/a0" after "/a/"), SQL LIKE and
# GLOB wildcards, case, and non-ASCII.
BOUNDARY_KEYS = [
    "/a",
    "/a.",
    "/a/",
    "/a/b",
    "/a/b/x",
    "/a/b/y/z",
    "/a/bc",
    "/a/bc/x",
    "/a/b%",
    "/a/b_",
    "/a/b*",
    "/a/B/x",
    "/a/é",
    "/a0",
    "/a0/x",
    "/b",
    "/ab",
    "/a_/x",
    "/a%/x",
]


def under(prefix: str, keys: list[str]) -> list[str]:
    """What a prefix should select: byte-wise ``startswith``, in byte order."""
    return sorted((key for key in keys if key.startswith(prefix)), key=str.encode)


async def fill(store: Store, keys: list[str]) -> dict[str, KeyValue]:
    """Create each key with its own name as value, in the order given."""
    return {key: await store.create(key, key.encode()) for key in keys}


# --- revisions ------------------------------------------------------------


async def test_empty_store(store: Store) -> None:
    base = await store.current_revision()

    page = await store.list("/")
    assert page.items == []
    assert page.revision == base
    assert not page.more
    assert page.continue_key is None
    assert await store.count("/") == 0
    with pytest.raises(KeyNotFoundError):
        await store.get("/missing")


async def test_each_write_advances_the_revision_by_exactly_one(store: Store) -> None:
    base = await store.current_revision()

    created = await store.create("/r/x", b"1")
    assert created.mod_revision == base + 1
    assert await store.current_revision() == base + 1
    updated = await store.update("/r/x", b"2", revision=created.mod_revision)
    assert updated.mod_revision == base + 2
    assert await store.current_revision() == base + 2
    unconditional = await store.update("/r/x", b"3", revision=None)
    assert unconditional.mod_revision == base + 3
    deleted = await store.delete("/r/x")
    assert deleted.revision == base + 4
    again = await store.create("/r/x", b"4")
    assert again.mod_revision == base + 5
    other = await store.create("/r/y", b"5")
    assert other.mod_revision == base + 6
    assert await store.current_revision() == base + 6


async def test_failed_writes_do_not_advance_the_revision(store: Store) -> None:
    kv = await store.create("/f/x", b"1")
    await store.update("/f/x", b"2", revision=kv.mod_revision)
    base = await store.current_revision()

    with pytest.raises(KeyExistsError):
        await store.create("/f/x", b"again")
    with pytest.raises(ConflictError):
        await store.update("/f/x", b"stale", revision=kv.mod_revision)
    with pytest.raises(KeyNotFoundError):
        await store.update("/f/missing", b"v", revision=None)
    with pytest.raises(KeyNotFoundError):
        await store.update("/f/missing", b"v", revision=kv.mod_revision)
    with pytest.raises(KeyNotFoundError):
        await store.delete("/f/missing")
    with pytest.raises(ConflictError):
        await store.delete("/f/x", revision=kv.mod_revision)
    assert await store.current_revision() == base

    # The next successful write takes the very next revision: no gap was left.
    next_kv = await store.create("/f/y", b"y")
    assert next_kv.mod_revision == base + 1
    assert (await store.get("/f/x")).value == b"2"


# --- create ---------------------------------------------------------------


async def test_create_returns_the_stored_key(store: Store) -> None:
    base = await store.current_revision()

    kv = await store.create("/c/x", b"value")

    assert kv == KeyValue("/c/x", b"value", create_revision=base + 1, mod_revision=base + 1)
    assert await store.get("/c/x") == kv


async def test_create_of_an_existing_key_fails(store: Store) -> None:
    kv = await store.create("/c/x", b"first")

    with pytest.raises(KeyExistsError) as raised:
        await store.create("/c/x", b"second")

    assert raised.value.key == "/c/x"
    assert await store.get("/c/x") == kv


async def test_create_after_delete_starts_a_new_life(store: Store) -> None:
    first = await store.create("/c/x", b"1")
    await store.update("/c/x", b"2", revision=None)
    await store.delete("/c/x")

    second = await store.create("/c/x", b"3")

    assert second.create_revision == second.mod_revision == first.create_revision + 3
    assert await store.get("/c/x") == second


async def test_values_and_keys_round_trip(store: Store) -> None:
    values = {
        "/v/empty": b"",
        "/v/binary": bytes(range(256)),
        "/v/nul": b"\x00",
        "/v/not-utf8": b"\xff\xfe\xc3\x28",
        "/v/json": b'{"kind": "Pod", "name": "caf\xc3\xa9"}',
        "/v/ключ/名前 with space": b"unicode key",
        # Together more than gRPC's default 4 MiB message limit.
        **{f"/v/large/{i}": random.Random(i).randbytes(1 << 20) for i in range(5)},
    }
    for key, value in values.items():
        await store.create(key, value)

    for key, value in values.items():
        assert (await store.get(key)).value == value
    listed = {kv.key: kv.value for kv in (await store.list("/v/")).items}
    assert listed == values


# --- update ---------------------------------------------------------------


async def test_update_at_the_current_revision(store: Store) -> None:
    created = await store.create("/u/x", b"1")

    updated = await store.update("/u/x", b"2", revision=created.mod_revision)

    assert updated == KeyValue(
        "/u/x",
        b"2",
        create_revision=created.create_revision,
        mod_revision=created.mod_revision + 1,
    )
    assert await store.get("/u/x") == updated


async def test_update_at_a_stale_revision_conflicts(store: Store) -> None:
    created = await store.create("/u/x", b"1")
    current = await store.update("/u/x", b"2", revision=created.mod_revision)
    await store.create("/u/other", b"moves the global revision on")

    with pytest.raises(ConflictError) as raised:
        await store.update("/u/x", b"3", revision=created.mod_revision)

    assert raised.value.key == "/u/x"
    assert raised.value.expected == created.mod_revision
    assert raised.value.current == current
    assert await store.get("/u/x") == current


async def test_update_at_a_revision_the_key_never_had_conflicts(store: Store) -> None:
    created = await store.create("/u/x", b"1")

    with pytest.raises(ConflictError) as raised:
        await store.update("/u/x", b"2", revision=created.mod_revision + 100)

    assert raised.value.current == created


async def test_update_without_a_revision_always_writes(store: Store) -> None:
    created = await store.create("/u/x", b"1")
    await store.update("/u/x", b"2", revision=None)

    updated = await store.update("/u/x", b"3", revision=None)

    assert updated.value == b"3"
    assert updated.create_revision == created.create_revision
    assert updated.mod_revision == created.mod_revision + 2


@pytest.mark.parametrize("revision", [None, 1], ids=["unconditional", "conditional"])
async def test_update_of_a_missing_key_fails(store: Store, revision: int | None) -> None:
    with pytest.raises(KeyNotFoundError) as raised:
        await store.update("/u/never", b"v", revision=revision)
    assert raised.value.key == "/u/never"

    # A deleted key is as missing as one never written.
    kv = await store.create("/u/gone", b"v")
    await store.delete("/u/gone")
    with pytest.raises(KeyNotFoundError):
        await store.update("/u/gone", b"v", revision=kv.mod_revision if revision else None)
    with pytest.raises(KeyNotFoundError):
        await store.get("/u/gone")


# --- delete ---------------------------------------------------------------


async def test_delete_returns_the_delete_event(store: Store) -> None:
    await store.create("/d/x", b"1")
    last = await store.update("/d/x", b"2", revision=None)

    event = await store.delete("/d/x")

    assert event == Event(
        type=EventType.DELETE,
        key="/d/x",
        revision=last.mod_revision + 1,
        kv=None,
        prev=last,
    )
    assert await store.current_revision() == last.mod_revision + 1
    with pytest.raises(KeyNotFoundError):
        await store.get("/d/x")
    assert await store.count("/d/") == 0


async def test_delete_of_a_missing_key_fails(store: Store) -> None:
    with pytest.raises(KeyNotFoundError) as raised:
        await store.delete("/d/never")
    assert raised.value.key == "/d/never"
    with pytest.raises(KeyNotFoundError):
        await store.delete("/d/never", revision=1)

    await store.create("/d/once", b"v")
    await store.delete("/d/once")
    with pytest.raises(KeyNotFoundError):
        await store.delete("/d/once")


async def test_conditional_delete(store: Store) -> None:
    created = await store.create("/d/x", b"1")
    current = await store.update("/d/x", b"2", revision=None)

    with pytest.raises(ConflictError) as raised:
        await store.delete("/d/x", revision=created.mod_revision)
    assert raised.value.current == current
    assert raised.value.expected == created.mod_revision
    assert await store.get("/d/x") == current

    event = await store.delete("/d/x", revision=current.mod_revision)
    assert event.prev == current
    with pytest.raises(KeyNotFoundError):
        await store.get("/d/x")


# --- get ------------------------------------------------------------------


async def test_get_at_past_revisions(store: Store) -> None:
    await store.create("/g/first", b"so that revision v1 - 1 is not 0, the latest")
    v1 = await store.create("/g/x", b"1")
    await store.create("/g/other", b"o")
    v2 = await store.update("/g/x", b"2", revision=v1.mod_revision)
    v3 = await store.update("/g/x", b"3", revision=v2.mod_revision)

    assert await store.get("/g/x", revision=v1.mod_revision) == v1
    # Between writes of the key, a read sees the write before.
    assert await store.get("/g/x", revision=v1.mod_revision + 1) == v1
    assert await store.get("/g/x", revision=v2.mod_revision) == v2
    assert await store.get("/g/x", revision=v3.mod_revision) == v3
    assert await store.get("/g/x", revision=0) == v3
    with pytest.raises(KeyNotFoundError):
        await store.get("/g/x", revision=v1.mod_revision - 1)


async def test_get_of_a_key_deleted_since(store: Store) -> None:
    kv = await store.create("/g/x", b"1")
    deleted = await store.delete("/g/x")
    await store.create("/g/x", b"reborn")

    assert await store.get("/g/x", revision=kv.mod_revision) == kv
    with pytest.raises(KeyNotFoundError):
        await store.get("/g/x", revision=deleted.revision)
    assert (await store.get("/g/x")).value == b"reborn"


async def test_get_at_a_future_revision_fails(store: Store) -> None:
    await store.create("/g/x", b"1")
    current = await store.current_revision()

    assert (await store.get("/g/x", revision=current)).value == b"1"
    for future in (current + 1, current + 1000):
        with pytest.raises(FutureRevisionError) as raised:
            await store.get("/g/x", revision=future)
        assert raised.value.revision == future
    with pytest.raises(FutureRevisionError):
        await store.get("/g/missing", revision=current + 1)


# --- list -----------------------------------------------------------------


async def test_list_of_empty_ranges(store: Store) -> None:
    await fill(store, ["/l/a/x", "/l/c/x"])
    revision = await store.current_revision()

    for prefix in ("/l/b/", "/l/a/x/", "/l/0", "/m/", "/k", "/l/a/xx", "/l/c/x0"):
        page = await store.list(prefix)
        assert page.items == [], prefix
        assert page.revision == revision
        assert not page.more
        assert await store.count(prefix) == 0
    page = await store.list("/l/", start="/l/d")
    assert page.items == []
    assert not page.more


@pytest.mark.parametrize(
    "prefix",
    [
        *("/", "/a", "/a/", "/a/b", "/a/b/", "/a/bc", "/a0", "/a/é"),
        *("/a/b%", "/a/b_", "/a/b*", "/a_", "/a%"),
    ],
)
async def test_list_selects_exactly_the_prefix(store: Store, prefix: str) -> None:
    await fill(store, random.Random(prefix).sample(BOUNDARY_KEYS, len(BOUNDARY_KEYS)))

    page = await store.list(prefix)

    assert [kv.key for kv in page.items] == under(prefix, BOUNDARY_KEYS)
    assert all(kv.value == kv.key.encode() for kv in page.items)
    assert await store.count(prefix) == len(under(prefix, BOUNDARY_KEYS))


async def test_list_is_in_byte_order(store: Store) -> None:
    keys = ["/o/9", "/o/10", "/o/a", "/o/B", "/o/a/", "/o/a0", "/o/aa", "/o/é", "/o/z", "/o/~"]
    await fill(store, random.Random(1).sample(keys, len(keys)))

    page = await store.list("/o/")

    assert [kv.key for kv in page.items] == sorted(keys, key=str.encode)


async def test_list_with_a_limit(store: Store) -> None:
    keys = [f"/p/{i:02d}" for i in range(5)]
    await fill(store, keys)

    for limit, expected, more in [(1, 1, True), (4, 4, True), (5, 5, False), (9, 5, False)]:
        page = await store.list("/p/", limit=limit)
        assert [kv.key for kv in page.items] == keys[:expected], limit
        assert page.more is more, limit
        assert page.continue_key == (keys[expected - 1] + "\x00" if more else None)
    assert [kv.key for kv in (await store.list("/p/", limit=0)).items] == keys


async def test_list_from_a_start_key(store: Store) -> None:
    keys = ["/s/a", "/s/b", "/s/b/x", "/s/c"]
    await fill(store, keys)

    inclusive = await store.list("/s/", start="/s/b")
    between = await store.list("/s/", start="/s/bb")
    before_prefix = await store.list("/s/", start="/r")
    limited = await store.list("/s/", start="/s/b", limit=1)

    assert [kv.key for kv in inclusive.items] == ["/s/b", "/s/b/x", "/s/c"]
    assert [kv.key for kv in between.items] == ["/s/c"]
    assert [kv.key for kv in before_prefix.items] == keys
    assert [kv.key for kv in limited.items] == ["/s/b"]
    assert limited.more


async def test_paging_is_one_snapshot_while_writes_go_on(store: Store) -> None:
    keys = [f"/p/{i:02d}" for i in range(0, 40, 2)]
    await fill(store, keys)
    await store.create("/q/outside", b"not listed")
    snapshot = await store.list("/p/")
    rng = random.Random(3)

    pages = [await store.list("/p/", limit=3)]
    while pages[-1].more:
        # Between pages, change keys both behind and ahead of the cursor:
        # none of it may show in the pages still to come.
        live = [kv.key for kv in (await store.list("/p/")).items]
        victim = rng.choice(live)
        await store.update(victim, b"changed", revision=None)
        await store.delete(rng.choice([key for key in live if key != victim]))
        await store.create(f"/p/{rng.randrange(40):02d}+{len(pages)}", b"new")
        cursor = pages[-1].continue_key
        assert cursor is not None
        pages.append(await store.list("/p/", limit=3, start=cursor, revision=pages[0].revision))

    assert [page.revision for page in pages] == [snapshot.revision] * len(pages)
    assert [kv for page in pages for kv in page.items] == snapshot.items
    assert all(len(page.items) == 3 for page in pages[:-1])
    assert pages[-1].continue_key is None
    assert await store.current_revision() == snapshot.revision + 3 * (len(pages) - 1)


async def test_list_at_a_past_revision(store: Store) -> None:
    a = await store.create("/h/a", b"1")
    b = await store.create("/h/b", b"1")
    past = await store.current_revision()
    await store.update("/h/a", b"2", revision=None)
    await store.delete("/h/b")
    await store.create("/h/c", b"1")

    then = await store.list("/h/", revision=past)
    before_b = await store.list("/h/", revision=b.mod_revision - 1)
    now = await store.list("/h/")

    assert then.items == [a, b]
    assert then.revision == past
    assert before_b.items == [a]
    assert before_b.revision == b.mod_revision - 1
    assert [(kv.key, kv.value) for kv in now.items] == [("/h/a", b"2"), ("/h/c", b"1")]
    assert now.revision == past + 3


async def test_list_at_a_future_revision_fails(store: Store) -> None:
    await store.create("/h/a", b"1")
    current = await store.current_revision()

    with pytest.raises(FutureRevisionError) as raised:
        await store.list("/h/", revision=current + 1)
    assert raised.value.revision == current + 1


async def test_count(store: Store) -> None:
    await fill(store, BOUNDARY_KEYS)

    assert await store.count("/") == len(BOUNDARY_KEYS)
    assert await store.count("/a/") == len(under("/a/", BOUNDARY_KEYS))
    await store.delete("/a/b/x")
    await store.update("/a/bc", b"changed", revision=None)
    assert await store.count("/a/") == len(under("/a/", BOUNDARY_KEYS)) - 1
    assert await store.count("/a/b/") == 1


# --- compaction -----------------------------------------------------------


async def _history_then_compact(store: Store) -> tuple[int, dict[str, KeyValue]]:
    """Write some history, compact at a revision in its middle.

    Returns the compaction revision and the keys as they stood there.
    """
    early = await store.create("/k/early", b"untouched since")
    x = await store.create("/k/x", b"1")
    await store.create("/k/gone", b"deleted before compaction")
    await store.delete("/k/gone")
    x = await store.update("/k/x", b"2", revision=x.mod_revision)
    compacted = await store.current_revision()
    await store.update("/k/x", b"3", revision=x.mod_revision)
    await store.create("/k/late", b"after compaction")

    await store.compact(compacted)
    return compacted, {"/k/early": early, "/k/x": x}


async def test_reads_at_and_after_the_compaction_revision_work(store: Store) -> None:
    compacted, at_compaction = await _history_then_compact(store)

    # The key written long before the compaction revision survives it.
    assert await store.get("/k/early", revision=compacted) == at_compaction["/k/early"]
    assert await store.get("/k/x", revision=compacted) == at_compaction["/k/x"]
    with pytest.raises(KeyNotFoundError):
        await store.get("/k/gone", revision=compacted)
    with pytest.raises(KeyNotFoundError):
        await store.get("/k/late", revision=compacted)
    assert (await store.get("/k/x", revision=compacted + 1)).value == b"3"
    assert (await store.get("/k/x")).value == b"3"

    page = await store.list("/k/", revision=compacted)
    assert page.items == [at_compaction["/k/early"], at_compaction["/k/x"]]
    assert page.revision == compacted
    assert [kv.key for kv in (await store.list("/k/")).items] == ["/k/early", "/k/late", "/k/x"]
    assert await store.count("/k/") == 3

    # Writes go on from where they were.
    current = await store.current_revision()
    assert (await store.create("/k/next", b"n")).mod_revision == current + 1


async def test_reads_before_the_compaction_revision_fail(store: Store) -> None:
    compacted, _ = await _history_then_compact(store)

    for revision in (compacted - 1, 1):
        with pytest.raises(CompactedError) as raised:
            await store.get("/k/x", revision=revision)
        assert raised.value.revision == revision
        with pytest.raises(CompactedError):
            await store.get("/k/missing", revision=revision)
        with pytest.raises(CompactedError):
            await store.list("/k/", revision=revision)
        with pytest.raises(CompactedError):
            await store.list("/k/", revision=revision, limit=1, start="/k/x")


async def test_paging_fails_once_its_revision_is_compacted(store: Store) -> None:
    await fill(store, [f"/k/{i}" for i in range(4)])
    first = await store.list("/k/", limit=2)
    await store.update("/k/0", b"changed", revision=None)
    await store.compact(await store.current_revision())

    cursor = first.continue_key
    assert cursor is not None
    with pytest.raises(CompactedError):
        await store.list("/k/", limit=2, start=cursor, revision=first.revision)


# --- lifecycle ------------------------------------------------------------


async def test_reopen_keeps_data_history_and_revisions(
    store_factory: StoreFactory,
) -> None:
    store = await store_factory.open()
    v1 = await store.create("/z/x", b"1")
    v2 = await store.update("/z/x", b"2", revision=v1.mod_revision)
    gone = await store.create("/z/gone", b"g")
    await store.delete("/z/gone")
    await store.compact(v2.mod_revision)
    current = await store.current_revision()
    await store.close()

    reopened = await store_factory.open()

    assert await reopened.current_revision() == current
    assert await reopened.get("/z/x") == v2
    assert await reopened.get("/z/gone", revision=gone.mod_revision) == gone
    with pytest.raises(CompactedError):
        await reopened.get("/z/x", revision=v1.mod_revision)
    assert (await reopened.update("/z/x", b"3", revision=v2.mod_revision)).mod_revision == (
        current + 1
    )


async def test_a_closed_store_is_unavailable(store: Store) -> None:
    await store.create("/z/x", b"1")

    await store.close()
    await store.close()

    with pytest.raises(StoreUnavailableError):
        await store.get("/z/x")
    with pytest.raises(StoreUnavailableError):
        await store.create("/z/y", b"1")
    with pytest.raises(StoreUnavailableError):
        await store.list("/z/")
