"""CustomResourceDefinitions over a real socket: their own bad input, and custom
objects through the machinery built-in ones go through.

Each test starts an in-process server on an SQLite store and talks to it with
aiohttp, so that codes, reasons and causes are seen as a client sees them. The
kubectl side of the story is in ``tests/e2e/test_kubectl_crd.py``.
"""

from __future__ import annotations

import asyncio
import copy
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from kubelite.apiserver.server import ApiServer
from kubelite.store.sqlite import SqliteStore
from kubelite.testing.rest import Api

pytestmark = pytest.mark.timeout(60)

GROUP = "shop.example.com"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
ITEMS = f"/apis/{GROUP}/v1/namespaces/default/items"


def item_crd(**changes: Any) -> dict[str, Any]:
    """An ``Item`` CRD: a typed spec, a transition rule, status and scale, and a
    selectable field."""
    crd: dict[str, Any] = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"items.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": "items", "singular": "item", "kind": "Item", "shortNames": ["it"]},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {
                        "status": {},
                        "scale": {
                            "specReplicasPath": ".spec.count",
                            "statusReplicasPath": ".status.count",
                        },
                    },
                    "selectableFields": [{"jsonPath": ".spec.colour"}],
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "required": ["count"],
                                    "properties": {
                                        "count": {"type": "integer", "minimum": 0},
                                        "colour": {
                                            "type": "string",
                                            "enum": ["red", "blue"],
                                            "default": "red",
                                        },
                                        "sku": {
                                            "type": "string",
                                            "maxLength": 8,
                                            "x-kubernetes-validations": [
                                                {
                                                    "rule": "self == oldSelf",
                                                    "message": "sku is immutable",
                                                }
                                            ],
                                        },
                                    },
                                },
                                "status": {
                                    "type": "object",
                                    "properties": {"count": {"type": "integer"}},
                                },
                            },
                        }
                    },
                },
                {"name": "v0", "served": False, "storage": False},
            ],
        },
    }
    # Versions alike but for their names, as CRDs' versions usually are.
    crd["spec"]["versions"][1] = {
        **copy.deepcopy(crd["spec"]["versions"][0]),
        **crd["spec"]["versions"][1],
    }
    crd["spec"].update(changes)
    return crd


def item(name: str, count: int = 1, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Item",
        "metadata": {"name": name},
        "spec": {"count": count, **spec},
    }


class CrdApi(Api):
    """The server's client, able to wait for a CRD to be established."""

    async def established(self, name: str, seconds: float = 10) -> Any:
        deadline = time.monotonic() + seconds
        while True:
            crd = await self.ok("GET", f"{CRDS}/{name}")
            conditions = {c["type"]: c for c in crd.get("status", {}).get("conditions") or []}
            if conditions.get("Established", {}).get("status") == "True":
                return crd
            assert time.monotonic() < deadline, crd
            await asyncio.sleep(0.02)


@pytest.fixture
def api(server: Api) -> CrdApi:
    return CrdApi(server.session, server.base)


@pytest.fixture
async def items(api: CrdApi) -> CrdApi:
    await api.ok("POST", CRDS, item_crd())
    await api.established(f"items.{GROUP}")
    return api


def assert_status(body: Any, code: int, reason: str) -> None:
    assert (body.get("kind"), body.get("code"), body.get("reason")) == ("Status", code, reason), (
        body
    )


def causes(body: Any) -> list[tuple[str, str]]:
    return [(c["field"], c["message"]) for c in body["details"]["causes"]]


# -- the CRD's own bad input -----------------------------------------------------------------


async def test_a_non_structural_schema_is_refused_and_nothing_stored(api: CrdApi) -> None:
    crd = item_crd()
    untyped = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    del untyped["type"]
    status, body = await api.call("POST", CRDS, crd)
    assert status == 422
    assert_status(body, 422, "Invalid")
    assert body["message"].startswith(
        f'CustomResourceDefinition.apiextensions.k8s.io "items.{GROUP}" is invalid: '
    )
    assert (
        "spec.versions[0].schema.openAPIV3Schema.properties[spec].type",
        "Required value: must not be empty for specified object fields",
    ) in causes(body)
    status, body = await api.call("GET", f"{CRDS}/items.{GROUP}")
    assert status == 404


async def test_a_crd_with_bad_names_lists_every_problem(api: CrdApi) -> None:
    crd = item_crd(versions=[])
    crd["metadata"]["name"] = "things.example.com"
    status, body = await api.call("POST", CRDS, crd)
    assert status == 422
    fields = [field for field, _ in causes(body)]
    assert "metadata.name" in fields
    assert "spec.versions" in fields


