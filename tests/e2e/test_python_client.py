"""The official Python client (``kubernetes``) against a real kubelite server.

What the typed client does is in the research notes (§16): no discovery; POST
JSON; ``patch_*`` with a dict sends a strategic merge patch and with a list a
JSON patch; errors surface as ``ApiException`` with the status code and the
``Status`` body; ``watch.Watch().stream`` sends ``?watch=true&timeoutSeconds=N``
without a resourceVersion and expects ADDED events for what exists first.

One ``kubelite server`` process serves the whole module; each test works in a
namespace of its own. The client is synchronous, so the tests are too. Each
``ApiClient`` has a ``Configuration`` of its own, loaded from the server's
kubeconfig: nothing here touches the client's global default configuration.

The one exception to the subprocess is the 410 test. A watch is answered 410
when it resumes from a revision older than both the server's watch cache (which
starts when the server does) and the store's history. ``kubelite server`` keeps
five minutes or 10,000 revisions of history and has no flag to compact sooner,
so that test serves an in-process ``ApiServer`` from a thread, over a store it
compacts while the server restarts.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest
from kubernetes import client, dynamic

from kubelite.apiserver.server import ApiServer
from kubelite.cli.main import write_kubeconfig
from kubelite.store.sqlite import SqliteStore
from kubelite.testing.kubectl import KubeliteServer
from kubelite.testing.pyclient import REQUEST_TIMEOUT, load_configuration, stream

pytestmark = pytest.mark.timeout(120)

T = TypeVar("T")


class _HasMetadata(Protocol):
    @property
    def metadata(self) -> client.V1ObjectMeta | None: ...


def meta(obj: _HasMetadata) -> client.V1ObjectMeta:
    assert obj.metadata is not None, "the server returned an object without metadata"
    return obj.metadata


def names(objects: list[Any]) -> list[str]:
    return [str(meta(obj).name) for obj in objects]


def status_of(err: client.ApiException) -> dict[str, Any]:
    """The ``Status`` object an ``ApiException`` carries in its body."""
    body: dict[str, Any] = json.loads(err.body or "{}")
    assert body.get("kind") == "Status", err.body
    return body


def take(events: Iterator[dict[str, Any]], count: int) -> list[tuple[str, str]]:
    """The next ``count`` events as (type, name)."""
    taken = []
    for event in events:
        taken.append((event["type"], str(meta(event["object"]).name)))
        if len(taken) == count:
            break
    return taken


def configmap(name: str, **data: str) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name), data=data)


def pod(name: str, **labels: str) -> client.V1Pod:
    container = client.V1Container(name="c", image="busybox", command=["sleep", "1d"])
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1PodSpec(containers=[container]),
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeliteServer]:
    with KubeliteServer(tmp_path_factory.mktemp("kubelite")) as server:
        yield server


@pytest.fixture
def api(server: KubeliteServer) -> Iterator[client.ApiClient]:
    with client.ApiClient(load_configuration(server.kubeconfig)) as api:
        yield api


@pytest.fixture
def v1(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture
def ns(v1: client.CoreV1Api) -> str:
    """A fresh namespace for one test."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


# -- the verbs -----------------------------------------------------------------------


