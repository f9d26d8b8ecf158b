"""Field managers: apply and update as Kubernetes records them in managedFields,
conflicts as it words them, the entry codec, field manager names, and the
laws of ownership over random sequences of applies."""

from __future__ import annotations

from typing import Any
from unittest import mock

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubelite.api.errors import BadRequestError, InvalidError
from kubelite.api.field import FieldPath
from kubelite.api.ssa import EMPTY, FieldSet, Path, PathElement, from_fields_v1
from kubelite.api.ssa import managers as ssa_managers
from kubelite.api.ssa.entries import (
    Conflict,
    Conflicts,
    ManagedFieldsEntry,
    ManagedFieldsError,
    conflict_status_details,
    decode_live_or_new,
    decode_managed_fields,
    encode_managed_fields,
    field_manager_invalid,
    manager_from_user_agent,
    validate_field_manager,
    validate_managed_fields,
)
from kubelite.api.ssa.kinds import type_for_kind, type_for_schema
from kubelite.api.ssa.managers import STRIPPED, ApplyResult, apply, update
from kubelite.api.ssa.typed import field_set
from kubelite.api.ssa.types import Node

K = PathElement.key
T0, T1, T2, T3 = (f"2024-01-15T1{n}:00:00Z" for n in range(4))


def _kind(group: str, kind: str) -> Node:
    node = type_for_kind(group, "v1", kind)
    assert node is not None
    return node


DEPLOYMENT = _kind("apps", "Deployment")
# An apps/v1 Deployment as Go's zero value encodes it: what Kubernetes
# compares a create against.
EMPTY_DEPLOYMENT: Any = {
    "metadata": {"creationTimestamp": None},
    "spec": {
        "selector": None,
        "strategy": {},
        "template": {"metadata": {"creationTimestamp": None}, "spec": {"containers": None}},
    },
    "status": {},
}


def copy(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


def fields_v1(text: str) -> FieldSet:
    return from_fields_v1(orjson.loads(text))


def nginx(**spec: Any) -> dict[str, Any]:
    """The nginx Deployment of the Kubernetes docs, as applied."""
    container = {"name": "nginx", "image": "nginx:1.14.2", "ports": [{"containerPort": 80}]}
    body: dict[str, Any] = {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "nginx"}},
        "template": {"metadata": {"labels": {"app": "nginx"}}, "spec": {"containers": [container]}},
    }
    body.update(spec)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "nginx", "labels": {"app": "nginx"}},
        "spec": {key: value for key, value in body.items() if value is not None},
    }


def applied(
    live: dict[str, Any] | None,
    config: dict[str, Any],
    manager: str,
    managed: list[ManagedFieldsEntry],
    *,
    force: bool = False,
    now: str = T0,
) -> ApplyResult:
    return apply(
        live, config, manager=manager, api_version="apps/v1", node=DEPLOYMENT,
        managed=managed, force=force, now=now, kind="Deployment", empty=EMPTY_DEPLOYMENT,
    )  # fmt: skip


def updated(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    manager: str,
    managed: list[ManagedFieldsEntry],
    *,
    now: str = T0,
    subresource: str = "",
) -> list[ManagedFieldsEntry]:
    return update(
        old, new, manager=manager, api_version="apps/v1", node=DEPLOYMENT, managed=managed,
        now=now, empty=EMPTY_DEPLOYMENT, subresource=subresource,
    )  # fmt: skip


def owned(entries: list[ManagedFieldsEntry], manager: str, operation: str = "Apply") -> FieldSet:
    found = [e for e in entries if (e.manager, e.operation) == (manager, operation)]
    assert len(found) <= 1
    return found[0].fields if found else EMPTY


REPLICAS = Path.of("spec", "replicas")
IMAGE = Path.of("spec", "template", "spec", "containers", K({"name": "nginx"}), "image")

# What `kubectl apply --server-side` of the nginx Deployment records: the
# config's fields without apiVersion, kind and metadata.name, the port keyed
# by its default protocol.
NGINX_APPLY_ENTRY = r"""{
  "f:metadata": {"f:labels": {"f:app": {}}},
  "f:spec": {
    "f:replicas": {}, "f:selector": {},
    "f:template": {
      "f:metadata": {"f:labels": {"f:app": {}}},
      "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
        ".": {}, "f:image": {}, "f:name": {},
        "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {
          ".": {}, "f:containerPort": {}}}}}}}}}"""


# -- apply -----------------------------------------------------------------------


