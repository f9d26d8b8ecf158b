"""How a create's or an update's object is made from what the client sent and
what is stored.

Whatever the client sends, the server keeps what it owns: the object's name and
namespace come from the URL; its ``uid``, creation time, deletion marks and
``generation`` from the stored object; the main endpoint keeps the stored
status and ``/status`` keeps everything else. ``generation`` moves when
anything but metadata and status changes. An update that would store the same
object is not written at all (:func:`unchanged`), as Kubernetes skips it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelite.api import errors
from kubelite.api.defaults import apply_defaults
from kubelite.api.field import FieldError, FieldPath
from kubelite.api.resources import ResourceType
from kubelite.api.strategy import prepare_for_create, prepare_for_update
from kubelite.api.validation import NameRule, validate_object_meta
from kubelite.apiserver import objects, services
from kubelite.apiserver.custom import CustomKind
from kubelite.apiserver.objects import JSONObject

# What the server owns in metadata, kept from the stored object.
_OWNED = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
)
_TYPE_FIELDS = frozenset({"kind", "apiVersion"})
# Fields whose change does not move ``generation``.
_NOT_SPEC = frozenset({"metadata", "status", "kind", "apiVersion"})


def created(
    resource: ResourceType,
    body: JSONObject,
    namespace: str,
    now: datetime,
    *,
    custom: CustomKind | None,
) -> JSONObject:
    """The object to store when ``body`` is created at ``now``: typed, in the
    URL's namespace, with a new ``uid``, its creation time, ``generation`` 1
    (on types that keep one), the type's defaults, and without what only the
    server sets. A custom object with a status subresource loses its status."""
    obj = _typed(resource, body)
    meta = {**objects.metadata(obj)}
    obj["metadata"] = meta
    if resource.namespaced:
        meta["namespace"] = namespace
    else:
        meta.pop("namespace", None)
    for owned in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
        meta.pop(owned, None)
    meta["uid"] = objects.new_uid()
    meta["creationTimestamp"] = objects.timestamp(now)
    if resource.generation:
        meta["generation"] = 1
    else:
        meta.pop("generation", None)
    apply_defaults(resource.group, resource.plural, obj)
    prepare_for_create(resource.group, resource.plural, obj)
    if custom is not None and resource.subresource("status") is not None:
        obj.pop("status", None)  # a custom object's status is /status's to write
    return obj


def update(
    resource: ResourceType, current: JSONObject, new: JSONObject, namespace: str, name: str
) -> JSONObject:
    """The object to store when ``new`` replaces ``current`` through the main endpoint."""
    obj = _typed(resource, new)
    old_meta = objects.metadata(current)
    meta = {**objects.metadata(obj)}
    obj["metadata"] = meta
    meta["name"] = name
    if resource.namespaced:
        meta["namespace"] = namespace
    else:
        meta.pop("namespace", None)
    for owned in _OWNED:
        if owned in old_meta:
            meta[owned] = old_meta[owned]
        else:
            meta.pop(owned, None)
    meta.pop("resourceVersion", None)
    if resource.subresource("status") is not None:
        # The main endpoint does not change status; /status does.
        if "status" in current:
            obj["status"] = current["status"]
        else:
            obj.pop("status", None)
    apply_defaults(resource.group, resource.plural, obj)
    prepare_for_update(resource.group, resource.plural, obj)
    if resource.plural == "services" and not resource.group:
        services.keep_allocated(current, obj)
    if resource.generation and spec_changed(current, obj):
        meta["generation"] = int(old_meta.get("generation") or 0) + 1
    return obj


def status_update(
    resource: ResourceType, current: JSONObject, new: JSONObject, *, applied: bool = False
) -> JSONObject:
    """The object to store when ``new`` is written through ``/status``: the
    stored object with ``new``'s status and nothing else of it but, when an
    apply made ``new`` (``applied``), the ``managedFields`` it recorded."""
    obj = _typed(resource, current)
    meta = {k: v for k, v in objects.metadata(current).items() if k != "resourceVersion"}
    if applied:
        meta.pop("managedFields", None)
        managed = objects.metadata(new).get("managedFields")
        if managed:
            meta["managedFields"] = managed
    obj["metadata"] = meta
    if "status" in new:
        obj["status"] = new["status"]
    else:
        obj.pop("status", None)
    return obj


def spec_changed(old: JSONObject, new: JSONObject) -> bool:
    """Whether ``generation`` moves: a change to anything but metadata and status."""
    old_rest = {k: v for k, v in old.items() if k not in _NOT_SPEC}
    new_rest = {k: v for k, v in new.items() if k not in _NOT_SPEC}
    return old_rest != new_rest


def unchanged(current: JSONObject, updated: JSONObject) -> bool:
    """Whether writing ``updated`` over ``current`` would store the same object."""
    if current.keys() - _TYPE_FIELDS != updated.keys() - _TYPE_FIELDS:
        return False
    for key, value in updated.items():
        if key == "metadata":
            meta = objects.metadata(current)
            if value != {k: v for k, v in meta.items() if k != "resourceVersion"}:
                return False
        elif key not in _TYPE_FIELDS and current[key] != value:
            return False
    return True


def check_version(
    resource: errors.GroupResource, name: str, wanted: object, current: JSONObject
) -> None:
    """409 Conflict when a write names the ``resourceVersion`` it was made
    against (``wanted``) and ``current`` is at another."""
    if wanted and wanted != objects.metadata(current).get("resourceVersion"):
        raise errors.stale_conflict(resource, name)


def check_name(given: object, name: str) -> None:
    """400 when a body names another object than the URL does."""
    if given and given != name:
        raise errors.bad_request(
            f"the name of the object ({given}) does not match the name on the URL ({name})"
        )


def check_type(resource: ResourceType, body: JSONObject) -> None:
    """400 for a body of another kind or version than the endpoint's."""
    api_version, kind = body.get("apiVersion"), body.get("kind")
    if api_version and api_version != resource.group_version:
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected "
            f"API version ({resource.group_version})"
        )
    if kind and kind != resource.kind:
        internal = (resource.group or "core").split(".")[0]
        raise errors.bad_request(
            f'{kind} in version "{resource.version}" cannot be handled as a '
            f"{resource.kind}: converting ({resource.version}.{kind}) to "
            f"({internal}.{resource.kind}): unknown conversion"
        )


def _typed(resource: ResourceType, obj: JSONObject) -> JSONObject:
    """A shallow copy of ``obj`` with the type's kind and apiVersion."""
    return {**obj, "kind": resource.kind, "apiVersion": resource.group_version}


def metadata_problems(resource: ResourceType, obj: JSONObject) -> list[FieldError]:
    """What is wrong with ``obj``'s metadata, by Kubernetes' rules: names (a
    namespace's a DNS label, any other's a subdomain), labels, annotations,
    owner references and finalizers."""
    meta = objects.metadata(obj)
    is_namespace = resource.plural == "namespaces" and not resource.group
    return validate_object_meta(
        name=str(meta.get("name") or ""),
        generate_name=str(meta.get("generateName") or ""),
        namespace=str(meta.get("namespace") or ""),
        namespaced=resource.namespaced,
        labels=meta.get("labels") or {},
        annotations=meta.get("annotations") or {},
        generation=int(meta.get("generation") or 0),
        owner_references=_as_list(meta.get("ownerReferences")),
        finalizers=_as_list(meta.get("finalizers")),
        rule=NameRule.DNS1123_LABEL if is_namespace else NameRule.DNS1123_SUBDOMAIN,
        path=FieldPath().child("metadata"),
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
