"""What reconciles do over and over: own children, hold finalizers, report
conditions, record events.

- :func:`owner_reference` and :func:`apply_owned`: a child applied with
  server-side apply, carrying its owner's controller reference, so that its
  events reach the owner's controller (``owns=``) and the garbage collector
  deletes it with its owner.
- :func:`add_finalizer` and :func:`remove_finalizer`: a finalizer held while
  the controller cleans up, each change a JSON patch guarded by a ``test`` of
  the list it read, so that concurrent writers do not lose each other's.
- :func:`set_condition`: a status condition in Kubernetes' form, its
  ``lastTransitionTime`` moved only when its status changes, with the
  ``observedGeneration`` it describes.
- :class:`EventRecorder`: ``core/v1`` Events about an object, as
  ``kubectl describe`` lists them; a repeat of the last event raises its count.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubelite.api.errors import ApiError, ConflictError
from kubelite.client import JSON_PATCH, Client

__all__ = [
    "EventRecorder",
    "add_finalizer",
    "apply_owned",
    "owner_reference",
    "remove_finalizer",
    "set_condition",
]

log = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def owner_reference(owner: dict[str, Any], *, controller: bool = True) -> dict[str, Any]:
    """The reference a child keeps to ``owner`` (its controller, by default)."""
    meta = owner.get("metadata") or {}
    if not meta.get("uid"):
        raise ValueError("the owner has no uid: read it from the API first")
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


async def apply_owned(
    client: Client, owner: dict[str, Any], child: dict[str, Any], *, force: bool = True
) -> dict[str, Any]:
    """Apply ``child`` in ``owner``'s namespace with ``owner`` as its controller.

    ``force`` (the default for controllers, as in Kubernetes' own) takes fields
    others changed back to what the controller declares."""
    meta = {**(child.get("metadata") or {})}
    namespace = (owner.get("metadata") or {}).get("namespace")
    if namespace and not meta.get("namespace"):
        meta["namespace"] = namespace
    meta["ownerReferences"] = [owner_reference(owner)]
    return await client.apply({**child, "metadata": meta}, force=force)


async def add_finalizer(client: Client, obj: dict[str, Any], finalizer: str) -> dict[str, Any]:
    """``obj`` with ``finalizer`` added (as it is if it has it already)."""
    return await _change_finalizers(client, obj, lambda f: f if finalizer in f else [*f, finalizer])


async def remove_finalizer(client: Client, obj: dict[str, Any], finalizer: str) -> dict[str, Any]:
    """``obj`` without ``finalizer``; once no finalizer is left, a deleted object goes."""
    return await _change_finalizers(client, obj, lambda f: [x for x in f if x != finalizer])


async def _change_finalizers(
    client: Client, obj: dict[str, Any], change: Callable[[list[str]], list[str]]
) -> dict[str, Any]:
    for _ in range(5):
        meta = obj.get("metadata") or {}
        current = list(meta.get("finalizers") or [])
        wanted = change(current)
        if wanted == current:
            return obj
        if "finalizers" in meta:
            patch = [
                {"op": "test", "path": "/metadata/finalizers", "value": current},
                {"op": "replace", "path": "/metadata/finalizers", "value": wanted},
            ]
        else:
            patch = [{"op": "add", "path": "/metadata/finalizers", "value": wanted}]
        try:
            return await client.patch(
                obj["apiVersion"],
                obj["kind"],
                meta["name"],
                patch,
                namespace=meta.get("namespace") or "",
                content_type=JSON_PATCH,
            )
        except ApiError as err:
            if err.code not in (409, 422):
                raise
            # Someone changed the finalizers meanwhile: read them again.
            obj = await client.get(
                obj["apiVersion"], obj["kind"], meta["name"], namespace=meta.get("namespace") or ""
            )
    raise ConflictError("the finalizers kept changing under the update")


def set_condition(
    status: dict[str, Any],
    kind: str,
    value: bool | str,
    *,
    reason: str,
    message: str = "",
    generation: int | None = None,
) -> dict[str, Any]:
    """``status`` with the condition ``kind`` set (a new dict; the conditions
    keep their order). ``lastTransitionTime`` changes only with the status."""
    text = value if isinstance(value, str) else ("True" if value else "False")
    conditions = [dict(c) for c in status.get("conditions") or [] if isinstance(c, dict)]
    found = next((c for c in conditions if c.get("type") == kind), None)
    condition: dict[str, Any] = {
        "type": kind,
        "status": text,
        "reason": reason,
        "message": message,
        "lastTransitionTime": _now(),
    }
    if generation is not None:
        condition["observedGeneration"] = generation
    if found is not None:
        if found.get("status") == text and found.get("lastTransitionTime"):
            condition["lastTransitionTime"] = found["lastTransitionTime"]
        conditions[conditions.index(found)] = condition
    else:
        conditions.append(condition)
    updated = {**status, "conditions": conditions}
    if generation is not None:
        updated["observedGeneration"] = generation
    return updated


class EventRecorder:
    """Events about objects, from one component (``kubectl describe`` shows them)."""

    def __init__(self, client: Client, component: str, *, instance: str = "") -> None:
        self.client = client
        self.component = component
        self.instance = instance or component
        self._last: dict[tuple[str, str, str, str], dict[str, Any]] = {}

    async def record(
        self, obj: dict[str, Any], kind: str, reason: str, message: str
    ) -> dict[str, Any] | None:
        """An event of ``kind`` (``Normal`` or ``Warning``) about ``obj``; a
        failure to record it is logged, never raised: events are best effort."""
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") or "default"
        key = (str(meta.get("uid")), kind, reason, message)
        now = _now()
        try:
            last = self._last.get(key)
            if last is not None:
                count = int(last.get("count") or 1) + 1
                patch = {"count": count, "lastTimestamp": now}
                event = await self.client.patch(
                    "v1", "Event", last["metadata"]["name"], patch, namespace=namespace
                )
            else:
                event = await self.client.create(
                    {
                        "apiVersion": "v1",
                        "kind": "Event",
                        # Named as client-go names events: the object's name
                        # and the time in hexadecimal nanoseconds.
                        "metadata": {
                            "name": f"{meta.get('name')}.{time.time_ns():x}",
                            "namespace": namespace,
                        },
                        "involvedObject": {
                            "apiVersion": obj.get("apiVersion"),
                            "kind": obj.get("kind"),
                            "name": meta.get("name"),
                            "namespace": meta.get("namespace"),
                            "uid": meta.get("uid"),
                            "resourceVersion": meta.get("resourceVersion"),
                        },
                        "type": kind,
                        "reason": reason,
                        "message": message,
                        "source": {"component": self.component},
                        "reportingComponent": self.component,
                        "reportingInstance": self.instance,
                        "firstTimestamp": now,
                        "lastTimestamp": now,
                        "count": 1,
                    }
                )
        except ApiError as err:
            log.warning("event not recorded", extra={"reason": reason, "error": str(err)})
            self._last.pop(key, None)
            return None
        self._last[key] = event
        return event
