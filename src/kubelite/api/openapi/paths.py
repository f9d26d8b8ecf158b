"""The ``paths`` of a group-version document: each resource's operations.

Operations are named as Kubernetes names them, because clients match on them:
``operationId`` is the verb, the group-version and the kind
(``patchCoreV1NamespacedPod``, ``listAppsV1DeploymentForAllNamespaces``), and
``x-kubernetes-action`` is one of ``get list post put patch delete
deletecollection watch watchlist``. Every operation carries, as an object (not
a list, as on schemas), the ``x-kubernetes-group-version-kind`` of its body.

What ``kubectl`` reads, and why parameters are inline: before ``create``,
``apply``, ``replace`` and ``edit`` it looks for a ``patch`` operation whose
group-version-kind is the object's and whose ``parameters`` include one
*named* ``fieldValidation``; a ``$ref`` parameter does not count. Without it
kubectl falls back to client-side validation over protobuf ``/openapi/v2`` and
fails. So every parameter is written out in full.

Worked example, the paths of a namespaced kind with the ``status`` subresource::

    /api/v1/namespaces/{namespace}/pods               get list, post, delete collection
    /api/v1/namespaces/{namespace}/pods/{name}        get, put, patch, delete
    /api/v1/namespaces/{namespace}/pods/{name}/status get, put, patch
    /api/v1/pods                                      list across namespaces
    /api/v1/watch/namespaces/{namespace}/pods         watchlist (and .../{name}: watch)
    /api/v1/watch/pods                                watchlist across namespaces

Only the verbs a type declares are published.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kubelite.api.openapi.definitions import COMPONENTS_REF, Schema
from kubelite.api.resources import ResourceType, Subresource

__all__ = [
    "DELETE_OPTIONS",
    "PARAMETERS",
    "PATCH",
    "PATCH_CONTENT_TYPES",
    "STATUS",
    "WATCH_EVENT",
    "KindSchemas",
    "resource_paths",
]

STATUS = "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
DELETE_OPTIONS = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"
WATCH_EVENT = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent"
PATCH = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"

PATCH_CONTENT_TYPES = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)
"""What the ``patch`` operation of a built-in kind accepts; custom kinds lack the
strategic one, since they have no merge keys."""

_STRATEGIC = "application/strategic-merge-patch+json"
_RESPONSE_TYPES = ("application/json",)
_WATCH_TYPES = ("application/json", "application/json;stream=watch")
_STATUS_TEXT = {"200": "OK", "201": "Created", "202": "Accepted"}


@dataclass(frozen=True, slots=True)
class KindSchemas:
    """The component names the operations of one resource type refer to."""

    kind: str
    list_kind: str
    strategic: bool
    """Whether the kind accepts strategic merge patch (built-in kinds only)."""
    subresource_kinds: Mapping[str, str] = field(default_factory=dict)
    """Subresources that speak another kind (``scale``), to that kind's name."""


def _ref(name: str) -> Schema:
    return {"$ref": COMPONENTS_REF + name}


def _param(name: str, where: str, kind: str, description: str) -> Schema:
    param: Schema = {"name": name, "in": where, "description": description}
    if where == "path":
        param["required"] = True
    param["schema"] = {"type": kind}
    return param


PARAMETERS: dict[str, Schema] = {
    p["name"]: p
    for p in (
        _param("allowWatchBookmarks", "query", "boolean", "Ask for BOOKMARK watch events."),
        _param("continue", "query", "string", "Token of the next page of a paged list."),
        _param("fieldSelector", "query", "string", "Restrict the objects by their fields."),
        _param("gracePeriodSeconds", "query", "integer", "Seconds before the object goes."),
        _param("labelSelector", "query", "string", "Restrict the objects by their labels."),
        _param("limit", "query", "integer", "Most objects to return in one page."),
        _param("namespace", "path", "string", "object name and auth scope"),
        _param("orphanDependents", "query", "boolean", "Deprecated: use propagationPolicy."),
        _param("pretty", "query", "string", "If 'true', the output is pretty printed."),
        _param("propagationPolicy", "query", "string", "Orphan, Background or Foreground."),
        _param("resourceVersion", "query", "string", "Serve from this resource version."),
        _param("resourceVersionMatch", "query", "string", "How resourceVersion applies."),
        _param("sendInitialEvents", "query", "boolean", "Start a watch with current state."),
        _param("timeoutSeconds", "query", "integer", "End the call after this many seconds."),
        _param("watch", "query", "boolean", "Watch for changes instead of listing."),
    )
}
"""The parameters shared by reference, for ``components.parameters``: those of
list, watch and delete calls, and of the path. The parameters of writes are
inline in every operation, since ``kubectl`` only sees inline ones."""


