"""The built-in resource types: what each is called, where it lives, what it allows.

Discovery, routing, storage keys and ``kubectl`` name resolution all read the same
``ResourceType`` records, so a type is described once. The names follow Kubernetes
exactly, because clients resolve ``kubectl get po`` or ``kubectl get all`` from
them: ``plural`` is the URL segment and the key in storage, ``kind`` the type in the
body, ``short_names`` and ``categories`` what ``kubectl`` matches against.

A worked example, the Deployment::

    group "apps", version "v1"            -> served under /apis/apps/v1
    plural "deployments", namespaced      -> /apis/apps/v1/namespaces/{ns}/deployments
    subresources status, scale            -> .../deployments/{name}/status, .../scale
    short name "deploy", category "all"   -> kubectl get deploy, kubectl get all
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# The verbs of a resource that supports everything, in Kubernetes' order.
ALL_VERBS = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)


@dataclass(frozen=True, slots=True)
class Subresource:
    """A subresource such as ``status`` or ``scale``, and the kind it speaks."""

    name: str
    verbs: tuple[str, ...]
    # The group, version and kind of its body when it is not the parent's kind
    # (``scale`` speaks autoscaling/v1 Scale); empty when it is the parent's.
    group: str = ""
    version: str = ""
    kind: str = ""


@dataclass(frozen=True, slots=True)
class ResourceType:
    """One resource type of the API, as discovery describes it."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[Subresource, ...] = ()
    # Whether the server counts spec changes in ``metadata.generation`` (workloads
    # and pods do; configuration objects such as ConfigMaps do not).
    generation: bool = False
    # Whether a DELETE that deletes at once answers with the object (pods,
    # services, namespaces) or, as for most types, with a Success Status.
    returns_deleted: bool = False

    @property
    def group_version(self) -> str:
        """``v1`` for the core group, ``group/version`` for the others."""
        return self.version if not self.group else f"{self.group}/{self.version}"

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    def subresource(self, name: str) -> Subresource | None:
        for subresource in self.subresources:
            if subresource.name == name:
                return subresource
        return None


_STATUS = Subresource("status", ("get", "patch", "update"))
_SCALE = Subresource(
    "scale", ("get", "patch", "update"), group="autoscaling", version="v1", kind="Scale"
)

BUILT_IN: tuple[ResourceType, ...] = (
    ResourceType(
        "",
        "v1",
        "Namespace",
        "namespaces",
        "namespace",
        namespaced=False,
        short_names=("ns",),
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
        subresources=(_STATUS, Subresource("finalize", ("update",))),
        returns_deleted=True,
    ),
    ResourceType(
        "",
        "v1",
        "Pod",
        "pods",
        "pod",
        namespaced=True,
        short_names=("po",),
        categories=("all",),
        subresources=(_STATUS, Subresource("log", ("get",))),
        generation=True,
        returns_deleted=True,
    ),
    ResourceType(
        "",
        "v1",
        "Service",
        "services",
        "service",
        namespaced=True,
        short_names=("svc",),
        categories=("all",),
        subresources=(_STATUS,),
        returns_deleted=True,
    ),
    ResourceType("", "v1", "Endpoints", "endpoints", "endpoints", True, ("ep",)),
    ResourceType("", "v1", "ConfigMap", "configmaps", "configmap", True, ("cm",)),
    ResourceType("", "v1", "Secret", "secrets", "secret", True),
    ResourceType("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", True, ("sa",)),
    ResourceType(
        "",
        "v1",
        "Node",
        "nodes",
        "node",
        namespaced=False,
        short_names=("no",),
        subresources=(_STATUS,),
    ),
    ResourceType("", "v1", "Event", "events", "event", True, ("ev",)),
    ResourceType(
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        "resourcequota",
        namespaced=True,
        short_names=("quota",),
        subresources=(_STATUS,),
    ),
    ResourceType("", "v1", "LimitRange", "limitranges", "limitrange", True, ("limits",)),
    ResourceType(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        "deployment",
        namespaced=True,
        short_names=("deploy",),
        categories=("all",),
        subresources=(_STATUS, _SCALE),
        generation=True,
    ),
    ResourceType(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        "replicaset",
        namespaced=True,
        short_names=("rs",),
        categories=("all",),
        subresources=(_STATUS, _SCALE),
        generation=True,
    ),
    ResourceType("coordination.k8s.io", "v1", "Lease", "leases", "lease", True),
    ResourceType(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        "customresourcedefinition",
        namespaced=False,
        short_names=("crd", "crds"),
        categories=("api-extensions",),
        subresources=(_STATUS,),
        # Kubernetes counts a CRD's spec changes in metadata.generation.
        generation=True,
    ),
    ResourceType("events.k8s.io", "v1", "Event", "events", "event", True, ("ev",)),
)


class ResourceTypes:
    """A set of resource types, looked up the ways the server and clients need."""

    def __init__(self, types: Iterable[ResourceType] = BUILT_IN) -> None:
        self._by_path: dict[tuple[str, str, str], ResourceType] = {}
        self._by_kind: dict[tuple[str, str, str], ResourceType] = {}
        for resource in types:
            self.add(resource)

    def add(self, resource: ResourceType) -> None:
        """Register a type; a second type at the same group, version and plural fails."""
        path = (resource.group, resource.version, resource.plural)
        if path in self._by_path:
            raise ValueError(f"resource {resource.plural} of {resource.group_version} exists")
        self._by_path[path] = resource
        self._by_kind[(resource.group, resource.version, resource.kind)] = resource

    def remove(self, group: str, version: str, plural: str) -> None:
        resource = self._by_path.pop((group, version, plural))
        del self._by_kind[(group, version, resource.kind)]

    def by_path(self, group: str, version: str, plural: str) -> ResourceType | None:
        """The type served at ``/apis/{group}/{version}/{plural}`` (core: group "")."""
        return self._by_path.get((group, version, plural))

    def by_kind(self, group: str, version: str, kind: str) -> ResourceType | None:
        return self._by_kind.get((group, version, kind))

    def group_versions(self) -> list[tuple[str, str]]:
        """Every served (group, version), core first, then groups in name order."""
        return sorted({(r.group, r.version) for r in self}, key=lambda gv: (gv[0] != "", gv))

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [r for r in self if r.group == group and r.version == version]

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(self._by_path.values())

    def __len__(self) -> int:
        return len(self._by_path)
