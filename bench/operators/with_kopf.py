"""The benchmark's operator written with kopf: for each Widget, a ConfigMap
owned by it, and ``status.configMap`` naming it.

Run as ``kopf run --standalone --all-namespaces bench/operators/with_kopf.py``
with ``KUBECONFIG`` set; the ConfigMap is written with kubernetes-asyncio,
since kopf brings no client of its own.
"""

from __future__ import annotations

from typing import Any

import kopf
from kubernetes_asyncio import client, config

_api: client.CoreV1Api | None = None


@kopf.on.startup()
async def startup(settings: kopf.OperatorSettings, **_: Any) -> None:
    global _api
    settings.posting.enabled = False  # no events: the other operator posts none
    settings.watching.server_timeout = 300
    await config.load_kube_config()
    _api = client.CoreV1Api()


@kopf.on.create("bench.example.com", "v1", "widgets")
async def create(
    body: kopf.Body, name: str | None, namespace: str | None, **_: Any
) -> dict[str, Any]:
    if _api is None or name is None or namespace is None:
        raise kopf.PermanentError("the operator did not start, or the widget has no name")
    owner = client.V1OwnerReference(
        api_version=body["apiVersion"],
        kind=body["kind"],
        name=name,
        uid=body["metadata"]["uid"],
        controller=True,
        block_owner_deletion=True,
    )
    configmap = client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name=f"{name}-config", owner_references=[owner]),
        data={"size": str(body["spec"].get("size", 0))},
    )
    await _api.create_namespaced_config_map(namespace, configmap)
    return {"configMap": f"{name}-config"}
