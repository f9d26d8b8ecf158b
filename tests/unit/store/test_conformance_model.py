"""Store conformance, part three: concurrency, and random histories checked
against a model.

Runs unchanged against every backend (see ``conftest``). The model is the
simplest store there is: a list of snapshots, one per revision. Hypothesis
drives random sequences of creates, updates and deletes (conditional or not,
some bound to fail) through the real store and the model side by side, then
checks reads at random past revisions, paging, and a watch replaying the whole
history against what the model says.

Hypothesis runs many examples on one store (the fixture is not recreated per
example), so each example works under a prefix of its own and counts
revisions from where the store stood when the example began.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubelite.store import (
    ConflictError,
    Event,
    EventType,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    Store,
    StoreError,
)

# --- concurrency ------------------------------------------------------------


async def test_concurrent_conditional_updates_have_exactly_one_winner(store: Store) -> None:
    kv = await store.create("/cc/x", b"start")

    for round_ in range(6):
        results = await asyncio.gather(
            *(
                store.update("/cc/x", f"{round_}-{i}".encode(), revision=kv.mod_revision)
                for i in range(8)
            ),
            return_exceptions=True,
        )

        winners = [result for result in results if isinstance(result, KeyValue)]
        losers = [result for result in results if not isinstance(result, KeyValue)]
        assert len(winners) == 1, results
        winner = winners[0]
        assert winner.mod_revision == kv.mod_revision + 1
        assert winner.create_revision == kv.create_revision
        assert len(losers) == 7
        for loser in losers:
            assert isinstance(loser, ConflictError), repr(loser)
            assert loser.current == winner
        assert await store.get("/cc/x") == winner
        assert await store.current_revision() == winner.mod_revision
        kv = winner


async def test_concurrent_creates_of_distinct_keys_all_succeed(store: Store) -> None:
    base = await store.current_revision()
    keys = [f"/cc/{i:03d}" for i in range(60)]

    created = await asyncio.gather(*(store.create(key, key.encode()) for key in keys))

    revisions = sorted(kv.mod_revision for kv in created)
    assert revisions == list(range(base + 1, base + 61))
    assert all(kv.create_revision == kv.mod_revision for kv in created)
    assert [kv.key for kv in created] == keys
    assert sorted((await store.list("/cc/")).items, key=lambda kv: kv.mod_revision) == sorted(
        created, key=lambda kv: kv.mod_revision
    )
    assert await store.current_revision() == base + 60


async def test_concurrent_creates_of_one_key_have_exactly_one_winner(store: Store) -> None:
    base = await store.current_revision()

    results = await asyncio.gather(
        *(store.create("/cc/one", str(i).encode()) for i in range(10)),
        return_exceptions=True,
    )

    winners = [result for result in results if isinstance(result, KeyValue)]
    assert len(winners) == 1, results
    assert winners[0].mod_revision == base + 1
    assert all(isinstance(r, KeyExistsError) for r in results if r is not winners[0])
    assert await store.get("/cc/one") == winners[0]
    assert await store.current_revision() == base + 1


async def test_concurrent_mixed_writes_keep_revisions_contiguous(store: Store) -> None:
    await store.create("/cm-start", b"moves the store off revision 0")
    base = await store.current_revision()
    keys = [f"/cm/{i:02d}" for i in range(20)]
    await asyncio.gather(*(store.create(key, b"0") for key in keys))

    async def churn(key: str) -> int:
        kv = await store.update(key, b"1", revision=None)
        kv = await store.update(key, b"2", revision=kv.mod_revision)
        event = await store.delete(key, revision=kv.mod_revision)
        return event.revision

    last = await asyncio.gather(*(churn(key) for key in keys))

    assert max(last) == base + 80
    async with store.watch("/cm/", revision=base) as watch:
        async with asyncio.timeout(10):
            events = [await anext(watch) for _ in range(80)]
    assert [event.revision for event in events] == list(range(base + 1, base + 81))
    assert await store.count("/cm/") == 0


# --- random histories against a model -------------------------------------

# Relative key names: siblings sharing a prefix and one nested under another.
KEYS = ["a", "a/b", "ab", "b", "c/d"]
EXAMPLES = itertools.count()


@dataclass
class Model:
    """The store as a list of snapshots: ``snapshots[i]`` is revision ``base + i``."""

    base: int
    snapshots: list[dict[str, KeyValue]] = field(default_factory=lambda: [{}])
    events: list[Event] = field(default_factory=list)

    @property
    def revision(self) -> int:
        return self.base + len(self.snapshots) - 1

    @property
    def now(self) -> dict[str, KeyValue]:
        return self.snapshots[-1]

    def at(self, revision: int) -> dict[str, KeyValue]:
        return self.snapshots[revision - self.base]

    def put(self, key: str, value: bytes) -> KeyValue:
        revision = self.revision + 1
        prev = self.now.get(key)
        kv = KeyValue(key, value, prev.create_revision if prev else revision, revision)
        self.snapshots.append({**self.now, key: kv})
        self.events.append(Event(EventType.PUT, key, revision, kv, prev))
        return kv

    def delete(self, key: str) -> Event:
        prev = self.now[key]
        self.snapshots.append({k: kv for k, kv in self.now.items() if k != key})
        event = Event(EventType.DELETE, key, self.revision, None, prev)
        self.events.append(event)
        return event

    def condition(self, key: str, how: str) -> int | None:
        """The revision to condition a write on: the key's, a wrong one, or none."""
        if how == "none":
            return None
        current = self.now.get(key)
        mod_revision = current.mod_revision if current else self.revision + 1
        return mod_revision if how == "current" else mod_revision + 1