def test_create_by_apply_records_the_config_without_identity_fields() -> None:
    result = applied(None, nginx(), "kubectl", [])
    assert result.changed
    (entry,) = result.managed
    assert (entry.manager, entry.operation, entry.api_version, entry.time) == (
        "kubectl",
        "Apply",
        "apps/v1",
        T0,
    )
    assert entry.fields == fields_v1(NGINX_APPLY_ENTRY)
    stored = result.obj["metadata"]["managedFields"]
    assert orjson.dumps(stored) == orjson.dumps(
        [
            {
                "manager": "kubectl",
                "operation": "Apply",
                "apiVersion": "apps/v1",
                "time": T0,
                "fieldsType": "FieldsV1",
                "fieldsV1": orjson.loads(NGINX_APPLY_ENTRY),  # in Kubernetes' key order
            }
        ]
    )
    assert result.obj["spec"]["replicas"] == 3


def test_reapplying_the_same_config_changes_nothing_not_even_the_time() -> None:
    first = applied(None, nginx(), "kubectl", [])
    again = applied(first.obj, nginx(), "kubectl", first.managed, now=T1)
    assert not again.changed
    assert again.managed == first.managed
    assert again.obj == first.obj
    # A new manager applying the same values shares the fields; nothing
    # changed, so its entry has no time, which sorts as 1970.
    other = applied(first.obj, nginx(), "other", first.managed, now=T2)
    assert not other.changed
    assert [(e.manager, e.time) for e in other.managed] == [("other", None), ("kubectl", T0)]
    assert owned(other.managed, "other") == owned(first.managed, "kubectl")


def test_changing_a_field_takes_the_new_value_and_the_time() -> None:
    first = applied(None, nginx(), "kubectl", [])
    second = applied(first.obj, nginx(replicas=5), "kubectl", first.managed, now=T1)
    assert second.changed
    assert second.obj["spec"]["replicas"] == 5
    assert [(e.manager, e.time) for e in second.managed] == [("kubectl", T1)]


def test_a_field_no_longer_applied_goes_unless_another_manager_owns_it() -> None:
    first = applied(None, nginx(), "kubectl", [])
    config = nginx(replicas=None)
    config["metadata"]["labels"] = {"team": "web"}
    # Another applier shares the label app; an updater owns a label of its own.
    shared = applied(first.obj, nginx(), "other", first.managed)
    labelled = copy(shared.obj)
    labelled["metadata"]["labels"]["tier"] = "front"
    managed = updated(shared.obj, labelled, "labeller", shared.managed)
    result = applied(labelled, config, "kubectl", managed, now=T1)
    # replicas and the label app are owned by "other", so they stay.
    assert result.obj["spec"]["replicas"] == 3
    assert result.obj["metadata"]["labels"] == {"app": "nginx", "tier": "front", "team": "web"}
    alone = applied(first.obj, config, "kubectl", first.managed, now=T1)
    assert "replicas" not in alone.obj["spec"]
    assert alone.obj["metadata"]["labels"] == {"team": "web"}
    assert not owned(alone.managed, "kubectl").has(REPLICAS)


def test_a_conflict_with_another_applier_and_force() -> None:
    first = applied(None, nginx(), "kubectl", [])
    with pytest.raises(Conflicts) as caught:
        applied(first.obj, nginx(replicas=7), "other", first.managed)
    error = caught.value
    assert error.code == 409
    assert error.message == 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas'
    assert error.to_status()["details"] == {
        "causes": [
            {
                "reason": "FieldManagerConflict",
                "message": 'conflict with "kubectl"',
                "field": ".spec.replicas",
            }
        ]
    }
    forced = applied(first.obj, nginx(replicas=7), "other", first.managed, force=True, now=T1)
    assert forced.obj["spec"]["replicas"] == 7
    assert not owned(forced.managed, "kubectl").has(REPLICAS)
    assert owned(forced.managed, "other").has(REPLICAS)


def created_by_client_side_apply() -> tuple[dict[str, Any], list[ManagedFieldsEntry]]:
    container = {
        "name": "nginx",
        "image": "nginx:1.14.2",
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": 80, "protocol": "TCP"}],
    }
    obj = nginx()
    obj["metadata"] |= {"uid": "5b1f0c9e", "resourceVersion": "1"}
    obj["spec"]["template"]["spec"]["containers"] = [container]
    managed = updated(None, obj, "kubectl-client-side-apply", [])
    return set_entries(obj, managed), managed