def _shared(*names: str) -> tuple[Schema, ...]:
    return tuple({"$ref": f"#/components/parameters/{name}"} for name in names)


_PRETTY, _NAMESPACE = _shared("pretty", "namespace")
_DRY_RUN = _param("dryRun", "query", "string", "When present (All), do not persist changes.")
_FIELD_MANAGER = _param("fieldManager", "query", "string", "Name of the actor making changes.")
_FIELD_VALIDATION = _param(
    "fieldValidation",
    "query",
    "string",
    "How to treat unknown or duplicate fields: Ignore, Warn (the default) or Strict.",
)
_FORCE = _param("force", "query", "boolean", "Force an apply request over conflicts.")
_WRITE = (_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION)
_LIST = _shared(
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
    "watch",
)
_DELETE = (_DRY_RUN, *_shared("gracePeriodSeconds", "orphanDependents", "propagationPolicy"))


def group_prefix(group: str, version: str) -> str:
    """``CoreV1``, ``AppsV1``, ``RbacAuthorizationV1``: the middle of an operationId."""
    name = group.removesuffix(".k8s.io") if group else "core"
    parts = [p for p in name.replace("-", ".").split(".") if p]
    return "".join(p[:1].upper() + p[1:] for p in [*parts, version])


def _tag(group: str, version: str) -> str:
    name = group.removesuffix(".k8s.io").replace(".", "_").replace("-", "_") if group else "core"
    return f"{name}_{version}"


def _gvk(group: str, version: str, kind: str) -> Schema:
    return {"group": group, "kind": kind, "version": version}


def _responses(schema: Schema, *codes: str, media: tuple[str, ...] = _RESPONSE_TYPES) -> Schema:
    content = {kind: {"schema": schema} for kind in media}
    return {code: {"description": _STATUS_TEXT[code], "content": content} for code in codes}


def _body(schema: Schema) -> Schema:
    return {"content": {"*/*": {"schema": schema}}, "required": True}


_DESCRIPTIONS = {
    "list": "list or watch objects of kind {kind}",
    "post": "create a {kind}",
    "deletecollection": "delete collection of {kind}",
    "get": "read {of}the specified {kind}",
    "put": "replace {of}the specified {kind}",
    "patch": "partially update {of}the specified {kind}",
    "delete": "delete a {kind}",
    "watch": "watch changes to an object of kind {kind}",
    "watchlist": "watch individual changes to a list of {kind}",
}


