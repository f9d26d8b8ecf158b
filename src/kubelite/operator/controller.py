"""Controllers: level-triggered reconciles of one kind, fed by informers.

A :class:`Controller` watches its kind (and, with ``owns``, the kinds its
objects own; with ``watches``, any kind through a mapping function) and calls
``reconcile(request)`` with the namespace and name of the object to bring to
its desired state. The request says which object, never what happened to it:
a reconcile reads the object (it may be gone) and acts on what it finds, so
that missed or merged events do no harm.

What a reconcile's outcome does::

    returns None or Result()            done; the key's back-off starts over
    returns Result(requeue_after=30)    done; reconciled again in 30 s
    raises Permanent(...)               logged, not retried (until the next event)
    raises anything else                retried after the key's back-off
                                        (5 ms doubling to 1,000 s)

Keys go through a :class:`~kubelite.operator.queue.WorkQueue`: events that
arrive while a key waits are merged into one reconcile, and one key is never
reconciled twice at once, however many ``workers`` run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kubelite.operator.informer import Informer, Informers, key_of
from kubelite.operator.queue import QueueShutDown, WorkQueue

__all__ = ["Controller", "Owned", "Permanent", "Request", "Result", "Watched"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, order=True)
class Request:
    """Which object to reconcile; ``namespace`` is "" for cluster-scoped kinds."""

    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class Result:
    """A reconcile that succeeded; ``requeue_after`` seconds, if set, until the next one."""

    requeue_after: float = 0.0


class Permanent(Exception):
    """A reconcile failure that retrying cannot fix: logged, not retried."""


Reconcile = Callable[[Request], Awaitable[Result | None]]
Mapper = Callable[[dict[str, Any]], Iterable[Request]]


@dataclass(frozen=True, slots=True)
class Owned:
    """A kind the controller's objects own: its events reconcile the owner.
    ``metadata_only`` caches the children as their metadata alone."""

    api_version: str
    kind: str
    metadata_only: bool = False


@dataclass(frozen=True, slots=True)
class Watched:
    """Any kind whose events reconcile the requests ``mapper`` gives."""

    api_version: str
    kind: str
    mapper: Mapper


# Upper bounds of the duration histograms, in seconds (controller-runtime's).
BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0)


@dataclass
class Histogram:
    """Counts of observations at or under each of :data:`BUCKETS`, their sum and count."""

    counts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    total: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        self.total += seconds
        self.count += 1
        for index, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[index] += 1


@dataclass
class Stats:
    """What the controller did, for metrics: reconciles, failures, durations,
    and how long keys waited in the queue."""

    reconciles: int = 0
    failures: int = 0
    seconds: float = 0.0
    durations: Histogram = field(default_factory=Histogram)
    waits: Histogram = field(default_factory=Histogram)


class Controller:
    """Reconciles objects of ``kind`` with ``reconcile`` (see the module docstring)."""

    def __init__(
        self,
        informers: Informers,
        api_version: str,
        kind: str,
        reconcile: Reconcile,
        *,
        namespace: str = "",
        label_selector: str = "",
        owns: Sequence[Owned] = (),
        watches: Sequence[Watched] = (),
        workers: int = 1,
        name: str = "",
    ) -> None:
        self.informers = informers
        self.api_version, self.kind = api_version, kind
        self.reconcile = reconcile
        self.namespace = namespace
        self.label_selector = label_selector
        self.owns, self.watches = tuple(owns), tuple(watches)
        self.workers = workers
        self.name = name or kind.lower()
        self.queue: WorkQueue[Request] = WorkQueue()
        self.stats = Stats()
        self.informer: Informer | None = None

    def prepare(self) -> None:
        """Ask for the informers and hook the handlers: from now on, events
        fill the queue, even before the workers start (a warm standby)."""
        if self.informer is not None:
            return
        self.informer = self.informers.get(
            self.api_version,
            self.kind,
            namespace=self.namespace,
            label_selector=self.label_selector,
        )
        self.informer.add_handler(self._on_own)
        group = self.api_version.rpartition("/")[0]
        for owned in self.owns:
            child = self.informers.get(
                owned.api_version,
                owned.kind,
                namespace=self.namespace,
                metadata_only=owned.metadata_only,
            )
            child.add_handler(self._owner_handler(group))
        for watched in self.watches:
            other = self.informers.get(watched.api_version, watched.kind, namespace=self.namespace)
            other.add_handler(self._mapped_handler(watched.mapper))

    async def run(self) -> None:
        """Watch, wait for the caches, and reconcile until cancelled."""
        self.prepare()
        await self.informers.wait_synced()
        log.info("controller started", extra={"controller": self.name, "workers": self.workers})
        await asyncio.gather(*(self._work() for _ in range(self.workers)))

    def get(self, request: Request) -> dict[str, Any] | None:
        """The cached object of ``request`` (do not change it), or None if it is gone."""
        if self.informer is None:
            raise RuntimeError("the controller is not running")
        return self.informer.get(request.namespace, request.name)

    # -- events to keys ----------------------------------------------------------

    def _on_own(self, kind: str, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        self.queue.add(Request(*key_of(obj)))

    def _owner_handler(self, group: str) -> Callable[[str, dict[str, Any], Any], None]:
        def handle(kind: str, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
            namespace = key_of(obj)[0]
            for owner in (obj.get("metadata") or {}).get("ownerReferences") or []:
                if (
                    isinstance(owner, dict)
                    and owner.get("controller") is True
                    and owner.get("kind") == self.kind
                    and str(owner.get("apiVersion", "")).rpartition("/")[0] == group
                ):
                    self.queue.add(Request(namespace, str(owner.get("name"))))

        return handle

    def _mapped_handler(self, mapper: Mapper) -> Callable[[str, dict[str, Any], Any], None]:
        def handle(kind: str, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
            for request in mapper(obj):
                self.queue.add(request)

        return handle

    # -- reconciling -------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            try:
                request = await self.queue.get()
            except QueueShutDown:
                return
            started = time.perf_counter()
            self.stats.waits.observe(self.queue.last_wait)
            try:
                result = await self.reconcile(request)
            except asyncio.CancelledError:
                raise
            except Permanent as err:
                self.stats.failures += 1
                self.queue.forget(request)
                log.warning(
                    "reconcile failed for good",
                    extra={"controller": self.name, "request": request, "error": str(err)},
                )
            except Exception as err:
                self.stats.failures += 1
                delay = self.queue.retry(request)
                log.info(
                    "reconcile failed, retrying",
                    extra={
                        "controller": self.name,
                        "request": request,
                        "error": repr(err),
                        "delay": delay,
                    },
                )
            else:
                self.queue.forget(request)
                if result is not None and result.requeue_after > 0:
                    self.queue.add_after(request, result.requeue_after)
            finally:
                elapsed = time.perf_counter() - started
                self.stats.reconciles += 1
                self.stats.seconds += elapsed
                self.stats.durations.observe(elapsed)
                self.queue.done(request)
