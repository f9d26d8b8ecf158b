"""The manager: leader election between two replicas, a warm standby taking
over, health and metrics."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from kubelite.client import Client, ClusterConfig
from kubelite.operator.controller import Request
from kubelite.operator.manager import Manager
from kubelite.testing.rest import Api
from kubelite.testing.waiting import until

pytestmark = pytest.mark.timeout(60)


def configmap(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {}}


@pytest.fixture
def base(server: Api) -> str:
    """The test server's URL, for the clients of several replicas."""
    return server.base


def replica(client: Client, identity: str, seen: list[tuple[str, str]]) -> Manager:
    manager = Manager(
        client,
        name="shop",
        leader_election=True,
        identity=identity,
        lease_seconds=1.0,
        renew_seconds=0.2,
        retry_seconds=0.1,
    )

    async def reconcile(request: Request) -> None:
        seen.append((identity, request.name))

    manager.controller("v1", "ConfigMap", reconcile, namespace="default")
    return manager


async def test_a_warm_standby_takes_over_when_the_leader_stops(base: str) -> None:
    seen: list[tuple[str, str]] = []
    async with Client(ClusterConfig(base)) as one, Client(ClusterConfig(base)) as two:
        first, second = replica(one, "first", seen), replica(two, "second", seen)
        running_first = asyncio.create_task(first.run())
        await until(lambda: first.leading)
        running_second = asyncio.create_task(second.run())
        await one.create(configmap("a"))
        await until(lambda: ("first", "a") in seen)
        # The standby's cache is filled, though it reconciles nothing.
        informer = second.controllers[0].informer
        await until(lambda: informer is not None and informer.get("default", "a") is not None)
        assert not second.leading
        assert not [who for who, _ in seen if who == "second"]

        running_first.cancel()  # a clean stop releases the Lease
        await asyncio.gather(running_first, return_exceptions=True)
        await until(lambda: second.leading, seconds=5)
        await two.create(configmap("b"))
        await until(lambda: ("second", "b") in seen)
        # Taking over, it reconciled what its cache held too.
        assert ("second", "a") in seen
        lease = await two.get("coordination.k8s.io/v1", "Lease", "shop")
        assert lease["spec"]["holderIdentity"] == "second"
        assert lease["spec"]["leaseTransitions"] == 1
        running_second.cancel()
        await asyncio.gather(running_second, return_exceptions=True)


async def test_a_leader_that_stops_renewing_is_replaced_after_its_lease(base: str) -> None:
    seen: list[tuple[str, str]] = []
    async with Client(ClusterConfig(base)) as one, Client(ClusterConfig(base)) as two:
        first, second = replica(one, "first", seen), replica(two, "second", seen)
        running_first = asyncio.create_task(first.run())
        await until(lambda: first.leading)
        running_second = asyncio.create_task(second.run())
        assert first.elector is not None
        first.elector.release = _nothing  # type: ignore[method-assign]  # a crash: no release
        running_first.cancel()
        await asyncio.gather(running_first, return_exceptions=True)
        await asyncio.sleep(0.5)
        assert not second.leading  # the lease (1 s) has not run out yet
        await until(lambda: second.leading, seconds=5)
        running_second.cancel()
        await asyncio.gather(running_second, return_exceptions=True)


async def _nothing() -> None:
    return None


async def test_health_readiness_and_metrics_are_served(base: str) -> None:
    async with Client(ClusterConfig(base)) as client:
        manager = Manager(client, name="shop", health_port=0, health_host="127.0.0.1")
        failures = 0

        async def reconcile(request: Request) -> None:
            nonlocal failures
            if request.name == "bad" and failures < 2:
                failures += 1
                raise RuntimeError("not yet")

        controller = manager.controller("v1", "ConfigMap", reconcile, namespace="default")
        task = asyncio.create_task(manager.run())
        await until(lambda: manager.port != 0)
        await client.create(configmap("good"))
        await client.create(configmap("bad"))
        await until(lambda: controller.stats.reconciles >= 4)
        async with aiohttp.ClientSession(f"http://127.0.0.1:{manager.port}") as http:
            async with http.get("/healthz") as response:
                assert response.status == 200
            async with http.get("/readyz") as response:
                assert response.status == 200
            async with http.get("/metrics") as response:
                text = await response.text()
        assert 'kubelite_reconcile_total{controller="configmap"} 4' in text
        assert 'kubelite_reconcile_errors_total{controller="configmap"} 2' in text
        assert 'kubelite_workqueue_depth{controller="configmap"} 0' in text
        assert 'kubelite_leader{name="shop"} 1' in text
        assert "# TYPE kubelite_reconcile_seconds_total counter" in text
        assert "# TYPE kubelite_reconcile_duration_seconds histogram" in text
        assert 'kubelite_reconcile_duration_seconds_count{controller="configmap"} 4' in text
        assert 'kubelite_reconcile_duration_seconds_bucket{controller="configmap",le="+Inf"} 4' in (
            text
        )
        assert 'kubelite_workqueue_wait_seconds_count{controller="configmap"} 4' in text
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