class _Operations:
    """The operations of one resource type; see :func:`resource_paths`.

    Each method returns a path item's operations keyed by HTTP method, only
    for the verbs the type (or subresource) declares.
    """

    def __init__(self, resource: ResourceType, schemas: KindSchemas) -> None:
        self.resource = resource
        self.schemas = schemas
        self.prefix = group_prefix(resource.group, resource.version)
        self.tag = _tag(resource.group, resource.version)
        self.gvk = _gvk(resource.group, resource.version, resource.kind)
        # The operationId tail of a scoped call: NamespacedPod, or Node.
        self.scoped = ("Namespaced" if resource.namespaced else "") + resource.kind

    def op(
        self,
        operation_id: str,
        action: str,
        *,
        subresource: str = "",
        gvk: Schema | None = None,
        parameters: tuple[Schema, ...] = (),
        body: Schema | None = None,
        responses: Schema,
    ) -> Schema:
        of = f"{subresource} of " if subresource else ""
        description = _DESCRIPTIONS[action].format(kind=self.resource.kind, of=of)
        op: Schema = {
            "tags": [self.tag],
            "description": description,
            "operationId": operation_id,
        }
        if parameters:
            op["parameters"] = list(parameters)
        if body is not None:
            op["requestBody"] = body
        op["responses"] = responses
        op["x-kubernetes-action"] = action
        op["x-kubernetes-group-version-kind"] = gvk or self.gvk
        return op

    def patch_body(self) -> Schema:
        types = [t for t in PATCH_CONTENT_TYPES if self.schemas.strategic or t != _STRATEGIC]
        return {"content": {t: {"schema": _ref(PATCH)} for t in types}, "required": True}

    def collection(self) -> Schema:
        verbs, prefix, scoped = self.resource.verbs, self.prefix, self.scoped
        kind, items = _ref(self.schemas.kind), _ref(self.schemas.list_kind)
        ops: Schema = {}
        if "list" in verbs:
            ops["get"] = self.op(
                f"list{prefix}{scoped}",
                "list",
                parameters=_LIST,
                responses=_responses(items, "200"),
            )
        if "create" in verbs:
            ops["post"] = self.op(
                f"create{prefix}{scoped}",
                "post",
                parameters=_WRITE,
                body=_body(kind),
                responses=_responses(kind, "200", "201", "202"),
            )
        if "deletecollection" in verbs:
            ops["delete"] = self.op(
                f"delete{prefix}Collection{scoped}",
                "deletecollection",
                parameters=_DELETE + _LIST,
                body=_body(_ref(DELETE_OPTIONS)),
                responses=_responses(_ref(STATUS), "200"),
            )
        return ops

    def member(self, verbs: tuple[str, ...], sub: Subresource | None = None) -> Schema:
        """The operations on one object, or on one of its subresources."""
        schema, suffix, name, gvk = _ref(self.schemas.kind), "", "", None
        if sub is not None:
            name, suffix = sub.name, sub.name[:1].upper() + sub.name[1:]
            if sub.name in self.schemas.subresource_kinds:
                schema = _ref(self.schemas.subresource_kinds[sub.name])
            if sub.kind:
                gvk = _gvk(sub.group, sub.version, sub.kind)
            if sub.name == "log":
                schema = {"type": "string"}
        tail = f"{self.prefix}{self.scoped}{suffix}"
        ops: Schema = {}
        if "get" in verbs:
            ops["get"] = self.op(
                f"read{tail}", "get", subresource=name, gvk=gvk, responses=_responses(schema, "200")
            )
        if "update" in verbs:
            ops["put"] = self.op(
                f"replace{tail}",
                "put",
                subresource=name,
                gvk=gvk,
                parameters=_WRITE,
                body=_body(schema),
                responses=_responses(schema, "200", "201"),
            )
        if "patch" in verbs:
            ops["patch"] = self.op(
                f"patch{tail}",
                "patch",
                subresource=name,
                gvk=gvk,
                parameters=(*_WRITE, _FORCE),
                body=self.patch_body(),
                responses=_responses(schema, "200", "201"),
            )
        if "delete" in verbs and sub is None:
            ops["delete"] = self.op(
                f"delete{tail}",
                "delete",
                parameters=_DELETE,
                body=_body(_ref(DELETE_OPTIONS)),
                responses=_responses(schema, "200", "202"),
            )
        return ops

    def all_namespaces(self) -> Schema:
        return {
            "get": self.op(
                f"list{self.prefix}{self.resource.kind}ForAllNamespaces",
                "list",
                parameters=_LIST,
                responses=_responses(_ref(self.schemas.list_kind), "200"),
            )
        }

    def watch(self, operation_id: str, action: str) -> Schema:
        return {
            "get": self.op(
                operation_id,
                action,
                parameters=_LIST,
                responses=_responses(_ref(WATCH_EVENT), "200", media=_WATCH_TYPES),
            )
        }


def resource_paths(resource: ResourceType, schemas: KindSchemas) -> dict[str, Schema]:
    """The path items of one resource type, keyed by URL template."""
    ops = _Operations(resource, schemas)
    base = f"/api/{resource.version}" if not resource.group else f"/apis/{resource.group_version}"
    scope = "/namespaces/{namespace}" if resource.namespaced else ""
    plural, prefix, kind = resource.plural, ops.prefix, resource.kind
    common = (_NAMESPACE, _PRETTY) if resource.namespaced else (_PRETTY,)
    name = _param("name", "path", "string", f"name of the {kind}")

    collection = f"{base}{scope}/{plural}"
    member = f"{collection}/{{name}}"
    items: list[tuple[str, Schema, tuple[Schema, ...]]] = [
        (collection, ops.collection(), common),
        (member, ops.member(resource.verbs), (name, *common)),
    ]
    items.extend(
        (f"{member}/{sub.name}", ops.member(sub.verbs, sub), (name, *common))
        for sub in resource.subresources
    )
    if "watch" in resource.verbs:
        watch = f"{base}/watch{scope}/{plural}"
        items.append((watch, ops.watch(f"watch{prefix}{ops.scoped}List", "watchlist"), common))
        items.append(
            (f"{watch}/{{name}}", ops.watch(f"watch{prefix}{ops.scoped}", "watch"), (name, *common))
        )
    if resource.namespaced and "list" in resource.verbs:
        items.append((f"{base}/{plural}", ops.all_namespaces(), (_PRETTY,)))
    if resource.namespaced and "watch" in resource.verbs:
        everywhere = ops.watch(f"watch{prefix}{kind}ListForAllNamespaces", "watchlist")
        items.append((f"{base}/watch/{plural}", everywhere, (_PRETTY,)))
    return {path: {**o, "parameters": list(p)} for path, o, p in items if o}
