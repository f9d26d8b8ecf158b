"""The work queue: keys held once, one reconcile per key, back-off, delays."""

from __future__ import annotations

import asyncio
import time

import pytest

from kubelite.operator.queue import QueueShutDown, RateLimiter, WorkQueue

pytestmark = pytest.mark.timeout(30)


async def test_a_key_added_many_times_is_handed_out_once() -> None:
    queue: WorkQueue[str] = WorkQueue()
    for key in ("a", "b", "a", "a", "c", "b"):
        queue.add(key)
    assert len(queue) == 3
    assert [await queue.get() for _ in range(3)] == ["a", "b", "c"]


async def test_a_key_added_while_it_is_reconciled_waits_for_done() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    key = await queue.get()
    queue.add("a")
    assert len(queue) == 0  # not handed out to a second reconcile
    waiter = asyncio.create_task(queue.get())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    queue.done(key)
    assert await asyncio.wait_for(waiter, 1) == "a"


async def test_no_key_is_reconciled_twice_at_once_under_many_workers() -> None:
    queue: WorkQueue[int] = WorkQueue()
    running: set[int] = set()
    overlaps: list[int] = []
    handled = 0

    async def worker() -> None:
        nonlocal handled
        while True:
            try:
                key = await queue.get()
            except QueueShutDown:
                return
            if key in running:
                overlaps.append(key)
            running.add(key)
            await asyncio.sleep(0.001)
            running.discard(key)
            handled += 1
            queue.done(key)

    workers = [asyncio.create_task(worker()) for _ in range(8)]
    for round_ in range(50):
        for key in range(5):
            queue.add(key)
        await asyncio.sleep(0.0005 * (round_ % 3))
    await asyncio.sleep(0.3)  # time enough for eight workers to drain five keys
    assert len(queue) == 0
    queue.shut_down()
    await asyncio.wait_for(asyncio.gather(*workers), 5)
    assert overlaps == []
    assert handled >= 5


async def test_failures_back_off_exponentially_until_forgotten() -> None:
    limiter: RateLimiter[str] = RateLimiter()
    delays = [limiter.when("a") for _ in range(5)]
    assert delays == pytest.approx([0.005, 0.01, 0.02, 0.04, 0.08])
    assert limiter.when("b") == pytest.approx(0.005)  # per key
    limiter.forget("a")
    assert limiter.when("a") == pytest.approx(0.005)
    capped = RateLimiter[str](maximum=1.0)
    assert [capped.when("x") for _ in range(12)][-1] == 1.0


async def test_the_global_bucket_slows_a_burst_of_retries() -> None:
    now = [100.0]
    limiter: RateLimiter[int] = RateLimiter(rate=10, burst=3, clock=lambda: now[0])
    delays = [limiter.when(key) for key in range(5)]
    # Three retries from the burst; the fourth and fifth wait for their tokens.
    assert delays[:3] == pytest.approx([0.005] * 3)
    assert delays[3:] == pytest.approx([0.1, 0.2])
    now[0] += 10
    assert limiter.when(99) == pytest.approx(0.005)


async def test_retry_and_add_after_hand_the_key_out_later() -> None:
    queue: WorkQueue[str] = WorkQueue(RateLimiter(base=0.05))
    queue.add("a")
    key = await queue.get()
    started = time.monotonic()
    assert queue.retry(key) == pytest.approx(0.05)
    queue.done(key)
    assert await asyncio.wait_for(queue.get(), 2) == "a"
    assert time.monotonic() - started >= 0.045
    queue.done("a")
    queue.add_after("later", 0.05)
    queue.add_after("sooner", 0.01)
    assert await asyncio.wait_for(queue.get(), 2) == "sooner"
    assert await asyncio.wait_for(queue.get(), 2) == "later"


async def test_shut_down_wakes_every_waiter() -> None:
    queue: WorkQueue[str] = WorkQueue()
    waiters = [asyncio.create_task(queue.get()) for _ in range(3)]
    await asyncio.sleep(0.01)
    queue.shut_down()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(result, QueueShutDown) for result in results)
    queue.add("ignored")
    assert len(queue) == 0
