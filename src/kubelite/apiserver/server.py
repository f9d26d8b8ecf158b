"""The API server as a whole: registries over one store, the HTTP app, start-up.

``ApiServer`` builds a registry per served type, makes sure the namespaces every
cluster has exist (``default``, ``kube-system``, ``kube-public``,
``kube-node-lease``), and serves the Kubernetes REST API with aiohttp inside the
caller's event loop, so that ``kubelite up`` stays one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.http_parser import RawRequestMessage
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestHandler

from kubelite.api.errors import AlreadyExistsError, NotFoundError
from kubelite.api.resources import ResourceTypes
from kubelite.apiserver.cache import WatchCache
from kubelite.apiserver.crds import CRDS, CrdServing, validate_crd
from kubelite.apiserver.fieldmanager import SERVER_MANAGER
from kubelite.apiserver.http import Router
from kubelite.apiserver.incoming import MAX_BODY
from kubelite.apiserver.registry import Registry
from kubelite.apiserver.services import API_SERVICE_IP
from kubelite.store import Store

log = logging.getLogger(__name__)

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class ApiServer:
    """The Kubernetes REST API over ``store``, served on ``host:port``."""

    def __init__(self, store: Store, *, types: ResourceTypes | None = None) -> None:
        self.store = store
        self.types = types or ResourceTypes()
        self.caches = [WatchCache(store, r) for r in self.types]
        self.registries = {
            (c.resource.group, c.resource.version, c.resource.plural): Registry(
                store, c.resource, cache=c
            )
            for c in self.caches
        }
        self.router = Router(self.registries, self.types)
        self.crds = CrdServing(
            store,
            self.types,
            self.registries,
            changed=self.router.types_changed,
            namespaces=lambda: self.registries[("", "v1", "namespaces")].cache,
        )
        self.registries[CRDS].validator = validate_crd
        self._runner: web.ServerRunner | None = None
        self._freezer: asyncio.Task[None] | None = None

    def web_server(self) -> web.Server:
        """The HTTP server: every request goes to the router, which routes the
        whole API itself, so aiohttp's application layer (its own router and
        middlewares) is left out."""
        loop = asyncio.get_running_loop()

        def request(
            message: RawRequestMessage,
            payload: StreamReader,
            protocol: RequestHandler,
            writer: AbstractStreamWriter,
            task: asyncio.Task[None],
        ) -> web.BaseRequest:
            return web.BaseRequest(
                message, payload, protocol, writer, task, loop, client_max_size=MAX_BODY
            )

        # A watch that waits for its next event would not notice its client leave;
        # cancelling the handler when the connection closes ends it at once.
        return web.Server(
            self.router.handle,
            request_factory=request,
            handler_cancellation=True,
            access_log=None,
        )

    async def bootstrap(self) -> None:
        """Create what every cluster has from its first start."""
        namespaces = self.registries[("", "v1", "namespaces")]
        for name in SYSTEM_NAMESPACES:
            body = {"metadata": {"name": name}}
            # On a restart they exist already.
            with contextlib.suppress(AlreadyExistsError):
                await namespaces.create("", body, dry_run=False, manager=SERVER_MANAGER)
        # The API server's own Service, at the first address of the range.
        kubernetes = {
            "metadata": {
                "name": "kubernetes",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "type": "ClusterIP",
                "clusterIP": API_SERVICE_IP,
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            },
        }
        services = self.registries[("", "v1", "services")]
        try:
            await services.get("default", "kubernetes")
        except NotFoundError:
            await services.create("default", kubernetes, dry_run=False, manager=SERVER_MANAGER)

    async def start(self, host: str, port: int) -> int:
        """Serve on ``host:port`` (0: any free port); returns the port."""
        await self.bootstrap()
        await asyncio.gather(*(cache.start() for cache in self.caches))
        namespaces = self.registries[("", "v1", "namespaces")].cache
        for registry in self.registries.values():
            registry.namespaces = namespaces
        await self.crds.start()
        # The caches hold every object for as long as the server runs: keep the
        # collector from walking them again and again (see _freeze_periodically).
        gc.freeze()
        # A create allocates a few hundred containers (the decoded body, its
        # copies, the cached object): young collections every 700 allocations
        # ran several times a request and kept promoting cache objects into full
        # passes. Measured on the create benchmark: p99 from 170-280 ms to
        # 20-40 ms once the cache held 20,000 pods.
        gc.set_threshold(*_GC_THRESHOLDS)
        self._freezer = asyncio.create_task(_freeze_periodically(), name="gc-freeze")
        self._runner = web.ServerRunner(self.web_server(), shutdown_timeout=5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound: int = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info("api server serving", extra={"host": host, "port": bound})
        return bound

    async def stop(self) -> None:
        if self._freezer is not None:
            self._freezer.cancel()
            self._freezer = None
        # Watches would hold the shutdown for its whole grace period: they end
        # first (clients watch again), and only short requests are waited for.
        for cache in self.caches:
            cache.close_watchers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.crds.stop()
        await asyncio.gather(*(cache.stop() for cache in self.caches))


# Allocations before a young collection; young, then middle, collections before an older one.
_GC_THRESHOLDS = (20_000, 20, 20)


async def _freeze_periodically(interval: float = 30.0) -> None:
    """Move what survived to the collector's permanent generation, now and then.

    The objects of the watch caches live until they change, and the cyclic
    collector's full passes over hundreds of thousands of them took up to a
    few hundred milliseconds each, stalling every request. API objects are
    plain trees, freed by reference counting, so frozen ones are not lost to
    the collector in practice.
    """
    while True:
        await asyncio.sleep(interval)
        gc.freeze()
