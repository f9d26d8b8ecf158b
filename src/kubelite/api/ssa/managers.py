"""Field managers: who owns what after an apply, and after every other write.

This is the bookkeeping of ``metadata.managedFields``, the counterpart of
Kubernetes' ``pkg/util/managedfields`` (the chain of managers that
``NewDefaultFieldManager`` builds) over structured-merge-diff's
``merge.Updater``. Both entry points are pure: they take the objects and the
decoded entries (:mod:`~kubelite.api.ssa.entries`) and give back new ones.

:func:`apply` is server-side apply. The applier's entry becomes the fields of
its configuration; what it applied last time and no longer applies is pruned
from the object unless another manager owns it; a field another manager owns
and the apply changes is a conflict (409) unless ``force`` hands it over.

:func:`update` records any other write: the writer's ``Update`` entry gains
what it added or changed, every manager loses what the write removed, and
other managers lose what the writer changed. At most ten ``Update`` entries
are kept; the oldest merge into ``ancient-changes``, one per API version.

Worked example, a Deployment's replicas::

    step                                   entries after it
    kubectl applies replicas=3, image=a    kubectl/Apply {replicas, image}
    hpa updates replicas=5                 kubectl/Apply {image}
                                           hpa/Update    {replicas}
    kubectl applies replicas=3 again       409: conflict with "hpa" using
                                           apps/v1: .spec.replicas
    ... with force                         kubectl/Apply {replicas, image}
    kubectl applies image=a only           replicas is pruned: nobody else
                                           owns it; kubectl/Apply {image}

The rules around that core, as Kubernetes has them: the first apply to an
object that has no entries records its existing fields under
``before-first-apply``; an update of an existing object without entries
records nothing (tracking stays off until the next apply); an apply that
changes nothing leaves its entry's time alone; the applier ``kubectl`` may
take fields its ``last-applied-configuration`` annotation shows it set, and
keeps that annotation up to date. No entry owns ``apiVersion``, ``kind`` or
the identity fields of ``metadata``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

import orjson

from kubelite.api.errors import bad_request
from kubelite.api.ssa.entries import (
    APPLY,
    UPDATE,
    Conflict,
    Conflicts,
    ManagedFieldsEntry,
    canonical_time,
    go_json,
    identifier,
    set_managed_fields,
    sort_entries,
    unix_seconds,
)
from kubelite.api.ssa.fieldpath import EMPTY, FieldSet, Path
from kubelite.api.ssa.merge import Comparison, compare, merge
from kubelite.api.ssa.typed import (
    TypedError,
    ensure_named_fields_are_members,
    field_set,
    json_equal,
    remove,
)
from kubelite.api.ssa.types import Node

__all__ = [
    "ANCIENT_CHANGES",
    "BEFORE_FIRST_APPLY",
    "LAST_APPLIED",
    "MAX_UPDATE_MANAGERS",
    "STRIPPED",
    "ApplyResult",
    "apply",
    "update",
]

LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"
BEFORE_FIRST_APPLY: Final = "before-first-apply"
ANCIENT_CHANGES: Final = "ancient-changes"
MAX_UPDATE_MANAGERS: Final = 10
_ANNOTATIONS_MAX_BYTES: Final = 256 * 1024

_STRIPPED_METADATA: Final = (
    *("name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName"),
    *("generation", "managedFields", "resourceVersion"),
)
STRIPPED: Final = FieldSet(
    [Path.of("apiVersion"), Path.of("kind"), Path.of("metadata")]
    + [Path.of("metadata", name) for name in _STRIPPED_METADATA]
)
"""The paths no entry keeps (``stripmeta.go``); only these paths, not what
is under ``metadata``."""

_Managers = dict[str, ManagedFieldsEntry]
"""Entries by identifier, as Kubernetes holds them while it works."""


@dataclass(frozen=True, slots=True)
class _Writer:
    """Who writes, through which version and subresource, of what type."""

    name: str
    api_version: str
    subresource: str
    node: Node
    reset: FieldSet

    def key(self, operation: str) -> str:
        return identifier(self.name, operation, self.api_version, self.subresource)

    def entry(self, operation: str, time: str | None, fields: FieldSet) -> ManagedFieldsEntry:
        return ManagedFieldsEntry(
            self.name,
            operation,
            self.api_version,
            time,
            fields=fields,
            subresource=self.subresource,
        )


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """The object to store, with its new ``metadata.managedFields``; the
    entries, in stored order; and whether anything but the entries changed
    (an apply that changes nothing keeps the applier's time)."""

    obj: dict[str, Any]
    managed: list[ManagedFieldsEntry]
    changed: bool


def apply(
    live: dict[str, Any] | None,
    config: dict[str, Any],
    *,
    manager: str,
    api_version: str,
    node: Node,
    managed: Sequence[ManagedFieldsEntry],
    force: bool,
    now: str,
    subresource: str = "",
    kind: str | None = None,
    empty: dict[str, Any] | None = None,
    reset_fields: FieldSet = EMPTY,
    served_versions: Collection[str] | None = None,
) -> ApplyResult:
    """Apply ``config`` to ``live`` (None: the object does not exist yet).

    ``managed`` are the live object's entries (:func:`~kubelite.api.ssa.
    entries.decode_managed_fields`); ``api_version`` is the version served,
    which the config must name, as it must ``kind`` when given; ``empty`` is
    the object of this kind before anything is set (Go's zero value for a
    built-in kind, None for a custom resource); ``reset_fields`` are the
    fields the endpoint's strategy resets (``status`` on the main resource),
    which nobody comes to own by writing them; entries whose API version is
    not in ``served_versions`` are dropped, as Kubernetes drops entries it
    cannot convert to.

    Raises :class:`~kubelite.api.ssa.entries.Conflicts` (409),
    :class:`~kubelite.api.errors.BadRequestError` for a config of another
    type or one that sets ``managedFields``, and
    :class:`~kubelite.api.ssa.typed.TypedError` for a config or live object
    that does not fit ``node``. The result shares unchanged parts with the
    inputs: copy before changing it in place.
    """
    # TODO(#5): one node for every version; a custom resource whose versions
    # have different schemas, and schema changes between atomic and granular
    # (ReconcileFieldSetWithSchema), need the node of each entry's version.
    _check_config(config, api_version, kind)
    now = canonical_time(now)
    writer = _Writer(manager or "unknown", api_version, subresource, node, reset_fields)
    base = _without_managed_fields(live if live is not None else empty)
    managers = _index(managed, served_versions)
    if not managed:
        # The object's fields so far go to a manager of their own, so that
        # the first applier conflicts with what others set before.
        first = dataclasses.replace(writer, name=BEFORE_FIRST_APPLY)
        empty = _without_managed_fields(empty)
        managers = _record_update(empty, base, managers, first, now, MAX_UPDATE_MANAGERS)
    try:
        merged, result = _apply_once(base, config, managers, writer, force=force)
    except Conflicts as err:
        # kubectl taking over from its own client-side apply: conflicts on
        # fields its last-applied annotation shows it set are not conflicts.
        kubectl = writer.name == "kubectl"
        allowed = _allowed_by_last_applied(base, api_version, node) if kubectl else None
        if allowed is None:
            raise
        rest = [conflict for conflict in err.conflicts if not allowed.has(conflict.path)]
        if rest:
            raise Conflicts(rest) from None
        merged, result = _apply_once(base, config, managers, writer, force=True)

    changed = not json_equal(base, merged)
    key = writer.key(APPLY)
    if changed and key in result:
        result[key] = dataclasses.replace(result[key], time=now)
    obj = cast(dict[str, Any], merged if changed else base)
    if writer.name == "kubectl" and _has_last_applied(obj):
        obj = _set_last_applied(obj, _build_last_applied(config))
        changed = changed or not json_equal(base, obj)
    entries = sort_entries(result.values())
    return ApplyResult(set_managed_fields(obj, entries), entries, changed)


def update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    *,
    manager: str,
    api_version: str,
    node: Node,
    managed: Sequence[ManagedFieldsEntry],
    now: str,
    subresource: str = "",
    empty: dict[str, Any] | None = None,
    reset_fields: FieldSet = EMPTY,
    served_versions: Collection[str] | None = None,
    max_update_managers: int = MAX_UPDATE_MANAGERS,
) -> list[ManagedFieldsEntry]:
    """The entries after a create (``old`` None), update or patch by
    ``manager`` stored ``new``, in stored order.

    ``managed`` are the entries to start from, as
    :func:`~kubelite.api.ssa.entries.decode_live_or_new` picks them. None on
    an existing object (one with a ``uid``) means managed fields are off for
    it, and stay off. The other arguments are :func:`apply`'s. Raises
    :class:`~kubelite.api.ssa.typed.TypedError` for an object that does not
    fit ``node``; Kubernetes then stores the write with the live object's
    entries (``UpdateNoErrors``).
    """
    if not managed and old is not None and _metadata(old).get("uid"):
        return []
    writer = _Writer(manager or "unknown", api_version, subresource, node, reset_fields)
    before = _without_managed_fields(old if old is not None else empty)
    after = _without_managed_fields(new)
    if old is None and not managed:
        # A create with no entries: one entry, the writer's, with the fields
        # that differ from the empty object.
        fields = _created_fields(before, cast(dict[str, Any], after), writer)
        if fields.is_empty():
            return []
        return [writer.entry(UPDATE, canonical_time(now), fields)]
    managers = _index(managed, served_versions)
    managers = _record_update(
        before, after, managers, writer, canonical_time(now), max_update_managers
    )
    return sort_entries(managers.values())


