"""Field ownership on every write: ``metadata.managedFields`` kept by the server.

Each registry has a ``FieldManager``. A create, update or patch records its
manager's ``Update`` entry (:meth:`FieldManager.updated`); a server-side apply
merges the applied configuration by the kind's schema and records an
``Apply`` entry, refusing changes to fields others own (:meth:`FieldManager.
applied`). The bookkeeping itself is :mod:`kubelite.api.ssa.managers`; this
module supplies what it needs from the endpoint: the kind's type model, its
empty object, the API version written through, and the fields the endpoint
resets (``status`` on the main resource, ``spec`` on ``/status``).

Who the manager is comes from the request: ``fieldManager`` when given, else
the client's User-Agent up to its first ``/`` (``kubectl``, ``python``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from kubelite.api import errors
from kubelite.api.openapi.definitions import DefinitionsNotFoundError
from kubelite.api.resources import ResourceType
from kubelite.api.ssa import managers
from kubelite.api.ssa.entries import (
    ManagedFieldsError,
    decode_live_or_new,
    decode_managed_fields,
    set_managed_fields,
)
from kubelite.api.ssa.fieldpath import EMPTY, FieldSet, Path
from kubelite.api.ssa.kinds import type_for_kind, type_for_schema
from kubelite.api.ssa.typed import TypedError
from kubelite.api.ssa.types import Node, SchemaError
from kubelite.api.ssa.zero import empty_object
from kubelite.apiserver import objects
from kubelite.apiserver.custom import CustomKind
from kubelite.apiserver.objects import JSONObject

__all__ = ["SERVER_MANAGER", "STATUS", "FieldManager"]

log = logging.getLogger(__name__)

STATUS: Final = "status"
SERVER_MANAGER: Final = "kube-apiserver"
"""The manager of the API server's own writes (its namespaces, CRD status)."""
_RESET_MAIN: Final = FieldSet([Path.of("status")])
_RESET_STATUS: Final = FieldSet([Path.of("spec")])


class FieldManager:
    """The managed fields of one resource type's objects, at one API version."""

    def __init__(self, resource: ResourceType, clock: Callable[[], datetime]) -> None:
        self.resource = resource
        self._clock = clock
        self._builtin: Node | None = None
        self._empty_object: dict[str, Any] | None = None
        # The custom kind the node and served versions below were made for; a
        # CRD change replaces it.
        self._custom: tuple[CustomKind, Node | None, frozenset[str] | None] | None = None

    def node(self, custom: CustomKind | None) -> Node | None:
        """The type model of the objects (None when there is none to merge by)."""
        if custom is not None:
            return self._of(custom)[1]
        if self._builtin is None:
            resource = self.resource
            try:
                self._builtin = type_for_kind(resource.group, resource.version, resource.kind)
            except (DefinitionsNotFoundError, SchemaError) as err:
                log.warning("no type model", extra={"kind": resource.kind, "error": str(err)})
        return self._builtin

    def updated(
        self,
        old: JSONObject | None,
        new: JSONObject,
        manager: str,
        *,
        custom: CustomKind | None,
        subresource: str = "",
    ) -> JSONObject:
        """``new`` with its entries after ``manager`` wrote it over ``old`` (None:
        a create). An object the type model cannot read keeps its entries, as
        Kubernetes keeps them (``UpdateNoErrors``)."""
        node = self.node(custom)
        managed = decode_live_or_new(old, new, subresource=subresource)
        if node is None:
            return set_managed_fields(new, managed)
        try:
            entries = managers.update(
                old,
                new,
                manager=manager,
                api_version=self.resource.group_version,
                node=node,
                managed=managed,
                now=self._now(),
                subresource=subresource,
                empty=self._empty(custom),
                reset_fields=self._reset(subresource),
                served_versions=self._served(custom),
            )
        except TypedError as err:
            log.debug("managed fields not updated", extra={"manager": manager, "error": str(err)})
            entries = managed
        return set_managed_fields(new, entries)

    def applied(
        self,
        live: JSONObject | None,
        config: JSONObject,
        manager: str,
        *,
        force: bool,
        custom: CustomKind | None,
        subresource: str = "",
    ) -> JSONObject:
        """The object after ``manager`` applies ``config`` to ``live`` (None:
        the object does not exist yet), its entries recorded.

        409 Conflict with a cause per field others own, unless ``force``; 400
        for a configuration of another type or one the schema cannot read.
        """
        node = self.node(custom)
        resource = self.resource
        if node is None:
            raise errors.unsupported_media_type(())
        try:
            # The live object's entries: an applied configuration has none.
            managed = decode_managed_fields(objects.metadata(live or {}).get("managedFields"))
        except ManagedFieldsError:
            managed = []
        try:
            result = managers.apply(
                live,
                config,
                manager=manager,
                api_version=resource.group_version,
                node=node,
                managed=managed,
                force=force,
                now=self._now(),
                subresource=subresource,
                kind=resource.kind,
                empty=self._empty(custom, fresh=True),
                reset_fields=self._reset(subresource),
                served_versions=self._served(custom),
            )
        except TypedError as err:
            # Go prints the kind as group/version, Kind=K: "/v1, Kind=Pod" for core.
            meta = objects.metadata(config)
            where = f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"
            raise errors.bad_request(
                f"failed to create typed patch object ({resource.group}/{resource.version}, "
                f"Kind={resource.kind} {where}): {err}"
            ) from None
        return result.obj

    def _now(self) -> str:
        return objects.timestamp(self._clock())

    def _empty(self, custom: CustomKind | None, *, fresh: bool = False) -> dict[str, Any] | None:
        # An update only compares with the empty object: one copy serves them
        # all. An apply merges into it, and the result shares its parts.
        if custom is not None:
            return None
        if fresh:
            return empty_object(self.resource.group, self.resource.kind)
        if self._empty_object is None:
            self._empty_object = empty_object(self.resource.group, self.resource.kind)
        return self._empty_object

    def _reset(self, subresource: str) -> FieldSet:
        if self.resource.subresource(STATUS) is None:
            return EMPTY
        return _RESET_STATUS if subresource == STATUS else _RESET_MAIN

    def _served(self, custom: CustomKind | None) -> frozenset[str] | None:
        return None if custom is None else self._of(custom)[2]

    def _of(self, custom: CustomKind) -> tuple[CustomKind, Node | None, frozenset[str] | None]:
        # Made once per CustomKind, not on every write.
        if self._custom is None or self._custom[0] is not custom:
            group = self.resource.group
            served = frozenset(f"{group}/{v}" for v in custom.served_versions) or None
            self._custom = (custom, _custom_node(custom), served)
        return self._custom


def _custom_node(custom: CustomKind) -> Node | None:
    schema = custom.schema
    if schema is None:
        return None
    try:
        return type_for_schema(schema)
    except SchemaError as err:
        log.warning("no type model", extra={"crd": custom.crd, "error": str(err)})
        return None