async def test_a_cel_rule_that_does_not_compile_is_refused(api: CrdApi) -> None:
    crd = item_crd()
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["x-kubernetes-validations"] = [{"rule": "self.count >"}]
    status, body = await api.call("POST", CRDS, crd)
    assert status == 422, body
    assert any(
        field.endswith("properties[spec].x-kubernetes-validations[0].rule")
        and "compilation failed" in message
        for field, message in causes(body)
    ), body


async def test_a_clashing_kind_is_not_accepted_nor_served(items: CrdApi) -> None:
    api = items
    clash = item_crd()
    clash["metadata"]["name"] = f"things.{GROUP}"
    clash["spec"]["names"] = {"plural": "things", "kind": "Item", "listKind": "ThingList"}
    await api.ok("POST", CRDS, clash)
    deadline = time.monotonic() + 10
    while True:
        crd = await api.ok("GET", f"{CRDS}/things.{GROUP}")
        conditions = {c["type"]: c for c in crd.get("status", {}).get("conditions") or []}
        if "NamesAccepted" in conditions:
            break
        assert time.monotonic() < deadline, crd
        await asyncio.sleep(0.02)
    assert conditions["NamesAccepted"]["status"] == "False"
    assert conditions["NamesAccepted"]["reason"] == "KindConflict"
    assert conditions["NamesAccepted"]["message"] == '"Item" is already in use'
    assert conditions["Established"]["status"] == "False"
    status, body = await api.call("GET", f"/apis/{GROUP}/v1/namespaces/default/things")
    assert status == 404
    assert_status(body, 404, "NotFound")


async def test_objects_of_an_unknown_or_unserved_kind_are_not_found(items: CrdApi) -> None:
    api = items
    status, body = await api.call("POST", "/apis/nope.example.com/v1/namespaces/default/x", {})
    assert status == 404
    assert_status(body, 404, "NotFound")
    unserved = ITEMS.replace("/v1/", "/v0/")
    status, body = await api.call("POST", unserved, item("a"))
    assert status == 404
    assert_status(body, 404, "NotFound")


# -- custom objects --------------------------------------------------------------------------


async def test_every_violation_is_listed_and_nothing_stored(items: CrdApi) -> None:
    api = items
    status, body = await api.call("POST", ITEMS, item("bad", count=-1, colour="green", sku="x" * 9))
    assert status == 422
    assert_status(body, 422, "Invalid")
    assert body["details"] == {
        "name": "bad",
        "group": GROUP,
        "kind": "Item",
        "causes": body["details"]["causes"],
    }
    assert sorted(causes(body)) == [
        (
            "spec.colour",
            'Unsupported value: "green": supported values: "red", "blue"',
        ),
        (
            "spec.count",
            "Invalid value: -1: spec.count in body should be greater than or equal to 0",
        ),
        (
            "spec.sku",
            "Too long: may not be more than 8 bytes",
        ),
    ]
    status, _ = await api.call("GET", f"{ITEMS}/bad")
    assert status == 404


async def test_defaults_and_a_transition_rule_on_update(items: CrdApi) -> None:
    api = items
    created = await api.ok("POST", ITEMS, item("a", sku="abc"))
    assert created["spec"] == {"count": 1, "colour": "red", "sku": "abc"}
    changed = copy.deepcopy(created)
    changed["spec"]["sku"] = "xyz"
    status, body = await api.call("PUT", f"{ITEMS}/a", changed)
    assert status == 422
    assert causes(body) == [("spec.sku", 'Invalid value: "string": sku is immutable')]
    changed["spec"]["sku"] = "abc"
    changed["spec"]["count"] = 2
    updated = await api.ok("PUT", f"{ITEMS}/a", changed)
    assert updated["metadata"]["generation"] == 2


async def test_status_is_its_subresources_to_write(items: CrdApi) -> None:
    api = items
    body = {**item("a"), "status": {"count": 7}}
    created = await api.ok("POST", ITEMS, body)
    assert "status" not in created
    assert created["metadata"]["generation"] == 1

    with_status = {**created, "status": {"count": 3}}
    written = await api.ok("PUT", f"{ITEMS}/a/status", {**with_status, "spec": {"count": 9}})
    assert written["status"] == {"count": 3}
    assert written["spec"]["count"] == 1
    assert written["metadata"]["generation"] == 1

    status, body = await api.call("PUT", f"{ITEMS}/a/status", {**written, "status": {"count": "x"}})
    assert status == 422, body
    assert causes(body) == [
        (
            "status.count",
            'Invalid value: "string": status.count in body must be of type integer: "string"',
        )
    ]

    main = {**written, "status": {"count": 100}}
    main["spec"] = {**written["spec"], "count": 4}
    updated = await api.ok("PUT", f"{ITEMS}/a", main)
    assert updated["status"] == {"count": 3}
    assert updated["metadata"]["generation"] == 2


