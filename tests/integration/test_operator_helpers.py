"""Helpers against an in-process kubelite: owned children, finalizers that
hold a deletion, conditions, events."""

from __future__ import annotations

from typing import Any

import pytest

from kubelite.api.errors import NotFoundError
from kubelite.client import Client
from kubelite.operator.helpers import (
    EventRecorder,
    add_finalizer,
    apply_owned,
    remove_finalizer,
    set_condition,
)

pytestmark = pytest.mark.timeout(60)


def configmap(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {}}


async def test_apply_owned_sets_the_controller_reference(client: Client) -> None:
    owner = await client.create(configmap("owner"))
    child = await apply_owned(
        client, owner, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "child"}}
    )
    (reference,) = child["metadata"]["ownerReferences"]
    assert reference == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "owner",
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    assert child["metadata"]["namespace"] == "default"


async def test_a_finalizer_holds_a_deletion_until_removed(client: Client) -> None:
    obj = await client.create(configmap("held"))
    obj = await add_finalizer(client, obj, "example.com/cleanup")
    stale = await add_finalizer(client, obj, "example.com/cleanup")  # once only
    assert stale["metadata"]["finalizers"] == ["example.com/cleanup"]
    # Another writer adds its own finalizer after we read the object.
    await client.patch(
        "v1",
        "ConfigMap",
        "held",
        {"metadata": {"finalizers": ["example.com/cleanup", "other.io/x"]}},
    )
    await client.delete("v1", "ConfigMap", "held")
    marked = await client.get("v1", "ConfigMap", "held")
    assert marked["metadata"]["deletionTimestamp"]
    # Removing ours from the stale copy must not drop theirs.
    after = await remove_finalizer(client, stale, "example.com/cleanup")
    assert after["metadata"]["finalizers"] == ["other.io/x"]
    await remove_finalizer(client, after, "other.io/x")
    with pytest.raises(NotFoundError):
        await client.get("v1", "ConfigMap", "held")


def test_a_condition_moves_its_time_only_when_its_status_changes() -> None:
    status = set_condition({}, "Ready", False, reason="Starting", generation=1)
    (first,) = status["conditions"]
    assert (first["status"], first["reason"], status["observedGeneration"]) == (
        "False",
        "Starting",
        1,
    )
    first_time = "2020-01-01T00:00:00Z"
    status["conditions"][0]["lastTransitionTime"] = first_time
    same = set_condition(status, "Ready", False, reason="StillStarting", generation=2)
    assert same["conditions"][0]["lastTransitionTime"] == first_time
    assert same["conditions"][0]["observedGeneration"] == 2
    changed = set_condition(same, "Ready", True, reason="Running", generation=2)
    assert changed["conditions"][0]["lastTransitionTime"] != first_time
    both = set_condition(changed, "Degraded", False, reason="Fine")
    assert [c["type"] for c in both["conditions"]] == ["Ready", "Degraded"]


async def test_events_are_recorded_and_repeats_counted(client: Client) -> None:
    obj = await client.create(configmap("watched"))
    recorder = EventRecorder(client, "shop-operator")
    await recorder.record(obj, "Normal", "Synced", "all children in place")
    event = await recorder.record(obj, "Normal", "Synced", "all children in place")
    assert event is not None
    assert event["count"] == 2
    listed = await client.list(
        "v1", "Event", field_selector=f"involvedObject.uid={obj['metadata']['uid']}"
    )
    assert [(e["reason"], e["count"]) for e in listed["items"]] == [("Synced", 2)]
