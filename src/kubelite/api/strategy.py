"""What the server itself writes into an object it stores, by type.

Besides defaults (:mod:`.defaults`), Kubernetes' registry shapes each object
as it is created or updated: a new pod is ``Pending`` with its QoS class, a
new Deployment starts with an empty status whatever the client sent, a
namespace carries its own name as a label, a Secret's ``stringData`` is folded
into ``data``. It also drops what Go never writes: an empty ``labels`` or
``annotations`` map, an empty ``finalizers`` or ``ownerReferences`` list
(``omitempty``). The functions here do the same, in place, on decoded JSON.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any, Final

from kubelite.api import quantity
from kubelite.api.crd.names import prepare_definition_create

__all__ = ["NAMESPACE_NAME_LABEL", "prepare_for_create", "prepare_for_update", "qos_class"]

NAMESPACE_NAME_LABEL: Final = "kubernetes.io/metadata.name"
# ObjectMeta's fields that Go leaves out when empty.
_OMIT_EMPTY: Final = ("labels", "annotations", "finalizers", "ownerReferences")
# The resources that QoS is computed from.
_QOS_RESOURCES: Final = ("cpu", "memory")

Prepare = Callable[[dict[str, Any]], None]


def prepare_for_create(group: str, plural: str, obj: dict[str, Any]) -> None:
    """Shape a new object of ``group``/``plural`` as Kubernetes stores it."""
    _omit_empty(obj)
    for prepare in (_ON_WRITE.get((group, plural)), _ON_CREATE.get((group, plural))):
        if prepare is not None:
            prepare(obj)


def prepare_for_update(group: str, plural: str, obj: dict[str, Any]) -> None:
    """Shape the new version of an object of ``group``/``plural`` as stored."""
    _omit_empty(obj)
    prepare = _ON_WRITE.get((group, plural))
    if prepare is not None:
        prepare(obj)


def qos_class(pod: dict[str, Any]) -> str:
    """The pod's quality of service class, as the kubelet ranks it for eviction.

    ``BestEffort`` when no container asks for CPU or memory; ``Guaranteed``
    when every container limits both and the requests equal the limits;
    ``Burstable`` otherwise. Requests are read after defaulting, which copies
    a limit into an absent request.
    """
    requests: dict[str, int] = {}
    limits: dict[str, int] = {}
    guaranteed = True
    for container in _containers(pod):
        resources = container.get("resources")
        if not isinstance(resources, dict):
            resources = {}
        _add(requests, resources.get("requests"))
        found = _add(limits, resources.get("limits"))
        if not found.issuperset(_QOS_RESOURCES):
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    equal = requests.keys() == limits.keys() and all(
        limits[name] == amount for name, amount in requests.items()
    )
    return "Guaranteed" if guaranteed and equal else "Burstable"


def _add(total: dict[str, int], amounts: object) -> set[str]:
    """Add the non-zero CPU and memory ``amounts`` into ``total``; their names."""
    found: set[str] = set()
    if not isinstance(amounts, dict):
        return found
    for name in _QOS_RESOURCES:
        if name in amounts and (amount := quantity.nano(amounts[name])):
            total[name] = total.get(name, 0) + amount
            found.add(name)
    return found


def _containers(pod: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    for key in ("initContainers", "containers"):
        listed = spec.get(key)
        if isinstance(listed, list):
            yield from (item for item in listed if isinstance(item, dict))


def _omit_empty(obj: dict[str, Any]) -> None:
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        for key in _OMIT_EMPTY:
            if key in meta and not meta[key] and meta[key] is not None:
                del meta[key]


# -- per type ---------------------------------------------------------------------------


def _create_pod(pod: dict[str, Any]) -> None:
    pod["status"] = {"phase": "Pending", "qosClass": qos_class(pod)}


def _create_namespace(namespace: dict[str, Any]) -> None:
    # TODO(#7): the namespace controller, which empties a Terminating namespace.
    spec = namespace.get("spec")
    spec = dict(spec) if isinstance(spec, dict) else {}
    finalizers = spec.get("finalizers")
    finalizers = list(finalizers) if isinstance(finalizers, list) else []
    if "kubernetes" not in finalizers:
        finalizers.append("kubernetes")
    namespace["spec"] = {**spec, "finalizers": finalizers}
    namespace["status"] = {"phase": "Active"}


def _name_namespace(namespace: dict[str, Any]) -> None:
    meta = namespace.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("name"), str) and meta["name"]:
        labels = meta.get("labels")
        meta["labels"] = {
            **(labels if isinstance(labels, dict) else {}),
            NAMESPACE_NAME_LABEL: meta["name"],
        }


def _fold_string_data(secret: dict[str, Any]) -> None:
    """``stringData`` written into ``data``, base64 encoded; its values win."""
    text = secret.pop("stringData", None)
    if not isinstance(text, dict) or not text:
        return
    data = secret.get("data")
    merged = dict(data) if isinstance(data, dict) else {}
    for key, value in text.items():
        if isinstance(value, str):
            merged[key] = base64.b64encode(value.encode()).decode()
    secret["data"] = merged


def _reset_status(status: dict[str, Any]) -> Prepare:
    def reset(obj: dict[str, Any]) -> None:
        obj["status"] = {
            key: dict(value) if isinstance(value, dict) else value for key, value in status.items()
        }

    return reset


_ON_CREATE: Final[dict[tuple[str, str], Prepare]] = {
    ("", "pods"): _create_pod,
    ("", "namespaces"): _create_namespace,
    # Status is the controllers' to write; what Go prints for an empty one.
    ("", "services"): _reset_status({"loadBalancer": {}}),
    ("apps", "deployments"): _reset_status({}),
    ("apps", "replicasets"): _reset_status({"replicas": 0}),
    ("apiextensions.k8s.io", "customresourcedefinitions"): prepare_definition_create,
}
_ON_WRITE: Final[dict[tuple[str, str], Prepare]] = {
    ("", "namespaces"): _name_namespace,
    ("", "secrets"): _fold_string_data,
}
