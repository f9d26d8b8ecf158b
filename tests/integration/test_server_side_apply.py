"""Server-side apply and managedFields over a real socket.

An apply (``PATCH`` with ``application/apply-patch+yaml``) sends the fields
its manager wants; the server merges them by the kind's schema, records who
owns what in ``metadata.managedFields`` and refuses, with a 409 naming each
field, to take a field another manager owns unless told to ``force``. Every
other write records its manager too. The real kubectl's side is in
``tests/e2e/test_kubectl_server_side_apply.py``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from kubelite.testing.rest import APPLY, JSON_PATCH, MERGE, Api

pytestmark = pytest.mark.timeout(60)

CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
GROUP = "ssa.example.com"
ROUTES = f"/apis/{GROUP}/v1/namespaces/default/routes"


def configmap(name: str, data: dict[str, str] | None = None, **meta: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, **meta},
    }
    if data is not None:
        obj["data"] = data
    return obj


async def apply(
    api: Api, path: str, config: dict[str, Any], manager: str, **params: str
) -> tuple[int, Any]:
    return await api.call(
        "PATCH", path, config, content_type=APPLY, params={"fieldManager": manager, **params}
    )


def entries(obj: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """The object's managedFields entries by (manager, operation): their fields."""
    found = obj["metadata"].get("managedFields") or []
    return {(e["manager"], e["operation"]): e["fieldsV1"] for e in found}


def assert_status(body: Any, code: int, reason: str, message: str) -> None:
    assert body["kind"] == "Status", body
    assert (body["code"], body["reason"], body["message"]) == (code, reason, message), body


# -- applies ---------------------------------------------------------------------------------


async def test_an_apply_creates_the_object_then_merges_into_it(server: Api) -> None:
    config = configmap("settings", {"mode": "fast"}, labels={"app": "shop"})
    status, created = await apply(server, f"{CONFIGMAPS}/settings", config, "deployer")
    assert status == 201, created
    assert created["data"] == {"mode": "fast"}
    (entry,) = created["metadata"]["managedFields"]
    assert entry["manager"] == "deployer"
    assert entry["operation"] == "Apply"
    assert entry["apiVersion"] == "v1"
    assert entry["fieldsType"] == "FieldsV1"
    assert time.time() - time.mktime(time.strptime(entry["time"], "%Y-%m-%dT%H:%M:%SZ")) < 3600 * 24
    # As the Kubernetes documentation shows an applied ConfigMap's entry.
    assert entry["fieldsV1"] == {
        "f:data": {"f:mode": {}},
        "f:metadata": {"f:labels": {"f:app": {}}},
    }

    # The same configuration again writes nothing.
    status, again = await apply(server, f"{CONFIGMAPS}/settings", config, "deployer")
    assert status == 200, again
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert again["metadata"]["managedFields"] == created["metadata"]["managedFields"]

    # A changed value is written; a field set by someone else is kept.
    await server.ok(
        "PATCH", f"{CONFIGMAPS}/settings", {"data": {"owner": "ops"}}, content_type=MERGE
    )
    config["data"]["mode"] = "slow"
    status, changed = await apply(server, f"{CONFIGMAPS}/settings", config, "deployer")
    assert status == 200, changed
    assert changed["data"] == {"mode": "slow", "owner": "ops"}
    assert int(changed["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])


async def test_a_field_an_applier_stops_applying_is_removed_unless_another_owns_it(
    server: Api,
) -> None:
    path = f"{CONFIGMAPS}/shared"
    await apply(server, path, configmap("shared", {"a": "1", "b": "2", "c": "3"}), "one")
    # "two" applies b with the same value: it co-owns b, without a conflict.
    status, body = await apply(server, path, configmap("shared", {"b": "2"}), "two")
    assert status == 200, body
    status, body = await apply(server, path, configmap("shared", {"a": "1"}), "one")
    assert status == 200, body
    assert body["data"] == {"a": "1", "b": "2"}  # c is gone, b is two's
    assert entries(body) == {
        ("one", "Apply"): {"f:data": {"f:a": {}}},
        ("two", "Apply"): {"f:data": {"f:b": {}}},
    }


async def test_a_conflict_names_each_field_and_its_owner_and_force_takes_it(
    server: Api,
) -> None:
    path = f"{CONFIGMAPS}/contested"
    await apply(server, path, configmap("contested", {"size": "1", "mode": "a"}), "first")
    before = await server.ok("GET", path)

    status, body = await apply(server, path, configmap("contested", {"size": "2"}), "second")
    assert status == 409
    assert_status(
        body, 409, "Conflict", 'Apply failed with 1 conflict: conflict with "first": .data.size'
    )
    assert body["details"]["causes"] == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "first"',
            "field": ".data.size",
        }
    ]
    assert await server.ok("GET", path) == before  # nothing written

    two = configmap("contested", {"size": "2", "mode": "b"})
    status, body = await apply(server, path, two, "second")
    assert status == 409
    assert body["message"] == (
        'Apply failed with 2 conflicts: conflicts with "first":\n- .data.mode\n- .data.size'
    )
    assert [c["field"] for c in body["details"]["causes"]] == [".data.mode", ".data.size"]

    status, body = await apply(server, path, two, "second", force="true")
    assert status == 200, body
    assert body["data"] == {"size": "2", "mode": "b"}
    # The first manager lost both fields, and with them its entry.
    assert entries(body) == {("second", "Apply"): {"f:data": {"f:mode": {}, "f:size": {}}}}


