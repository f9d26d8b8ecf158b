"""Deletion: at once, or marked with finalizers, a grace period or a Terminating
namespace, and finished by the update that removes the last mark."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kubelite.api.errors import ApiError, ForbiddenError, InvalidError, NotFoundError
from kubelite.api.resources import ResourceType, ResourceTypes
from kubelite.apiserver.deletion import DeleteOptions
from kubelite.apiserver.registry import Registry
from kubelite.store.sqlite import SqliteStore

pytestmark = pytest.mark.timeout(30)

NOW = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)


def resource(plural: str, group: str = "") -> ResourceType:
    found = ResourceTypes().by_path(group, "apps/v1" if group else "v1", plural)
    found = found or ResourceTypes().by_path(group, "v1", plural)
    assert found is not None
    return found


class Registries:
    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.pods = Registry(store, resource("pods"), clock=lambda: NOW)
        self.namespaces = Registry(store, resource("namespaces"), clock=lambda: NOW)
        self.configmaps = Registry(store, resource("configmaps"), clock=lambda: NOW)
        self.deployments = Registry(store, resource("deployments", "apps"), clock=lambda: NOW)


@pytest.fixture
async def registries(tmp_path: Path) -> AsyncIterator[Registries]:
    store = await SqliteStore.open(tmp_path / "state.db")
    found = Registries(store)
    await found.namespaces.create(
        "", {"metadata": {"name": "default"}}, dry_run=False, manager="tester"
    )
    try:
        yield found
    finally:
        await store.close()


def pod(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec},
    }


def without_finalizers(current: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in current["metadata"].items() if k != "finalizers"}
    return {**current, "metadata": meta}


async def test_an_object_without_marks_is_deleted_at_once(registries: Registries) -> None:
    await registries.configmaps.create(
        "default", {"metadata": {"name": "c"}}, dry_run=False, manager="tester"
    )
    deleted = await registries.configmaps.delete("default", "c", dry_run=False)
    assert "deletionTimestamp" not in deleted["metadata"]
    with pytest.raises(NotFoundError):
        await registries.configmaps.get("default", "c")


async def test_finalizers_hold_an_object_until_an_update_removes_them(
    registries: Registries,
) -> None:
    body = {"metadata": {"name": "c", "finalizers": ["example.com/hold"]}}
    await registries.configmaps.create("default", body, dry_run=False, manager="tester")
    marked = await registries.configmaps.delete("default", "c", dry_run=False)
    assert marked["metadata"]["deletionTimestamp"] == "2026-12-03T12:00:00Z"
    assert marked["metadata"]["deletionGracePeriodSeconds"] == 0
    # A second delete changes nothing.
    again = await registries.configmaps.delete("default", "c", dry_run=False)
    assert again["metadata"]["resourceVersion"] == marked["metadata"]["resourceVersion"]

    def add_finalizer(current: dict[str, Any]) -> dict[str, Any]:
        meta = current["metadata"]
        return {**current, "metadata": {**meta, "finalizers": [*meta["finalizers"], "new"]}}

    with pytest.raises(InvalidError) as caught:
        await registries.configmaps.read_modify_write(
            "default", "c", add_finalizer, dry_run=False, manager="tester"
        )
    assert caught.value.message == (
        'ConfigMap "c" is invalid: metadata.finalizers: Forbidden: no new finalizers can be '
        'added if the object is being deleted, found new finalizers []string{"new"}'
    )
    await registries.configmaps.read_modify_write(
        "default", "c", without_finalizers, dry_run=False, manager="tester"
    )
    with pytest.raises(NotFoundError):
        await registries.configmaps.get("default", "c")


@pytest.mark.parametrize(
    ("options", "finalizers"),
    [
        (DeleteOptions(propagation="Orphan"), ["keep", "orphan"]),
        (DeleteOptions(propagation="Foreground"), ["keep", "foregroundDeletion"]),
        (DeleteOptions(orphan_dependents=True), ["keep", "orphan"]),
        (DeleteOptions(propagation="Background"), ["keep"]),
        (DeleteOptions(), ["keep"]),
    ],
)
async def test_propagation_policy_adds_the_collectors_finalizer(
    registries: Registries, options: DeleteOptions, finalizers: list[str]
) -> None:
    body = {
        "metadata": {"name": "d", "labels": {"app": "d"}, "finalizers": ["keep"]},
        "spec": {
            "selector": {"matchLabels": {"app": "d"}},
            "template": {"metadata": {"labels": {"app": "d"}}, "spec": pod("x")["spec"]},
        },
    }
    await registries.deployments.create("default", body, dry_run=False, manager="tester")
    marked = await registries.deployments.delete("default", "d", options, dry_run=False)
    assert marked["metadata"]["finalizers"] == finalizers


async def test_orphan_on_an_object_without_finalizers_still_waits(
    registries: Registries,
) -> None:
    await registries.configmaps.create(
        "default", {"metadata": {"name": "c"}}, dry_run=False, manager="tester"
    )
    marked = await registries.configmaps.delete(
        "default", "c", DeleteOptions(propagation="Orphan"), dry_run=False
    )
    assert marked["metadata"]["finalizers"] == ["orphan"]
    assert (await registries.configmaps.get("default", "c"))["metadata"]["deletionTimestamp"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            DeleteOptions(propagation="Sideways"),
            'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
            '"Sideways": supported values: "Foreground", "Background", "Orphan"',
        ),
        (
            DeleteOptions(propagation="Orphan", orphan_dependents=True),
            'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: '
            '"Orphan": orphanDependents and deletionPropagation cannot be both set',
        ),
    ],
)
async def test_bad_delete_options_are_invalid_and_delete_nothing(
    registries: Registries, options: DeleteOptions, message: str
) -> None:
    await registries.configmaps.create(
        "default", {"metadata": {"name": "c"}}, dry_run=False, manager="tester"
    )
    with pytest.raises(InvalidError) as caught:
        await registries.configmaps.delete("default", "c", options, dry_run=False)
    assert caught.value.code == 422
    assert caught.value.message == message
    assert await registries.configmaps.get("default", "c")


async def test_a_pod_on_a_node_gets_its_grace_period(registries: Registries) -> None:
    await registries.pods.create(
        "default",
        pod("p", nodeName="n1", terminationGracePeriodSeconds=45),
        dry_run=False,
        manager="tester",
    )
    marked = await registries.pods.delete("default", "p", dry_run=False)
    assert marked["metadata"]["deletionGracePeriodSeconds"] == 45
    assert marked["metadata"]["deletionTimestamp"] == "2026-12-03T12:00:45Z"
    # A shorter grace period replaces a longer one; a longer one does not.
    longer = await registries.pods.delete(
        "default", "p", DeleteOptions(grace_period=100), dry_run=False
    )
    assert longer["metadata"]["deletionGracePeriodSeconds"] == 45
    shorter = await registries.pods.delete(
        "default", "p", DeleteOptions(grace_period=5), dry_run=False
    )
    assert shorter["metadata"]["deletionGracePeriodSeconds"] == 5
    # The node agent's last word: grace period zero deletes it.
    await registries.pods.delete("default", "p", DeleteOptions(grace_period=0), dry_run=False)
    with pytest.raises(NotFoundError):
        await registries.pods.get("default", "p")


@pytest.mark.parametrize("spec", [{}, {"nodeName": "n1"}])
async def test_a_pod_that_never_ran_or_finished_goes_at_once(
    registries: Registries, spec: dict[str, Any]
) -> None:
    await registries.pods.create("default", pod("p", **spec), dry_run=False, manager="tester")
    if spec:

        def finish(current: dict[str, Any]) -> dict[str, Any]:
            return {**current, "status": {"phase": "Succeeded"}}

        await registries.pods.read_modify_write(
            "default", "p", finish, dry_run=False, manager="tester", status=True
        )
    await registries.pods.delete("default", "p", dry_run=False)
    with pytest.raises(NotFoundError):
        await registries.pods.get("default", "p")


async def test_a_namespace_terminates_then_goes_once_finalized(registries: Registries) -> None:
    await registries.namespaces.create(
        "", {"metadata": {"name": "team"}}, dry_run=False, manager="tester"
    )
    await registries.configmaps.create(
        "team", {"metadata": {"name": "c"}}, dry_run=False, manager="tester"
    )
    marked = await registries.namespaces.delete("", "team", dry_run=False)
    assert marked["status"]["phase"] == "Terminating"
    assert marked["metadata"]["deletionTimestamp"] == "2026-12-03T12:00:00Z"
    with pytest.raises(ForbiddenError) as caught:
        await registries.configmaps.create(
            "team", {"metadata": {"name": "d"}}, dry_run=False, manager="tester"
        )
    assert caught.value.message == (
        'configmaps "d" is forbidden: unable to create new content in namespace team because '
        "it is being terminated"
    )

    def finalize(current: dict[str, Any]) -> dict[str, Any]:
        return {**current, "spec": {"finalizers": []}}

    await registries.namespaces.read_modify_write(
        "", "team", finalize, dry_run=False, manager="tester"
    )
    with pytest.raises(NotFoundError):
        await registries.namespaces.get("", "team")


async def test_dry_run_delete_changes_nothing(registries: Registries) -> None:
    await registries.configmaps.create(
        "default", {"metadata": {"name": "c"}}, dry_run=False, manager="tester"
    )
    await registries.configmaps.delete("default", "c", dry_run=True)
    assert await registries.configmaps.get("default", "c")
    with pytest.raises(ApiError):
        await registries.configmaps.delete("default", "missing", dry_run=True)


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        (
            {"ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs"}]},
            'ConfigMap "c" is invalid: metadata.ownerReferences.uid: Invalid value: "": '
            "must not be empty",
        ),
        (
            {"ownerReferences": [{"kind": "ReplicaSet", "name": "rs", "uid": "u"}]},
            'ConfigMap "c" is invalid: metadata.ownerReferences.apiVersion: Invalid value: "": '
            "version must not be empty",
        ),
        (
            {
                "ownerReferences": [
                    {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "name": "a",
                        "uid": "1",
                        "controller": True,
                    },
                    {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "name": "b",
                        "uid": "2",
                        "controller": True,
                    },
                ]
            },
            'Only one reference can have Controller set to true. Found "true" in references '
            "for a and b",
        ),
        (
            {"finalizers": ["orphan", "foregroundDeletion"]},
            "finalizer orphan and foregroundDeletion cannot be both set",
        ),
        ({"finalizers": ["a/b/c"]}, 'metadata.finalizers: Invalid value: "a/b/c"'),
    ],
)
async def test_owner_references_and_finalizers_are_validated(
    registries: Registries, meta: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidError) as caught:
        await registries.configmaps.create(
            "default", {"metadata": {"name": "c", **meta}}, dry_run=False, manager="tester"
        )
    assert message in caught.value.message
    with pytest.raises(NotFoundError):
        await registries.configmaps.get("default", "c")


async def test_a_valid_owner_reference_is_kept(registries: Registries) -> None:
    ref = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": "rs",
        "uid": "d9607e19-f88f-11e6-a518-42010a800195",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    created = await registries.configmaps.create(
        "default",
        {"metadata": {"name": "c", "ownerReferences": [ref]}},
        dry_run=False,
        manager="tester",
    )
    assert created["metadata"]["ownerReferences"] == [ref]