def test_pod_create_read_list_replace_patch_delete(v1: client.CoreV1Api, ns: str) -> None:
    created = v1.create_namespaced_pod(ns, pod("web", tier="web"))
    assert isinstance(created, client.V1Pod)
    assert (meta(created).namespace, meta(created).generation) == (ns, 1)
    assert meta(created).uid
    assert meta(created).creation_timestamp is not None

    got = v1.read_namespaced_pod("web", ns)
    assert meta(got).uid == meta(created).uid
    assert meta(got).resource_version == meta(created).resource_version
    assert names(v1.list_namespaced_pod(ns).items) == ["web"]

    assert got.spec is not None
    got.spec.containers[0].image = "busybox:2"
    meta(got).labels = {"tier": "web", "rev": "2"}
    replaced = v1.replace_namespaced_pod("web", ns, got)
    assert replaced.spec is not None
    assert replaced.spec.containers[0].image == "busybox:2"
    assert meta(replaced).labels == {"tier": "web", "rev": "2"}
    assert meta(replaced).resource_version != meta(got).resource_version
    assert meta(replaced).generation == 2

    # A dict is a strategic merge patch: containers merge by name, so the
    # command the patch leaves out is kept.
    patched = v1.patch_namespaced_pod(
        "web", ns, {"spec": {"containers": [{"name": "c", "image": "busybox:3"}]}}
    )
    assert patched.spec is not None
    assert [(c.name, c.image, c.command) for c in patched.spec.containers] == [
        ("c", "busybox:3", ["sleep", "1d"])
    ]

    # A list is a JSON patch.
    patched = v1.patch_namespaced_pod(
        "web", ns, [{"op": "replace", "path": "/metadata/labels/tier", "value": "db"}]
    )
    assert meta(patched).labels == {"tier": "db", "rev": "2"}

    deleted = v1.delete_namespaced_pod("web", ns)
    assert isinstance(deleted, client.V1Pod), "pods answer a delete with the pod"
    assert meta(deleted).uid == meta(created).uid
    with pytest.raises(client.ApiException) as caught:
        v1.read_namespaced_pod("web", ns)
    assert caught.value.status == 404
    assert v1.list_namespaced_pod(ns).items == []


def test_configmap_create_read_list_replace_patch_delete(v1: client.CoreV1Api, ns: str) -> None:
    created = v1.create_namespaced_config_map(ns, configmap("settings", a="1"))
    assert isinstance(created, client.V1ConfigMap)
    assert created.data == {"a": "1"}
    assert v1.read_namespaced_config_map("settings", ns).data == {"a": "1"}
    assert names(v1.list_namespaced_config_map(ns).items) == ["settings"]

    created.data = {"a": "2"}
    replaced = v1.replace_namespaced_config_map("settings", ns, created)
    assert replaced.data == {"a": "2"}

    merged = v1.patch_namespaced_config_map("settings", ns, {"data": {"b": "3"}})
    assert merged.data == {"a": "2", "b": "3"}
    removed = v1.patch_namespaced_config_map("settings", ns, [{"op": "remove", "path": "/data/a"}])
    assert removed.data == {"b": "3"}

    v1.delete_namespaced_config_map("settings", ns)
    assert v1.list_namespaced_config_map(ns).items == []


def test_delete_of_a_configmap_answers_a_success_status(v1: client.CoreV1Api, ns: str) -> None:
    created = v1.create_namespaced_config_map(ns, configmap("settings"))
    # The client (37.x) types a DELETE's answer as a plain object.
    answer = v1.delete_namespaced_config_map("settings", ns)
    assert isinstance(answer, dict)
    assert (answer["kind"], answer["status"]) == ("Status", "Success")
    assert answer["details"] == {
        "name": "settings",
        "kind": "configmaps",
        "uid": meta(created).uid,
    }
    # Pods, services and namespaces answer with the object itself.
    v1.create_namespaced_pod(ns, pod("p"))
    deleted_pod = v1.delete_namespaced_pod("p", ns)
    assert isinstance(deleted_pod, client.V1Pod)
    assert deleted_pod.kind == "Pod"


def test_namespace_create_read_list_replace_patch_delete(v1: client.CoreV1Api) -> None:
    name = f"n-{uuid.uuid4().hex[:10]}"
    created = v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    assert created.status is not None
    assert created.status.phase == "Active"
    assert meta(created).namespace is None, "namespaces are not namespaced"
    assert meta(v1.read_namespace(name)).uid == meta(created).uid
    listed = names(v1.list_namespace().items)
    assert {name, "default", "kube-system"} <= set(listed)

    own = {"kubernetes.io/metadata.name": name}
    assert meta(created).labels == own, "a namespace is labelled with its name"
    meta(created).labels = {"team": "a"}
    assert meta(v1.replace_namespace(name, created)).labels == {"team": "a", **own}
    patched = v1.patch_namespace(name, {"metadata": {"labels": {"env": "test"}}})
    assert meta(patched).labels == {"team": "a", "env": "test", **own}
    patched = v1.patch_namespace(name, [{"op": "remove", "path": "/metadata/labels/team"}])
    assert meta(patched).labels == {"env": "test", **own}

    v1.delete_namespace(name)
    # A deleted namespace stays, Terminating, until the namespace controller has
    # emptied it and removed it (TODO(#7): kubelite has no such controller yet).
    terminating = v1.read_namespace(name)
    assert terminating.status is not None
    assert terminating.status.phase == "Terminating"
    assert meta(terminating).deletion_timestamp is not None
    with pytest.raises(client.ApiException) as caught:
        v1.create_namespaced_config_map(name, configmap("late"))
    assert caught.value.status == 403
    assert status_of(caught.value)["message"] == (
        f'configmaps "late" is forbidden: unable to create new content in namespace {name} '
        "because it is being terminated"
    )