def set_entries(obj: dict[str, Any], managed: list[ManagedFieldsEntry]) -> dict[str, Any]:
    return {**obj, "metadata": {**obj["metadata"], "managedFields": encode_managed_fields(managed)}}


def test_a_conflict_with_kubectl_client_side_apply_names_its_version() -> None:
    live, managed = created_by_client_side_apply()
    config = nginx(replicas=5)
    config["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.25"
    with pytest.raises(Conflicts) as caught:
        applied(live, config, "deploy-tool", managed)
    assert caught.value.message == (
        "Apply failed with 2 conflicts: "
        'conflicts with "kubectl-client-side-apply" using apps/v1:\n'
        "- .spec.replicas\n"
        '- .spec.template.spec.containers[name="nginx"].image'
    )
    causes = caught.value.to_status()["details"]["causes"]
    assert [cause["field"] for cause in causes] == [str(REPLICAS), str(IMAGE)]
    assert {cause["message"] for cause in causes} == {
        'conflict with "kubectl-client-side-apply" using apps/v1'
    }
    forced = applied(live, config, "deploy-tool", managed, force=True, now=T1)
    client_side = owned(forced.managed, "kubectl-client-side-apply", "Update")
    assert not client_side.has(REPLICAS)
    assert not client_side.has(IMAGE)
    assert client_side.has(Path.of("spec", "selector"))  # shared, not changed: kept
    assert owned(forced.managed, "deploy-tool") == fields_v1(NGINX_APPLY_ENTRY)


def test_conflicts_with_several_managers_are_grouped_by_manager() -> None:
    conflicts = [
        Conflict("zeta", REPLICAS),
        Conflict("alpha", IMAGE, "Update", "apps/v1"),
        Conflict("alpha", REPLICAS, "Update", "apps/v1"),
        Conflict("kubelet", Path.of("status", "replicas"), "Update", "apps/v1", "status"),
    ]
    error = Conflicts(conflicts)
    assert error.message == (
        "Apply failed with 4 conflicts: "
        'conflicts with "alpha" using apps/v1:\n'
        "- .spec.replicas\n"
        '- .spec.template.spec.containers[name="nginx"].image\n'
        'conflicts with "kubelet" with subresource "status" using apps/v1:\n'
        "- .status.replicas\n"
        'conflicts with "zeta":\n'
        "- .spec.replicas"
    )
    message, causes = conflict_status_details(conflicts[:1])
    assert message == 'Apply failed with 1 conflict: conflict with "zeta": .spec.replicas'
    assert causes[0].to_dict() == {
        "reason": "FieldManagerConflict",
        "message": 'conflict with "zeta"',
        "field": ".spec.replicas",
    }


def test_kubectl_takes_over_what_its_last_applied_annotation_shows() -> None:
    live, managed = created_by_client_side_apply()
    last = copy(nginx())
    last["spec"]["template"]["spec"]["containers"][0].pop("ports")
    live["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": orjson.dumps(last).decode()
    }
    config = nginx(replicas=5)
    # Another manager would conflict; kubectl set these fields client-side.
    with pytest.raises(Conflicts):
        applied(live, config, "other", managed)
    result = applied(live, config, "kubectl", managed, now=T1)
    assert result.obj["spec"]["replicas"] == 5
    assert owned(result.managed, "kubectl").has(REPLICAS)
    annotation = result.obj["metadata"]["annotations"][
        "kubectl.kubernetes.io/last-applied-configuration"
    ]
    assert annotation.endswith("\n")
    assert orjson.loads(annotation) == config
    assert annotation.startswith('{"apiVersion":"apps/v1","kind":"Deployment","metadata":')


def test_the_first_apply_to_an_untracked_object_records_before_first_apply() -> None:
    live = nginx()
    live["metadata"]["uid"] = "5b1f0c9e"
    result = applied(live, nginx(replicas=None), "deploy-tool", [], now=T1)
    assert [(e.manager, e.operation, e.time) for e in result.managed] == [
        ("deploy-tool", "Apply", None),
        ("before-first-apply", "Update", T1),
    ]
    assert owned(result.managed, "before-first-apply", "Update").has(REPLICAS)
    with pytest.raises(Conflicts, match='conflict with "before-first-apply" using apps/v1'):
        applied(live, nginx(replicas=9), "deploy-tool", [])


def test_apply_checks_the_type_and_refuses_managed_fields() -> None:
    config = nginx()
    config["apiVersion"] = "apps/v1beta1"
    with pytest.raises(
        BadRequestError, match=r"^invalid object type: apps/v1beta1, Kind=Deployment$"
    ):
        applied(None, config, "kubectl", [])
    config = nginx()
    config["kind"] = "StatefulSet"
    with pytest.raises(BadRequestError, match=r"^invalid object type: apps/v1, Kind=StatefulSet$"):
        applied(None, config, "kubectl", [])
    config = nginx()
    config["metadata"]["managedFields"] = []
    with pytest.raises(BadRequestError, match=r"^metadata.managedFields must be nil$"):
        applied(None, config, "kubectl", [])


def test_reset_fields_are_owned_by_nobody() -> None:
    config = nginx()
    config["status"] = {"replicas": 3}
    result = apply(
        None, config, manager="kubectl", api_version="apps/v1", node=DEPLOYMENT, managed=[],
        force=False, now=T0, reset_fields=FieldSet([Path.of("status")]),
    )  # fmt: skip
    assert owned(result.managed, "kubectl") == fields_v1(NGINX_APPLY_ENTRY)


# -- update ----------------------------------------------------------------------


def test_an_update_takes_over_what_it_changes() -> None:
    first = applied(None, nginx(), "kubectl", [])
    scaled = copy(first.obj)
    scaled["spec"]["replicas"] = 5
    managed = updated(first.obj, scaled, "hpa", first.managed, now=T1)
    assert [(e.manager, e.operation, e.time) for e in managed] == [
        ("kubectl", "Apply", T0),
        ("hpa", "Update", T1),
    ]
    assert owned(managed, "hpa", "Update") == FieldSet([REPLICAS])
    assert not owned(managed, "kubectl").has(REPLICAS)
    # Writing the same object again changes nothing, the time included.
    assert updated(scaled, copy(scaled), "hpa", managed, now=T2) == managed


def test_an_update_that_removes_a_field_removes_it_from_every_manager() -> None:
    first = applied(None, nginx(), "kubectl", [])
    shared = applied(first.obj, nginx(), "other", first.managed)
    trimmed = copy(shared.obj)
    del trimmed["spec"]["replicas"]
    managed = updated(shared.obj, trimmed, "editor", shared.managed, now=T1)
    assert not any(entry.fields.has(REPLICAS) for entry in managed)
    # It changed nothing it could own: no entry, no time.
    assert [e.manager for e in managed] == ["other", "kubectl"]


def test_a_create_records_what_the_creator_set() -> None:
    _, managed = created_by_client_side_apply()
    (entry,) = managed
    assert (entry.manager, entry.operation, entry.api_version, entry.time) == (
        "kubectl-client-side-apply",
        "Update",
        "apps/v1",
        T0,
    )
    assert entry.fields.has(REPLICAS)
    assert entry.fields.has(Path.of("metadata", "labels"))  # absent before: added whole
    assert not entry.fields.has(Path.of("metadata", "uid"))


def test_entries_sent_by_the_client_replace_or_reset_the_live_ones() -> None:
    live, managed = created_by_client_side_apply()
    # kubectl's migration to server-side apply: a patch of managedFields only.
    migrated = copy(live)
    migrated["metadata"]["managedFields"][0] |= {"manager": "kubectl", "operation": "Apply"}
    start = decode_live_or_new(live, migrated)
    assert [(e.manager, e.operation) for e in start] == [("kubectl", "Apply")]
    result = updated(live, migrated, "kubectl-edit", start, now=T1)
    assert [(e.manager, e.operation, e.time) for e in result] == [("kubectl", "Apply", T0)]
    # Entries that do not decode, or none at all, fall back to the live ones.
    broken = copy(live)
    broken["metadata"]["managedFields"][0]["operation"] = "Patch"
    assert decode_live_or_new(live, broken) == managed
    assert decode_live_or_new(live, nginx()) == managed
    # A subresource write cannot change them.
    assert decode_live_or_new(live, migrated, subresource="status") == managed
    # [] and [{}] reset them: the object is no longer tracked.
    resets: list[list[Any]] = [[], [{}]]
    for reset in resets:
        sent = copy(live)
        sent["metadata"]["managedFields"] = reset
        assert decode_live_or_new(live, sent) == []
        assert updated(live, sent, "kubectl-replace", []) == []


def test_a_subresource_writer_is_a_manager_of_its_own() -> None:
    live, managed = created_by_client_side_apply()
    status = copy(live)
    status["status"] = {"replicas": 3}
    result = updated(live, status, "kube-controller-manager", managed, subresource="status")
    entry = result[0]  # the same second: by manager name
    assert (entry.manager, entry.subresource) == ("kube-controller-manager", "status")
    assert encode_managed_fields([entry])[0]["subresource"] == "status"


def test_update_entries_are_capped_at_ten() -> None:
    obj: dict[str, Any] = nginx()
    managed: list[ManagedFieldsEntry] = []
    for n in range(12):
        new = copy(obj)
        new["metadata"]["labels"][f"l{n}"] = "x"
        managed = updated(obj, new, f"writer-{n:02d}", managed, now=f"2024-01-15T10:{n:02d}:00Z")
        obj = new
    names = [entry.manager for entry in managed]
    assert len(names) == 10
    assert names[0] == "ancient-changes"
    ancient = managed[0]
    assert ancient.time == "2024-01-15T10:02:00Z"
    labels = Path.of("metadata", "labels")
    assert {p for p in ancient.fields if p[:2] == labels and len(p) == 3} >= {
        Path.of("metadata", "labels", name) for name in ("l0", "l1", "l2")
    }


def _at(hour: int) -> str:
    # capmanagers_test.go's times: hours after Go's zero time.
    return f"0001-01-01T{hour:02d}:00:00Z"


def _entries(rows: str) -> list[ManagedFieldsEntry]:
    # "manager version hour fields, ...": one Update entry per row, a field
    # per letter.
    entries = []
    for row in rows.split(", "):
        manager, version, hour, letters = row.split()
        fields = FieldSet(Path.of(letter) for letter in letters)
        entries.append(
            ManagedFieldsEntry(manager, "Update", version, _at(int(hour)), fields=fields)
        )
    return entries


# Kubernetes' TestCapUpdateManagers vectors (a cap of 3).
CAP_VECTORS = [
    (
        "m1 v1 1 a, m2 v1 2 b, m3 v1 3 c, m4 v1 4 d",
        "ancient-changes v1 2 ab, m3 v1 3 c, m4 v1 4 d",
    ),
    (
        "ancient-changes v1 2 ab, m3 v1 3 c, m4 v1 4 d, m5 v1 5 e",
        "ancient-changes v1 3 abc, m4 v1 4 d, m5 v1 5 e",
    ),
    (
        "m1 v1 1 a, m2 v2 2 b, m3 v1 3 c, m4 v1 4 d, m5 v1 5 e",
        "m2 v2 2 b, ancient-changes v1 4 acd, m5 v1 5 e",
    ),
    (
        "m2 v2 2 b, ancient-changes v1 4 acd, m5 v1 5 e, m6 v3 6 f, m7 v2 7 g",
        "ancient-changes v1 5 acde, m6 v3 6 f, ancient-changes v2 7 bg",
    ),
    (
        "ancient-changes v1 5 acde, m6 v3 6 f, ancient-changes v2 7 bg, m8 v3 8 h",
        "ancient-changes v1 5 acde, ancient-changes v2 7 bg, ancient-changes v3 8 fh",
    ),
    (
        "ancient-changes v1 5 acde, m6 v3 6 f, ancient-changes v2 7 bg, m8 v4 8 h",
        "ancient-changes v1 5 acde, m6 v3 6 f, ancient-changes v2 7 bg, m8 v4 8 h",
    ),
]


@pytest.mark.parametrize(("before", "after"), CAP_VECTORS)
def test_capping_merges_the_oldest_updates_per_version(before: str, after: str) -> None:
    pod: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
    result = update(
        pod, copy(pod), manager="no-op-update", api_version="v1", node=_kind("", "Pod"),
        managed=_entries(before), now=T0, max_update_managers=3,
    )  # fmt: skip
    assert result == _entries(after)


# -- entries: decode, encode, validate -------------------------------------------

STORED = r"""[
  {"manager":"kubectl","operation":"Apply","apiVersion":"apps/v1",
   "time":"2024-01-15T10:00:00Z","fieldsType":"FieldsV1",
   "fieldsV1":{"f:spec":{"f:replicas":{}}}},
  {"manager":"kube-controller-manager","operation":"Update","apiVersion":"apps/v1",
   "time":"2024-01-15T10:00:01Z","fieldsType":"FieldsV1",
   "fieldsV1":{"f:status":{"f:replicas":{}}},"subresource":"status"},
  {"manager":"hpa","operation":"Update","apiVersion":"apps/v1",
   "time":"2024-01-15T10:00:02Z","fieldsType":"FieldsV1",
   "fieldsV1":{"f:spec":{"f:replicas":{}}}}
]"""


def test_entries_round_trip_byte_for_byte() -> None:
    raw = orjson.loads(STORED)
    assert orjson.dumps(encode_managed_fields(decode_managed_fields(raw))) == orjson.dumps(raw)


def test_entries_are_sorted_as_kubernetes_sorts_them() -> None:
    def entry(
        manager: str, operation: str, time: str | None, version: str = "v1", sub: str = ""
    ) -> ManagedFieldsEntry:
        return ManagedFieldsEntry(manager, operation, version, time, subresource=sub)

    shuffled = [
        entry("b", "Update", "2024-01-15T10:00:00.9Z"),
        entry("a", "Update", "2024-01-15T10:00:00Z", sub="status"),
        entry("a", "Update", "2024-01-15T10:00:00Z"),
        entry("a", "Update", "2024-01-15T10:00:00Z", version="apps/v1"),
        entry("z", "Apply", None),
        entry("c", "Update", "2024-01-15T09:59:59Z"),
        entry("y", "Apply", "2024-01-15T10:00:00Z"),
    ]
    order = [(e["manager"], e["operation"]) for e in encode_managed_fields(shuffled)]
    assert order == [("z", "Apply"), ("y", "Apply"), ("c", "Update")] + [("a", "Update")] * 3 + [
        ("b", "Update")
    ]
    tail = encode_managed_fields(shuffled)[3:6]
    assert [(e["apiVersion"], e.get("subresource")) for e in tail] == [
        ("apps/v1", None),
        ("v1", None),
        ("v1", "status"),
    ]


def test_decoding_rewrites_times_in_utc_and_keeps_the_last_of_a_manager() -> None:
    raw = orjson.loads(STORED)
    raw[0]["time"] = "2024-01-15T12:00:00.5+02:00"
    twin = copy(raw[2]) | {"fieldsV1": {"f:spec": {"f:paused": {}}}}
    entries = decode_managed_fields([*raw, twin])
    assert entries[0].time == "2024-01-15T10:00:00Z"
    assert len(entries) == 3
    assert entries[2].fields == fields_v1('{"f:spec":{"f:paused":{}}}')


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"operation": "Patch"}, "operation must be `Apply` or `Update`"),
        ({"apiVersion": ""}, "apiVersion must not be empty"),
        ({"fieldsType": None}, "missing fieldsType in managed fields entry 1"),
        ({"fieldsType": "FieldsV2"}, 'invalid fieldsType "FieldsV2" in managed fields entry 1'),
        ({"time": "yesterday"}, "error decoding managed fields entry 1"),
        ({"fieldsV1": {"x": {}}}, "error decoding managed fields entry 1"),
    ],
)
def test_entries_kubernetes_cannot_decode(change: dict[str, Any], message: str) -> None:
    raw = orjson.loads(STORED)
    raw[1] |= change
    with pytest.raises(ManagedFieldsError, match=message):
        decode_managed_fields(raw)


