"""An async client of the Kubernetes API, for kubelite and for any cluster.

Objects are plain dicts, as the API sends them; a kind is named by its
``apiVersion`` and ``kind`` and found through discovery (once per
group-version). Every failure the API answers is raised as the
:class:`~kubelite.api.errors.ApiError` subclass of its ``Status`` reason
(``NotFoundError``, ``ConflictError``...), with its code, message and causes.

Example::

    async with Client(load_config()) as client:
        pod = await client.get("v1", "Pod", "web", namespace="default")
        await client.apply({"apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": {"name": "settings"}, "data": {"mode": "fast"}})
        async for event in client.watch("v1", "Pod", namespace="default"):
            print(event.type, event.object["metadata"]["name"])

The transport is aiohttp (chosen by measurement: ``bench/http_clients.py``),
one connection pool per client; bodies are decoded with orjson.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
import orjson

from kubelite.api.errors import ApiError, NotFoundError, UnauthorizedError
from kubelite.client.auth import Credentials, ssl_context
from kubelite.client.config import ClusterConfig

__all__ = ["APPLY_PATCH", "JSON_PATCH", "MERGE_PATCH", "Client", "Resource", "WatchEvent"]

log = logging.getLogger(__name__)

JSON: Final = "application/json"
MERGE_PATCH: Final = "application/merge-patch+json"
JSON_PATCH: Final = "application/json-patch+json"
STRATEGIC_PATCH: Final = "application/strategic-merge-patch+json"
APPLY_PATCH: Final = "application/apply-patch+yaml"
# Objects as their metadata alone (``PartialObjectMetadata``), for caches that
# need no more: the API server strips them before sending.
METADATA_ONLY: Final = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
METADATA_LIST: Final = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
_PAGE: Final = 500


@dataclass(frozen=True, slots=True)
class Resource:
    """Where a kind is served: ``/api/v1/namespaces/NS/pods`` and the like."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str = "", name: str = "", subresource: str = "") -> str:
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        parts = [root]
        if self.namespaced and namespace:
            parts.append(f"namespaces/{namespace}")
        parts.append(self.plural)
        if name:
            parts.append(name)
        if subresource:
            parts.append(subresource)
        return "/".join(parts)


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One event of a watch: ``ADDED``, ``MODIFIED``, ``DELETED`` or ``BOOKMARK``."""

    type: str
    object: dict[str, Any]


class Client:
    """Requests to one cluster, as one user; close it (or use ``async with``)."""

    def __init__(
        self,
        config: ClusterConfig,
        *,
        field_manager: str = "kubelite",
        user_agent: str = "kubelite/0.1",
    ) -> None:
        self.config = config
        self.field_manager = field_manager
        self.user_agent = user_agent
        self.credentials = Credentials(config)
        self._session: aiohttp.ClientSession | None = None
        self._session_lock = asyncio.Lock()
        self._resources: dict[str, dict[str, Resource]] = {}

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- the verbs ---------------------------------------------------------------

    async def get(
        self, api_version: str, kind: str, name: str, *, namespace: str | None = None
    ) -> dict[str, Any]:
        resource = await self.resource(api_version, kind)
        return await self._object("GET", resource.path(self._namespace(namespace), name))

    async def list(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        metadata_only: bool = False,
    ) -> dict[str, Any]:
        """Every object, read in pages of one consistent revision: the list
        object, its ``items`` all of them, its ``resourceVersion`` the one to
        watch from. ``namespace=""`` lists every namespace; ``metadata_only``
        gets each object's metadata alone."""
        resource = await self.resource(api_version, kind)
        ns = self._namespace(namespace) if namespace != "" else ""
        params = {"limit": str(_PAGE)}
        if label_selector:
            params["labelSelector"] = label_selector
        if field_selector:
            params["fieldSelector"] = field_selector
        items: list[dict[str, Any]] = []
        while True:
            page = await self._object(
                "GET",
                resource.path(ns),
                params=params,
                accept=METADATA_LIST if metadata_only else JSON,
            )
            items.extend(page.get("items") or [])
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                page["items"] = items
                return page
            params["continue"] = token

    async def create(
        self, obj: Mapping[str, Any], *, namespace: str | None = None
    ) -> dict[str, Any]:
        resource, ns = await self._where(obj, namespace)
        return await self._object("POST", resource.path(ns), body=obj, params=self._manager())

    async def replace(
        self, obj: Mapping[str, Any], *, namespace: str | None = None, subresource: str = ""
    ) -> dict[str, Any]:
        """PUT: the object as given, conditioned on its ``resourceVersion`` if set."""
        resource, ns = await self._where(obj, namespace)
        path = resource.path(ns, _name(obj), subresource)
        return await self._object("PUT", path, body=obj, params=self._manager())

    async def patch(
        self,
        api_version: str,
        kind: str,
        name: str,
        patch: Any,
        *,
        namespace: str | None = None,
        content_type: str = MERGE_PATCH,
        subresource: str = "",
    ) -> dict[str, Any]:
        resource = await self.resource(api_version, kind)
        path = resource.path(self._namespace(namespace), name, subresource)
        return await self._object(
            "PATCH", path, body=patch, content_type=content_type, params=self._manager()
        )

    async def apply(
        self,
        obj: Mapping[str, Any],
        *,
        namespace: str | None = None,
        field_manager: str | None = None,
        force: bool = False,
        subresource: str = "",
    ) -> dict[str, Any]:
        """Server-side apply of ``obj`` (created if missing) as ``field_manager``
        (the client's by default); ``force`` takes fields other managers own."""
        resource, ns = await self._where(obj, namespace)
        params = {"fieldManager": field_manager or self.field_manager}
        if force:
            params["force"] = "true"
        path = resource.path(ns, _name(obj), subresource)
        return await self._object("PATCH", path, body=obj, content_type=APPLY_PATCH, params=params)

    async def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        *,
        namespace: str | None = None,
        propagation: str = "Background",
    ) -> dict[str, Any]:
        resource = await self.resource(api_version, kind)
        path = resource.path(self._namespace(namespace), name)
        return await self._object("DELETE", path, body={"propagationPolicy": propagation})

    async def watch(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        resource_version: str = "",
        label_selector: str = "",
        field_selector: str = "",
        timeout_seconds: int = 0,
        bookmarks: bool = True,
        metadata_only: bool = False,
    ) -> AsyncIterator[WatchEvent]:
        """The events of one watch, until the server ends it. Without a
        ``resource_version``, what exists comes first as ``ADDED`` events; a
        compacted one raises :class:`~kubelite.api.errors.ExpiredError` (410)."""
        resource = await self.resource(api_version, kind)
        ns = self._namespace(namespace) if namespace != "" else ""
        params = {"watch": "true"}
        for key, value in (
            ("resourceVersion", resource_version),
            ("labelSelector", label_selector),
            ("fieldSelector", field_selector),
            ("timeoutSeconds", str(timeout_seconds) if timeout_seconds else ""),
            ("allowWatchBookmarks", "true" if bookmarks else ""),
        ):
            if value:
                params[key] = value
        session = await self._client_session()
        accept = METADATA_ONLY if metadata_only else JSON
        headers = {**await self.credentials.headers(), "Accept": accept}
        url = self.config.server + resource.path(ns)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with session.get(
            url,
            params=params,
            headers=headers,
            timeout=timeout,
            server_hostname=self.config.tls_server_name or None,
        ) as response:
            if response.status >= 400:
                raise _error(response.status, await response.read())
            async for line in response.content:
                if not line.strip():
                    continue
                event = orjson.loads(line)
                if event.get("type") == "ERROR":
                    raise ApiError.from_status(event.get("object") or {})
                yield WatchEvent(str(event.get("type")), event.get("object") or {})

    # -- discovery -----------------------------------------------------------------

    async def resource(self, api_version: str, kind: str) -> Resource:
        """Where ``kind`` of ``api_version`` is served, from discovery (cached)."""
        known = self._resources.get(api_version)
        if known is None or kind not in known:
            known = await self._discover(api_version)
        found = known.get(kind)
        if found is None:
            raise NotFoundError(
                f'the server does not serve kind "{kind}" in version "{api_version}"'
            )
        return found

    async def _discover(self, api_version: str) -> dict[str, Resource]:
        group, _, version = api_version.rpartition("/")
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        listing = await self._object("GET", path)
        found: dict[str, Resource] = {}
        for entry in listing.get("resources") or []:
            name = str(entry.get("name") or "")
            if not name or "/" in name:  # subresources
                continue
            found[str(entry.get("kind"))] = Resource(
                group, version, name, str(entry.get("kind")), bool(entry.get("namespaced"))
            )
        self._resources[api_version] = found
        return found

    # -- requests --------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        content_type: str = JSON,
        params: Mapping[str, str] | None = None,
        accept: str = JSON,
    ) -> Any:
        """One request; the decoded answer, or the ``ApiError`` it is. A 401
        with an exec plugin's credential gets a new credential and one retry."""
        session = await self._client_session()
        data = None if body is None else orjson.dumps(body)
        for attempt in range(2):
            headers = {
                **await self.credentials.headers(),
                "Accept": accept,
                "Content-Type": content_type,
            }
            async with session.request(
                method,
                self.config.server + path,
                data=data,
                headers=headers,
                params=params,
                server_hostname=self.config.tls_server_name or None,
            ) as response:
                raw = await response.read()
                status = response.status
            if status == 401 and attempt == 0 and self.config.exec is not None:
                self.credentials.invalidate()
                continue
            if status >= 400:
                raise _error(status, raw)
            return orjson.loads(raw) if raw else None
        raise UnauthorizedError("Unauthorized")

    async def _object(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        """:meth:`request`, for the answers that must be objects."""
        answer = await self.request(method, path, **options)
        if not isinstance(answer, dict):
            raise ApiError(f"{method} {path} answered no object", code=500, reason="")
        return answer

    async def _client_session(self) -> aiohttp.ClientSession:
        if self._session is not None:  # every request asks: no lock once made
            return self._session
        async with self._session_lock:
            if self._session is None:
                cert = key = None
                if self.config.exec is not None and self.config.server.startswith("https://"):
                    credential = await self.credentials.exec_credential()
                    cert, key = credential.client_cert, credential.client_key
                context = ssl_context(self.config, client_cert=cert, client_key=key)
                connector = aiohttp.TCPConnector(ssl=context if context is not None else False)
                self._session = aiohttp.ClientSession(
                    connector=connector, headers={"User-Agent": self.user_agent}
                )
            return self._session

    def _namespace(self, namespace: str | None) -> str:
        return self.config.namespace if namespace is None else namespace

    def _manager(self) -> dict[str, str]:
        return {"fieldManager": self.field_manager}

    async def _where(self, obj: Mapping[str, Any], namespace: str | None) -> tuple[Resource, str]:
        resource = await self.resource(str(obj.get("apiVersion")), str(obj.get("kind")))
        meta = obj.get("metadata") or {}
        given = namespace if namespace is not None else meta.get("namespace")
        return resource, self._namespace(given)


def _name(obj: Mapping[str, Any]) -> str:
    name = (obj.get("metadata") or {}).get("name")
    if not name:
        raise ValueError("the object has no metadata.name")
    return str(name)


def _error(status: int, raw: bytes) -> ApiError:
    try:
        answer = orjson.loads(raw)
    except orjson.JSONDecodeError:
        answer = None
    if isinstance(answer, dict) and answer.get("kind") == "Status":
        return ApiError.from_status({"code": status, **answer})
    text = raw.decode(errors="replace").strip()
    return ApiError(text or f"the server answered {status}", code=status, reason="")