async def test_scale_reads_and_writes_the_declared_paths(items: CrdApi) -> None:
    api = items
    await api.ok("POST", ITEMS, item("a", count=2))
    scale = await api.ok("GET", f"{ITEMS}/a/scale")
    assert (scale["kind"], scale["apiVersion"]) == ("Scale", "autoscaling/v1")
    assert scale["spec"] == {"replicas": 2}
    scale["spec"]["replicas"] = 5
    await api.ok("PUT", f"{ITEMS}/a/scale", scale)
    assert (await api.ok("GET", f"{ITEMS}/a"))["spec"]["count"] == 5


async def test_patches_merge_and_json_but_not_strategic(items: CrdApi) -> None:
    api = items
    await api.ok("POST", ITEMS, item("a"))
    merged = await api.ok(
        "PATCH",
        f"{ITEMS}/a",
        {"spec": {"colour": "blue"}},
        content_type="application/merge-patch+json",
    )
    assert merged["spec"]["colour"] == "blue"
    patched = await api.ok(
        "PATCH",
        f"{ITEMS}/a",
        [
            {"op": "test", "path": "/spec/count", "value": 1},
            {"op": "replace", "path": "/spec/count", "value": 3},
        ],
        content_type="application/json-patch+json",
    )
    assert patched["spec"]["count"] == 3
    status, body = await api.call(
        "PATCH",
        f"{ITEMS}/a",
        {"spec": {"count": 4}},
        content_type="application/strategic-merge-patch+json",
    )
    assert status == 415
    assert_status(body, 415, "UnsupportedMediaType")
    status, body = await api.call(
        "PATCH",
        f"{ITEMS}/a",
        {"spec": {"count": -4}},
        content_type="application/merge-patch+json",
    )
    assert status == 422
    assert (await api.ok("GET", f"{ITEMS}/a"))["spec"]["count"] == 3


async def test_dry_run_stores_nothing(items: CrdApi) -> None:
    api = items
    answer = await api.ok("POST", f"{ITEMS}?dryRun=All", item("a"))
    assert answer["metadata"]["name"] == "a"
    status, _ = await api.call("GET", f"{ITEMS}/a")
    assert status == 404


async def test_lists_page_and_select_by_labels_and_selectable_fields(items: CrdApi) -> None:
    api = items
    for index in range(5):
        body = item(f"i{index}", colour="blue" if index % 2 else "red")
        body["metadata"]["labels"] = {"even": str(index % 2 == 0).lower()}
        await api.ok("POST", ITEMS, body)
    first = await api.ok("GET", f"{ITEMS}?limit=2")
    assert [i["metadata"]["name"] for i in first["items"]] == ["i0", "i1"]
    token = first["metadata"]["continue"]
    rest = await api.ok("GET", f"{ITEMS}?limit=10&continue={token}")
    assert [i["metadata"]["name"] for i in rest["items"]] == ["i2", "i3", "i4"]

    even = await api.ok("GET", f"{ITEMS}?labelSelector=even%3Dtrue")
    assert [i["metadata"]["name"] for i in even["items"]] == ["i0", "i2", "i4"]
    blue = await api.ok("GET", f"{ITEMS}?fieldSelector=spec.colour%3Dblue")
    assert [i["metadata"]["name"] for i in blue["items"]] == ["i1", "i3"]
    status, body = await api.call("GET", f"{ITEMS}?fieldSelector=spec.count%3D1")
    assert status == 400
    assert_status(body, 400, "BadRequest")
    assert body["message"] == "field label not supported: spec.count"


async def test_finalizers_hold_a_custom_object(items: CrdApi) -> None:
    api = items
    body = item("held")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    await api.ok("POST", ITEMS, body)
    await api.ok("DELETE", f"{ITEMS}/held")
    held = await api.ok("GET", f"{ITEMS}/held")
    assert held["metadata"]["deletionTimestamp"]
    await api.ok(
        "PATCH",
        f"{ITEMS}/held",
        {"metadata": {"finalizers": None}},
        content_type="application/merge-patch+json",
    )
    status, _ = await api.call("GET", f"{ITEMS}/held")
    assert status == 404


async def test_a_watch_sees_custom_objects(items: CrdApi) -> None:
    api = items
    await api.ok("POST", ITEMS, item("before"))
    seen: list[tuple[str, str]] = []
    url = f"{api.base}{ITEMS}?watch=true&timeoutSeconds=5"
    async with api.session.get(url) as response:
        assert response.status == 200
        await api.ok("POST", ITEMS, item("after"))
        await api.ok("DELETE", f"{ITEMS}/before")
        async for line in response.content:
            event = orjson.loads(line)
            seen.append((event["type"], event["object"]["metadata"]["name"]))
            if len(seen) == 3:
                break
    assert seen == [("ADDED", "before"), ("ADDED", "after"), ("DELETED", "before")]


