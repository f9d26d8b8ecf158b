"""The empty object of each built-in kind, as Kubernetes' Go types encode it.

A create is recorded in ``managedFields`` as an update from the kind's empty
object to the new one, so a field counts as the creator's when it differs
from its zero value. Go encodes an empty object with every field that is not
``omitempty`` (a nil slice as null, a zero time as null) and every struct-valued
field, even ``omitempty`` ones; the OpenAPI documents cannot tell those apart,
so the shapes are written out here for the kinds kubelite serves.

Why it shows: a Deployment's ``spec`` is in its empty object, so a create's
entry owns ``f:spec`` only as the parent of its fields; its ``metadata.labels``
is not, so the entry owns the map itself too (``f:labels: {.: {}, ...}``).
"""

from __future__ import annotations

import functools
from typing import Any, Final

import orjson

__all__ = ["empty_object"]

_META: Final = {"creationTimestamp": None}
_POD_TEMPLATE: Final = {"metadata": _META, "spec": {"containers": None}}
_NAMES: Final = {"plural": "", "kind": ""}
_NODE_INFO: Final = dict.fromkeys(
    (
        *("machineID", "systemUUID", "bootID", "kernelVersion", "osImage"),
        *("containerRuntimeVersion", "kubeletVersion", "kubeProxyVersion"),
        *("operatingSystem", "architecture"),
    ),
    "",
)

_EMPTY: Final[dict[tuple[str, str], dict[str, Any]]] = {
    ("", "Pod"): {"spec": {"containers": None}, "status": {}},
    ("", "Service"): {"spec": {}, "status": {"loadBalancer": {}}},
    ("", "Namespace"): {"spec": {}, "status": {}},
    ("", "Node"): {
        "spec": {},
        "status": {"daemonEndpoints": {"kubeletEndpoint": {"Port": 0}}, "nodeInfo": _NODE_INFO},
    },
    ("", "Event"): {
        "involvedObject": {},
        "source": {},
        "firstTimestamp": None,
        "lastTimestamp": None,
        "eventTime": None,
        "reportingComponent": "",
        "reportingInstance": "",
    },
    ("", "ResourceQuota"): {"spec": {}, "status": {}},
    ("", "LimitRange"): {"spec": {"limits": None}},
    ("apps", "Deployment"): {
        "spec": {"selector": None, "template": _POD_TEMPLATE, "strategy": {}},
        "status": {},
    },
    ("apps", "ReplicaSet"): {
        "spec": {"selector": None, "template": _POD_TEMPLATE},
        "status": {"replicas": 0},
    },
    ("coordination.k8s.io", "Lease"): {"spec": {}},
    ("events.k8s.io", "Event"): {
        "eventTime": None,
        "regarding": {},
        "deprecatedSource": {},
        "deprecatedFirstTimestamp": None,
        "deprecatedLastTimestamp": None,
    },
    ("apiextensions.k8s.io", "CustomResourceDefinition"): {
        "spec": {"group": "", "names": _NAMES, "scope": "", "versions": None},
        "status": {"acceptedNames": _NAMES, "storedVersions": None},
    },
}


def empty_object(group: str, kind: str) -> dict[str, Any]:
    """A fresh copy of the empty object of a built-in kind; kinds with no
    fields beyond metadata (ConfigMap, Secret, ...) are their metadata alone."""
    return orjson.loads(_encoded(group, kind))  # type: ignore[no-any-return]


@functools.cache
def _encoded(group: str, kind: str) -> bytes:
    return orjson.dumps({"metadata": _META, **_EMPTY.get((group, kind), {})})
