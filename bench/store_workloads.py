"""The workloads run against a ``Store``, whatever its backend.

Each workload uses a prefix of its own under ``/bench/`` so that none sees another's
keys; the store is otherwise shared, so later workloads run on a store that already
holds the earlier ones' writes and history, as a long-lived store would.

- writes: creates of distinct keys from 1 or 64 concurrent callers (closed loop);
- reads: ``get`` of random keys among the 10,000 listed below, 1 or 64 callers;
- lists: the 10,000 keys under one prefix in one call, then in pages of 500
  (each page read at the first page's revision, as a paginated list must be);
- watch: 100 watchers on one prefix while a paced writer creates keys there at a
  fixed rate. Latency runs from just before the writer calls ``create`` to the
  moment a watcher's ``__anext__`` returns the event; the writer is open-loop (each
  write starts on the clock, not when the previous one returned), so a slow write
  delays its own event but not the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter

from bench import etcd_writer
from bench.load import Rate, Spread, closed_loop, fixed_count, paced, spread
from kubelite.store import Event, Store, StoreError

LIST_KEYS = 10_000
PAGE_SIZE = 500
LIST_PREFIX = "/bench/list/"


def list_key(index: int) -> str:
    return f"{LIST_PREFIX}{index:06d}"


async def write_rate(
    store: Store, *, callers: int, seconds: float, value: bytes, run: int = 0
) -> Rate:
    """Creates of distinct keys per second from ``callers`` concurrent callers.

    Keys are distinct for distinct ``(callers, run)``.
    """
    prefix = f"/bench/write-{callers}-{run}/"

    async def create(caller: int, count: int) -> None:
        await store.create(f"{prefix}{caller:03d}/{count:09d}", value)

    return await closed_loop(create, callers=callers, seconds=seconds)


async def fill_list_prefix(store: Store, *, value: bytes) -> Rate:
    """Create the ``LIST_KEYS`` keys that the read and list workloads use."""

    async def create(caller: int, index: int) -> None:
        await store.create(list_key(index), value)

    return await fixed_count(create, callers=64, count=LIST_KEYS)


async def read_rate(store: Store, *, callers: int, seconds: float) -> Rate:
    """Gets of random existing keys per second from ``callers`` concurrent callers."""
    pickers = [random.Random(caller) for caller in range(callers)]

    async def get(caller: int, count: int) -> None:
        await store.get(list_key(pickers[caller].randrange(LIST_KEYS)))

    return await closed_loop(get, callers=callers, seconds=seconds)


@dataclass(frozen=True, slots=True)
class ListTiming:
    """Milliseconds per full listing of ``LIST_KEYS`` keys, over ``runs`` runs."""

    runs: int
    median_ms: float
    min_ms: float


class ListMismatchError(RuntimeError):
    """A listing returned other than the ``LIST_KEYS`` keys it should have."""


async def _list_whole(store: Store) -> None:
    page = await store.list(LIST_PREFIX)
    if len(page.items) != LIST_KEYS or page.more:
        raise ListMismatchError(f"list returned {len(page.items)} keys, more={page.more}")


async def _list_paged(store: Store) -> None:
    total = 0
    start: str | None = None
    revision = 0
    while True:
        page = await store.list(LIST_PREFIX, revision=revision, limit=PAGE_SIZE, start=start)
        total += len(page.items)
        if page.continue_key is None:
            break
        start, revision = page.continue_key, page.revision
    if total != LIST_KEYS:
        raise ListMismatchError(f"paged list returned {total} keys, expected {LIST_KEYS}")


async def list_timing(store: Store, *, paged: bool, seconds: float) -> ListTiming:
    """Repeat a full listing for about ``seconds`` (3 to 50 runs)."""
    runs: list[float] = []
    deadline = perf_counter() + seconds
    while len(runs) < 3 or (perf_counter() < deadline and len(runs) < 50):
        start = perf_counter()
        await (_list_paged(store) if paged else _list_whole(store))
        runs.append((perf_counter() - start) * 1000)
    return ListTiming(runs=len(runs), median_ms=statistics.median(runs), min_ms=min(runs))


@dataclass(slots=True)
class _Watcher:
    """What one watcher saw: a latency and a revision per event, in arrival order."""

    latencies: list[float] = field(default_factory=list)
    revisions: list[int] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class WatchResult:
    """Latencies are over every expected delivery; one never made is ``math.inf``."""

    watchers: int
    drain_timeout: float
    writes: int
    write_errors: int
    paced_rate: float
    achieved_rate: float
    latency: Spread
    complete: bool
    detail: str


# When the event's write started: from the writer's own record, or the value.
SentAt = Callable[[Event], float]


async def _watch(
    store: Store,
    prefix: str,
    *,
    expected: int,
    ready: asyncio.Event,
    sent_at: SentAt,
    seen: _Watcher,
) -> None:
    try:
        async with store.watch(prefix) as watch:
            ready.set()
            async for event in watch:
                seen.latencies.append(perf_counter() - sent_at(event))
                seen.revisions.append(event.revision)
                if len(seen.revisions) >= expected:
                    return
    except StoreError as err:
        seen.error = f"{type(err).__name__}: {err}"
        ready.set()


async def _paced_writes(
    store: Store, prefix: str, *, count: int, rate: float, sent: dict[str, float], value: bytes
) -> tuple[float, int]:
    """Start ``count`` creates on a clock of ``rate`` per second; (seconds, failures)."""

    async def create(index: int) -> None:
        key = f"{prefix}{index:07d}"
        sent[key] = perf_counter()
        await store.create(key, value)

    return await paced(create, count=count, rate=rate)


def _completeness(seen: list[_Watcher], writes: int, drain_timeout: float) -> tuple[bool, str]:
    short = [w for w in seen if len(w.revisions) < writes]
    disordered = [w for w in seen if w.revisions != sorted(set(w.revisions))]
    errors = sorted({w.error for w in seen if w.error is not None})
    if not short and not disordered and not errors:
        return True, f"all {len(seen)} watchers received all {writes} events in order"
    parts = []
    if short:
        missing = sum(writes - len(w.revisions) for w in short)
        parts.append(
            f"{len(short)} watchers short by {missing:,} events in total "
            f"{drain_timeout:g} s after the last write"
        )
    if disordered:
        parts.append(f"{len(disordered)} watchers saw duplicates or disorder")
    if errors:
        parts.append("errors: " + "; ".join(errors))
    return False, ", ".join(parts)


async def watch_latency(
    store: Store,
    *,
    watchers: int,
    rate: float,
    seconds: float,
    value: bytes,
    drain_timeout: float = 20.0,
    writer_endpoint: str | None = None,
) -> WatchResult:
    """Event delivery latency to ``watchers`` watchers under a paced writer.

    The writer runs in this process, on the same event loop as the watchers, or,
    given ``writer_endpoint`` (an etcd endpoint), in a process of its own
    (``bench.etcd_writer``), as another API server sharing the cluster would.
    Once the writer is done, the watchers get ``drain_timeout`` seconds more to
    receive every event; what has not arrived by then counts as never delivered.
    """
    prefix = "/bench/watch/" if writer_endpoint is None else "/bench/watch-external/"
    writes = round(rate * seconds)
    sent: dict[str, float] = {}

    def sent_at(event: Event) -> float:
        if writer_endpoint is None:
            return sent[event.key]
        return etcd_writer.sent_at(event.kv.value if event.kv is not None else b"")

    seen = [_Watcher() for _ in range(watchers)]
    readies = [asyncio.Event() for _ in range(watchers)]
    tasks = [
        asyncio.create_task(
            _watch(store, prefix, expected=writes, ready=ready, sent_at=sent_at, seen=tally)
        )
        for ready, tally in zip(readies, seen, strict=True)
    ]
    try:
        # Every watch must be established before the first write, or it may miss it.
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=60)
        if writer_endpoint is None:
            elapsed, failures = await _paced_writes(
                store, prefix, count=writes, rate=rate, sent=sent, value=value
            )
        else:
            elapsed, failures = await etcd_writer.run_external(
                writer_endpoint, prefix, count=writes, rate=rate, size=len(value)
            )
        await asyncio.wait(tasks, timeout=drain_timeout)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    complete, detail = _completeness(seen, writes - failures, drain_timeout)
    # An event never delivered counts as infinitely late, so that the percentiles
    # cannot look better for the events a watcher missed.
    latencies = [latency for tally in seen for latency in tally.latencies]
    latencies += [math.inf] * max(0, watchers * writes - len(latencies))
    return WatchResult(
        watchers=watchers,
        drain_timeout=drain_timeout,
        writes=writes,
        write_errors=failures,
        paced_rate=rate,
        achieved_rate=writes / elapsed,
        latency=spread(latencies),
        complete=complete and failures == 0,
        detail=detail,
    )