def _created_fields(empty: Any, new: dict[str, Any], writer: _Writer) -> FieldSet:
    # What a create's writer owns depends on the object's content but not on
    # the identity fields every object has its own of (they are stripped):
    # objects made from one template (a ReplicaSet's pods) share the answer,
    # kept by their JSON with those fields blanked.
    metadata = new.get("metadata")
    try:
        if isinstance(metadata, dict):
            blanked = {k: "" if k in _BLANKED else v for k, v in metadata.items()}
            key = orjson.dumps({**new, "metadata": blanked})
        else:
            key = orjson.dumps(new)
    except (orjson.JSONEncodeError, TypeError):
        key = b""
    memo = (id(writer.node), id(empty), writer.reset, key)
    if key and len(key) <= _CREATED_MAX_BYTES:
        known = _CREATED.get(memo)
        if known is not None and known[0] is writer.node and known[1] is empty:
            return known[2]
    _, comparison = _reassign(empty, new, {}, None, writer, force=True)
    fields = _exclude(comparison.added | comparison.modified, writer.reset) - STRIPPED
    if key and len(key) <= _CREATED_MAX_BYTES:
        if len(_CREATED) >= _CREATED_LIMIT:
            _CREATED.clear()
        _CREATED[memo] = (writer.node, empty, fields)
    return fields


