"""The built-in resource table: the names kubectl resolves must be Kubernetes' own."""

from __future__ import annotations

import pytest

from kubelite.api.resources import BUILT_IN, ResourceType, ResourceTypes


def test_every_type_the_api_server_serves_is_described() -> None:
    types = ResourceTypes()
    served = {(r.group_version, r.plural) for r in types}
    assert served == {
        ("v1", "namespaces"),
        ("v1", "pods"),
        ("v1", "services"),
        ("v1", "endpoints"),
        ("v1", "configmaps"),
        ("v1", "secrets"),
        ("v1", "serviceaccounts"),
        ("v1", "nodes"),
        ("v1", "events"),
        ("v1", "resourcequotas"),
        ("v1", "limitranges"),
        ("apps/v1", "deployments"),
        ("apps/v1", "replicasets"),
        ("coordination.k8s.io/v1", "leases"),
        ("apiextensions.k8s.io/v1", "customresourcedefinitions"),
        ("events.k8s.io/v1", "events"),
    }


def test_lookups_by_path_and_by_kind_agree() -> None:
    types = ResourceTypes()
    deployment = types.by_path("apps", "v1", "deployments")
    assert deployment is not None
    assert types.by_kind("apps", "v1", "Deployment") is deployment
    assert deployment.list_kind == "DeploymentList"
    assert deployment.short_names == ("deploy",)
    scale = deployment.subresource("scale")
    assert scale is not None
    assert (scale.group, scale.version, scale.kind) == ("autoscaling", "v1", "Scale")
    assert deployment.subresource("log") is None
    assert types.by_path("", "v1", "deployments") is None


def test_scopes_short_names_and_categories_match_kubernetes() -> None:
    types = {r.group_version + "/" + r.plural: r for r in BUILT_IN}
    assert not types["v1/namespaces"].namespaced
    assert not types["v1/nodes"].namespaced
    assert types["v1/pods"].namespaced
    assert {r.plural for r in BUILT_IN if "all" in r.categories} == {
        "pods",
        "services",
        "deployments",
        "replicasets",
    }
    assert types["v1/pods"].short_names == ("po",)
    assert types["v1/services"].short_names == ("svc",)
    assert "deletecollection" not in types["v1/namespaces"].verbs


def test_group_versions_list_core_first() -> None:
    assert ResourceTypes().group_versions() == [
        ("", "v1"),
        ("apiextensions.k8s.io", "v1"),
        ("apps", "v1"),
        ("coordination.k8s.io", "v1"),
        ("events.k8s.io", "v1"),
    ]


def test_a_second_type_at_the_same_path_is_refused_and_removal_works() -> None:
    types = ResourceTypes()
    redis = ResourceType("cache.example.com", "v1", "Redis", "redises", "redis", True)
    types.add(redis)
    with pytest.raises(ValueError, match=r"redises of cache\.example\.com/v1 exists"):
        types.add(redis)
    assert types.by_kind("cache.example.com", "v1", "Redis") is redis
    types.remove("cache.example.com", "v1", "redises")
    assert types.by_path("cache.example.com", "v1", "redises") is None
    assert len(types) == len(BUILT_IN)
