"""The manager: many controllers in one process, one of several replicas leading.

A :class:`Manager` shares one :class:`~kubelite.operator.informer.Informers`
among its controllers and starts their informers at once, leader or not: a
standby's caches are full when it takes over, and its queues hold every key
(the informers' first lists put them there), so it starts reconciling at once.
With ``leader_election``, the controllers' workers run only while the manager
holds its Lease (:mod:`~kubelite.operator.leader`), and stop when it is lost.

It serves, when given a ``health_port``::

    /healthz    200 while the manager runs
    /readyz     200 once every informer has listed (and, with leader election,
                on a standby too: it is ready to take over)
    /metrics    Prometheus text: reconciles, failures, their durations and
                the keys' waits in the queue (histograms), queue depth and
                delayed keys per controller; informer restarts and lists;
                whether this replica leads

:func:`run_until_signal` runs a coroutine until SIGTERM or SIGINT, for the
``main`` of an operator's process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from kubelite.client import Client
from kubelite.operator.controller import BUCKETS, Controller, Reconcile
from kubelite.operator.informer import Informers
from kubelite.operator.leader import LeaderElector

__all__ = ["Manager", "run_until_signal"]

log = logging.getLogger(__name__)


class Manager:
    """Runs controllers; see the module docstring."""

    def __init__(
        self,
        client: Client,
        *,
        name: str = "kubelite-operator",
        leader_election: bool = False,
        lease_namespace: str = "",
        identity: str = "",
        lease_seconds: float = 15.0,
        renew_seconds: float = 10.0,
        retry_seconds: float = 2.0,
        health_port: int | None = None,
        health_host: str = "0.0.0.0",
        informer_options: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.name = name
        self.informers = Informers(client, **(informer_options or {}))
        self.controllers: list[Controller] = []
        self.elector = (
            LeaderElector(
                client,
                name,
                namespace=lease_namespace,
                identity=identity,
                lease_seconds=lease_seconds,
                renew_seconds=renew_seconds,
                retry_seconds=retry_seconds,
            )
            if leader_election
            else None
        )
        self.health_port = health_port
        # Every address by default: the kubelet probes the pod's IP.
        self.health_host = health_host
        self.port = 0  # the health port served, once running
        self._runner: web.AppRunner | None = None
        self._running = False

    def controller(
        self, api_version: str, kind: str, reconcile: Reconcile, **options: Any
    ) -> Controller:
        """Add a controller of ``kind`` (options as :class:`Controller`'s)."""
        made = Controller(self.informers, api_version, kind, reconcile, **options)
        self.controllers.append(made)
        return made

    @property
    def leading(self) -> bool:
        return self.elector is None or self.elector.leading.is_set()

    async def run(self) -> None:
        """Run until cancelled; lost leadership stops the reconciles until won again."""
        self._running = True
        await self._serve_health()
        for controller in self.controllers:
            controller.prepare()
        election = None
        if self.elector is not None:
            election = asyncio.create_task(self.elector.run(), name="leader election")
        try:
            while True:
                if self.elector is not None:
                    await self.elector.leading.wait()
                work = asyncio.gather(*(c.run() for c in self.controllers))
                if self.elector is None:
                    await work
                    return
                lost = asyncio.create_task(self.elector.lost.wait())
                waiting: set[asyncio.Future[Any]] = {work, lost}
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
                lost.cancel()
        finally:
            self._running = False
            if election is not None:
                election.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await election
            if self.elector is not None:
                await self.elector.release()
            await self.informers.stop()
            if self._runner is not None:
                await self._runner.cleanup()
                self._runner = None

    # -- health and metrics ------------------------------------------------------

    async def _serve_health(self) -> None:
        if self.health_port is None:
            return
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.health_host, self.health_port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.health_port

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(
            text="ok" if self._running else "stopped", status=200 if self._running else 503
        )

    async def _readyz(self, request: web.Request) -> web.Response:
        ready = all(c.informer is not None and c.informer.synced.is_set() for c in self.controllers)
        return web.Response(
            text="ok" if ready else "caches not synced", status=200 if ready else 503
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(text=self.metrics(), content_type="text/plain")

    def metrics(self) -> str:
        """The Prometheus text exposition of the manager's figures."""
        lines: list[str] = []

        def family(name: str, kind: str, text: str, samples: list[tuple[str, float]]) -> None:
            lines.append(f"# HELP {name} {text}")
            lines.append(f"# TYPE {name} {kind}")
            lines.extend(f"{name}{labels} {value:g}" for labels, value in samples)

        def per_controller(value: Callable[[Controller], float]) -> list[tuple[str, float]]:
            return [(f'{{controller="{c.name}"}}', value(c)) for c in self.controllers]

        family("kubelite_reconcile_total", "counter", "Reconciles run.",
               per_controller(lambda c: c.stats.reconciles))  # fmt: skip
        family("kubelite_reconcile_errors_total", "counter", "Reconciles that failed.",
               per_controller(lambda c: c.stats.failures))  # fmt: skip
        family("kubelite_reconcile_seconds_total", "counter", "Seconds spent reconciling.",
               per_controller(lambda c: c.stats.seconds))  # fmt: skip
        family("kubelite_workqueue_depth", "gauge", "Keys waiting to be reconciled now.",
               per_controller(lambda c: len(c.queue)))  # fmt: skip
        family("kubelite_workqueue_delayed", "gauge", "Keys waiting for a retry or a requeue.",
               per_controller(lambda c: c.queue.delayed))  # fmt: skip
        for name, text, pick in (
            ("kubelite_reconcile_duration_seconds", "How long reconciles took.", "durations"),
            ("kubelite_workqueue_wait_seconds", "How long keys waited to be reconciled.", "waits"),
        ):
            lines.append(f"# HELP {name} {text}")
            lines.append(f"# TYPE {name} histogram")
            for c in self.controllers:
                histogram = getattr(c.stats, pick)
                label = f'controller="{c.name}"'
                for bound, count in zip(BUCKETS, histogram.counts, strict=True):
                    lines.append(f'{name}_bucket{{{label},le="{bound:g}"}} {count}')
                lines.append(f'{name}_bucket{{{label},le="+Inf"}} {histogram.count}')
                lines.append(f"{name}_sum{{{label}}} {histogram.total:g}")
                lines.append(f"{name}_count{{{label}}} {histogram.count}")
        informers = [c.informer for c in self.controllers if c.informer is not None]
        family("kubelite_informer_restarts_total", "counter", "Watches started again.",
               [(f'{{kind="{i.kind}"}}', i.restarts) for i in informers])  # fmt: skip
        family("kubelite_informer_relists_total", "counter", "Lists after 410 Gone.",
               [(f'{{kind="{i.kind}"}}', i.relists) for i in informers])  # fmt: skip
        family("kubelite_leader", "gauge", "Whether this replica leads.",
               [(f'{{name="{self.name}"}}', 1.0 if self.leading else 0.0)])  # fmt: skip
        return "\n".join(lines) + "\n"


def run_until_signal(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``main()`` until it returns or SIGTERM/SIGINT arrives; then cancel
    it and let it clean up (a leader releases its Lease)."""

    async def guarded() -> None:
        task: asyncio.Task[None] = asyncio.create_task(main())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(guarded())