def test_stored_entries_are_validated_as_object_metadata() -> None:
    raw = orjson.loads(STORED)
    raw[0]["operation"] = "Patch"
    raw[1]["fieldsType"] = "FieldsV2"
    raw[2] |= {"manager": "m" * 129, "subresource": "s" * 257}
    assert [str(error) for error in validate_managed_fields(raw)] == [
        'metadata.managedFields[0].operation: Invalid value: "Patch": must be `Apply` or `Update`',
        'metadata.managedFields[1].fieldsType: Invalid value: "FieldsV2": must be `FieldsV1`',
        "metadata.managedFields[2].manager: Too long: may not be more than 128 bytes",
        "metadata.managedFields[2].subresource: Too long: may not be more than 256 bytes",
    ]
    assert validate_managed_fields(orjson.loads(STORED)) == []


# -- field manager names ---------------------------------------------------------


def test_an_apply_needs_a_field_manager() -> None:
    errors = validate_field_manager("", apply=True)
    error = field_manager_invalid("PatchOptions", errors)
    assert isinstance(error, InvalidError)
    assert error.code == 422
    assert error.message == (
        'PatchOptions.meta.k8s.io "" is invalid: '
        "fieldManager: Required value: is required for apply patch"
    )
    assert validate_field_manager("") == []