def test_deployment_scale_reads_and_patches_replicas(api: client.ApiClient, ns: str) -> None:
    apps = client.AppsV1Api(api)
    template = client.V1PodTemplateSpec(
        metadata=client.V1ObjectMeta(labels={"app": "web"}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx")]),
    )
    spec = client.V1DeploymentSpec(
        replicas=1,
        selector=client.V1LabelSelector(match_labels={"app": "web"}),
        template=template,
    )
    apps.create_namespaced_deployment(
        ns, client.V1Deployment(metadata=client.V1ObjectMeta(name="web"), spec=spec)
    )

    scale = apps.read_namespaced_deployment_scale("web", ns)
    assert isinstance(scale, client.V1Scale)
    assert (scale.kind, scale.api_version) == ("Scale", "autoscaling/v1")
    assert scale.spec is not None
    assert scale.spec.replicas == 1
    assert scale.status is not None
    assert scale.status.selector == "app=web"

    scaled = apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 3}})
    assert scaled.spec is not None
    assert scaled.spec.replicas == 3
    stored = apps.read_namespaced_deployment("web", ns)
    assert stored.spec is not None
    assert stored.spec.replicas == 3
    assert meta(stored).generation == 2


# -- errors ----------------------------------------------------------------------------


def test_server_side_apply_conflicts_and_forces(api: client.ApiClient, ns: str) -> None:
    dyn = dynamic.DynamicClient(api)  # type: ignore[no-untyped-call]
    configmaps = dyn.resources.get(api_version="v1", kind="ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}}
    created = configmaps.server_side_apply(
        body={**body, "data": {"size": "1"}}, namespace=ns, field_manager="me"
    )
    assert created.data.size == "1"
    (entry,) = created.to_dict()["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"], entry["fieldsV1"]) == (
        "me",
        "Apply",
        {"f:data": {"f:size": {}}},
    )

    with pytest.raises(client.ApiException) as refused:
        configmaps.server_side_apply(
            body={**body, "data": {"size": "2"}}, namespace=ns, field_manager="other"
        )
    assert refused.value.status == 409
    status = status_of(refused.value)
    assert status["reason"] == "Conflict"
    assert status["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "me"', "field": ".data.size"}
    ]

    forced = configmaps.server_side_apply(
        body={**body, "data": {"size": "2"}},
        namespace=ns,
        field_manager="other",
        force_conflicts=True,
    )
    assert forced.data.size == "2"
    assert [e.manager for e in forced.metadata.managedFields] == ["other"]


def test_create_of_an_existing_name_is_409_already_exists(v1: client.CoreV1Api, ns: str) -> None:
    v1.create_namespaced_config_map(ns, configmap("taken"))
    with pytest.raises(client.ApiException) as caught:
        v1.create_namespaced_config_map(ns, configmap("taken"))
    assert caught.value.status == 409
    status = status_of(caught.value)
    assert (status["reason"], status["code"]) == ("AlreadyExists", 409)
    assert status["message"] == 'configmaps "taken" already exists'
    assert status["details"] == {"name": "taken", "kind": "configmaps"}


def test_read_of_a_missing_object_is_404_not_found(v1: client.CoreV1Api, ns: str) -> None:
    with pytest.raises(client.ApiException) as caught:
        v1.read_namespaced_config_map("nowhere", ns)
    assert caught.value.status == 404
    status = status_of(caught.value)
    assert (status["reason"], status["code"]) == ("NotFound", 404)
    assert status["message"] == 'configmaps "nowhere" not found'