# Identity fields blanked in the memo's key: stripped from every entry, and
# only their presence counts, as scalars, in what a create adds.
_BLANKED: Final = frozenset(
    ("name", "namespace", "uid", "creationTimestamp", "generation", "resourceVersion", "selfLink")
)
# The fields of recent creates, by (type, empty object, reset fields, JSON);
# each holds its node and empty object, so that their ids stay their own.
_CREATED: dict[tuple[int, int, FieldSet, bytes], tuple[Node, Any, FieldSet]] = {}
_CREATED_LIMIT: Final = 256
_CREATED_MAX_BYTES: Final = 16384


# -- structured-merge-diff's Updater ---------------------------------------------


def _apply_once(
    live: Any, config: dict[str, Any], managers: _Managers, writer: _Writer, *, force: bool
) -> tuple[Any, _Managers]:
    # Updater.Apply, then the applier's entry stripped as stripMeta does.
    node = writer.node
    applied = _exclude(field_set(config, node), writer.reset)
    merged = merge(live, config, node)
    key = writer.key(APPLY)
    last = managers.get(key)
    out = dict(managers)
    out[key] = writer.entry(APPLY, None if last is None else last.time, applied)
    if last is not None and not last.fields.is_empty():
        merged = _prune(merged, out, last.fields, node)
    out, _ = _reassign(live, merged, out, key, writer, force=force)
    mine = out.get(key)
    if mine is not None:
        kept = mine.fields - STRIPPED
        if kept.is_empty():
            del out[key]
        else:
            out[key] = dataclasses.replace(mine, fields=kept)
    return merged, out