def test_field_manager_length_and_characters() -> None:
    assert validate_field_manager("é" * 64) == []
    assert [str(e) for e in validate_field_manager("é" * 65)] == [
        "fieldManager: Too long: may not be more than 128 bytes"
    ]
    assert [str(e) for e in validate_field_manager("aé\tb\x7f", FieldPath.of("manager"))] == [
        r'manager: Invalid value: "aé\tb\x7f": invalid character U+0009 (at position 3)',
        r'manager: Invalid value: "aé\tb\x7f": invalid character U+007F (at position 5)',
    ]


@pytest.mark.parametrize(
    ("user_agent", "manager"),
    [
        ("kubectl/v1.37.0 (linux/amd64) kubernetes/abc", "kubectl"),
        (
            "kube-controller-manager/v1.37.0 (linux/amd64) kubernetes/abc/system:sa",
            "kube-controller-manager",
        ),
        ("curl", "curl"),
        ("", ""),
        ("my\ttool\x00/1.0", "mytool"),
        ("a" * 200, "a" * 128),
        ("a" * 127 + "é", "a" * 127),  # é would take bytes 128 and 129
    ],
)
def test_the_manager_of_a_write_that_names_none(user_agent: str, manager: str) -> None:
    assert manager_from_user_agent(user_agent) == manager


