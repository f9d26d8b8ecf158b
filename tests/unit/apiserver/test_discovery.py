"""Discovery documents: the exact shapes clients decode, and how /api negotiates.

The expected bodies are written out in full for a few types, because kubectl and
the Python clients read these fields by name (shortNames for ``get po``,
categories for ``get all``, the ``deployments/scale`` entry for ``scale``).
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from kubelite.api.resources import ALL_VERBS, ResourceType, ResourceTypes, Subresource
from kubelite.apiserver.discovery import (
    AGGREGATED_CONTENT_TYPE,
    Discovery,
    DiscoveryFormat,
    ServerVersion,
    negotiate,
    version_priority,
    wants_aggregated,
)

STATUS_VERBS = ["get", "patch", "update"]

REDIS = ResourceType(
    "cache.example.com",
    "v1",
    "Redis",
    "redises",
    "redis",
    namespaced=True,
    short_names=("rd",),
    categories=("all",),
    subresources=(Subresource("status", ("get", "patch", "update")),),
)


def load(document: bytes | None) -> Any:
    if document is None:
        raise AssertionError("no document")
    return orjson.loads(document)


def legacy_entry(discovery: Discovery, group: str, version: str, name: str) -> Any:
    resources = load(discovery.legacy_resources(group, version))["resources"]
    matches = [entry for entry in resources if entry["name"] == name]
    if len(matches) != 1:
        raise AssertionError(f"{len(matches)} entries named {name}")
    return matches[0]


def aggregated_resource(document: bytes, group: str, version: str, plural: str) -> Any:
    for item in load(document)["items"]:
        if item["metadata"].get("name", "") != group:
            continue
        for served in item["versions"]:
            if served["version"] != version:
                continue
            for resource in served["resources"]:
                if resource["resource"] == plural:
                    return resource
    raise AssertionError(f"{plural} of {group}/{version} not found")


@pytest.fixture
def discovery() -> Discovery:
    return Discovery(ResourceTypes(), server_address="10.0.0.1:6443")


# Legacy discovery.


def test_api_lists_the_core_version_and_the_server_address(discovery: Discovery) -> None:
    assert load(discovery.legacy_api()) == {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:6443"}
        ],
    }


def test_without_an_address_the_cidr_list_is_empty_but_present() -> None:
    document = load(Discovery(ResourceTypes()).legacy_api())
    assert document["serverAddressByClientCIDRs"] == []


def test_core_pods_with_their_status_and_log_subresources(discovery: Discovery) -> None:
    document = load(discovery.legacy_resources("", "v1"))
    assert document["kind"] == "APIResourceList"
    assert "apiVersion" not in document
    assert document["groupVersion"] == "v1"
    names = [entry["name"] for entry in document["resources"]]
    assert names == sorted(names)
    start = names.index("pods")
    assert document["resources"][start : start + 3] == [
        {
            "name": "pods",
            "singularName": "pod",
            "namespaced": True,
            "kind": "Pod",
            "verbs": list(ALL_VERBS),
            "shortNames": ["po"],
            "categories": ["all"],
        },
        {
            "name": "pods/log",
            "singularName": "",
            "namespaced": True,
            "kind": "Pod",
            "verbs": ["get"],
        },
        {
            "name": "pods/status",
            "singularName": "",
            "namespaced": True,
            "kind": "Pod",
            "verbs": STATUS_VERBS,
        },
    ]


def test_deployments_scale_speaks_autoscaling_v1_scale(discovery: Discovery) -> None:
    document = load(discovery.legacy_resources("apps", "v1"))
    assert document["apiVersion"] == "v1"
    assert document["groupVersion"] == "apps/v1"
    assert legacy_entry(discovery, "apps", "v1", "deployments") == {
        "name": "deployments",
        "singularName": "deployment",
        "namespaced": True,
        "kind": "Deployment",
        "verbs": list(ALL_VERBS),
        "shortNames": ["deploy"],
        "categories": ["all"],
    }
    assert legacy_entry(discovery, "apps", "v1", "deployments/scale") == {
        "name": "deployments/scale",
        "singularName": "",
        "namespaced": True,
        "group": "autoscaling",
        "version": "v1",
        "kind": "Scale",
        "verbs": STATUS_VERBS,
    }
    status = legacy_entry(discovery, "apps", "v1", "deployments/status")
    assert (status["kind"], "group" in status) == ("Deployment", False)


def test_namespaces_and_nodes_are_cluster_scoped(discovery: Discovery) -> None:
    assert legacy_entry(discovery, "", "v1", "namespaces") == {
        "name": "namespaces",
        "singularName": "namespace",
        "namespaced": False,
        "kind": "Namespace",
        "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
        "shortNames": ["ns"],
    }
    finalize = legacy_entry(discovery, "", "v1", "namespaces/finalize")
    assert (finalize["namespaced"], finalize["verbs"]) == (False, ["update"])
    assert legacy_entry(discovery, "", "v1", "nodes") == {
        "name": "nodes",
        "singularName": "node",
        "namespaced": False,
        "kind": "Node",
        "verbs": list(ALL_VERBS),
        "shortNames": ["no"],
    }
    assert legacy_entry(discovery, "", "v1", "nodes/status")["namespaced"] is False


def test_types_without_short_names_or_categories_omit_the_fields(
    discovery: Discovery,
) -> None:
    secrets = legacy_entry(discovery, "", "v1", "secrets")
    assert "shortNames" not in secrets
    assert "categories" not in secrets
    assert "storageVersionHash" not in secrets


def test_groups_are_listed_with_their_preferred_version(discovery: Discovery) -> None:
    document = load(discovery.legacy_groups())
    assert (document["kind"], document["apiVersion"]) == ("APIGroupList", "v1")
    assert [group["name"] for group in document["groups"]] == [
        "apps",
        "events.k8s.io",
        "apiextensions.k8s.io",
        "coordination.k8s.io",
    ]
    assert document["groups"][0] == {
        "name": "apps",
        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
    }


def test_one_group_is_served_at_its_own_path(discovery: Discovery) -> None:
    assert load(discovery.legacy_group("coordination.k8s.io")) == {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": "coordination.k8s.io",
        "versions": [{"groupVersion": "coordination.k8s.io/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "coordination.k8s.io/v1", "version": "v1"},
    }
    assert discovery.legacy_group("batch") is None
    assert discovery.legacy_group("") is None


def test_unserved_group_versions_have_no_resource_list(discovery: Discovery) -> None:
    assert discovery.legacy_resources("apps", "v1beta1") is None
    assert discovery.legacy_resources("", "v2") is None
    assert discovery.legacy_resources("batch", "v1") is None


def test_the_ga_version_is_preferred_over_newer_betas() -> None:
    types = ResourceTypes()
    for version in ("v1beta1", "v2alpha1", "v1", "v2beta1"):
        types.add(
            ResourceType("example.com", version, "Widget", "widgets", "widget", namespaced=True)
        )
    discovery = Discovery(types)
    groups = load(discovery.legacy_groups())["groups"]
    example = next(group for group in groups if group["name"] == "example.com")
    assert [v["version"] for v in example["versions"]] == ["v1", "v2beta1", "v1beta1", "v2alpha1"]
    assert example["preferredVersion"] == {"groupVersion": "example.com/v1", "version": "v1"}
    aggregated = load(discovery.aggregated_groups())["items"]
    item = next(item for item in aggregated if item["metadata"]["name"] == "example.com")
    assert [v["version"] for v in item["versions"]] == ["v1", "v2beta1", "v1beta1", "v2alpha1"]


def test_version_priority_orders_stability_then_number() -> None:
    versions = ["v1alpha1", "foo", "v1beta1", "v1", "v11alpha2", "v2", "v1beta2", "bar"]
    assert sorted(versions, key=version_priority) == [
        "v2",
        "v1",
        "v1beta2",
        "v1beta1",
        "v11alpha2",
        "v1alpha1",
        "bar",
        "foo",
    ]


# Aggregated discovery.


def test_aggregated_pods_with_nested_subresources(discovery: Discovery) -> None:
    document = load(discovery.aggregated_api())
    assert document["kind"] == "APIGroupDiscoveryList"
    assert document["apiVersion"] == "apidiscovery.k8s.io/v2"
    assert document["metadata"] == {}
    [core] = document["items"]
    assert core["metadata"] == {}
    [v1] = core["versions"]
    assert (v1["version"], v1["freshness"]) == ("v1", "Current")
    pod_kind = {"group": "", "version": "v1", "kind": "Pod"}
    assert aggregated_resource(discovery.aggregated_api(), "", "v1", "pods") == {
        "resource": "pods",
        "responseKind": pod_kind,
        "scope": "Namespaced",
        "singularResource": "pod",
        "verbs": list(ALL_VERBS),
        "shortNames": ["po"],
        "categories": ["all"],
        "subresources": [
            {"subresource": "log", "responseKind": pod_kind, "verbs": ["get"]},
            {"subresource": "status", "responseKind": pod_kind, "verbs": STATUS_VERBS},
        ],
    }


def test_aggregated_deployments_scale_and_cluster_scope(discovery: Discovery) -> None:
    deployments = aggregated_resource(discovery.aggregated_groups(), "apps", "v1", "deployments")
    assert deployments["responseKind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert deployments["shortNames"] == ["deploy"]
    assert deployments["subresources"] == [
        {
            "subresource": "scale",
            "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
            "verbs": STATUS_VERBS,
        },
        {
            "subresource": "status",
            "responseKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "verbs": STATUS_VERBS,
        },
    ]
    namespaces = aggregated_resource(discovery.aggregated_api(), "", "v1", "namespaces")
    assert namespaces["scope"] == "Cluster"
    assert "categories" not in namespaces
    nodes = aggregated_resource(discovery.aggregated_api(), "", "v1", "nodes")
    assert (nodes["scope"], nodes["singularResource"]) == ("Cluster", "node")


def test_aggregated_documents_contain_every_type(discovery: Discovery) -> None:
    listed: set[tuple[str, str, str]] = set()
    for document in (discovery.aggregated_api(), discovery.aggregated_groups()):
        for item in load(document)["items"]:
            group = item["metadata"].get("name", "")
            for served in item["versions"]:
                for resource in served["resources"]:
                    listed.add((group, served["version"], resource["resource"]))
    assert listed == {(r.group, r.version, r.plural) for r in ResourceTypes()}
    groups = [item["metadata"]["name"] for item in load(discovery.aggregated_groups())["items"]]
    assert groups == ["apps", "events.k8s.io", "apiextensions.k8s.io", "coordination.k8s.io"]


def test_legacy_and_aggregated_agree_on_every_type(discovery: Discovery) -> None:
    for resource in ResourceTypes():
        document = discovery.aggregated_groups() if resource.group else discovery.aggregated_api()
        aggregated = aggregated_resource(
            document, resource.group, resource.version, resource.plural
        )
        legacy = legacy_entry(discovery, resource.group, resource.version, resource.plural)
        assert aggregated["verbs"] == legacy["verbs"]
        assert aggregated["singularResource"] == legacy["singularName"]
        assert aggregated.get("shortNames") == legacy.get("shortNames")
        assert aggregated.get("categories") == legacy.get("categories")
        assert (aggregated["scope"] == "Namespaced") is legacy["namespaced"]
        subresources = [s["subresource"] for s in aggregated.get("subresources", [])]
        assert subresources == sorted(s.name for s in resource.subresources)


# Caching and invalidation.


def test_documents_are_cached_until_invalidated() -> None:
    types = ResourceTypes()
    discovery = Discovery(types)
    before = discovery.legacy_groups()
    assert discovery.legacy_groups() is before

    types.add(REDIS)
    assert discovery.legacy_groups() is before
    assert discovery.legacy_resources("cache.example.com", "v1") is None

    discovery.invalidate()
    groups = [group["name"] for group in load(discovery.legacy_groups())["groups"]]
    assert groups == [
        "apps",
        "events.k8s.io",
        "apiextensions.k8s.io",
        "coordination.k8s.io",
        "cache.example.com",
    ]
    assert legacy_entry(discovery, "cache.example.com", "v1", "redises/status")["kind"] == "Redis"
    redises = aggregated_resource(
        discovery.aggregated_groups(), "cache.example.com", "v1", "redises"
    )
    assert (redises["shortNames"], redises["categories"]) == (["rd"], ["all"])


def test_removed_types_disappear_after_invalidate() -> None:
    types = ResourceTypes()
    types.add(REDIS)
    discovery = Discovery(types)
    assert discovery.legacy_resources("cache.example.com", "v1") is not None
    types.remove("cache.example.com", "v1", "redises")
    discovery.invalidate()
    assert discovery.legacy_resources("cache.example.com", "v1") is None
    assert discovery.legacy_group("cache.example.com") is None
    assert b"cache.example.com" not in discovery.aggregated_groups()


# Negotiation.

KUBECTL = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
KUBECTL_1_32 = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (KUBECTL, DiscoveryFormat.AGGREGATED),
        (KUBECTL_1_32, DiscoveryFormat.AGGREGATED),
        ("application/json", DiscoveryFormat.LEGACY),
        ("*/*", DiscoveryFormat.LEGACY),
        ("application/json, */*", DiscoveryFormat.LEGACY),
        ("", DiscoveryFormat.LEGACY),
        ("application/vnd.kubernetes.protobuf,application/json", DiscoveryFormat.LEGACY),
        # Only v2 is served: a client asking for v2beta1 gets legacy JSON.
        (
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
            "application/json",
            DiscoveryFormat.LEGACY,
        ),
        # Parameters in any order and spacing, and case-insensitive names.
        (
            "application/json; AS=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io",
            DiscoveryFormat.AGGREGATED,
        ),
        # Quality ranks before header order; q=0 refuses a range.
        (
            "application/json;q=0.5,"
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
            DiscoveryFormat.AGGREGATED,
        ),
        (
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0,"
            "application/json",
            DiscoveryFormat.LEGACY,
        ),
        # A partial conversion is no conversion Kubernetes allows.
        ("application/json;g=apidiscovery.k8s.io;v=v2", None),
        ("application/json;as=Table;v=v1;g=meta.k8s.io", None),
        ("application/yaml", None),
        ("application/vnd.kubernetes.protobuf", None),
        ("text/html", None),
    ],
)
def test_accept_negotiation(accept: str, expected: DiscoveryFormat | None) -> None:
    assert negotiate(accept) is expected
    assert wants_aggregated(accept) is (expected is DiscoveryFormat.AGGREGATED)


def test_the_aggregated_content_type_is_the_one_kubectl_requires() -> None:
    assert AGGREGATED_CONTENT_TYPE == (
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    )
    assert wants_aggregated(AGGREGATED_CONTENT_TYPE)


# Version.


def test_version_reports_the_served_release_with_kubelite_build_metadata() -> None:
    version = ServerVersion.current("v1.37.0")
    document = load(Discovery(ResourceTypes(), server_version=version).version())
    assert document["major"] == "1"
    assert document["minor"] == "37"
    assert document["gitVersion"] == "v1.37.0+kubelite"
    assert (document["emulationMajor"], document["emulationMinor"]) == ("1", "37")
    assert document["minCompatibilityMinor"] == "36"
    assert document["goVersion"].startswith("python3.")
    assert document["platform"].count("/") == 1
    # Every field the Python client's VersionInfo requires is present.
    required = [
        "buildDate",
        "compiler",
        "gitCommit",
        "gitTreeState",
        "gitVersion",
        "goVersion",
        "major",
        "minor",
        "platform",
    ]
    assert all(isinstance(document[key], str) for key in required)


def test_version_defaults_to_the_release_of_the_openapi_definitions() -> None:
    document = load(Discovery(ResourceTypes()).version())
    assert document["gitVersion"].endswith("+kubelite")
    assert document["gitVersion"].startswith(f"v{document['major']}.{document['minor']}.")


def test_a_malformed_kubernetes_version_is_refused() -> None:
    with pytest.raises(ValueError, match=r"is not vX\.Y\.Z"):
        ServerVersion.current("1.37")
