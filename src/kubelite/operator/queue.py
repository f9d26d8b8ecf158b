"""The work queue between what happens in the cluster and the reconciles.

Keys (namespace, name) go in as often as events arrive; a reconcile takes one
out. The queue holds each key once however often it was added, never hands out
a key that is being reconciled (one added meanwhile waits until the reconcile
is done), retries a failed key after a per-key exponential back-off, and lets
no more than a global rate of retries through. Client-go's workqueue has the
same contract; so that its users find no surprise, the numbers are its own:
back-off from 5 ms doubling to 1,000 s, retries at most 10 per second with
bursts of 100.

Worked example, one key ``a``::

    add(a) add(a)          queue [a]          (held once)
    get() -> a             queue []           processing {a}
    add(a)                 queue []           dirty {a}: waits for done
    done(a)                queue [a]          handed out again
    get() -> a; retry(a)   back in 5 ms; a second failure 10 ms, then 20...
    forget(a)              the failures are forgotten: the next retry is 5 ms
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar

__all__ = ["QueueShutDown", "RateLimiter", "WorkQueue"]

K = TypeVar("K", bound=Hashable)

BASE_DELAY: Final = 0.005
MAX_DELAY: Final = 1000.0
RETRIES_PER_SECOND: Final = 10.0
RETRY_BURST: Final = 100


class QueueShutDown(Exception):
    """The queue was shut down: no more keys will come."""


@dataclass
class RateLimiter(Generic[K]):
    """Per-key exponential back-off, bounded by a global token bucket."""

    base: float = BASE_DELAY
    maximum: float = MAX_DELAY
    rate: float = RETRIES_PER_SECOND
    burst: int = RETRY_BURST
    clock: Callable[[], float] = time.monotonic
    _failures: dict[K, int] = field(default_factory=dict)
    _tokens: float = -1.0
    _last: float = 0.0

    def when(self, key: K) -> float:
        """The delay before retrying ``key`` now, counting this failure."""
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        backoff = min(self.base * 2.0**failures, self.maximum)
        return max(backoff, self._bucket_delay())

    def forget(self, key: K) -> None:
        """``key`` succeeded: its next failure starts the back-off over."""
        self._failures.pop(key, None)

    def failures(self, key: K) -> int:
        return self._failures.get(key, 0)

    def _bucket_delay(self) -> float:
        # A token bucket that may go negative: a retry that finds it empty
        # waits until its token has been earned.
        now = self.clock()
        if self._tokens < 0 and self._last == 0.0:
            self._tokens = float(self.burst)
        else:
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.rate)
        self._last = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


class WorkQueue(Generic[K]):
    """Keys to reconcile: deduplicated, one reconcile per key at a time,
    failures retried with back-off, delays honoured."""

    def __init__(self, limiter: RateLimiter[K] | None = None) -> None:
        self.limiter: RateLimiter[K] = limiter if limiter is not None else RateLimiter()
        self._queue: deque[K] = deque()
        self._queued: set[K] = set()
        # When each waiting key was added, for how long keys wait (metrics).
        self._since: dict[K, float] = {}
        self.last_wait = 0.0
        self._dirty: set[K] = set()
        self._processing: set[K] = set()
        self._waiting: list[tuple[float, int, K]] = []  # (when, order, key)
        self._order = 0
        self._nonempty = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None
        self._shut = False

    def __len__(self) -> int:
        """Keys waiting to be handed out now (not those delayed or in progress)."""
        return len(self._queue)

    @property
    def delayed(self) -> int:
        return len(self._waiting)

    def add(self, key: K) -> None:
        """Reconcile ``key`` soon (once, however often it is added)."""
        if self._shut:
            return
        if key in self._processing:
            self._dirty.add(key)
            return
        if key not in self._queued:
            self._queued.add(key)
            self._queue.append(key)
            self._since[key] = time.monotonic()
            self._wake()

    def add_after(self, key: K, delay: float) -> None:
        """Reconcile ``key`` after ``delay`` seconds (now if not positive)."""
        if delay <= 0:
            self.add(key)
            return
        if self._shut:
            return
        self._order += 1
        heapq.heappush(self._waiting, (time.monotonic() + delay, self._order, key))
        self._arm()

    def retry(self, key: K) -> float:
        """``key`` failed: add it again after its back-off; the delay chosen."""
        delay = self.limiter.when(key)
        self.add_after(key, delay)
        return delay

    def forget(self, key: K) -> None:
        """``key`` succeeded: its back-off starts over."""
        self.limiter.forget(key)

    async def get(self) -> K:
        """The next key to reconcile; call :meth:`done` with it when finished."""
        while not self._queue:
            if self._shut:
                raise QueueShutDown
            self._nonempty.clear()
            await self._nonempty.wait()
        key = self._queue.popleft()
        self._queued.discard(key)
        self.last_wait = time.monotonic() - self._since.pop(key, time.monotonic())
        self._processing.add(key)
        return key

    def done(self, key: K) -> None:
        """The reconcile of ``key`` finished; if it was added meanwhile, it goes again."""
        self._processing.discard(key)
        if key in self._dirty:
            self._dirty.discard(key)
            self.add(key)

    def shut_down(self) -> None:
        """Hand out no more keys; those waiting in :meth:`get` get ``QueueShutDown``."""
        self._shut = True
        if self._timer is not None:
            self._timer.cancel()
        self._waiting.clear()
        self._wake()

    def _wake(self) -> None:
        self._nonempty.set()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if not self._waiting:
            self._timer = None
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._waiting[0][0] - time.monotonic())
        self._timer = loop.call_later(delay, self._release)

    def _release(self) -> None:
        now = time.monotonic()
        while self._waiting and self._waiting[0][0] <= now:
            _, _, key = heapq.heappop(self._waiting)
            self.add(key)
        self._arm()