def test_replace_with_a_stale_resource_version_is_409_conflict(
    v1: client.CoreV1Api, ns: str
) -> None:
    stale = v1.create_namespaced_config_map(ns, configmap("c", v="1"))
    fresh = v1.read_namespaced_config_map("c", ns)
    fresh.data = {"v": "2"}
    v1.replace_namespaced_config_map("c", ns, fresh)
    stale.data = {"v": "3"}
    with pytest.raises(client.ApiException) as caught:
        v1.replace_namespaced_config_map("c", ns, stale)
    assert caught.value.status == 409
    status = status_of(caught.value)
    assert status["reason"] == "Conflict"
    assert status["message"] == (
        'Operation cannot be fulfilled on configmaps "c": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert v1.read_namespaced_config_map("c", ns).data == {"v": "2"}, "the stale write is lost"


# -- lists -----------------------------------------------------------------------------


def test_list_filters_by_label_and_field_selectors(v1: client.CoreV1Api, ns: str) -> None:
    for name, tier in (("a", "web"), ("b", "db"), ("c", "web")):
        v1.create_namespaced_pod(ns, pod(name, tier=tier))
    v1.create_namespaced_pod(ns, pod("d"))

    def listed(label_selector: str | None = None, field_selector: str | None = None) -> list[str]:
        found = v1.list_namespaced_pod(
            ns, label_selector=label_selector, field_selector=field_selector
        )
        return names(found.items)

    assert listed(label_selector="tier=web") == ["a", "c"]
    assert listed(label_selector="tier in (db,web),tier!=web") == ["b"]
    assert listed(label_selector="!tier") == ["d"]
    assert listed(field_selector="metadata.name=c") == ["c"]
    assert listed(field_selector="metadata.name!=c", label_selector="tier") == ["a", "b"]
    assert listed(field_selector="status.phase=Running") == []

    with pytest.raises(client.ApiException) as caught:
        v1.list_namespaced_pod(ns, field_selector="spec.image=x")
    assert caught.value.status == 400
    assert status_of(caught.value)["message"] == "field label not supported: spec.image"


def test_list_pages_with_limit_and_continue(v1: client.CoreV1Api, ns: str) -> None:
    for n in range(7):
        v1.create_namespaced_config_map(ns, configmap(f"c{n}"))
    pages: list[list[str]] = []
    versions = set()
    token: str | None = None
    while True:
        page = v1.list_namespaced_config_map(ns, limit=3, _continue=token)
        assert page.metadata is not None
        pages.append(names(page.items))
        versions.add(page.metadata.resource_version)
        if len(pages) == 1:
            # Written after the first page: not in the snapshot being paged.
            v1.create_namespaced_config_map(ns, configmap("c9"))
        token = page.metadata.var_continue
        if not token:
            break
    assert pages == [["c0", "c1", "c2"], ["c3", "c4", "c5"], ["c6"]]
    assert len(versions) == 1, "every page reports the snapshot's resourceVersion"


# -- watches ---------------------------------------------------------------------------


def test_watch_sends_existing_objects_then_changes(v1: client.CoreV1Api, ns: str) -> None:
    v1.create_namespaced_config_map(ns, configmap("a"))
    v1.create_namespaced_config_map(ns, configmap("b"))
    watcher, events = stream(v1.list_namespaced_config_map, ns, timeout_seconds=30)
    try:
        first = next(events)
        assert isinstance(first["object"], client.V1ConfigMap), "events are typed"
        initial = [(first["type"], str(meta(first["object"]).name)), *take(events, 1)]
        assert sorted(initial) == [("ADDED", "a"), ("ADDED", "b")]

        v1.create_namespaced_config_map(ns, configmap("c"))
        v1.patch_namespaced_config_map("a", ns, {"data": {"x": "1"}})
        v1.delete_namespaced_config_map("b", ns)
        assert take(events, 3) == [("ADDED", "c"), ("MODIFIED", "a"), ("DELETED", "b")]
    finally:
        watcher.stop()  # type: ignore[no-untyped-call]
        events.close()  # type: ignore[attr-defined]


def test_watch_from_a_list_resource_version_sees_only_later_changes(
    v1: client.CoreV1Api, ns: str
) -> None:
    v1.create_namespaced_config_map(ns, configmap("a"))
    v1.create_namespaced_config_map(ns, configmap("b"))
    listed = v1.list_namespaced_config_map(ns)
    assert listed.metadata is not None
    since = listed.metadata.resource_version

    v1.create_namespaced_config_map(ns, configmap("c"))
    v1.patch_namespaced_config_map("a", ns, {"data": {"x": "1"}})
    v1.delete_namespaced_config_map("b", ns)

    watcher, events = stream(
        v1.list_namespaced_config_map, ns, resource_version=since, timeout_seconds=30
    )
    try:
        assert take(events, 3) == [("ADDED", "c"), ("MODIFIED", "a"), ("DELETED", "b")]
    finally:
        watcher.stop()  # type: ignore[no-untyped-call]
        events.close()  # type: ignore[attr-defined]


def test_watch_of_an_empty_collection_ends_after_timeout_seconds(
    v1: client.CoreV1Api, ns: str
) -> None:
    started = time.monotonic()
    watcher, events = stream(v1.list_namespaced_config_map, ns, timeout_seconds=1)
    assert list(events) == []
    assert time.monotonic() - started < REQUEST_TIMEOUT
    watcher.stop()  # type: ignore[no-untyped-call]


# -- 410 Gone, against an in-process server whose store can be compacted ---------------


class ThreadedServer:
    """An ``ApiServer`` on a SqliteStore, on an event loop in a thread.

    Only for what ``kubelite server`` cannot be made to do from outside: compact
    its history now. Everything else in this module runs against the process.
    """

    def __init__(self, data_dir: Path) -> None:
        self.kubeconfig = data_dir / "kubeconfig"
        self._data_dir = data_dir
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        self.store = self.run(SqliteStore.open(self._data_dir / "state.db"))
        self.server = ApiServer(self.store)
        self.port = self.run(self.server.start("127.0.0.1", 0))
        write_kubeconfig(self.kubeconfig, f"http://127.0.0.1:{self.port}")
        return self

    def restart_compacted(self) -> None:
        """Stop serving, compact away all history, and serve again on the same port."""
        self.run(self.server.stop())
        self.run(self.store.compact(self.run(self.store.current_revision())))
        self.server = ApiServer(self.store)
        self.run(self.server.start("127.0.0.1", self.port))

    def __exit__(self, *exc_info: object) -> None:
        self.run(self.server.stop())
        self.run(self.store.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


def test_watch_from_a_compacted_resource_version_is_410_gone(tmp_path: Path) -> None:
    with (
        ThreadedServer(tmp_path) as server,
        client.ApiClient(load_configuration(server.kubeconfig)) as api,
    ):
        v1 = client.CoreV1Api(api)
        v1.create_namespaced_config_map("default", configmap("a"))
        listed = v1.list_namespaced_config_map("default")
        assert listed.metadata is not None
        since = listed.metadata.resource_version
        v1.patch_namespaced_config_map("a", "default", {"data": {"x": "1"}})
        v1.patch_namespaced_config_map("a", "default", {"data": {"x": "2"}})
        server.restart_compacted()

        watcher, events = stream(
            v1.list_namespaced_config_map,
            "default",
            resource_version=since,
            timeout_seconds=5,
        )
        # The server answers 200 and an ERROR event with the 410; the client, told
        # timeout_seconds, does not retry but raises it.
        with pytest.raises(client.ApiException) as caught:
            next(events)
        watcher.stop()  # type: ignore[no-untyped-call]
        assert caught.value.status == 410
        assert "too old resource version" in str(caught.value)

        # The client's recovery: list again, and watch from there.
        relisted = v1.list_namespaced_config_map("default")
        assert relisted.metadata is not None
        watcher, events = stream(
            v1.list_namespaced_config_map,
            "default",
            resource_version=relisted.metadata.resource_version,
            timeout_seconds=5,
        )
        v1.delete_namespaced_config_map("a", "default")
        assert take(events, 1) == [("DELETED", "a")]
        watcher.stop()  # type: ignore[no-untyped-call]
        events.close()  # type: ignore[attr-defined]