async def test_an_update_that_changes_an_applied_field_takes_it_over(server: Api) -> None:
    path = f"{CONFIGMAPS}/taken"
    await apply(server, path, configmap("taken", {"size": "1", "mode": "a"}), "applier")
    await server.ok(
        "PATCH",
        path,
        {"data": {"size": "5"}},
        content_type=MERGE,
        params={"fieldManager": "scaler"},
    )
    status, body = await apply(
        server, path, configmap("taken", {"size": "1", "mode": "a"}), "applier"
    )
    assert status == 409
    assert body["details"]["causes"][0]["message"] == 'conflict with "scaler" using v1'


async def test_every_write_records_its_manager(server: Api) -> None:
    # Named by fieldManager on create...
    created = await server.ok(
        "POST", CONFIGMAPS, configmap("tracked", {"a": "1"}), params={"fieldManager": "maker"}
    )
    assert entries(created) == {("maker", "Update"): {"f:data": {".": {}, "f:a": {}}}}
    # ... and by the User-Agent up to its first "/" when none is given.
    updated = await server.ok(
        "PUT",
        f"{CONFIGMAPS}/tracked",
        configmap("tracked", {"a": "1", "b": "2"}),
        headers={"User-Agent": "mytool/1.2 (linux/amd64)"},
    )
    assert entries(updated) == {
        ("maker", "Update"): {"f:data": {".": {}, "f:a": {}}},
        ("mytool", "Update"): {"f:data": {"f:b": {}}},
    }
    # A JSON patch that changes a's value takes a from its creator.
    patched = await server.ok(
        "PATCH",
        f"{CONFIGMAPS}/tracked",
        [{"op": "replace", "path": "/data/a", "value": "9"}],
        content_type=JSON_PATCH,
        params={"fieldManager": "fixer"},
    )
    owned = entries(patched)
    assert owned[("fixer", "Update")] == {"f:data": {"f:a": {}}}
    assert owned[("maker", "Update")] == {"f:data": {}}  # the map itself, and no key


async def test_managed_fields_sent_empty_are_reset_and_stay_off_until_an_apply(
    server: Api,
) -> None:
    path = f"{CONFIGMAPS}/reset"
    await apply(server, path, configmap("reset", {"a": "1"}), "applier")
    cleared = await server.ok(
        "PATCH", path, {"metadata": {"managedFields": [{}]}}, content_type=MERGE
    )
    assert "managedFields" not in cleared["metadata"]
    later = await server.ok("PATCH", path, {"data": {"b": "2"}}, content_type=MERGE)
    assert "managedFields" not in later["metadata"]
    # The next apply starts tracking again; what was there goes to before-first-apply.
    status, body = await apply(server, path, configmap("reset", {"c": "3"}), "applier")
    assert status == 200, body
    assert set(entries(body)) == {("applier", "Apply"), ("before-first-apply", "Update")}


async def test_an_apply_to_status_owns_status_fields_through_the_subresource(
    server: Api,
) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
        },
    }
    status, body = await apply(server, f"{DEPLOYMENTS}/web", deployment, "deployer")
    assert status == 201, body
    report = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "status": {"observedGeneration": 1, "replicas": 3},
    }
    status, body = await apply(server, f"{DEPLOYMENTS}/web/status", report, "reporter")
    assert status == 200, body
    assert body["status"]["replicas"] == 3
    found = {
        (e["manager"], e.get("subresource", "")): e["fieldsV1"]
        for e in body["metadata"]["managedFields"]
    }
    assert found[("reporter", "status")] == {
        "f:status": {"f:observedGeneration": {}, "f:replicas": {}}
    }
    # The main resource ignores status: an apply there neither sets nor owns it.
    deployment["status"] = {"replicas": 7}
    status, body = await apply(server, f"{DEPLOYMENTS}/web", deployment, "deployer")
    assert status == 200, body
    assert body["status"]["replicas"] == 3
    assert "f:status" not in entries(body)[("deployer", "Apply")]


async def test_a_dry_run_apply_stores_nothing(server: Api) -> None:
    path = f"{CONFIGMAPS}/dry"
    status, body = await apply(server, path, configmap("dry", {"a": "1"}), "me", dryRun="All")
    assert status == 201, body
    assert body["data"] == {"a": "1"}
    status, _ = await server.call("GET", path)
    assert status == 404


async def test_applies_racing_to_create_one_object_all_land(server: Api) -> None:
    path = f"{CONFIGMAPS}/raced"
    results = await asyncio.gather(
        *(apply(server, path, configmap("raced", {f"k{i}": "v"}), f"m{i}") for i in range(6))
    )
    assert sorted(status for status, _ in results) == [200] * 5 + [201]
    final = await server.ok("GET", path)
    assert final["data"] == {f"k{i}": "v" for i in range(6)}
    assert {manager for manager, _ in entries(final)} == {f"m{i}" for i in range(6)}