async def test_discovery_and_openapi_follow_the_crd(api: CrdApi) -> None:
    before = await api.ok("GET", "/openapi/v3")
    assert f"apis/{GROUP}/v1" not in before["paths"]
    await api.ok("POST", CRDS, item_crd())
    await api.established(f"items.{GROUP}")

    listed = await api.ok("GET", f"/apis/{GROUP}/v1")
    resources = {r["name"]: r for r in listed["resources"]}
    assert set(resources) == {"items", "items/status", "items/scale"}
    assert resources["items"]["shortNames"] == ["it"]
    assert resources["items"]["namespaced"] is True
    groups = await api.ok("GET", "/apis")
    assert GROUP in [g["name"] for g in groups["groups"]]

    after = await api.ok("GET", "/openapi/v3")
    path = after["paths"][f"apis/{GROUP}/v1"]["serverRelativeURL"]
    document = await api.ok("GET", path)
    schema = document["components"]["schemas"]["com.example.shop.v1.Item"]
    assert schema["properties"]["spec"]["properties"]["count"]["minimum"] == 0


async def test_deleting_the_crd_deletes_its_objects_then_its_endpoints(items: CrdApi) -> None:
    api = items
    for name in ("a", "b"):
        await api.ok("POST", ITEMS, item(name))
    await api.ok("DELETE", f"{CRDS}/items.{GROUP}")
    deadline = time.monotonic() + 10
    while True:
        status, _ = await api.call("GET", f"{CRDS}/items.{GROUP}")
        if status == 404:
            break
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    while True:
        status, body = await api.call("GET", ITEMS)
        if status == 404:
            break
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.02)
    # A new CRD of the same name starts empty: the objects went with the old one.
    await api.ok("POST", CRDS, item_crd())
    await api.established(f"items.{GROUP}")
    assert (await api.ok("GET", ITEMS))["items"] == []


async def test_a_cluster_scoped_kind(api: CrdApi) -> None:
    crd = item_crd(scope="Cluster")
    await api.ok("POST", CRDS, crd)
    await api.established(f"items.{GROUP}")
    created = await api.ok("POST", f"/apis/{GROUP}/v1/items", item("global"))
    assert "namespace" not in created["metadata"]
    status, _ = await api.call("GET", ITEMS)
    assert status == 404


async def test_custom_kinds_and_their_objects_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    for attempt in range(2):
        store = await SqliteStore.open(path)
        server = ApiServer(store)
        port = await server.start("127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession() as session:
                api = CrdApi(session, f"http://127.0.0.1:{port}")
                if attempt == 0:
                    await api.ok("POST", CRDS, item_crd())
                    await api.established(f"items.{GROUP}")
                    await api.ok("POST", ITEMS, item("kept", count=4))
                else:
                    # Served from the first request on: no wait for the CRD.
                    kept = await api.ok("GET", f"{ITEMS}/kept")
                    assert kept["spec"]["count"] == 4
                    status, body = await api.call("POST", ITEMS, item("bad", count=-1))
                    assert status == 422, body
        finally:
            await server.stop()
            await store.close()


async def test_an_update_is_ratcheted_after_the_schema_tightens(items: CrdApi) -> None:
    api = items
    await api.ok("POST", ITEMS, item("old", sku="abcdef"))
    crd = await api.ok("GET", f"{CRDS}/items.{GROUP}")
    for version in crd["spec"]["versions"]:
        sku = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["sku"]
        sku["maxLength"] = 3
    await api.ok("PUT", f"{CRDS}/items.{GROUP}", crd)
    deadline = time.monotonic() + 10
    while True:  # the new schema reaches the registry through the CRD's watch
        status, body = await api.call("POST", ITEMS, item("new", sku="abcdef"))
        if status == 422:
            break
        assert status == 201, body
        await api.ok("DELETE", f"{ITEMS}/new")
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    # The old object's too-long sku is unchanged: other changes go through.
    patched = await api.ok(
        "PATCH",
        f"{ITEMS}/old",
        {"spec": {"count": 2}},
        content_type="application/merge-patch+json",
    )
    assert patched["spec"]["count"] == 2
    status, body = await api.call(
        "PATCH",
        f"{ITEMS}/old",
        {"spec": {"sku": "abcdefg"}},
        content_type="application/merge-patch+json",
    )
    assert status == 422, body
    assert causes(body) == [
        ("spec.sku", "Too long: may not be more than 3 bytes"),
        ("spec.sku", 'Invalid value: "string": sku is immutable'),
    ]
