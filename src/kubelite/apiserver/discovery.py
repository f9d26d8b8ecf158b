"""Discovery: the documents that tell clients which resource types are served.

Clients learn the API from two families of documents, both built here from the
one ``ResourceTypes`` table so that they can never disagree:

* legacy discovery, the only kind the Python clients, kopf and kr8s read:
  ``/api`` (``APIVersions``), ``/apis`` (``APIGroupList``), ``/apis/{group}``
  (``APIGroup``) and one ``APIResourceList`` per group-version, where each
  subresource is an entry of its own named ``pods/status`` or
  ``deployments/scale``;
* aggregated discovery (``apidiscovery.k8s.io/v2``), which ``kubectl`` asks for
  first: ``/api`` and ``/apis`` each answer with every group, version and
  resource at once, the subresources nested under their resource.

Worked example, the Deployment's scale subresource in each family::

    legacy      {"name": "deployments/scale", "singularName": "", "namespaced": true,
                 "group": "autoscaling", "version": "v1", "kind": "Scale",
                 "verbs": ["get", "patch", "update"]}
    aggregated  {"subresource": "scale",
                 "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
                 "verbs": ["get", "patch", "update"]}

The documents change only when the table does, which happens when a CRD is
established or removed, while clients fetch them at the start of nearly every
command. So each is serialised once, kept as bytes, and served as is until
``Discovery.invalidate`` drops them all; whoever changes the table must call it.

The two families share the paths ``/api`` and ``/apis`` and are told apart by
the ``Accept`` header alone, as Kubernetes negotiates it: the aggregated
document only for a media range that names it by group, version and kind, the
legacy one for plain JSON. The aggregated answer must carry
``AGGREGATED_CONTENT_TYPE``: ``kubectl`` decodes the same body sent as plain
``application/json`` as legacy ``APIVersions`` and then finds no resources.

Where Kubernetes leaves a choice, kubelite answers as follows, and the tests
pin it down:

* groups are listed the way Kubernetes ranks its own groups (``apps`` before
  ``events.k8s.io`` before ``coordination.k8s.io``), then every other group,
  such as a CRD's, by name; a group's versions are ranked GA, beta, alpha, the
  newest first, and the first is the preferred version;
* resources are sorted by name, so a subresource follows its parent;
* ``storageVersionHash`` is omitted, because the table does not say which
  version each type is stored in; ``metadata.creationTimestamp: null``, an
  artifact of Go's encoder, is not reproduced;
* ``serverAddressByClientCIDRs`` lists the server's address for every client
  (``0.0.0.0/0``) when one is given, and is empty otherwise;
* ``/version`` reports the Kubernetes release whose OpenAPI definitions are
  served, with ``+kubelite`` as build metadata (``v1.37.0+kubelite``); fields
  that describe a Go build describe this process instead (``goVersion``
  ``python3.11.7``, ``compiler`` ``cpython``, ``platform`` ``linux/amd64``);
  ``gitCommit`` and ``gitTreeState`` are empty and ``buildDate`` is the epoch,
  as in an unstamped Kubernetes build.
"""

from __future__ import annotations

import enum
import platform
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from kubelite.api.openapi.definitions import KUBERNETES_VERSION
from kubelite.api.resources import ResourceType, ResourceTypes

__all__ = [
    "AGGREGATED_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "Discovery",
    "DiscoveryFormat",
    "ServerVersion",
    "negotiate",
    "version_priority",
    "wants_aggregated",
]

AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
"""The Content-Type of an aggregated document; ``kubectl`` requires it exactly."""

JSON_CONTENT_TYPE = "application/json"
"""The Content-Type of every legacy document and of ``/version``."""

# The media type parameters of the one conversion discovery offers.
_AGGREGATED_TARGET = {"g": "apidiscovery.k8s.io", "v": "v2", "as": "APIGroupDiscoveryList"}

# Kubernetes' own groups in the order its API server lists them (highest
# priority first). Groups not named here, a CRD's for instance, come after
# them by name, as CRD groups rank below every built-in group in Kubernetes.
_GROUP_ORDER = (
    "apiregistration.k8s.io",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io",
    "resource.k8s.io",
    "storagemigration.k8s.io",
)
_GROUP_RANK = {group: rank for rank, group in enumerate(_GROUP_ORDER)}

_KUBE_VERSION = re.compile(r"v([1-9][0-9]*)(?:(alpha|beta)([1-9][0-9]*))?")
_STABILITY_RANK = {None: 0, "beta": 1, "alpha": 2}


