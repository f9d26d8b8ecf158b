"""Cluster IPs and node ports: drawn on create, refused when taken, kept on update."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kubelite.api.errors import InvalidError
from kubelite.api.resources import ResourceTypes
from kubelite.apiserver import services
from kubelite.apiserver.registry import Registry
from kubelite.store.sqlite import SqliteStore


def service(kind: str = "ClusterIP", **spec: Any) -> dict[str, Any]:
    return {"spec": {"type": kind, "ports": [{"port": 80}], **spec}}


def test_a_cluster_ip_is_drawn_from_the_range_and_not_reused() -> None:
    used = {"10.96.0.7"}
    rng = random.Random(1)
    seen = set()
    for _ in range(200):
        obj = service()
        assert services.allocate(obj, used, set(), rng=rng) == []
        ip = obj["spec"]["clusterIP"]
        assert ipaddress.ip_address(ip) in services.SERVICE_CIDR
        assert ip not in (services.API_SERVICE_IP, "10.96.0.7")
        assert obj["spec"]["clusterIPs"] == [ip]
        seen.add(ip)
    assert len(seen) == 200


def test_headless_and_external_name_services_get_no_address() -> None:
    headless = service(clusterIP="None")
    services.allocate(headless, set(), set())
    assert headless["spec"]["clusterIPs"] == ["None"]
    external = {"spec": {"type": "ExternalName", "externalName": "example.com"}}
    services.allocate(external, set(), set())
    assert "clusterIP" not in external["spec"]


def test_node_ports_are_drawn_or_checked() -> None:
    used_ports = {30001}
    obj = service("NodePort", ports=[{"port": 80}, {"port": 81, "nodePort": 30001}])
    problems = services.allocate(obj, set(), used_ports)
    assert obj["spec"]["ports"][0]["nodePort"] in services.NODE_PORTS
    assert [str(p) for p in problems] == [
        "spec.ports[1].nodePort: Invalid value: 30001: provided port is already allocated"
    ]
    outside = service("NodePort", ports=[{"port": 80, "nodePort": 80}])
    assert "provided port is not in the valid range" in str(
        services.allocate(outside, set(), set())[0]
    )


def test_an_update_keeps_what_was_allocated() -> None:
    current = service("NodePort", clusterIP="10.96.1.2", clusterIPs=["10.96.1.2"])
    current["spec"]["ports"] = [{"port": 80, "protocol": "TCP", "nodePort": 30080}]
    updated = service("NodePort")
    updated["spec"]["ports"] = [{"port": 80, "protocol": "TCP"}, {"port": 90, "protocol": "TCP"}]
    services.keep_allocated(current, updated)
    assert updated["spec"]["clusterIP"] == "10.96.1.2"
    assert updated["spec"]["ports"][0]["nodePort"] == 30080
    assert "nodePort" not in updated["spec"]["ports"][1]


@pytest.fixture
async def registry(tmp_path: Path) -> AsyncIterator[Registry]:
    store = await SqliteStore.open(tmp_path / "state.db")
    types = ResourceTypes()
    namespaces = types.by_path("", "v1", "namespaces")
    found = types.by_path("", "v1", "services")
    assert namespaces is not None
    assert found is not None
    await Registry(store, namespaces).create(
        "", {"metadata": {"name": "default"}}, dry_run=False, manager="tester"
    )
    try:
        yield Registry(store, found)
    finally:
        await store.close()


async def test_a_created_service_is_defaulted_and_addressed(registry: Registry) -> None:
    created = await registry.create(
        "default", {"metadata": {"name": "web"}, **service()}, dry_run=False, manager="tester"
    )
    spec = created["spec"]
    assert ipaddress.ip_address(spec["clusterIP"]) in services.SERVICE_CIDR
    assert spec["sessionAffinity"] == "None"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    with pytest.raises(InvalidError) as caught:
        await registry.create(
            "default",
            {"metadata": {"name": "copy"}, **service(clusterIP=spec["clusterIP"])},
            dry_run=False,
            manager="tester",
        )
    assert caught.value.message == (
        f'Service "copy" is invalid: spec.clusterIPs[0]: Invalid value: "{spec["clusterIP"]}": '
        f"failed to allocate IP {spec['clusterIP']}: provided IP is already allocated"
    )
    replaced = await registry.update(
        "default",
        "web",
        {"metadata": {"name": "web"}, **service()},
        dry_run=False,
        manager="tester",
    )
    assert replaced["spec"]["clusterIP"] == spec["clusterIP"]
