"""Strategic merge metadata of the built-in kinds, typed by hand.

These are the ``patchStrategy``/``patchMergeKey`` tags of the Go types in
k8s.io/api for the fields kubectl users patch: the ones ``kubectl apply`` and
``kubectl edit`` produce directives for. A field that is absent here merges as
JSON merge patch does (maps merge, lists are replaced), which is also what
Kubernetes does for its atomic lists such as ``tolerations`` or ``command``.

Example: the schema of a Deployment reaches the containers of its template::

    schema = builtin_patch_schema("apps", "Deployment")
    schema.field_meta(("spec", "template", "spec", "containers")).merge_key   # "name"
"""

# TODO(#3): replace with the merge keys read from the OpenAPI schemas

from __future__ import annotations

from kubelite.api.patch.schema import DictPatchSchema, FieldPatchMeta

__all__ = ["BUILTIN_PATCH_SCHEMAS", "builtin_patch_schema"]


def _merge(merge_key: str | None = None, *, retain_keys: bool = False) -> FieldPatchMeta:
    strategy = "merge,retainKeys" if retain_keys else "merge"
    return FieldPatchMeta.parse(strategy, merge_key, primitive_list=merge_key is None)


_ATOMIC = FieldPatchMeta()
"""Listed for the reader: a list Kubernetes replaces whole (no strategy)."""

_CONDITIONS = _merge("type")

OBJECT_META = DictPatchSchema(
    {
        "finalizers": _merge(),
        "ownerReferences": _merge("uid"),
        "managedFields": _ATOMIC,
    }
)

CONTAINER = DictPatchSchema(
    {
        "ports": _merge("containerPort"),
        "env": _merge("name"),
        "volumeMounts": _merge("mountPath"),
        "volumeDevices": _merge("devicePath"),
        "envFrom": _ATOMIC,
        "command": _ATOMIC,
        "args": _ATOMIC,
    }
)

POD_SPEC = (
    DictPatchSchema(
        {
            "containers": _merge("name"),
            "initContainers": _merge("name"),
            "ephemeralContainers": _merge("name"),
            "volumes": _merge("name", retain_keys=True),
            "imagePullSecrets": _merge("name"),
            "hostAliases": _merge("ip"),
            "topologySpreadConstraints": _merge("topologyKey"),
            "schedulingGates": _merge("name"),
            "resourceClaims": _merge("name", retain_keys=True),
            "tolerations": _ATOMIC,
        }
    )
    | CONTAINER.prefixed("containers")
    | CONTAINER.prefixed("initContainers")
    | CONTAINER.prefixed("ephemeralContainers")
)

POD_STATUS = DictPatchSchema(
    {
        "conditions": _CONDITIONS,
        "podIPs": _merge("ip"),
        "hostIPs": _merge("ip"),
        "resourceClaimStatuses": _merge("name", retain_keys=True),
    }
)

POD_TEMPLATE = OBJECT_META.prefixed("metadata") | POD_SPEC.prefixed("spec")

_METADATA = OBJECT_META.prefixed("metadata")
_STATUS_CONDITIONS = DictPatchSchema({"status.conditions": _CONDITIONS})


def _workload(
    template_at: str, *, conditions: bool = True, **extra: FieldPatchMeta
) -> DictPatchSchema:
    schema = _METADATA | POD_TEMPLATE.prefixed(template_at)
    if conditions:
        schema = schema | _STATUS_CONDITIONS
    return schema | DictPatchSchema({path.replace("__", "."): meta for path, meta in extra.items()})


BUILTIN_PATCH_SCHEMAS: dict[tuple[str, str], DictPatchSchema] = {
    ("", "Pod"): _METADATA | POD_SPEC.prefixed("spec") | POD_STATUS.prefixed("status"),
    ("", "PodTemplate"): _METADATA | POD_TEMPLATE.prefixed("template"),
    ("", "Service"): _METADATA
    | _STATUS_CONDITIONS
    | DictPatchSchema({"spec.ports": _merge("port")}),
    ("", "Node"): _METADATA
    | _STATUS_CONDITIONS
    | DictPatchSchema({"spec.podCIDRs": _merge(), "status.addresses": _merge("type")}),
    ("", "Namespace"): _METADATA | _STATUS_CONDITIONS,
    ("", "ServiceAccount"): _METADATA | DictPatchSchema({"secrets": _merge("name")}),
    ("", "PersistentVolumeClaim"): _METADATA | _STATUS_CONDITIONS,
    ("", "ReplicationController"): _workload("spec.template"),
    ("", "ConfigMap"): _METADATA,
    ("", "Secret"): _METADATA,
    ("", "Endpoints"): _METADATA,
    ("", "Event"): _METADATA,
    ("apps", "Deployment"): _workload(
        "spec.template", spec__strategy=FieldPatchMeta.parse("retainKeys")
    ),
    ("apps", "ReplicaSet"): _workload("spec.template"),
    ("apps", "StatefulSet"): _workload("spec.template"),
    ("apps", "DaemonSet"): _workload("spec.template"),
    ("batch", "Job"): _workload("spec.template"),
    # A CronJob's status has no conditions.
    ("batch", "CronJob"): _workload("spec.jobTemplate.spec.template", conditions=False),
    ("coordination.k8s.io", "Lease"): _METADATA,
    ("events.k8s.io", "Event"): _METADATA,
}
"""Schemas by (API group, kind); the core group is ``""``."""


def builtin_patch_schema(group: str, kind: str) -> DictPatchSchema | None:
    """The strategic merge schema of a built-in kind, or None if it has none.

    None means the kind does not support strategic merge patch (a custom
    resource): the API server answers 415 Unsupported Media Type.
    """
    return BUILTIN_PATCH_SCHEMAS.get((group, kind))
