"""How an object is deleted: at once, or marked and left to finish later.

Kubernetes deletes an object in one step only when nothing has to happen
first. Otherwise the DELETE marks it, setting ``metadata.deletionTimestamp``,
and whoever has work left removes their mark when done; the last one to go
deletes the object. The marks are:

- **finalizers** (``metadata.finalizers``): each names a controller with work
  left. The propagation policy adds one for the garbage collector:
  ``orphan`` (dependents are released first) or ``foregroundDeletion``
  (dependents are deleted first); ``Background``, the default, adds none.
- **a grace period** (pods only): a pod bound to a node has
  ``spec.terminationGracePeriodSeconds`` (or the request's
  ``gracePeriodSeconds``) to stop; its node agent deletes it when it has.
  A pod that never ran, or has finished, goes at once.
- **namespaces** keep ``spec.finalizers`` (``kubernetes``): the namespace
  controller empties a Terminating namespace, then clears them through the
  ``finalize`` subresource.

An update that removes the last mark of an object being deleted deletes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kubelite.api import errors
from kubelite.api.errors import GroupKind, GroupResource
from kubelite.api.field import FieldError, FieldPath
from kubelite.api.resources import ResourceType
from kubelite.apiserver import objects
from kubelite.apiserver.objects import JSONObject

ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"
POLICIES = ("Foreground", "Background", "Orphan")
_DELETE_OPTIONS = GroupKind("DeleteOptions", "meta.k8s.io")


@dataclass(frozen=True, slots=True)
class DeleteOptions:
    """What a DELETE asks for, from its body and its query."""

    preconditions: JSONObject | None = None
    grace_period: int | None = None
    propagation: str = ""
    orphan_dependents: bool | None = None
    dry_run: bool = False

    def policy(self) -> str:
        """The propagation policy asked for, "" for the type's default."""
        if self.orphan_dependents is not None and self.propagation:
            raise errors.invalid(
                _DELETE_OPTIONS,
                "",
                [
                    FieldError.invalid(
                        FieldPath.of("propagationPolicy"),
                        self.propagation,
                        "orphanDependents and deletionPropagation cannot be both set",
                    )
                ],
            )
        if self.propagation and self.propagation not in POLICIES:
            raise errors.invalid(
                _DELETE_OPTIONS,
                "",
                [
                    FieldError.not_supported(
                        FieldPath.of("propagationPolicy"), self.propagation, POLICIES
                    )
                ],
            )
        if self.orphan_dependents is not None:
            return "Orphan" if self.orphan_dependents else "Background"
        return self.propagation


def mark_for_deletion(
    resource: ResourceType, current: JSONObject, options: DeleteOptions, now: datetime
) -> JSONObject | None:
    """``current`` marked for deletion; None if it is to be deleted at once."""
    meta = objects.metadata(current)
    finalizers = _with_policy(list(meta.get("finalizers") or []), options.policy())
    grace = _grace_period(resource, current, options)
    namespace_pending = _is_namespace(resource) and bool(_spec_finalizers(current))
    if not finalizers and not namespace_pending and grace == 0:
        return None
    marked_meta = {k: v for k, v in meta.items() if k != "finalizers"}
    if finalizers:
        marked_meta["finalizers"] = finalizers
    previous = meta.get("deletionGracePeriodSeconds")
    if not meta.get("deletionTimestamp") or (isinstance(previous, int) and grace < previous):
        # A second delete may shorten the grace period, never lengthen it.
        marked_meta["deletionTimestamp"] = objects.timestamp(now + timedelta(seconds=grace))
        marked_meta["deletionGracePeriodSeconds"] = grace
    marked = {**current, "metadata": marked_meta}
    if _is_namespace(resource):
        marked["status"] = {**(current.get("status") or {}), "phase": "Terminating"}
    return marked


def should_delete(resource: ResourceType, obj: JSONObject) -> bool:
    """Whether an update left ``obj`` marked for deletion with nothing to wait for."""
    meta = objects.metadata(obj)
    if not meta.get("deletionTimestamp") or meta.get("finalizers"):
        return False
    if _is_namespace(resource) and _spec_finalizers(obj):
        return False
    return not meta.get("deletionGracePeriodSeconds")


def check_new_finalizers(current: JSONObject, updated: JSONObject) -> list[FieldError]:
    """No finalizer can be added to an object already being deleted."""
    old = objects.metadata(current)
    if not old.get("deletionTimestamp"):
        return []
    before = set(old.get("finalizers") or [])
    added = [f for f in objects.metadata(updated).get("finalizers") or [] if f not in before]
    if not added:
        return []
    listed = ", ".join(f'"{f}"' for f in added)
    return [
        FieldError.forbidden(
            FieldPath.of("metadata", "finalizers"),
            "no new finalizers can be added if the object is being deleted, found new "
            f"finalizers []string{{{listed}}}",
        )
    ]


def terminating_namespace(namespace: JSONObject) -> bool:
    return objects.metadata(namespace).get("deletionTimestamp") is not None or (
        (namespace.get("status") or {}).get("phase") == "Terminating"
    )


def _with_policy(finalizers: list[str], policy: str) -> list[str]:
    if policy == "Orphan":
        drop, add = FOREGROUND, ORPHAN
    elif policy == "Foreground":
        drop, add = ORPHAN, FOREGROUND
    elif policy == "Background":
        return [f for f in finalizers if f not in (ORPHAN, FOREGROUND)]
    else:
        return finalizers
    kept = [f for f in finalizers if f != drop]
    return kept if add in kept else [*kept, add]


def _grace_period(resource: ResourceType, current: JSONObject, options: DeleteOptions) -> int:
    if not (resource.plural == "pods" and not resource.group):
        return 0
    spec: Any = current.get("spec") or {}
    phase = (current.get("status") or {}).get("phase")
    if not spec.get("nodeName") or phase in ("Succeeded", "Failed"):
        return 0  # never ran, or has finished: nothing to stop
    grace = options.grace_period
    if grace is None:
        grace = spec.get("terminationGracePeriodSeconds")
        grace = grace if isinstance(grace, int) else 30
    # As in Kubernetes, a negative grace period is one second.
    return 1 if grace < 0 else grace


def _is_namespace(resource: ResourceType) -> bool:
    return resource.plural == "namespaces" and not resource.group


def _spec_finalizers(obj: JSONObject) -> list[Any]:
    spec = obj.get("spec")
    found = spec.get("finalizers") if isinstance(spec, dict) else None
    return found if isinstance(found, list) else []


def check_preconditions(
    resource: GroupResource, current: JSONObject, wanted: JSONObject, name: str
) -> None:
    """409 Conflict when a delete's ``preconditions`` (uid, resourceVersion) do
    not hold for ``current``."""
    meta = objects.metadata(current)
    uid = wanted.get("uid")
    if uid and uid != meta.get("uid"):
        raise errors.conflict(
            resource,
            name,
            f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
            f"{meta.get('uid')}",
        )
    version = wanted.get("resourceVersion")
    if version and version != meta.get("resourceVersion"):
        raise errors.conflict(
            resource,
            name,
            f"Precondition failed: ResourceVersion in precondition: {version}, "
            f"ResourceVersion in object meta: {meta.get('resourceVersion')}",
        )