def _record_update(
    old: Any, new: Any, managers: _Managers, writer: _Writer, now: str, limit: int
) -> _Managers:
    # Updater.Update under a stand-in name, so that the writer's own entry
    # loses what it changed like any other; what the write added or changed
    # then joins that entry, which takes the time (managedFieldsUpdater).
    out, comparison = _reassign(old, new, managers, None, writer, force=True)
    current = _exclude(comparison.added | comparison.modified, writer.reset) - STRIPPED
    if not current.is_empty():
        key = writer.key(UPDATE)
        previous = out.get(key)
        fields = current if previous is None else current | previous.fields
        out[key] = writer.entry(UPDATE, now, fields)
    return _cap(out, limit)


def _reassign(
    old: Any, new: Any, managers: _Managers, key: str | None, writer: _Writer, *, force: bool
) -> tuple[_Managers, Comparison]:
    # Updater.update: every manager but the writer loses the fields the
    # write added or changed (a conflict unless forced) and those it
    # removed; entries left empty go.
    comparison = compare(old, new, writer.node)
    changed = _exclude(comparison.added | comparison.modified, writer.reset)
    removed = _exclude(comparison.removed, writer.reset)
    conflicts: list[Conflict] = []
    out: _Managers = {}
    for name, entry in managers.items():
        if name != key:
            taken = entry.fields & changed
            conflicts.extend(
                Conflict(entry.manager, path, entry.operation, entry.api_version, entry.subresource)
                for path in taken
            )
            kept = entry.fields - taken - removed
            if kept != entry.fields:
                entry = dataclasses.replace(entry, fields=kept)
        if not entry.fields.is_empty():
            out[name] = entry
    if conflicts and not force:
        raise Conflicts(conflicts)
    return out, comparison


def _prune(merged: Any, managers: _Managers, last: FieldSet, node: Node) -> Any:
    # Updater.prune: remove what the applier set last time, then put back
    # what any manager (the applier's new set included) still owns, and
    # whatever the removal took that the applier never owned.
    owned = EMPTY
    for entry in managers.values():
        owned = owned | entry.fields
    if (last - owned).is_empty():
        # Everything applied last time is still owned: nothing goes, and the
        # walks below would give back ``merged`` (the common re-apply).
        return merged
    return _prune_walk(merged, owned, last, node)


def _prune_walk(merged: Any, owned: FieldSet, last: FieldSet, node: Node) -> Any:
    def named(fields: FieldSet) -> FieldSet:
        return ensure_named_fields_are_members(fields, node)

    def fields_of(obj: Any) -> FieldSet:
        return named(field_set(obj, node, allow_duplicates=True))

    last = named(last)
    everything = fields_of(merged)
    pruned = remove(merged, last, node)
    pruned = remove(merged, everything - (fields_of(pruned) | named(owned)), node)
    return remove(merged, (everything - fields_of(pruned)) & last, node)


def _cap(managers: _Managers, limit: int) -> _Managers:
    # capManagersManager: while there are too many Update entries, the
    # oldest (by second, then identifier) merge into one ancient-changes
    # entry per API version, the first of each version joining when a
    # second comes. Kept step for step, quirks included.
    updaters = [key for key, entry in managers.items() if entry.operation != APPLY]
    if len(updaters) <= limit:
        return managers
    updaters.sort(key=lambda key: (unix_seconds(managers[key].time), key))
    out = dict(managers)
    first_of: dict[str, str] = {}
    length = len(updaters)
    for key in updaters:
        if length <= limit:
            break
        entry = out.get(key)
        if entry is None:
            continue
        version = entry.api_version
        first = first_of.get(version)
        if first is None:
            first_of[version] = key
            continue
        bucket = identifier(ANCIENT_CHANGES, UPDATE, version)
        if bucket not in out:
            out[bucket] = out.pop(first)
        fields = entry.fields | out[bucket].fields
        out[bucket] = ManagedFieldsEntry(
            ANCIENT_CHANGES, UPDATE, version, entry.time, fields=fields
        )
        del out[key]
        length -= 1
    return out