Op = tuple[str, int, bytes, str]

ops = st.lists(
    st.tuples(
        st.sampled_from(["create", "update", "delete"]),
        st.integers(0, len(KEYS) - 1),
        st.binary(max_size=6),
        st.sampled_from(["current", "stale", "none"]),
    ),
    max_size=25,
)


async def apply(store: Store, model: Model, prefix: str, op: Op) -> None:
    """Run one operation on the store and the model; they must agree."""
    verb, index, value, how = op
    key = prefix + KEYS[index]
    current = model.now.get(key)
    revision = model.condition(key, how)
    expected: type[StoreError] | None = None
    if verb == "create" and current is not None:
        expected = KeyExistsError
    elif verb != "create" and current is None:
        expected = KeyNotFoundError
    elif verb != "create" and how == "stale":
        expected = ConflictError

    call: Callable[[], Awaitable[KeyValue | Event]]
    if verb == "create":
        call = functools.partial(store.create, key, value)
    elif verb == "update":
        call = functools.partial(store.update, key, value, revision=revision)
    else:
        call = functools.partial(store.delete, key, revision=revision)

    if expected is not None:
        with pytest.raises(expected) as raised:
            await call()
        if isinstance(raised.value, ConflictError):
            assert raised.value.current == current
        return
    result = await call()
    assert result == (model.delete(key) if verb == "delete" else model.put(key, value))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=ops, data=st.data())
async def test_random_histories_match_the_model(
    store: Store, history: list[Op], data: st.DataObject
) -> None:
    prefix = f"/model/{next(EXAMPLES)}/"
    if await store.current_revision() == 0:
        # A watch from revision 0 would mean "from now", not "replay all".
        await store.create("/model/start", b"moves the store off revision 0")
    model = Model(base=await store.current_revision())

    for op in history:
        await apply(store, model, prefix, op)
    assert await store.current_revision() == model.revision

    # Reads at past revisions (0 means "latest", so it cannot name the past).
    revisions = range(model.base, model.revision + 1)
    for revision in data.draw(st.lists(st.sampled_from(revisions), max_size=4, unique=True)):
        expected = model.at(revision)
        page = await store.list(prefix, revision=revision)
        assert page.items == sorted(expected.values(), key=lambda kv: kv.key.encode())
        assert page.revision == revision
        for name in KEYS:
            if prefix + name in expected:
                assert await store.get(prefix + name, revision=revision) == expected[prefix + name]
            else:
                with pytest.raises(KeyNotFoundError):
                    await store.get(prefix + name, revision=revision)

    # Paging at the latest revision walks the same snapshot.
    limit = data.draw(st.integers(1, len(KEYS)))
    pages = [await store.list(prefix, limit=limit)]
    while pages[-1].more:
        cursor = pages[-1].continue_key
        assert cursor is not None
        pages.append(
            await store.list(prefix, limit=limit, start=cursor, revision=pages[0].revision)
        )
    assert [kv for page in pages for kv in page.items] == sorted(
        model.now.values(), key=lambda kv: kv.key.encode()
    )
    assert await store.count(prefix) == len(model.now)

    # A watch from the start replays exactly the model's events, then the
    # sentinel written after them.
    async with store.watch(prefix, revision=model.base) as watch:
        sentinel = await store.create(prefix + "~", b"end")
        async with asyncio.timeout(10):
            replayed = [await anext(watch) for _ in range(len(model.events) + 1)]
    assert replayed[:-1] == model.events
    assert replayed[-1].kv == sentinel
