"""The API server over HTTP, in-process, on a real store and a real socket.

What kubectl does is covered end to end in ``tests/e2e``; these tests pin the
wire answers themselves: status codes, reasons and messages of bad input,
optimistic concurrency, paging, selectors and watches.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from kubelite.apiserver.server import ApiServer
from kubelite.store.sqlite import SqliteStore
from kubelite.testing.rest import Api

pytestmark = pytest.mark.timeout(60)

PODS = "/api/v1/namespaces/default/pods"


def pod(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }


@pytest.fixture
def client(server: Api) -> Api:
    return server


async def test_create_get_and_already_exists(client: Api) -> None:
    status, created = await client.call("POST", PODS, pod("a"))
    assert status == 201
    meta = created["metadata"]
    assert meta["namespace"] == "default"
    assert meta["generation"] == 1
    assert meta["uid"]
    assert meta["creationTimestamp"].endswith("Z")
    status, again = await client.call("POST", PODS, pod("a"))
    assert status == 409
    assert again["reason"] == "AlreadyExists"
    assert again["message"] == 'pods "a" already exists'
    assert again["details"] == {"name": "a", "kind": "pods"}
    status, got = await client.call("GET", f"{PODS}/a")
    assert status == 200
    assert got["metadata"]["resourceVersion"] == meta["resourceVersion"]


async def test_bad_input_is_answered_with_status_and_nothing_is_stored(client: Api) -> None:
    status, body = await client.call("POST", PODS, raw=b'{"kind": "Pod", ')
    assert (status, body["reason"]) == (400, "BadRequest")
    status, body = await client.call("POST", PODS, raw=b"name: x", content_type="text/plain")
    assert (status, body["reason"]) == (415, "UnsupportedMediaType")
    status, body = await client.call("POST", PODS, raw=b"x" * (3 * 1024 * 1024 + 1))
    assert (status, body["reason"]) == (413, "RequestEntityTooLarge")
    status, body = await client.call("POST", PODS, pod("Bad_Name"))
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["details"]["causes"][0]["field"] == "metadata.name"
    status, body = await client.call("POST", "/api/v1/namespaces/nowhere/pods", pod("a"))
    assert (status, body["message"]) == (404, 'namespaces "nowhere" not found')
    wrong = pod("a")
    wrong["metadata"]["namespace"] = "kube-system"
    status, body = await client.call("POST", PODS, wrong)
    assert (status, body["reason"]) == (400, "BadRequest")
    status, listed = await client.call("GET", PODS)
    assert listed["items"] == []


async def test_update_with_a_stale_resource_version_conflicts(client: Api) -> None:
    _, created = await client.call("POST", PODS, pod("a"))
    fresh = {**created, "metadata": {**created["metadata"], "labels": {"v": "2"}}}
    status, updated = await client.call("PUT", f"{PODS}/a", fresh)
    assert status == 200
    assert updated["metadata"]["labels"] == {"v": "2"}
    assert updated["metadata"]["generation"] == 1, "metadata changes keep the generation"
    status, body = await client.call("PUT", f"{PODS}/a", created)
    assert (status, body["reason"]) == (409, "Conflict")
    assert body["message"].startswith('Operation cannot be fulfilled on pods "a"')


async def test_list_pages_and_selectors(client: Api) -> None:
    for n in range(5):
        await client.call("POST", PODS, pod(f"p{n}", tier="web" if n % 2 else "db"))
    status, first = await client.call("GET", f"{PODS}?limit=2")
    assert [i["metadata"]["name"] for i in first["items"]] == ["p0", "p1"]
    token = first["metadata"]["continue"]
    await client.call("POST", PODS, pod("p10"))
    status, second = await client.call("GET", f"{PODS}?limit=10&continue={token}")
    assert [i["metadata"]["name"] for i in second["items"]] == ["p2", "p3", "p4"]
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    _, web = await client.call("GET", f"{PODS}?labelSelector=tier%3Dweb")
    assert [i["metadata"]["name"] for i in web["items"]] == ["p1", "p3"]
    _, named = await client.call("GET", f"{PODS}?fieldSelector=metadata.name%3Dp4")
    assert [i["metadata"]["name"] for i in named["items"]] == ["p4"]
    status, body = await client.call("GET", f"{PODS}?fieldSelector=spec.image%3Dx")
    assert (status, body["message"]) == (400, "field label not supported: spec.image")


async def test_watch_sends_initial_events_then_changes(client: Api) -> None:
    _, created = await client.call("POST", PODS, pod("a"))
    url = f"{client.base}{PODS}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true"
    async with client.session.get(url) as response:
        lines = response.content

        async def event() -> Any:
            return orjson.loads(await asyncio.wait_for(lines.readline(), 10))

        first = await event()
        assert (first["type"], first["object"]["metadata"]["name"]) == ("ADDED", "a")
        bookmark = await event()
        assert bookmark["type"] == "BOOKMARK"
        assert bookmark["object"]["metadata"]["annotations"] == {
            "k8s.io/initial-events-end": "true"
        }
        await client.call("DELETE", f"{PODS}/a")
        deleted = await event()
        assert deleted["type"] == "DELETED"
        assert deleted["object"]["metadata"]["uid"] == created["metadata"]["uid"]


async def test_discovery_group_version_and_unknown_paths(client: Api) -> None:
    status, group = await client.call("GET", "/apis/apps")
    assert status == 200
    assert group["kind"] == "APIGroup"
    assert group["preferredVersion"]["groupVersion"] == "apps/v1"
    status, body = await client.call("GET", "/apis/nothing.example.com")
    assert (status, body["reason"]) == (404, "NotFound")
    status, version = await client.call("GET", "/version")
    assert (status, version["major"]) == (200, "1")
    status, body = await client.call("GET", "/api/v1/widgets")
    assert (status, body["reason"]) == (404, "NotFound")
    status, body = await client.call("PUT", PODS, pod("a"))
    assert (status, body["reason"]) == (405, "MethodNotAllowed")


async def test_status_is_written_only_through_its_subresource(client: Api) -> None:
    _, created = await client.call("POST", PODS, pod("a"))
    with_status = {**created, "status": {"phase": "Running"}}
    _, through_main = await client.call("PUT", f"{PODS}/a", with_status)
    pending = {"phase": "Pending", "qosClass": "BestEffort"}
    assert created["status"] == pending, "a new pod is pending"
    assert through_main["status"] == pending, "the main endpoint ignores status"
    changed = {**through_main, "spec": {"containers": []}, "status": {"phase": "Running"}}
    status, through_status = await client.call("PUT", f"{PODS}/a/status", changed)
    assert status == 200
    assert through_status["status"] == {"phase": "Running"}
    assert through_status["spec"] == created["spec"], "/status ignores everything else"
    assert through_status["metadata"]["generation"] == 1
    status, patched = await client.call(
        "PATCH",
        f"{PODS}/a/status",
        {"status": {"phase": "Succeeded"}},
        content_type="application/merge-patch+json",
    )
    assert (status, patched["status"]["phase"]) == (200, "Succeeded")


async def test_scale_reads_and_writes_replicas(client: Api) -> None:
    deployments = "/apis/apps/v1/namespaces/default/deployments"
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": []}},
        },
    }
    await client.call("POST", deployments, deployment)
    status, scale = await client.call("GET", f"{deployments}/web/scale")
    assert status == 200
    assert (scale["kind"], scale["apiVersion"]) == ("Scale", "autoscaling/v1")
    assert scale["spec"] == {"replicas": 1}
    assert scale["status"] == {"replicas": 0, "selector": "app=web"}
    status, scaled = await client.call(
        "PATCH",
        f"{deployments}/web/scale",
        {"spec": {"replicas": 3}},
        content_type="application/merge-patch+json",
    )
    assert (status, scaled["spec"]["replicas"]) == (200, 3)
    _, stored = await client.call("GET", f"{deployments}/web")
    assert stored["spec"]["replicas"] == 3
    assert stored["metadata"]["generation"] == 2
    status, body = await client.call("GET", f"{PODS}/nothing/scale")
    assert (status, body["reason"]) == (404, "NotFound")


async def test_field_validation_strict_warn_and_ignore(client: Api) -> None:
    typo = pod("a")
    typo["spec"]["containers"][0]["imagee"] = "x"
    status, body = await client.call("POST", f"{PODS}?fieldValidation=Strict", typo)
    assert (status, body["reason"]) == (400, "BadRequest")
    assert body["message"] == (
        'Pod in version "v1" cannot be handled as a Pod: '
        'strict decoding error: unknown field "spec.containers[0].imagee"'
    )
    url = f"{client.base}{PODS}?fieldValidation=Warn"
    sent = {"Content-Type": "application/json"}
    async with client.session.post(
        url, data=io.BytesIO(orjson.dumps(typo)), headers=sent
    ) as response:
        assert response.status == 201
        assert response.headers.getall("Warning") == [
            '299 - "unknown field \\"spec.containers[0].imagee\\""'
        ]
        stored = orjson.loads(await response.read())
    assert "imagee" not in stored["spec"]["containers"][0], "unknown fields are dropped"
    typo["metadata"]["name"] = "b"
    status, _ = await client.call("POST", f"{PODS}?fieldValidation=Ignore", typo)
    assert status == 201
    status, body = await client.call("POST", f"{PODS}?fieldValidation=Loud", pod("c"))
    assert (status, body["reason"]) == (422, "Invalid")


async def test_delete_collection_deletes_what_matches(client: Api) -> None:
    for name, tier in (("a", "web"), ("b", "web"), ("c", "db")):
        await client.call("POST", PODS, pod(name, tier=tier))
    status, deleted = await client.call("DELETE", f"{PODS}?labelSelector=tier%3Dweb")
    assert status == 200
    assert deleted["kind"] == "PodList"
    assert sorted(i["metadata"]["name"] for i in deleted["items"]) == ["a", "b"]
    _, left = await client.call("GET", PODS)
    assert [i["metadata"]["name"] for i in left["items"]] == ["c"]
    status, body = await client.call("DELETE", "/api/v1/namespaces")
    assert (status, body["reason"]) == (405, "MethodNotAllowed")


PARTIAL = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
PARTIAL_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
PROTOBUF_FIRST = (
    "application/vnd.kubernetes.protobuf;as={0};g=meta.k8s.io;v=v1,{1},application/json"
)


async def test_partial_object_metadata_for_objects_lists_and_watches(client: Api) -> None:
    await client.call("POST", PODS, pod("a", app="web"))
    accept = PROTOBUF_FIRST.format("PartialObjectMetadata", PARTIAL)
    async with client.session.get(f"{client.base}{PODS}/a", headers={"Accept": accept}) as r:
        assert r.headers["Content-Type"].startswith("application/json;as=PartialObjectMetadata")
        got = orjson.loads(await r.read())
    assert got["kind"] == "PartialObjectMetadata"
    assert got["apiVersion"] == "meta.k8s.io/v1"
    assert got["metadata"]["labels"] == {"app": "web"}
    assert set(got) == {"kind", "apiVersion", "metadata"}

    accept = PROTOBUF_FIRST.format("PartialObjectMetadataList", PARTIAL_LIST)
    async with client.session.get(f"{client.base}{PODS}", headers={"Accept": accept}) as r:
        listed = orjson.loads(await r.read())
    assert listed["kind"] == "PartialObjectMetadataList"
    assert [item["kind"] for item in listed["items"]] == ["PartialObjectMetadata"]
    assert "spec" not in listed["items"][0]
    assert listed["metadata"]["resourceVersion"]

    url = f"{client.base}{PODS}?watch=1&resourceVersion={listed['metadata']['resourceVersion']}"
    async with client.session.get(url, headers={"Accept": PARTIAL}) as response:
        await client.call("POST", PODS, pod("b"))
        line = await asyncio.wait_for(response.content.readline(), 10)
        event = orjson.loads(line)
    assert event["type"] == "ADDED"
    assert event["object"]["kind"] == "PartialObjectMetadata"
    assert event["object"]["metadata"]["name"] == "b"
    assert "spec" not in event["object"]


@pytest.mark.parametrize(
    "accept",
    [
        "application/vnd.kubernetes.protobuf",
        "text/html",
        "application/json;as=Deployment;g=apps;v=v1",
        "application/json;as=Table;g=example.com;v=v1",
    ],
)
async def test_a_representation_not_served_is_not_acceptable(client: Api, accept: str) -> None:
    status, body = await client.call("GET", PODS, headers={"Accept": accept})
    assert status == 406
    assert body["reason"] == "NotAcceptable"
    assert body["message"].startswith("only the following media types are accepted: ")


@pytest.mark.parametrize("accept", ["", "*/*", "application/*", "application/json;q=0.5"])
async def test_plain_json_for_any_json_accept(client: Api, accept: str) -> None:
    status, body = await client.call("GET", PODS, headers={"Accept": accept} if accept else {})
    assert status == 200
    assert body["kind"] == "PodList"


async def test_a_restarted_server_keeps_its_objects_and_system_services(tmp_path: Path) -> None:
    for round_ in range(2):
        store = await SqliteStore.open(tmp_path / "state.db")
        server = ApiServer(store)
        port = await server.start("127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession() as session:
                client = Api(session, f"http://127.0.0.1:{port}")
                if round_ == 0:
                    assert (await client.call("POST", PODS, pod("kept")))[0] == 201
                status, svc = await client.call(
                    "GET", "/api/v1/namespaces/default/services/kubernetes"
                )
                assert status == 200
                assert svc["spec"]["clusterIP"] == "10.96.0.1"
                status, listed = await client.call("GET", PODS)
                assert [p["metadata"]["name"] for p in listed["items"]] == ["kept"]
        finally:
            await server.stop()
            await store.close()