# -- a custom resource, and the laws of ownership ---------------------------------

WIDGET = type_for_schema(
    {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "size": {"type": "integer"},
                    "mode": {"type": "string"},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "tags": {
                        "type": "array",
                        "x-kubernetes-list-type": "set",
                        "items": {"type": "string"},
                    },
                    "items": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                        "items": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {
                                "name": {"type": "string"},
                                "value": {"type": "integer"},
                            },
                        },
                    },
                },
            }
        },
    }
)


def widget(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "default"},
        "spec": spec,
    }


def widget_apply(
    live: dict[str, Any] | None,
    config: dict[str, Any],
    manager: str,
    managed: list[ManagedFieldsEntry],
    *,
    force: bool = False,
) -> ApplyResult:
    return apply(
        live, config, manager=manager, api_version="example.com/v1", node=WIDGET,
        managed=managed, force=force, now=T0, kind="Widget",
    )  # fmt: skip


def test_custom_resource_items_leave_with_their_last_applier() -> None:
    item = K({"name": "a"})
    first = widget_apply(None, widget(items=[{"name": "a", "value": 1}], tags=["x", "y"]), "A", [])
    second = widget_apply(first.obj, widget(items=[{"name": "a"}], tags=["y"]), "B", first.managed)
    assert owned(second.managed, "B") == FieldSet(
        [
            Path.of("spec", "items", item),
            Path.of("spec", "items", item, "name"),
            Path.of("spec", "tags", PathElement.value("y")),
        ]
    )
    third = widget_apply(second.obj, widget(), "A", second.managed)
    # A's value and tag x go; B still holds item a and tag y.
    assert third.obj["spec"] == {"items": [{"name": "a"}], "tags": ["y"]}
    fourth = widget_apply(third.obj, widget(), "B", third.managed)
    assert "spec" not in fourth.obj or not fourth.obj["spec"]
    assert fourth.managed == []


