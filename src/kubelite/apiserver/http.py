"""The HTTP face of the API server: one aiohttp handler that routes by path.

Kubernetes' URLs are regular but not tree-shaped enough for a path router:
``/api/v1/namespaces/x/status`` is a subresource of a namespace while
``/api/v1/namespaces/x/pods`` is the pods in it, and only the resource table
knows which. So every request goes through ``Router.handle``, which splits the
path once, decides what it addresses (``Target``), and calls the verb's handler.
Every failure leaves as a ``Status`` object with Kubernetes' code and reason:
an ``ApiError`` as it is, anything else as a 500 that names no internals (the
details go to the log).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web
from multidict import CIMultiDict

from kubelite.api import errors
from kubelite.api.errors import ApiError
from kubelite.api.openapi import OpenAPIDocuments
from kubelite.api.resources import ResourceType, ResourceTypes
from kubelite.api.tables import TableError, TablePrinter, build_table
from kubelite.apiserver import incoming, objects, scale, updates
from kubelite.apiserver.cache import WatchEvent
from kubelite.apiserver.custom import ScalePaths
from kubelite.apiserver.discovery import AGGREGATED_CONTENT_TYPE, Discovery, wants_aggregated
from kubelite.apiserver.incoming import JSON, MAX_BODY
from kubelite.apiserver.negotiation import View, partial, partial_list, view_for
from kubelite.apiserver.objects import JSONObject
from kubelite.apiserver.registry import Registry
from kubelite.apiserver.writes import Target, Writes

log = logging.getLogger(__name__)


def json_response(
    body: object,
    *,
    status: int = 200,
    content_type: str = JSON,
    warnings: Sequence[str] = (),
) -> web.Response:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    if not warnings:
        return web.Response(body=data, status=status, headers={"Content-Type": content_type})
    headers = CIMultiDict({"Content-Type": content_type})
    for warning in warnings:
        headers.add("Warning", f"299 - {orjson.dumps(warning).decode()}")
    return web.Response(body=data, status=status, headers=headers)


def status_response(error: ApiError) -> web.Response:
    return json_response(error.to_status(), status=error.code)


class Router:
    """Routes every request of the Kubernetes REST API to its handler."""

    def __init__(self, registries: dict[tuple[str, str, str], Registry], types: ResourceTypes):
        # Both are shared with the server, which adds and removes custom types.
        self._registries = registries
        self._types = types
        self._discovery = Discovery(types)
        self._openapi = OpenAPIDocuments(types, custom_schema=self._custom_schema)
        self._writes = Writes(self._openapi.definitions)

    def types_changed(self) -> None:
        """The served types or a custom type's schema changed: discovery and
        OpenAPI are rebuilt when next asked for."""
        self._discovery.invalidate()
        self._openapi.invalidate()

    def _custom_schema(self, resource: ResourceType) -> Mapping[str, Any] | None:
        registry = self._registries.get((resource.group, resource.version, resource.plural))
        if registry is None or registry.custom is None:
            return None
        return registry.custom.schema

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        try:
            return await self._route(request)
        except ApiError as error:
            return status_response(error)
        except TableError as err:
            return status_response(errors.bad_request(str(err)))
        except web.HTTPRequestEntityTooLarge:
            return status_response(errors.request_entity_too_large(f"limit is {MAX_BODY}"))
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except Exception as err:
            log.exception("request failed", extra={"path": request.path, "error": repr(err)})
            return status_response(errors.internal_error("the server could not handle the request"))

    async def _route(self, request: web.BaseRequest) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        if not parts:
            return json_response({"paths": ["/api", "/apis", "/openapi/v3", "/version"]})
        head = parts[0]
        if head in ("healthz", "livez", "readyz") and len(parts) <= 2:
            return _health(head, parts[1:], request)
        if head == "version" and len(parts) == 1:
            return json_response(self._discovery.version())
        if head == "openapi":
            return self._openapi_document(parts)
        if head == "api":
            if len(parts) == 1:
                return self._discovery_response(
                    request,
                    legacy=self._discovery.legacy_api(),
                    aggregated=self._discovery.aggregated_api(),
                )
            return await self._resources(request, "", parts[1], parts[2:])
        if head == "apis":
            if len(parts) == 1:
                return self._discovery_response(
                    request,
                    legacy=self._discovery.legacy_groups(),
                    aggregated=self._discovery.aggregated_groups(),
                )
            if len(parts) == 2:
                group = self._discovery.legacy_group(parts[1])
                if group is None:
                    raise errors.not_found(errors.GroupResource(""), request.path)
                return json_response(group)
            return await self._resources(request, parts[1], parts[2], parts[3:])
        raise errors.not_found(errors.GroupResource(""), request.path)

    def _discovery_response(
        self, request: web.BaseRequest, *, legacy: bytes, aggregated: bytes
    ) -> web.Response:
        if wants_aggregated(request.headers.get("Accept", "")):
            return json_response(aggregated, content_type=AGGREGATED_CONTENT_TYPE)
        return json_response(legacy)

    def _openapi_document(self, parts: list[str]) -> web.Response:
        if parts[1:2] != ["v3"]:
            raise errors.not_found(errors.GroupResource(""), "/" + "/".join(parts))
        if len(parts) == 2:
            return json_response(self._openapi.root())
        document = self._openapi.document("/".join(parts[2:]))
        if document is None:
            raise errors.not_found(errors.GroupResource(""), "/" + "/".join(parts))
        return json_response(document.body)

    async def _resources(
        self, request: web.BaseRequest, group: str, version: str, rest: list[str]
    ) -> web.StreamResponse:
        if not rest:
            listing = self._discovery.legacy_resources(group, version)
            if listing is None:
                raise errors.not_found(errors.GroupResource(""), request.path)
            return json_response(listing)
        target = self._target(group, version, rest, request.path)
        registry = self._registries[(group, version, target.resource.plural)]
        if target.subresource:
            return await self._subresource(request, registry, target)
        method = request.method
        if not target.name:
            if method == "GET":
                if incoming.flag(request, "watch"):
                    return await self._watch(request, registry, target)
                return await self._list(request, registry, target)
            if method == "POST":
                body = await incoming.read_body(request, kind=registry.resource.kind)
                registry.check_type(body)
                warnings = self._writes.check_fields(request, registry, body)
                created = await registry.create(
                    target.namespace,
                    body,
                    dry_run=incoming.dry_run(request),
                    manager=incoming.field_manager(request),
                )
                return json_response(created, status=201, warnings=warnings)
            if method == "DELETE":
                options = await incoming.delete_options(request, self._openapi.definitions)
                deleted = await registry.delete_collection(
                    target.namespace,
                    incoming.list_options(request),
                    options,
                    dry_run=options.dry_run,
                )
                return json_response(deleted)
            raise errors.method_not_supported(registry.group_resource, _action(method))
        if method == "GET":
            if view_for(request.headers.get("Accept", "")) is View.OBJECT:
                # The common read: the object's JSON, encoded once per change.
                return json_response(await registry.get_encoded(target.namespace, target.name))
            return self._object_response(
                request, registry, await registry.get(target.namespace, target.name)
            )
        if method == "PUT":
            body = await incoming.read_body(request, kind=registry.resource.kind)
            registry.check_type(body)
            warnings = self._writes.check_fields(request, registry, body)
            updated = await registry.update(
                target.namespace,
                target.name,
                body,
                dry_run=incoming.dry_run(request),
                manager=incoming.field_manager(request),
            )
            return json_response(updated, warnings=warnings)
        if method == "PATCH":
            patched, code = await self._writes.patch(request, registry, target)
            return json_response(patched, status=code)
        if method == "DELETE":
            options = await incoming.delete_options(request, self._openapi.definitions)
            deleted, gone = await registry.delete_object(
                target.namespace, target.name, options, dry_run=options.dry_run
            )
            if gone and not registry.resource.returns_deleted:
                return json_response(_deleted_status(registry.resource, deleted))
            return json_response(deleted)
        raise errors.method_not_supported(registry.group_resource, _action(method))

    def _target(self, group: str, version: str, rest: list[str], path: str) -> Target:
        types = self._types
        if rest[0] == "namespaces" and len(rest) >= 3:
            nested = types.by_path(group, version, rest[2])
            if nested is not None and nested.namespaced:
                if len(rest) > 5:
                    raise errors.not_found(errors.GroupResource(""), path)
                return Target(nested, rest[1], _at(rest, 3), _at(rest, 4))
        resource = types.by_path(group, version, rest[0])
        if resource is None or len(rest) > 3:
            raise errors.not_found(errors.GroupResource(rest[0], group), _at(rest, 1))
        return Target(resource, "", _at(rest, 1), _at(rest, 2))

    # Reads.

    async def _list(
        self, request: web.BaseRequest, registry: Registry, target: Target
    ) -> web.Response:
        view = view_for(request.headers.get("Accept", ""), listing=True)
        listed = await registry.list(target.namespace, incoming.list_options(request))
        if view is View.PARTIAL:
            return json_response(partial_list(listed), content_type=view.content_type(listing=True))
        if view is View.TABLE:
            table = build_table(
                registry.printer,
                listed["items"],
                now=datetime.now(UTC),
                include_object=request.query.get("includeObject", "Metadata"),
                list_metadata=listed["metadata"],
            )
            return json_response(table, content_type=view.content_type())
        return json_response(listed)

    def _object_response(
        self, request: web.BaseRequest, registry: Registry, obj: JSONObject
    ) -> web.Response:
        view = view_for(request.headers.get("Accept", ""))
        if view is View.PARTIAL:
            return json_response(partial(obj), content_type=view.content_type())
        if view is View.TABLE:
            table = build_table(
                registry.printer,
                [obj],
                now=datetime.now(UTC),
                include_object=request.query.get("includeObject", "Metadata"),
            )
            return json_response(table, content_type=view.content_type())
        return json_response(obj)

    async def _watch(
        self, request: web.BaseRequest, registry: Registry, target: Target
    ) -> web.StreamResponse:
        view = view_for(request.headers.get("Accept", ""))
        options = incoming.list_options(request, watch=True)
        initial: bool | None = None
        if "sendInitialEvents" in request.query:
            initial = incoming.flag(request, "sendInitialEvents")
        # A bad request (selectors, resource version) raises here, answered as a
        # plain Status; once the stream has started, errors are ERROR events.
        events = registry.watch(target.namespace, options, initial_events=initial)
        encode = _event_encoder(view, registry.printer)
        timeout = incoming.integer(request, "timeoutSeconds") or 1800
        try:
            response = web.StreamResponse(headers={"Content-Type": JSON})
            response.enable_chunked_encoding()
            await response.prepare(request)
            with contextlib.suppress(ConnectionResetError, TimeoutError):
                async with asyncio.timeout(timeout):
                    try:
                        async for batch in events:
                            await response.write(b"".join(map(encode, batch)))
                    except ApiError as error:
                        line = orjson.dumps({"type": "ERROR", "object": error.to_status()})
                        await response.write(line + b"\n")
            return response
        finally:
            await events.aclose()

    async def _subresource(
        self, request: web.BaseRequest, registry: Registry, target: Target
    ) -> web.StreamResponse:
        sub = target.resource.subresource(target.subresource)
        # TODO(#3): the log subresource, once a node agent writes logs (#8).
        if sub is None or sub.name not in ("status", "scale", "finalize"):
            raise errors.not_found(registry.group_resource, target.name)
        method = request.method
        dry_run = incoming.dry_run(request)
        if sub.name == "finalize":
            if method != "PUT":
                raise errors.method_not_supported(registry.group_resource, _action(method))
            return json_response(await self._writes.finalize(request, registry, target, dry_run))
        if method == "GET":
            obj = await registry.get(target.namespace, target.name)
            shown = scale.to_scale(obj, _scale_paths(registry)) if sub.name == "scale" else obj
            return json_response(shown)
        if method not in ("PUT", "PATCH"):
            raise errors.method_not_supported(registry.group_resource, _action(method))
        if sub.name == "status":
            if method == "PUT":
                body = await incoming.read_body(request)
                warnings = self._writes.check_fields(request, registry, body, required=False)
                updated = await registry.update(
                    target.namespace,
                    target.name,
                    body,
                    dry_run=dry_run,
                    manager=incoming.field_manager(request),
                    status=True,
                )
                return json_response(updated, warnings=warnings)
            patched, code = await self._writes.patch(request, registry, target, status=True)
            return json_response(patched, status=code)
        if method == "PUT":
            body = await incoming.read_body(request)
            wanted = objects.metadata(body).get("resourceVersion")

            def rescale(current: JSONObject) -> JSONObject:
                updates.check_version(registry.group_resource, target.name, wanted, current)
                return scale.with_replicas(current, body, _scale_paths(registry))

            updated = await registry.read_modify_write(
                target.namespace,
                target.name,
                rescale,
                dry_run=dry_run,
                manager=incoming.field_manager(request),
                subresource="scale",
            )
        else:
            paths = _scale_paths(registry)
            updated, _ = await self._writes.patch(
                request,
                registry,
                target,
                view=lambda obj: scale.to_scale(obj, paths),
                unview=lambda obj, body: scale.with_replicas(obj, body, paths),
            )
        return json_response(scale.to_scale(updated, _scale_paths(registry)))


def _scale_paths(registry: Registry) -> ScalePaths | None:
    """Where a custom kind keeps its replicas; None for a built-in workload."""
    return registry.custom.scale if registry.custom is not None else None


def _health(endpoint: str, check: list[str], request: web.BaseRequest) -> web.Response:
    """``/readyz`` and its kind: "ok" once serving; with ``verbose``, each check
    on its own line as Kubernetes lists them; ``/readyz/ping`` one check."""
    if check:
        if check != ["ping"]:
            return web.Response(status=404, text="404 page not found\n")
        return web.Response(text="ok")
    if "verbose" in request.query:
        return web.Response(text=f"[+]ping ok\n{endpoint} check passed\n")
    return web.Response(text="ok")


def _at(parts: list[str], index: int) -> str:
    return parts[index] if len(parts) > index else ""


def _event_encoder(view: View, printer: TablePrinter) -> Callable[[WatchEvent], bytes]:
    """How a watch writes each event in ``view``: the shared line, or a row."""
    headers_sent = False

    def encode(event: WatchEvent) -> bytes:
        nonlocal headers_sent
        if event.type == "BOOKMARK" or view is View.OBJECT:
            return event.line()
        if view is View.PARTIAL:
            obj = partial(event.object)
        else:
            obj = build_table(
                printer, [event.object], now=datetime.now(UTC), no_headers=headers_sent
            )
            headers_sent = True
        return orjson.dumps({"type": event.type, "object": obj}) + b"\n"

    return encode


def _action(method: str) -> str:
    return {
        "GET": "get",
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete",
    }.get(method, method.lower())


def _deleted_status(resource: ResourceType, obj: JSONObject) -> JSONObject:
    """What a DELETE answers for most types once the object is gone."""
    meta = objects.metadata(obj)
    details: JSONObject = {"name": meta.get("name", "")}
    if resource.group:
        details["group"] = resource.group
    details["kind"] = resource.plural
    details["uid"] = meta.get("uid", "")
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }
