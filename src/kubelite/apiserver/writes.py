"""The writes whose body the server works on before the registry stores it.

A patch is applied to the stored object (JSON patch, merge patch, strategic
merge patch by the type's merge keys, or a server-side apply, which may create
the object); every body and patched object is checked against its type's
schema, unknown fields dropped and reported as ``fieldValidation`` asks; a
namespace's ``finalize`` changes only its finalizers. The router calls these
once it knows what a request addresses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import orjson
from aiohttp import web

from kubelite.api import errors
from kubelite.api.field import FieldError, FieldPath, go_print
from kubelite.api.openapi import patch_schema_for
from kubelite.api.openapi.definitions import BuiltinDefinitions
from kubelite.api.openapi.types import decode
from kubelite.api.patch import (
    PatchError,
    PatchInvalidError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic,
)
from kubelite.api.resources import ResourceType
from kubelite.apiserver import incoming, objects, updates
from kubelite.apiserver.fieldmanager import STATUS
from kubelite.apiserver.objects import JSONObject
from kubelite.apiserver.registry import Registry

__all__ = ["PATCH_TYPES", "Target", "Writes"]

log = logging.getLogger(__name__)

PATCH_TYPES: Final = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}
# An apply that finds no object creates it; if another client created it
# meanwhile, the apply goes to that object.
_APPLY_ATTEMPTS: Final = 3


@dataclass(frozen=True, slots=True)
class Target:
    """What a resource URL addresses."""

    resource: ResourceType
    namespace: str
    name: str
    subresource: str


class Writes:
    """Patches, applies and body checks, against the built-in ``definitions``."""

    def __init__(self, definitions: BuiltinDefinitions) -> None:
        self.definitions = definitions

    async def finalize(
        self, request: web.BaseRequest, registry: Registry, target: Target, dry_run: bool
    ) -> JSONObject:
        """A namespace's ``finalize``: a PUT that changes only ``spec.finalizers``."""
        body = await incoming.read_body(request)
        wanted = objects.metadata(body).get("resourceVersion")
        spec = body.get("spec")
        finalizers = spec.get("finalizers") if isinstance(spec, dict) else None

        def finalize(current: JSONObject) -> JSONObject:
            updates.check_version(registry.group_resource, target.name, wanted, current)
            return {
                **current,
                "spec": {**(current.get("spec") or {}), "finalizers": finalizers or []},
            }

        return await registry.read_modify_write(
            target.namespace,
            target.name,
            finalize,
            dry_run=dry_run,
            manager=incoming.field_manager(request),
            subresource="finalize",
        )

    def check_fields(
        self,
        request: web.BaseRequest,
        registry: Registry,
        obj: JSONObject,
        *,
        required: bool = True,
        patched: bool = False,
        strategic_patch: Any = None,
    ) -> list[str]:
        """Drop the fields the type does not declare; what to tell, by ``fieldValidation``.

        ``Strict`` refuses the request, ``Warn`` (the default) returns a warning per
        field, ``Ignore`` nothing; the fields are dropped either way, as Kubernetes
        drops them when it decodes a built-in type. A value of the wrong JSON type
        fails the decoding (400) whatever the mode; then, with ``required`` (not on
        ``/status``, where Kubernetes keeps the stored spec), an absent required
        field is invalid (422). Unknown fields from a ``strategic_patch`` are refused
        as Kubernetes' strategic merge path refuses them, 422 naming the patch.
        """
        mode = request.query.get("fieldValidation", "Warn") or "Warn"
        if mode not in incoming.FIELD_VALIDATION:
            raise incoming.invalid_option(
                request,
                FieldError.not_supported(
                    FieldPath.of("fieldValidation"), mode, ("", *sorted(incoming.FIELD_VALIDATION))
                ),
            )
        resource = registry.resource
        custom = registry.custom
        if custom is not None:
            # A custom kind: pruned and defaulted along its CRD's schema; the schema's
            # violations are the registry's to refuse, with every cause.
            dropped = [
                f"unknown field {orjson.dumps(path).decode()}" for path in custom.prepare(obj)
            ]
            if dropped and mode == "Strict":
                raise errors.bad_request("strict decoding error: " + ", ".join(dropped))
            return dropped if mode == "Warn" else []
        definitions = self.definitions
        root = definitions.by_kind(resource.group, resource.version, resource.kind)
        if root is None:
            return []
        decoded = decode(definitions, root, obj, required=required)
        kind = resource.kind
        undecodable = f'{kind} in version "{resource.version}" cannot be handled as a {kind}: '
        if decoded.wrong is not None:
            raise errors.bad_request(undecodable + decoded.wrong.message)
        dropped = [f"unknown field {orjson.dumps(path).decode()}" for path in decoded.dropped]
        if dropped and mode == "Strict":
            strict = "strict decoding error: " + ", ".join(dropped)
            if strategic_patch is not None:
                # The strategic merge path reports the patch itself as the bad value.
                bad = FieldError.invalid(FieldPath.of("patch"), go_print(strategic_patch), strict)
                raise errors.invalid(errors.GroupKind("", ""), "", [bad])
            # A body is decoded whole, and the failure said as such; a patched object not.
            raise errors.bad_request(strict if patched else undecodable + strict)
        missing = decoded.missing
        if missing:
            name = (obj.get("metadata") or {}).get("name") or ""
            raise errors.invalid(errors.GroupKind(resource.kind, resource.group), name, missing)
        return dropped if mode == "Warn" else []

    async def patch(
        self,
        request: web.BaseRequest,
        registry: Registry,
        target: Target,
        *,
        status: bool = False,
        view: Callable[[JSONObject], JSONObject] | None = None,
        unview: Callable[[JSONObject, Any], JSONObject] | None = None,
    ) -> tuple[JSONObject, int]:
        """Apply the request's patch; to ``view(current)`` if given (a subresource's
        representation), written back with ``unview(current, patched)``. The
        object written, and 201 when an apply created it (else 200)."""
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        kind = PATCH_TYPES.get(content_type)
        if kind == "apply" and view is None:
            return await self.apply(request, registry, target, status=status)
        if kind is None:
            raise errors.unsupported_media_type(PATCH_TYPES)
        if kind == "apply":
            # TODO(#5): apply through the scale subresource.
            raise errors.unsupported_media_type(t for t, k in PATCH_TYPES.items() if k != "apply")
        incoming.force(request, apply=False)
        manager = incoming.field_manager(request)
        resource = registry.resource
        schema = None
        if kind == "strategic" and view is None:
            schema = patch_schema_for(resource.group, resource.version, resource.kind)
            if schema is None:
                raise errors.unsupported_media_type(
                    t for t in PATCH_TYPES if t != "application/strategic-merge-patch+json"
                )
        raw = await request.read()
        try:
            patch = orjson.loads(raw)
        except orjson.JSONDecodeError as err:
            raise errors.bad_request(f"error decoding patch: {err}") from err

        def change(current: JSONObject) -> JSONObject:
            original = view(current) if view is not None else current
            try:
                if kind == "json":
                    result = apply_json_patch(original, patch)
                elif kind == "merge" or schema is None:
                    result = apply_merge_patch(original, patch)
                else:
                    result = apply_strategic(original, patch, schema)
            except PatchInvalidError as err:
                raise errors.bad_request(str(err)) from err
            except PatchError as err:
                log.debug("patch rejected", extra={"object": target.name, "error": str(err)})
                raise errors.generic_response(422) from err
            if not isinstance(result, dict):
                raise errors.bad_request("the patch did not produce an object")
            if view is None:
                self.check_fields(
                    request,
                    registry,
                    result,
                    required=not status,
                    patched=True,
                    strategic_patch=patch if schema is not None else None,
                )
            wanted = (
                (patch.get("metadata") or {}).get("resourceVersion")
                if isinstance(patch, dict)
                else None
            )
            updates.check_version(registry.group_resource, target.name, wanted, current)
            return unview(current, result) if unview is not None else result

        written = await registry.read_modify_write(
            target.namespace,
            target.name,
            change,
            dry_run=incoming.dry_run(request),
            manager=manager,
            status=status,
            subresource="scale" if view is not None else "",
        )
        return written, 200

    async def apply(
        self, request: web.BaseRequest, registry: Registry, target: Target, *, status: bool
    ) -> tuple[JSONObject, int]:
        """Server-side apply: the body merged into the object by the kind's
        schema, its manager's fields recorded; a missing object is created (201)."""
        manager = incoming.field_manager(request, apply=True)
        force = incoming.force(request, apply=True)
        dry_run = incoming.dry_run(request)
        config = incoming.apply_configuration(await request.read())
        fields = registry.fields
        subresource = STATUS if status else ""

        wanted = objects.metadata(config).get("resourceVersion")

        def change(current: JSONObject) -> JSONObject:
            updates.check_version(registry.group_resource, target.name, wanted, current)
            applied = fields.applied(
                current,
                config,
                manager,
                force=force,
                custom=registry.custom,
                subresource=subresource,
            )
            self.check_fields(request, registry, applied, required=not status, patched=True)
            return applied

        for _ in range(_APPLY_ATTEMPTS):
            try:
                written = await registry.read_modify_write(
                    target.namespace,
                    target.name,
                    change,
                    dry_run=dry_run,
                    manager=None,
                    status=status,
                )
                return written, 200
            except errors.NotFoundError:
                if status:
                    raise
            updates.check_name(objects.metadata(config).get("name"), target.name)
            created = fields.applied(None, config, manager, force=force, custom=registry.custom)
            created["metadata"] = {**created["metadata"], "name": target.name}
            self.check_fields(request, registry, created, patched=True)
            try:
                made = await registry.create(
                    target.namespace, created, dry_run=dry_run, manager=None
                )
                return made, 201
            except errors.AlreadyExistsError:
                continue  # created meanwhile: apply to it
        raise errors.stale_conflict(registry.group_resource, target.name)