def test_an_update_to_a_custom_resource_owns_new_maps_whole() -> None:
    before = widget(size=1)
    after = widget(size=1, labels={"team": "web"})
    managed = update(
        None, before, manager="creator", api_version="example.com/v1", node=WIDGET,
        managed=[], now=T0,
    )  # fmt: skip
    # The spec was absent before the create: the creator owns it whole.
    assert owned(managed, "creator", "Update") == fields_v1('{"f:spec":{".":{},"f:size":{}}}')
    managed = update(
        before, after, manager="labeller", api_version="example.com/v1", node=WIDGET,
        managed=managed, now=T1,
    )  # fmt: skip
    assert owned(managed, "labeller", "Update") == fields_v1(
        '{"f:spec":{"f:labels":{".":{},"f:team":{}}}}'
    )


def test_entries_of_versions_no_longer_served_are_dropped() -> None:
    old = ManagedFieldsEntry(
        "old", "Update", "example.com/v1alpha1", T0, fields=FieldSet([Path.of("spec", "size")])
    )
    result = apply(
        widget(size=1), widget(mode="a"), manager="A", api_version="example.com/v1", node=WIDGET,
        managed=[old], force=False, now=T1, served_versions={"example.com/v1"},
    )  # fmt: skip
    assert [e.manager for e in result.managed] == ["A"]