def version_priority(version: str) -> tuple[int, int, int, str]:
    """A sort key that puts the version a client should prefer first.

    GA versions come before beta before alpha, each the highest number first;
    a version that is not Kubernetes-shaped comes last, by name. For example
    ``v2, v1, v2beta1, v1beta2, v1beta1, v1alpha1, foo``.
    """
    match = _KUBE_VERSION.fullmatch(version)
    if match is None:
        return (3, 0, 0, version)
    major, stability, minor = match.groups()
    return (_STABILITY_RANK[stability], -int(major), -int(minor or 0), "")


def _group_priority(group: str) -> tuple[int, str]:
    return (_GROUP_RANK.get(group, len(_GROUP_ORDER)), group)


# ------------------------------------------------------------------ negotiation


class DiscoveryFormat(enum.Enum):
    """Which family of document answers a request for ``/api`` or ``/apis``."""

    LEGACY = "legacy"
    AGGREGATED = "aggregated"


@dataclass(frozen=True, slots=True)
class _MediaRange:
    type: str
    subtype: str
    params: tuple[tuple[str, str], ...]
    quality: float

    def matches_json(self) -> bool:
        return self.type in ("application", "*") and self.subtype in ("json", "*")


def _parse_accept(accept: str) -> list[_MediaRange]:
    """The media ranges of an Accept header, the most preferred first.

    Higher quality first; at equal quality a concrete type before a wildcard,
    and otherwise the order of the header, which is how Kubernetes ranks them.
    """
    ranges: list[_MediaRange] = []
    for clause in accept.split(","):
        media, *raw_params = (part.strip() for part in clause.split(";"))
        media = media.lower()
        if media == "*":
            media = "*/*"
        kind, slash, subtype = media.partition("/")
        if not slash or not kind or not subtype:
            continue
        quality = 1.0
        params: list[tuple[str, str]] = []
        for raw in raw_params:
            key, _, value = raw.partition("=")
            key, value = key.strip().lower(), value.strip().strip('"')
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
            elif key:
                params.append((key, value))
        ranges.append(_MediaRange(kind, subtype, tuple(params), quality))
    ranges.sort(key=lambda r: (-r.quality, r.type == "*", r.subtype == "*"))
    return ranges


def negotiate(accept: str) -> DiscoveryFormat | None:
    """The discovery format an Accept header asks for; None if none is acceptable.

    A media range is acceptable when it matches JSON (the only encoding served
    here) and either asks for no conversion (no ``g``, ``v`` or ``as``
    parameter: legacy) or for exactly ``apidiscovery.k8s.io/v2``
    ``APIGroupDiscoveryList`` (aggregated). Anything else, ``v2beta1`` or a
    Table for instance, is skipped in favour of the next range. An empty header
    accepts anything, and gets the legacy document. None means 406.
    """
    if not accept.strip():
        return DiscoveryFormat.LEGACY
    for media in _parse_accept(accept):
        if media.quality <= 0 or not media.matches_json():
            continue
        conversion = {k: v for k, v in media.params if k in _AGGREGATED_TARGET}
        if not conversion:
            return DiscoveryFormat.LEGACY
        if conversion == _AGGREGATED_TARGET:
            return DiscoveryFormat.AGGREGATED
    return None


def wants_aggregated(accept_header: str) -> bool:
    """Whether a request for ``/api`` or ``/apis`` gets the aggregated document.

    False covers both a legacy request and one nothing here can satisfy; the
    legacy handler's own negotiation answers the latter with 406.
    """
    return negotiate(accept_header) is DiscoveryFormat.AGGREGATED


# ---------------------------------------------------------------------- version


def _go_platform() -> str:
    """This machine as Go names a platform: ``linux/amd64``, ``darwin/arm64``."""
    system = {"win32": "windows", "cygwin": "windows"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64", "i386": "386", "i686": "386"}.get(
        machine, machine
    )
    return f"{system}/{arch}"


@dataclass(frozen=True, slots=True)
class ServerVersion:
    """What ``/version`` reports; ``ServerVersion.current()`` for this process."""

    major: str
    minor: str
    git_version: str
    git_commit: str = ""
    git_tree_state: str = ""
    build_date: str = "1970-01-01T00:00:00Z"
    go_version: str = ""
    compiler: str = ""
    platform: str = ""

    @classmethod
    def current(cls, kubernetes_version: str = KUBERNETES_VERSION) -> ServerVersion:
        """The version of the served API (``v1.37.0``) and of this process."""
        match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+", kubernetes_version)
        if match is None:
            raise ValueError(f"kubernetes version {kubernetes_version!r} is not vX.Y.Z")
        return cls(
            major=match[1],
            minor=match[2],
            git_version=f"{kubernetes_version}+kubelite",
            go_version=f"python{platform.python_version()}",
            compiler=platform.python_implementation().lower(),
            platform=_go_platform(),
        )

    def to_json(self) -> dict[str, str]:
        """The ``version.Info`` body, with Kubernetes' emulation fields.

        A server emulates its own release and stays compatible with the one
        before, so those fields follow from ``major`` and ``minor``.
        """
        min_minor = str(int(self.minor) - 1) if self.minor.isdigit() else self.minor
        return {
            "major": self.major,
            "minor": self.minor,
            "emulationMajor": self.major,
            "emulationMinor": self.minor,
            "minCompatibilityMajor": self.major,
            "minCompatibilityMinor": min_minor,
            "gitVersion": self.git_version,
            "gitCommit": self.git_commit,
            "gitTreeState": self.git_tree_state,
            "buildDate": self.build_date,
            "goVersion": self.go_version,
            "compiler": self.compiler,
            "platform": self.platform,
        }


