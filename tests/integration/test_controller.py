"""Controllers against an in-process kubelite: reconciles after every change,
owned children recreated, failures retried with back-off, one reconcile per
key at a time."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest

from kubelite.api.errors import NotFoundError
from kubelite.client import Client
from kubelite.operator.controller import Controller, Owned, Permanent, Request, Result
from kubelite.operator.helpers import add_finalizer, remove_finalizer
from kubelite.operator.informer import Informers
from kubelite.testing.waiting import until

pytestmark = pytest.mark.timeout(60)


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


async def running(controller: Controller) -> asyncio.Task[None]:
    task = asyncio.create_task(controller.run())
    await until(lambda: controller.informer is not None and controller.informer.synced.is_set())
    return task


async def test_every_change_is_reconciled_and_a_deleted_object_is_seen_gone(
    client: Client,
) -> None:
    seen: list[tuple[Request, str | None]] = []
    informers = Informers(client)

    async def reconcile(request: Request) -> None:
        obj = controller.get(request)
        seen.append((request, None if obj is None else obj["data"]["v"]))

    controller = Controller(informers, "v1", "ConfigMap", reconcile, namespace="default")
    task = await running(controller)
    await client.create(configmap("a", v="1"))
    await until(lambda: (Request("default", "a"), "1") in seen)
    await client.patch("v1", "ConfigMap", "a", {"data": {"v": "2"}})
    await until(lambda: (Request("default", "a"), "2") in seen)
    await client.delete("v1", "ConfigMap", "a")
    await until(lambda: (Request("default", "a"), None) in seen)
    task.cancel()
    await informers.stop()


async def test_an_owned_child_deleted_is_made_again(client: Client) -> None:
    informers = Informers(client)

    async def reconcile(request: Request) -> None:
        parent = controller.get(request)
        if parent is None:
            return
        meta = parent["metadata"]
        owner = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": meta["name"],
            "uid": meta["uid"],
            "controller": True,
        }
        child = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": f"{meta['name']}-secret", "ownerReferences": [owner]},
            "stringData": {"copy": parent["data"]["v"]},
        }
        await client.apply(child, force=True)

    controller = Controller(
        informers, "v1", "ConfigMap", reconcile, namespace="default", owns=[Owned("v1", "Secret")]
    )
    task = await running(controller)
    await client.create(configmap("parent", v="x"))

    async def child_exists() -> bool:
        try:
            await client.get("v1", "Secret", "parent-secret")
        except NotFoundError:
            return False
        return True

    async def wait_child() -> None:
        for _ in range(500):
            if await child_exists():
                return
            await asyncio.sleep(0.02)
        raise AssertionError("no child")

    await wait_child()
    first = await client.get("v1", "Secret", "parent-secret")
    await client.delete("v1", "Secret", "parent-secret")
    await asyncio.sleep(0.05)
    await wait_child()
    again = await client.get("v1", "Secret", "parent-secret")
    assert again["metadata"]["uid"] != first["metadata"]["uid"]
    task.cancel()
    await informers.stop()


async def test_a_failing_reconcile_is_retried_with_growing_delays(client: Client) -> None:
    informers = Informers(client)
    calls: list[float] = []

    async def reconcile(request: Request) -> Result:
        calls.append(time.monotonic())
        if len(calls) < 5:
            raise RuntimeError("not yet")
        return Result()

    controller = Controller(informers, "v1", "ConfigMap", reconcile, namespace="default")
    task = await running(controller)
    await client.create(configmap("flaky"))
    await until(lambda: len(calls) >= 5)
    gaps = [later - earlier for earlier, later in itertools.pairwise(calls)]
    # 5, 10, 20, 40 ms: each gap at least its back-off, and growing.
    assert all(
        gap >= expected * 0.9 for gap, expected in zip(gaps, [0.005, 0.01, 0.02, 0.04], strict=True)
    )
    assert gaps[-1] > gaps[0]
    assert controller.stats.failures == 4
    await asyncio.sleep(0.2)
    assert len(calls) == 5  # it succeeded: no more retries
    task.cancel()
    await informers.stop()


async def test_permanent_failures_are_not_retried_and_requeue_after_is_kept(
    client: Client,
) -> None:
    informers = Informers(client)
    calls: dict[str, int] = {}

    async def reconcile(request: Request) -> Result:
        calls[request.name] = calls.get(request.name, 0) + 1
        if request.name == "broken":
            raise Permanent("the spec cannot work")
        return Result(requeue_after=0.1)

    controller = Controller(informers, "v1", "ConfigMap", reconcile, namespace="default")
    task = await running(controller)
    await client.create(configmap("broken"))
    await client.create(configmap("periodic"))
    await asyncio.sleep(0.55)
    assert calls["broken"] == 1
    assert 3 <= calls["periodic"] <= 7
    task.cancel()
    await informers.stop()


async def test_one_key_is_never_reconciled_twice_at_once(client: Client) -> None:
    informers = Informers(client)
    running_now: set[str] = set()
    overlaps: list[str] = []
    done = 0

    async def reconcile(request: Request) -> None:
        nonlocal done
        if request.name in running_now:
            overlaps.append(request.name)
        running_now.add(request.name)
        await asyncio.sleep(0.02)
        running_now.discard(request.name)
        done += 1

    controller = Controller(informers, "v1", "ConfigMap", reconcile, namespace="default", workers=4)
    task = await running(controller)
    names = [f"k{i}" for i in range(3)]
    for name in names:
        await client.create(configmap(name, v="0"))
    for round_ in range(1, 8):
        await asyncio.gather(
            *(client.patch("v1", "ConfigMap", n, {"data": {"v": str(round_)}}) for n in names)
        )
    await until(lambda: done >= 6 and not running_now and len(controller.queue) == 0)
    assert overlaps == []
    task.cancel()
    await informers.stop()


async def test_a_finalizer_runs_before_the_deletion_completes(client: Client) -> None:
    informers = Informers(client)
    cleaned: list[str] = []
    finalizer = "example.com/cleanup"

    async def reconcile(request: Request) -> None:
        obj = controller.get(request)
        if obj is None:
            return
        if obj["metadata"].get("deletionTimestamp"):
            if finalizer in (obj["metadata"].get("finalizers") or []):
                cleaned.append(request.name)  # the cleanup, while the object still exists
                await remove_finalizer(client, obj, finalizer)
            return
        await add_finalizer(client, obj, finalizer)

    controller = Controller(informers, "v1", "ConfigMap", reconcile, namespace="default")
    task = await running(controller)
    await client.create(configmap("guarded"))
    await until(lambda: finalizer in _finalizers(controller, "guarded"))
    await client.delete("v1", "ConfigMap", "guarded")
    await until(lambda: cleaned == ["guarded"])
    await until(lambda: controller.get(Request("default", "guarded")) is None)
    with pytest.raises(NotFoundError):
        await client.get("v1", "ConfigMap", "guarded")
    task.cancel()
    await informers.stop()


def _finalizers(controller: Controller, name: str) -> list[str]:
    obj = controller.get(Request("default", name)) or {}
    return list((obj.get("metadata") or {}).get("finalizers") or [])


async def test_a_restarted_controller_reconciles_what_changed_while_it_was_down(
    client: Client,
) -> None:
    seen: dict[str, str] = {}

    def controller_for(informers: Informers) -> Controller:
        async def reconcile(request: Request) -> None:
            obj = made.get(request)
            if obj is not None:
                seen[request.name] = obj["data"].get("v", "")

        made = Controller(informers, "v1", "ConfigMap", reconcile, namespace="default")
        return made

    first_informers = Informers(client)
    first = controller_for(first_informers)
    task = await running(first)
    await client.create(configmap("kept", v="1"))
    await until(lambda: seen.get("kept") == "1")
    task.cancel()
    await first_informers.stop()

    await client.patch("v1", "ConfigMap", "kept", {"data": {"v": "2"}})
    await client.create(configmap("new", v="3"))
    second_informers = Informers(client)
    task = await running(controller_for(second_informers))
    await until(lambda: seen.get("kept") == "2" and seen.get("new") == "3")
    task.cancel()
    await second_informers.stop()
