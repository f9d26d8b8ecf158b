"""The ``scale`` subresource: a workload seen as an ``autoscaling/v1`` Scale.

``kubectl scale`` and autoscalers read and write replicas through it, whatever
the workload's own kind: the Scale carries the object's identity, its desired
replicas (``spec.replicas``), and its observed replicas with the label selector
as a string (``status``). A custom kind says where these are in its CRD
(``specReplicasPath``, ``statusReplicasPath``, ``labelSelectorPath``).
"""

from __future__ import annotations

import contextlib
from typing import Any

from kubelite.api import errors
from kubelite.api.selectors import SelectorError, selector_from_label_selector
from kubelite.apiserver import objects
from kubelite.apiserver.custom import ScalePaths, get_path, set_path
from kubelite.apiserver.objects import JSONObject

_IDENTITY = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")


def to_scale(obj: JSONObject, paths: ScalePaths | None = None) -> JSONObject:
    """The Scale of a workload object; of a custom object, read at ``paths``."""
    if paths is not None:
        return _custom_scale(obj, paths)
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


def with_replicas(obj: JSONObject, scale: Any, paths: ScalePaths | None = None) -> JSONObject:
    """The workload with the replicas ``scale`` asks for (at ``paths`` if custom)."""
    if not isinstance(scale, dict):
        raise errors.bad_request("the body of the request must be a Scale object")
    replicas = (scale.get("spec") or {}).get("replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise errors.bad_request(f"spec.replicas must be a non-negative integer, got {replicas!r}")
    if paths is not None:
        return set_path(obj, paths.spec_replicas, replicas)
    return {**obj, "spec": {**(obj.get("spec") or {}), "replicas": replicas}}


def _custom_scale(obj: JSONObject, paths: ScalePaths) -> JSONObject:
    # As Kubernetes reads a custom object: what is absent or not an integer is 0.
    meta = objects.metadata(obj)
    wanted = get_path(obj, paths.spec_replicas)
    observed = get_path(obj, paths.status_replicas)
    status: JSONObject = {"replicas": observed if _is_count(observed) else 0}
    if paths.label_selector:
        selector = get_path(obj, paths.label_selector)
        if isinstance(selector, str) and selector:
            status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {key: meta[key] for key in _IDENTITY if key in meta},
        "spec": {"replicas": wanted if _is_count(wanted) else 0},
        "status": status,
    }


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