def _exclude(fields: FieldSet, reset: FieldSet) -> FieldSet:
    # RecursiveDifference: the paths of fields with no prefix in reset.
    return fields.recursive_difference(reset)


def _index(managed: Sequence[ManagedFieldsEntry], served: Collection[str] | None) -> _Managers:
    return {
        entry.identifier: entry
        for entry in managed
        if served is None or entry.api_version in served
    }


# -- requests, objects and kubectl's annotation ----------------------------------


def _check_config(config: object, api_version: str, kind: str | None) -> None:
    # versionCheckManager, then structuredMergeManager's own check.
    if not isinstance(config, dict):
        raise bad_request("invalid object type: /, Kind=")
    sent_kind = config.get("kind") if isinstance(config.get("kind"), str) else ""
    sent = _group_version(config.get("apiVersion"))
    gvk = ("", "", "") if sent is None else (*sent, sent_kind)
    served = _group_version(api_version) or ("", "")
    if gvk != (*served, sent_kind if kind is None else kind):
        raise bad_request(f"invalid object type: {gvk[0]}/{gvk[1]}, Kind={gvk[2]}")
    if isinstance(_metadata(config).get("managedFields"), list):
        raise bad_request("metadata.managedFields must be nil")


def _group_version(text: object) -> tuple[str, str] | None:
    # schema.ParseGroupVersion; None where it fails.
    text = text if isinstance(text, str) else ""
    if text in ("", "/"):
        return "", ""
    if text.count("/") > 1:
        return None
    group, _, version = text.rpartition("/")
    return group, version


def _metadata(obj: object) -> dict[str, Any]:
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def _without_managed_fields(obj: dict[str, Any] | None) -> dict[str, Any] | None:
    metadata = _metadata(obj)
    if obj is None or "managedFields" not in metadata:
        return obj
    rest = {key: value for key, value in metadata.items() if key != "managedFields"}
    return {**obj, "metadata": rest}


def _annotations(obj: object) -> dict[str, str] | None:
    # GetAnnotations: None unless a map of strings.
    found = _metadata(obj).get("annotations")
    if isinstance(found, dict) and all(isinstance(v, str) for v in found.values()):
        return found
    return None


def _has_last_applied(obj: dict[str, Any]) -> bool:
    return bool((_annotations(obj) or {}).get(LAST_APPLIED))


def _build_last_applied(config: dict[str, Any]) -> str:
    # The applied config without the annotation, as kubectl encodes it.
    metadata = dict(_metadata(config))
    annotations = _annotations(config)
    if annotations is None:
        metadata.pop("annotations", None)
    else:
        metadata["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
    if "metadata" in config:
        config = {**config, "metadata": metadata}
    return go_json(config) + "\n"


def _set_last_applied(obj: dict[str, Any], value: str) -> dict[str, Any]:
    annotations = dict(_annotations(obj) or {})
    annotations[LAST_APPLIED] = value
    size = sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())
    if size > _ANNOTATIONS_MAX_BYTES:  # too large to keep: dropped instead
        del annotations[LAST_APPLIED]
    return {**obj, "metadata": {**_metadata(obj), "annotations": annotations}}


def _allowed_by_last_applied(live: Any, api_version: str, node: Node) -> FieldSet | None:
    # The fields kubectl's annotation shows it set and the live object still
    # holds as set; None when the annotation cannot tell.
    text = (_annotations(live) or {}).get(LAST_APPLIED)
    if not text:
        return None
    try:
        applied = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(applied, dict) or not isinstance(applied.get("kind"), str):
        return None
    if not applied["kind"] or applied.get("apiVersion") != api_version:
        return None
    try:
        fields = field_set(applied, node)
        comparison = compare(applied, live, node)
    except TypedError:
        return None
    return fields - comparison.modified - comparison.added - comparison.removed
