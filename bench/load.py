"""How the store benchmarks drive load and summarise what they measured.

Two shapes of load are used. A *closed loop* keeps a fixed number of callers busy:
each caller starts its next operation as soon as its last one returns, until a
deadline; the rate is the operations completed over the time until the last caller
stopped. A *paced* loop starts operations on a clock
whatever their latency (``paced``), so that a slow operation cannot hide the delay
it causes.

Every figure is a wall-clock measure with ``time.perf_counter``, taken in the one
process and event loop that also generates the load: the generator's own cost is
part of every figure, for the store and for the raw engine alike.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Any

VALUE_SIZE = 1024


def make_value(size: int = VALUE_SIZE) -> bytes:
    """A JSON object of exactly ``size`` bytes, shaped like a small Pod.

    Every write in the benchmarks stores this one value: neither sqlite nor etcd
    compresses or deduplicates values, so a fixed value costs what a varied one does.
    """
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web-5d8c7b9f6d-x2k4q",
            "namespace": "default",
            "uid": "3f0c6a52-8c1e-4c37-9d0e-6a1f2b7c9e41",
            "labels": {"app": "web", "pod-template-hash": "5d8c7b9f6d"},
            "annotations": {"note": ""},
        },
        "spec": {
            "containers": [
                {
                    "name": "web",
                    "image": "nginx:1.27",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                }
            ],
            "nodeName": "node-1",
            "restartPolicy": "Always",
        },
        "status": {"phase": "Running", "podIP": "10.244.1.17"},
    }
    body = json.dumps(pod, separators=(",", ":")).encode()
    if len(body) > size:
        raise ValueError(f"value size {size} is below the {len(body)} bytes of the bare pod")
    pod["metadata"]["annotations"] = {"note": "x" * (size - len(body))}  # type: ignore[index]
    return json.dumps(pod, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Rate:
    """``count`` operations completed in ``seconds`` of wall time."""

    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Spread:
    """Nearest-rank percentiles of a sample, in seconds."""

    count: int
    p50: float
    p99: float
    max: float


def spread(samples: Sequence[float]) -> Spread:
    """Summarise ``samples`` (seconds); an empty sample gives NaNs."""
    if not samples:
        nan = math.nan
        return Spread(count=0, p50=nan, p99=nan, max=nan)
    ordered = sorted(samples)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return Spread(count=len(ordered), p50=rank(0.50), p99=rank(0.99), max=ordered[-1])


Operation = Callable[[int, int], Awaitable[object]]
"""One operation of a closed loop: called with the caller's number and its count so far."""


async def closed_loop(operation: Operation, *, callers: int, seconds: float) -> Rate:
    """Run ``callers`` loops of ``operation`` for ``seconds``; the rate they achieved."""
    done = [0] * callers
    start = perf_counter()
    deadline = start + seconds

    async def caller(number: int) -> None:
        count = 0
        while perf_counter() < deadline:
            await operation(number, count)
            count += 1
        done[number] = count

    await asyncio.gather(*(caller(number) for number in range(callers)))
    return Rate(count=sum(done), seconds=perf_counter() - start)


async def fixed_count(operation: Operation, *, callers: int, count: int) -> Rate:
    """Run ``count`` operations spread over ``callers`` loops; how long they took.

    Caller ``c`` performs the operations numbered ``c, c + callers, c + 2 * callers``
    and so on, so ``operation(c, n)`` can derive a distinct key from ``n``.
    """
    start = perf_counter()

    async def caller(number: int) -> None:
        for index in range(number, count, callers):
            await operation(number, index)

    await asyncio.gather(*(caller(number) for number in range(callers)))
    return Rate(count=count, seconds=perf_counter() - start)


async def paced(
    start_one: Callable[[int], Coroutine[Any, Any, None]], *, count: int, rate: float
) -> tuple[float, int]:
    """Run ``start_one(i)`` for each ``i`` below ``count``, started ``rate`` a second.

    None waits for the one before it to finish; returns the seconds until all have
    finished and how many of them failed.
    """
    start = perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for index in range(count):
        delay = start + index / rate - perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(start_one(index)))
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    failures = sum(1 for outcome in outcomes if isinstance(outcome, BaseException))
    return perf_counter() - start, failures
