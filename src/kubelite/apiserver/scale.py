"""The ``scale`` subresource: a workload seen as an ``autoscaling/v1`` Scale.

``kubectl scale`` and autoscalers read and write replicas through it, whatever
the workload's own kind: the Scale carries the object's identity, its desired
replicas (``spec.replicas``), and its observed replicas with the label selector
as a string (``status``).
"""

from __future__ import annotations

import contextlib
from typing import Any

from kubelite.api import errors
from kubelite.api.selectors import SelectorError, selector_from_label_selector
from kubelite.apiserver import objects
from kubelite.apiserver.objects import JSONObject

_IDENTITY = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")


def to_scale(obj: JSONObject) -> JSONObject:
    """The Scale of a workload object."""
    meta = objects.metadata(obj)
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    scale_status: JSONObject = {"replicas": int(status.get("replicas") or 0)}
    selector = spec.get("selector")
    if selector:
        with contextlib.suppress(SelectorError):
            scale_status["selector"] = str(selector_from_label_selector(selector))
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {key: meta[key] for key in _IDENTITY if key in meta},
        "spec": {"replicas": int(spec.get("replicas", 1))},
        "status": scale_status,
    }


def with_replicas(obj: JSONObject, scale: Any) -> JSONObject:
    """The workload with the replicas ``scale`` asks for."""
    if not isinstance(scale, dict):
        raise errors.bad_request("the body of the request must be a Scale object")
    replicas = (scale.get("spec") or {}).get("replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise errors.bad_request(f"spec.replicas must be a non-negative integer, got {replicas!r}")
    return {**obj, "spec": {**(obj.get("spec") or {}), "replicas": replicas}}
