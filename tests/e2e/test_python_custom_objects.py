"""Custom objects through the official Python client: ``CustomObjectsApi`` and the
``DynamicClient``, which finds the kind through discovery, watch included.

One ``kubelite server`` serves the module; a ``Gadget`` CRD is created through
the client's ``ApiextensionsV1Api`` and waited for, as an operator would.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, dynamic

from kubelite.testing.kubectl import KubeliteServer
from kubelite.testing.pyclient import REQUEST_TIMEOUT, load_configuration, stream

pytestmark = pytest.mark.timeout(120)

GROUP, VERSION, PLURAL = "toys.example.com", "v1", "gadgets"


def crd() -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": PLURAL, "singular": "gadget", "kind": "Gadget"},
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {
                                        "size": {"type": "integer", "minimum": 1},
                                        "colour": {"type": "string"},
                                    },
                                },
                                "status": {
                                    "type": "object",
                                    "x-kubernetes-preserve-unknown-fields": True,
                                },
                            },
                        }
                    },
                }
            ],
        },
    }


def gadget(name: str, size: int = 1, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Gadget",
        "metadata": {"name": name, "labels": labels},
        "spec": {"size": size},
    }


def obj(answer: object) -> dict[str, Any]:
    """A CustomObjectsApi answer: the decoded JSON, which the client types as object."""
    if not isinstance(answer, dict):
        raise TypeError(f"expected a JSON object, got {type(answer).__name__}")
    return answer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeliteServer]:
    with KubeliteServer(tmp_path_factory.mktemp("kubelite")) as server:
        yield server


@pytest.fixture(scope="module")
def api(server: KubeliteServer) -> Iterator[client.ApiClient]:
    with client.ApiClient(load_configuration(server.kubeconfig)) as api:
        extensions = client.ApiextensionsV1Api(api)
        extensions.create_custom_resource_definition(  # the client takes a plain dict too
            crd(),  # type: ignore[arg-type]
            _request_timeout=REQUEST_TIMEOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            found = extensions.read_custom_resource_definition(f"{PLURAL}.{GROUP}")
            conditions = (found.status.conditions or []) if found.status else []
            if any(c.type == "Established" and c.status == "True" for c in conditions):
                break
            assert time.monotonic() < deadline, "the CRD was not established"
            time.sleep(0.05)
        yield api


@pytest.fixture
def ns(api: client.ApiClient) -> str:
    name = f"t-{uuid.uuid4().hex[:10]}"
    client.CoreV1Api(api).create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name))
    )
    return name


def test_custom_objects_api_does_crud(api: client.ApiClient, ns: str) -> None:
    custom = client.CustomObjectsApi(api)
    created = obj(
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, gadget("a", 2))
    )
    assert created["metadata"]["namespace"] == ns
    assert created["metadata"]["generation"] == 1
    read = obj(custom.get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "a"))
    assert read["spec"] == {"size": 2}

    custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, gadget("b", team="x"))
    listed = obj(
        custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, label_selector="team=x")
    )
    assert [item["metadata"]["name"] for item in listed["items"]] == ["b"]

    patched = obj(
        custom.patch_namespaced_custom_object(
            GROUP, VERSION, ns, PLURAL, "a", {"spec": {"colour": "red"}}
        )
    )
    assert patched["spec"] == {"size": 2, "colour": "red"}
    status = obj(
        custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, ns, PLURAL, "a", {"status": {"ready": True}}
        )
    )
    assert status["status"] == {"ready": True}

    with pytest.raises(client.ApiException) as caught:
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, gadget("c", 0))
    assert caught.value.status == 422

    custom.delete_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "a")
    with pytest.raises(client.ApiException) as gone:
        custom.get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "a")
    assert gone.value.status == 404


def test_custom_objects_watch_and_resume(api: client.ApiClient, ns: str) -> None:
    custom = client.CustomObjectsApi(api)
    custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, gadget("first"))
    watcher, events = stream(
        custom.list_namespaced_custom_object, GROUP, VERSION, ns, PLURAL, timeout_seconds=10
    )
    first = next(events)
    assert (first["type"], first["object"]["metadata"]["name"]) == ("ADDED", "first")
    custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, gadget("second"))
    second = next(events)
    assert (second["type"], second["object"]["metadata"]["name"]) == ("ADDED", "second")
    watcher.stop()  # type: ignore[no-untyped-call]

    revision = first["object"]["metadata"]["resourceVersion"]
    _, resumed = stream(
        custom.list_namespaced_custom_object,
        GROUP,
        VERSION,
        ns,
        PLURAL,
        resource_version=revision,
        timeout_seconds=10,
    )
    again = next(resumed)
    assert (again["type"], again["object"]["metadata"]["name"]) == ("ADDED", "second")


def test_dynamic_client_finds_the_kind_through_discovery(api: client.ApiClient, ns: str) -> None:
    dyn = dynamic.DynamicClient(api)  # type: ignore[no-untyped-call]
    gadgets = dyn.resources.get(api_version=f"{GROUP}/{VERSION}", kind="Gadget")
    assert gadgets.namespaced
    created = gadgets.create(body=gadget("dyn", 3), namespace=ns)
    assert created.metadata.name == "dyn"
    listed = gadgets.get(namespace=ns)
    assert [item.metadata.name for item in listed.items] == ["dyn"]
    gadgets.patch(
        name="dyn",
        namespace=ns,
        body={"spec": {"size": 4}},
        content_type="application/merge-patch+json",
    )
    assert gadgets.get(name="dyn", namespace=ns).spec.size == 4
    gadgets.delete(name="dyn", namespace=ns)
    assert gadgets.get(namespace=ns).items == []