# -- custom resources: merged by their schema's list types ------------------------------------


def route_crd() -> dict[str, Any]:
    backends = {
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        "items": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "weight": {"type": "integer"}},
        },
    }
    hosts = {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"routes.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": "routes", "singular": "route", "kind": "Route"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {"backends": backends, "hosts": hosts},
                                }
                            },
                        }
                    },
                }
            ],
        },
    }


def route(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/v1", "kind": "Route", "metadata": {"name": "r"}, "spec": spec}


async def established(api: Api, name: str) -> None:
    deadline = time.monotonic() + 10
    while True:
        crd = await api.ok("GET", f"{CRDS}/{name}")
        conditions = {
            c["type"]: c["status"] for c in (crd.get("status") or {}).get("conditions") or []
        }
        if conditions.get("Established") == "True":
            return
        assert time.monotonic() < deadline, crd
        await asyncio.sleep(0.02)


async def test_custom_lists_merge_by_their_list_type(server: Api) -> None:
    await server.ok("POST", CRDS, route_crd())
    await established(server, f"routes.{GROUP}")
    path = f"{ROUTES}/r"
    blue = route(backends=[{"name": "blue", "weight": 90}], hosts=["a.example"])
    green = route(backends=[{"name": "green", "weight": 10}], hosts=["b.example"])
    status, body = await apply(server, path, blue, "blue-team")
    assert status == 201, body
    status, body = await apply(server, path, green, "green-team")
    assert status == 200, body
    assert body["spec"]["backends"] == [
        {"name": "blue", "weight": 90},
        {"name": "green", "weight": 10},
    ]
    assert body["spec"]["hosts"] == ["a.example", "b.example"]
    assert entries(body)[("green-team", "Apply")] == {
        "f:spec": {
            "f:backends": {'k:{"name":"green"}': {".": {}, "f:name": {}, "f:weight": {}}},
            "f:hosts": {'v:"b.example"': {}},
        }
    }
    # The blue team drops its backend: only its own item goes.
    status, body = await apply(server, path, route(hosts=["a.example"]), "blue-team")
    assert status == 200, body
    assert body["spec"]["backends"] == [{"name": "green", "weight": 10}]
    # Changing the green backend's weight is the green team's field.
    status, body = await apply(
        server, path, route(backends=[{"name": "green", "weight": 50}]), "blue-team"
    )
    assert status == 409
    assert body["details"]["causes"] == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "green-team"',
            "field": '.spec.backends[name="green"].weight',
        }
    ]


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "content_type", "raw", "code", "reason", "message"),
    [
        pytest.param(
            {},
            APPLY,
            b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}',
            422,
            "Invalid",
            'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
            "is required for apply patch",
            id="apply-without-manager",
        ),
        pytest.param(
            {"fieldManager": "me", "force": "true"},
            MERGE,
            b'{"data":{"a":"1"}}',
            422,
            "Invalid",
            'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified '
            "for non-apply patch",
            id="force-on-merge-patch",
        ),
        pytest.param(
            {"fieldManager": "me\x07"},
            APPLY,
            b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}',
            422,
            "Invalid",
            'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "me\\a": '
            "invalid character U+0007 (at position 2)",
            id="unprintable-manager",
        ),
        pytest.param(
            {"fieldManager": "me"},
            APPLY,
            b"- just\n- a list\n",
            400,
            "BadRequest",
            "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot "
            "unmarshal array into Go value of type map[string]interface {}",
            id="not-an-object",
        ),
        pytest.param(
            {"fieldManager": "me"},
            APPLY,
            b'{"apiVersion":"v2","kind":"ConfigMap","metadata":{"name":"x"}}',
            400,
            "BadRequest",
            "invalid object type: /v2, Kind=ConfigMap",
            id="other-version",
        ),
        pytest.param(
            {"fieldManager": "me"},
            APPLY,
            b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x",'
            b'"managedFields":[{"manager":"me"}]}}',
            400,
            "BadRequest",
            "metadata.managedFields must be nil",
            id="managed-fields-sent",
        ),
    ],
)
async def test_bad_applies_are_refused_and_store_nothing(
    server: Api,
    params: dict[str, str],
    content_type: str,
    raw: bytes,
    code: int,
    reason: str,
    message: str,
) -> None:
    status, body = await server.call(
        "PATCH", f"{CONFIGMAPS}/x", raw=raw, content_type=content_type, params=params
    )
    assert status == code, body
    assert_status(body, code, reason, message)
    status, _ = await server.call("GET", f"{CONFIGMAPS}/x")
    assert status == 404


async def test_a_value_of_the_wrong_type_is_a_bad_request(server: Api) -> None:
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": 1}}
    status, body = await apply(server, f"{CONFIGMAPS}/x", bad, "me")
    assert status == 400, body
    assert body["reason"] == "BadRequest"
    assert body["message"].startswith(
        "failed to create typed patch object (/v1, Kind=ConfigMap /x): .data.a: "
    )
    status, _ = await server.call("GET", f"{CONFIGMAPS}/x")
    assert status == 404