def _configs() -> st.SearchStrategy[dict[str, Any]]:
    item = st.fixed_dictionaries(
        {"name": st.sampled_from(["a", "b"])}, optional={"value": st.integers(0, 1)}
    )
    spec = st.fixed_dictionaries(
        {},
        optional={
            "size": st.integers(0, 2),
            "mode": st.sampled_from(["a", "b"]),
            "labels": st.dictionaries(st.sampled_from("xyz"), st.sampled_from(["1", "2"])),
            "tags": st.lists(st.sampled_from("pqr"), unique=True, max_size=3),
            "items": st.lists(item, unique_by=lambda i: i["name"], max_size=2),
        },
    )
    return spec.map(lambda body: widget(**body))


steps = st.lists(
    st.tuples(st.sampled_from(["A", "B", "C"]), _configs(), st.booleans()), min_size=1, max_size=8
)


def _without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = {k: v for k, v in obj["metadata"].items() if k != "managedFields"}
    return {**obj, "metadata": metadata}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_ownership_laws_over_random_applies(plan: list[tuple[str, dict[str, Any], bool]]) -> None:
    live: dict[str, Any] | None = None
    managed: list[ManagedFieldsEntry] = []
    ever_set: dict[str, FieldSet] = {}
    for manager, config, force in plan:
        before = owned(managed, manager)
        try:
            result = widget_apply(live, config, manager, managed, force=force)
        except Conflicts:
            assert not force
            continue
        live, managed = result.obj, result.managed
        config_set = field_set(config, WIDGET) - STRIPPED
        ever_set[manager] = ever_set.get(manager, EMPTY) | config_set
        present = field_set(_without_managed_fields(live), WIDGET) - STRIPPED
        everyone = EMPTY
        for entry in managed:
            everyone = everyone | entry.fields
        # Every field the object sets has an owner.
        assert (present.leaves() - everyone).is_empty()
        # No applier owns a field it never applied. (An apply that leaves its
        # manager owning nothing leaves the object untracked; the next one
        # gives what is there to before-first-apply.)
        for entry in managed:
            if entry.operation == "Apply":
                assert (entry.fields - ever_set[entry.manager]).is_empty()
        # What the applier stopped applying is gone, unless someone else owns it.
        others = EMPTY
        for entry in managed:
            if entry.manager != manager:
                others = others | entry.fields
        stopped = before - config_set
        assert ((stopped & present) - others).is_empty()


def _always_walk(merged: Any, managers: Any, last: FieldSet, node: Node) -> Any:
    owned = EMPTY
    for entry in managers.values():
        owned = owned | entry.fields
    return ssa_managers._prune_walk(merged, owned, last, node)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_the_prune_shortcut_gives_what_the_walk_gives(
    plan: list[tuple[str, dict[str, Any], bool]],
) -> None:
    # An apply skips the prune walk when all it applied last time is still
    # owned; walking anyway must store the same object and entries.
    def run() -> list[Any]:
        live: dict[str, Any] | None = None
        managed: list[ManagedFieldsEntry] = []
        results: list[Any] = []
        for manager, config, force in plan:
            try:
                result = widget_apply(live, config, manager, managed, force=force)
            except Conflicts:
                results.append("conflict")
                continue
            live, managed = result.obj, result.managed
            results.append(copy(live))
        return results

    shortcut = run()
    with mock.patch.object(ssa_managers, "_prune", _always_walk):
        walked = run()
    assert shortcut == walked


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_configs(), min_size=1, max_size=6))
def test_creates_remembered_by_content_get_the_fields_of_their_own(
    configs: list[dict[str, Any]],
) -> None:
    # Creates are remembered by their JSON with the identity fields blanked;
    # every create must still get exactly what a fresh comparison gives.
    def create(config: dict[str, Any], number: int) -> list[ManagedFieldsEntry]:
        obj = copy(config)
        obj["metadata"].update(name=f"w{number}", uid=f"u{number}", generation=number)
        return update(
            None, obj, manager="maker", api_version="example.com/v1", node=WIDGET,
            managed=[], now=T0,
        )  # fmt: skip

    remembered = [create(config, number) for number, config in enumerate(configs * 2)]
    fresh = []
    for number, config in enumerate(configs * 2):
        ssa_managers._CREATED.clear()
        fresh.append(create(config, number))
    assert remembered == fresh