# -------------------------------------------------------------------- documents


@dataclass(frozen=True, slots=True)
class _Index:
    """The table arranged as discovery lists it; rebuilt after each invalidate."""

    # Every served group with its versions, both in the order clients see them:
    # the core group "" first, then by _group_priority; versions by
    # version_priority, so versions[0] is the preferred one.
    groups: tuple[tuple[str, tuple[str, ...]], ...]
    # The types of each served (group, version), sorted by plural; never empty.
    resources: dict[tuple[str, str], tuple[ResourceType, ...]]


def _build_index(types: ResourceTypes) -> _Index:
    by_gv: dict[tuple[str, str], list[ResourceType]] = {}
    for resource in types:
        by_gv.setdefault((resource.group, resource.version), []).append(resource)
    versions: dict[str, list[str]] = {}
    for group, version in by_gv:
        versions.setdefault(group, []).append(version)
    groups = tuple(
        (group, tuple(sorted(versions[group], key=version_priority)))
        for group in sorted(versions, key=lambda g: (g != "", _group_priority(g)))
    )
    resources = {
        gv: tuple(sorted(members, key=lambda r: r.plural)) for gv, members in by_gv.items()
    }
    return _Index(groups, resources)


def _group_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def _legacy_entries(resource: ResourceType) -> list[dict[str, Any]]:
    """The ``APIResource`` entries of a type: itself, then each subresource."""
    entry: dict[str, Any] = {
        "name": resource.plural,
        "singularName": resource.singular,
        "namespaced": resource.namespaced,
        "kind": resource.kind,
        "verbs": list(resource.verbs),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    entries = [entry]
    for sub in resource.subresources:
        sub_entry: dict[str, Any] = {
            "name": f"{resource.plural}/{sub.name}",
            "singularName": "",
            "namespaced": resource.namespaced,
        }
        if sub.group:
            sub_entry["group"] = sub.group
        if sub.version:
            sub_entry["version"] = sub.version
        sub_entry["kind"] = sub.kind or resource.kind
        sub_entry["verbs"] = list(sub.verbs)
        entries.append(sub_entry)
    return entries


def _aggregated_resource(resource: ResourceType) -> dict[str, Any]:
    """The ``APIResourceDiscovery`` of a type, its subresources nested."""
    own_kind = {"group": resource.group, "version": resource.version, "kind": resource.kind}
    entry: dict[str, Any] = {
        "resource": resource.plural,
        "responseKind": own_kind,
        "scope": "Namespaced" if resource.namespaced else "Cluster",
        "singularResource": resource.singular,
        "verbs": list(resource.verbs),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    if resource.subresources:
        entry["subresources"] = [
            {
                "subresource": sub.name,
                "responseKind": (
                    {"group": sub.group, "version": sub.version, "kind": sub.kind}
                    if sub.kind
                    else own_kind
                ),
                "verbs": list(sub.verbs),
            }
            for sub in sorted(resource.subresources, key=lambda s: s.name)
        ]
    return entry


def _version_ref(group: str, version: str) -> dict[str, str]:
    return {"groupVersion": _group_version(group, version), "version": version}


class Discovery:
    """The discovery documents of a ``ResourceTypes`` table, serialised once.

    Each method returns the JSON body of one endpoint, computed on first use
    and cached. The table is read, never copied: after adding or removing a
    type, call ``invalidate`` or the old documents go on being served. Meant
    for the event loop's thread; the documents are rebuilt, not locked.
    """

    def __init__(
        self,
        types: ResourceTypes,
        *,
        server_address: str = "",
        server_version: ServerVersion | None = None,
    ) -> None:
        self._types = types
        self._server_address = server_address
        self._server_version = server_version or ServerVersion.current()
        # Invariant: the index and the documents reflect the table as it was
        # when they were built; invalidate() drops both together. The version
        # document does not depend on the table and is kept.
        self._index: _Index | None = None
        self._documents: dict[tuple[str, str, str], bytes] = {}
        self._version_document: bytes | None = None

    def invalidate(self) -> None:
        """Forget every document; the next request rebuilds from the table."""
        self._index = None
        self._documents.clear()

    # Legacy discovery.

    def legacy_api(self) -> bytes:
        """``/api``: the ``APIVersions`` of the core group."""
        return self._cached(("api", "", ""), self._build_legacy_api)

    def legacy_groups(self) -> bytes:
        """``/apis``: the ``APIGroupList`` of every named group."""
        return self._cached(("apis", "", ""), self._build_legacy_groups)

    def legacy_group(self, group: str) -> bytes | None:
        """``/apis/{group}``: one ``APIGroup``, or None if the group is not served."""
        if not group or not self._versions_of(group):
            return None
        return self._cached(("group", group, ""), lambda: self._build_legacy_group(group))

    def legacy_resources(self, group: str, version: str) -> bytes | None:
        """``/api/v1`` or ``/apis/{group}/{version}``: an ``APIResourceList``.

        None when the group-version is not served (the caller answers 404).
        """
        if (group, version) not in self._get_index().resources:
            return None
        return self._cached(
            ("resources", group, version),
            lambda: self._build_legacy_resources(group, version),
        )

    # Aggregated discovery.

    def aggregated_api(self) -> bytes:
        """``/api`` in ``apidiscovery.k8s.io/v2``: the core group alone."""
        return self._cached(("aggregated", "api", ""), lambda: self._build_aggregated(core=True))

    def aggregated_groups(self) -> bytes:
        """``/apis`` in ``apidiscovery.k8s.io/v2``: every named group."""
        return self._cached(("aggregated", "apis", ""), lambda: self._build_aggregated(core=False))

    # Version.

    def version(self) -> bytes:
        """``/version``; it does not depend on the table and survives invalidate."""
        if self._version_document is None:
            self._version_document = orjson.dumps(self._server_version.to_json())
        return self._version_document

    # Building.

    def _cached(self, key: tuple[str, str, str], build: Callable[[], object]) -> bytes:
        document = self._documents.get(key)
        if document is None:
            document = orjson.dumps(build())
            self._documents[key] = document
        return document

    def _get_index(self) -> _Index:
        if self._index is None:
            self._index = _build_index(self._types)
        return self._index

    def _versions_of(self, group: str) -> tuple[str, ...]:
        for name, versions in self._get_index().groups:
            if name == group:
                return versions
        return ()

    def _build_legacy_api(self) -> dict[str, Any]:
        # Kubernetes writes APIVersions without an apiVersion, unlike the rest.
        addresses = (
            [{"clientCIDR": "0.0.0.0/0", "serverAddress": self._server_address}]
            if self._server_address
            else []
        )
        return {
            "kind": "APIVersions",
            "versions": list(self._versions_of("")),
            "serverAddressByClientCIDRs": addresses,
        }

    def _group_body(self, group: str) -> dict[str, Any]:
        versions = self._versions_of(group)
        return {
            "name": group,
            "versions": [_version_ref(group, v) for v in versions],
            "preferredVersion": _version_ref(group, versions[0]),
        }

    def _build_legacy_groups(self) -> dict[str, Any]:
        groups = [self._group_body(group) for group, _ in self._get_index().groups if group]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def _build_legacy_group(self, group: str) -> dict[str, Any]:
        return {"kind": "APIGroup", "apiVersion": "v1", **self._group_body(group)}

    def _build_legacy_resources(self, group: str, version: str) -> dict[str, Any]:
        entries = [
            entry
            for resource in self._get_index().resources[(group, version)]
            for entry in _legacy_entries(resource)
        ]
        entries.sort(key=lambda e: str(e["name"]))
        head: dict[str, Any] = {"kind": "APIResourceList"}
        if group:
            # As in Kubernetes: the core list has no apiVersion, the others do.
            head["apiVersion"] = "v1"
        return {**head, "groupVersion": _group_version(group, version), "resources": entries}

    def _build_aggregated(self, *, core: bool) -> dict[str, Any]:
        index = self._get_index()
        items = []
        for group, versions in index.groups:
            if (group == "") != core:
                continue
            items.append(
                {
                    "metadata": {"name": group} if group else {},
                    "versions": [
                        {
                            "version": version,
                            "resources": [
                                _aggregated_resource(resource)
                                for resource in index.resources[(group, version)]
                            ],
                            "freshness": "Current",
                        }
                        for version in versions
                    ],
                }
            )
        return {
            "kind": "APIGroupDiscoveryList",
            "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {},
            "items": items,
        }
