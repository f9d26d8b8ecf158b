"""What a CustomResourceDefinition serves, under which names, and the status saying so.

Kubernetes splits this between three controllers inside its API server; the
functions here are their decisions, with the I/O left to the caller
(``kubelite.apiserver.crds``):

- the *naming* controller picks ``status.acceptedNames`` and the
  ``NamesAccepted`` condition. A requested name (plural, singular, short names,
  kind, list kind) is accepted when it is the name already accepted, or when no
  other type of the same group holds it. A name in conflict keeps the value
  accepted before (so a served CRD goes on being served under its old names),
  and the condition names the last conflict found, in the order plural,
  singular, short names, kind, list kind;
- the *establishing* controller sets ``Established`` once the names are
  accepted. Kubernetes passes through ``Established=False`` (reason
  ``Installing``) until its handler is ready; kubelite serves a CRD's types
  before it writes the status, so the condition goes straight to ``True``. Once
  ``True`` it stays ``True``, whatever later happens to the names;
- the registry's strategy keeps ``status.storedVersions``: every version that
  has ever been the storage version, until someone removes it by hand.

Who holds a name is the caller's to answer, through ``taken(group, name)``: the
holder (for a CRD its ``metadata.name``) or ``None``. A name held by the CRD
itself is no conflict. Resource names (plural, singular, short names) and kinds
are asked the same way; Kubernetes keeps them in two sets, which only differ
for a kind written in lowercase.

A worked example: ``widgets.example.com`` asks for plural ``widgets`` and short
name ``wd``, and ``gadgets.example.com`` already accepted ``wd``::

    acceptedNames  {plural: widgets, singular: widget, kind: Widget,
                    listKind: WidgetList}            (no short names yet)
    NamesAccepted  False  ShortNamesConflict  "wd" is already in use
    Established    False  NotAccepted         not all names are accepted

Each served version becomes a ``ResourceType`` (``custom_versions`` returns it
with what the table has no field for: the schema, the printer columns, the
selectable fields, the list kind, the scale paths). Custom resources count spec
changes in ``metadata.generation``, and a DELETE that removes one at once
answers with a ``Status``, not the object: the generic store Kubernetes builds
for them does not set ``ReturnDeletedObject``. ``field_path`` resolves a
selectable field's ``jsonPath`` in a version's schema, for validation here and
for reading the field out of an object when serving a field selector.

Also here, since they are about names and status: the rules every set of names
follows (``validate_names``) and those of ``status.storedVersions``, and what
Kubernetes writes into a CRD on its way to storage: the v1 defaults
(``apply_definition_defaults``) and the status its registry strategy sets
(``prepare_definition_create``, ``prepare_definition_update``). The rest of
the validation is in ``definition``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from kubelite.api.field import FieldError, FieldPath, GoLiteral, aggregate_message, go_quote
from kubelite.api.resources import ResourceType, Subresource
from kubelite.api.validation import is_dns1035_label

__all__ = [
    "ESTABLISHED",
    "NAMES_ACCEPTED",
    "CustomVersion",
    "FieldPathError",
    "Taken",
    "accepted_names",
    "apply_definition_defaults",
    "conditions",
    "custom_versions",
    "deprecation_problems",
    "field_path",
    "prepare_definition_create",
    "prepare_definition_update",
    "resource_types",
    "stored_versions",
    "validate_names",
    "validate_stored_versions",
]

# Who holds a name in a group: ``taken(group, name)`` is the holder or None.
Taken = Callable[[str, str], str | None]

NAMES_ACCEPTED: Final = "NamesAccepted"
ESTABLISHED: Final = "Established"

_STATUS: Final = Subresource("status", ("get", "patch", "update"))
_SCALE: Final = Subresource(
    "scale", ("get", "patch", "update"), group="autoscaling", version="v1", kind="Scale"
)
# CustomResourceDefinitionNames in Go's field order; plural and kind are always
# written, the others only when set (``omitempty``).
_NAME_KEYS: Final = ("plural", "singular", "shortNames", "kind", "listKind", "categories")
_ALWAYS_WRITTEN: Final = ("plural", "kind")
# Each name, and whether it may have mixed case (a kind) or not (a resource name).
_NAME_RULES: Final = (("plural", False), ("singular", False), ("kind", True), ("listKind", True))


# -- decoded JSON ------------------------------------------------------------------------
# Shared with ``definition``: a CRD arrives as decoded JSON that nothing has
# typed yet, and a field of the wrong type reads as absent.


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _strings(value: object) -> list[str]:
    return [item for item in _list(value) if isinstance(item, str)]


def _versions(crd: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [_map(version) for version in _list(_map(crd.get("spec")).get("versions"))]


# -- names -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Naming:
    """The naming controller's decision: the names, and why some are refused."""

    names: dict[str, Any]
    reason: str = ""  # empty when every name is accepted
    message: str = ""


def _naming(crd: Mapping[str, Any], taken: Taken | None) -> _Naming:
    spec = _map(crd.get("spec"))
    group = _text(spec.get("group"))
    own = _text(_map(crd.get("metadata")).get("name"))
    requested = _map(spec.get("names"))
    before = _map(_map(crd.get("status")).get("acceptedNames"))

    def conflict(name: str, accepted: str) -> str:
        if not name or name == accepted or taken is None:
            return ""
        holder = taken(group, name)
        return "" if holder is None or holder == own else f"{go_quote(name)} is already in use"

    names: dict[str, Any] = {key: before.get(key) for key in _NAME_KEYS}
    reason = message = ""
    for key, why in (("plural", "PluralConflict"), ("singular", "SingularConflict")):
        problem = conflict(_text(requested.get(key)), _text(before.get(key)))
        if problem:
            reason, message = why, problem
        else:
            names[key] = requested.get(key)

    wanted, had = _strings(requested.get("shortNames")), _strings(before.get("shortNames"))
    if wanted != had:
        problems = [conflict(name, "") for name in wanted if name not in had]
        if any(problems):
            reason = "ShortNamesConflict"
            message = aggregate_message(problem for problem in problems if problem)
        else:
            names["shortNames"] = wanted

    for key, why in (("kind", "KindConflict"), ("listKind", "ListKindConflict")):
        problem = conflict(_text(requested.get(key)), _text(before.get(key)))
        if problem:
            reason, message = why, problem
        else:
            names[key] = requested.get(key)
    names["categories"] = requested.get("categories")

    shaped = {
        key: value
        for key, value in names.items()
        if key in _ALWAYS_WRITTEN or (value is not None and value != "" and value != [])
    }
    for key in _ALWAYS_WRITTEN:
        shaped[key] = _text(shaped.get(key))
    return _Naming(shaped, reason, message)


def accepted_names(crd: Mapping[str, Any], taken: Taken | None = None) -> dict[str, Any]:
    """``status.acceptedNames``: the requested names, except those in conflict,
    which keep the value accepted before.

    Without ``taken`` every requested name is accepted. The result has Go's
    shape: ``plural`` and ``kind`` always, the others only when set.
    """
    return _naming(crd, taken).names


def validate_names(names: Mapping[str, Any], at: FieldPath) -> list[FieldError]:
    """The rules every set of names follows, ``spec.names`` and
    ``status.acceptedNames`` alike; an empty name is not checked here (only
    ``spec`` requires them)."""
    errors: list[FieldError] = []
    for key, mixed_case in _NAME_RULES:
        value = _text(names.get(key))
        problems = is_dns1035_label(value.lower() if mixed_case else value)
        if value and problems:
            prefix = "may have mixed case, but should otherwise match: " if mixed_case else ""
            errors.append(FieldError.invalid(at.child(key), value, prefix + ",".join(problems)))
    for index, short in enumerate(_strings(names.get("shortNames"))):
        if problems := is_dns1035_label(short):
            where = at.child("shortNames").index(index)
            errors.append(FieldError.invalid(where, short, ",".join(problems)))
    kind, list_kind = _text(names.get("kind")), _text(names.get("listKind"))
    if kind and kind == list_kind:
        detail = "kind and listKind may not be the same"
        errors.append(FieldError.invalid(at.child("listKind"), list_kind, detail))
    for index, category in enumerate(_strings(names.get("categories"))):
        if problems := is_dns1035_label(category):
            where = at.child("categories").index(index)
            errors.append(FieldError.invalid(where, category, ",".join(problems)))
    return errors


# -- conditions --------------------------------------------------------------------------


def conditions(
    crd: Mapping[str, Any],
    taken: Taken,
    *,
    now: datetime,
    old: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """``status.conditions`` after the naming and establishing controllers.

    ``old`` is the CRD's current conditions: they are kept, in their order, with
    ``NamesAccepted`` and ``Established`` updated (or appended). A condition
    whose status does not change keeps its ``lastTransitionTime``; one that
    changes, or is new, gets ``now``.
    """
    naming = _naming(crd, taken)
    if naming.reason:
        names = ("False", naming.reason, naming.message)
    else:
        names = ("True", "NoConflicts", "no conflicts found")

    before = next((c for c in old if isinstance(c, Mapping) and c.get("type") == ESTABLISHED), None)
    if before is not None and before.get("status") == "True":
        established = ("True", _text(before.get("reason")), _text(before.get("message")))
    elif not naming.reason:
        established = ("True", "InitialNamesAccepted", "the initial names have been accepted")
    else:
        established = ("False", "NotAccepted", "not all names are accepted")

    moment = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    result = [dict(c) for c in old if isinstance(c, Mapping)]
    _set_condition(result, NAMES_ACCEPTED, names, stamp)
    _set_condition(result, ESTABLISHED, established, stamp)
    return result


def _set_condition(
    conditions: list[dict[str, Any]], kind: str, value: tuple[str, str, str], stamp: str
) -> None:
    status, reason, message = value
    for index, condition in enumerate(conditions):
        if condition.get("type") != kind:
            continue
        since = condition.get("lastTransitionTime")
        if condition.get("status") != status or not since:
            since = stamp
        conditions[index] = _condition(kind, status, since, reason, message)
        return
    conditions.append(_condition(kind, status, stamp, reason, message))


def _condition(kind: str, status: str, since: object, reason: str, message: str) -> dict[str, Any]:
    # Go's field order; reason and message are omitempty.
    out: dict[str, Any] = {"type": kind, "status": status, "lastTransitionTime": since}
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out


# -- stored versions -------------------------------------------------------------------


def stored_versions(
    crd: Mapping[str, Any], old_status: Mapping[str, Any] | None = None
) -> list[str]:
    """``status.storedVersions``: those of ``old_status`` (none on create), and
    the storage version if it is not among them yet. Nothing is ever removed."""
    stored = _strings(_map(old_status).get("storedVersions"))
    for version in _versions(crd):
        name = _text(version.get("name"))
        if version.get("storage") is True and name and name not in stored:
            stored.append(name)
    return stored


def validate_stored_versions(crd: Mapping[str, Any]) -> list[FieldError]:
    """``status.storedVersions`` holds the storage version, and only versions
    still in ``spec.versions``. Kubernetes reports the others in Go's map
    order, which varies from call to call; here they come in list order."""
    errors: list[FieldError] = []
    raw = _map(crd.get("status")).get("storedVersions")
    stored = [_text(item) for item in _list(raw)]
    where = FieldPath.of("status", "storedVersions")
    if not stored:
        value = GoLiteral("[]string(nil)") if raw is None else stored
        return [FieldError.invalid(where, value, "must have at least one stored version")]
    left = {name: index for index, name in enumerate(stored)}
    for version in _versions(crd):
        name = _text(version.get("name"))
        if version.get("storage") is True and name not in left:
            detail = f"must have the storage version {name}"
            errors.append(FieldError.invalid(where, stored, detail))
        left.pop(name, None)
    for name, index in sorted(left.items(), key=lambda item: item[1]):
        detail = (
            f"missing from spec.versions; {name} was previously a storage version, and must "
            f"remain in spec.versions until a storage migration ensures no data remains "
            f"persisted in {name} and removes {name} from status.storedVersions"
        )
        errors.append(FieldError.invalid(where.index(index), name, detail))
    return errors


# -- served versions -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomVersion:
    """One served version of a CRD: its resource type, and what that type lacks."""

    resource: ResourceType
    # The version's ``schema.openAPIV3Schema`` ({} when there is none).
    schema: Mapping[str, Any] = field(default_factory=dict, hash=False)
    # ``additionalPrinterColumns`` as written (no Age column added here).
    printer_columns: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)
    # The ``jsonPath`` of each of ``selectableFields``.
    selectable_fields: tuple[str, ...] = ()
    list_kind: str = ""
    storage: bool = False
    deprecated: bool = False
    # ``deprecationWarning`` as written; None lets the server word its default.
    deprecation_warning: str | None = None
    # ``subresources.scale`` (specReplicasPath, statusReplicasPath,
    # labelSelectorPath), None when the version has no scale subresource.
    scale: Mapping[str, Any] | None = field(default=None, hash=False)


def custom_versions(crd: Mapping[str, Any]) -> list[CustomVersion]:
    """Each served version of ``crd``, in the order of ``spec.versions``.

    The names are ``status.acceptedNames`` once the naming controller has
    accepted some (Kubernetes serves those, not ``spec.names``), else
    ``spec.names``.
    """
    spec = _map(crd.get("spec"))
    group = _text(spec.get("group"))
    accepted = _map(_map(crd.get("status")).get("acceptedNames"))
    names = accepted if accepted.get("plural") and accepted.get("kind") else _map(spec.get("names"))
    kind = _text(names.get("kind"))
    served: list[CustomVersion] = []
    for version in _versions(crd):
        if version.get("served") is not True:
            continue
        subresources = _map(version.get("subresources"))
        scale = subresources.get("scale")
        parts = [
            part
            for part, key in ((_STATUS, "status"), (_SCALE, "scale"))
            if isinstance(subresources.get(key), Mapping)
        ]
        resource = ResourceType(
            group,
            _text(version.get("name")),
            kind,
            _text(names.get("plural")),
            _text(names.get("singular")) or kind.lower(),
            namespaced=spec.get("scope") == "Namespaced",
            short_names=tuple(_strings(names.get("shortNames"))),
            categories=tuple(_strings(names.get("categories"))),
            subresources=tuple(parts),
            generation=True,
        )
        warning = version.get("deprecationWarning")
        served.append(
            CustomVersion(
                resource,
                schema=_map(_map(version.get("schema")).get("openAPIV3Schema")),
                printer_columns=tuple(
                    _map(c) for c in _list(version.get("additionalPrinterColumns"))
                ),
                selectable_fields=tuple(
                    _text(_map(f).get("jsonPath")) for f in _list(version.get("selectableFields"))
                ),
                list_kind=_text(names.get("listKind")) or f"{kind}List",
                storage=version.get("storage") is True,
                deprecated=version.get("deprecated") is True,
                deprecation_warning=warning if isinstance(warning, str) else None,
                scale=scale if isinstance(scale, Mapping) else None,
            )
        )
    return served


def resource_types(crd: Mapping[str, Any]) -> list[ResourceType]:
    """The ``ResourceType`` of each served version (see ``custom_versions``)."""
    return [version.resource for version in custom_versions(crd)]


def deprecation_problems(version: Mapping[str, Any]) -> list[str]:
    """What is wrong with a version's ``deprecationWarning``, in Kubernetes' words."""
    warning = version.get("deprecationWarning")
    if not isinstance(warning, str):
        return []
    if version.get("deprecated") is not True:
        return ["can only be set for deprecated versions"]
    problems = []
    if len(warning.encode()) > 256:
        problems.append("must be <= 256 characters long")
    if not warning:
        problems.append("must not be an empty string")
    for index, char in enumerate(warning):
        if not char.isprintable():
            offset = len(warning[:index].encode())  # Go counts bytes
            problems.append(
                "must only contain printable UTF-8 characters; non-printable character "
                f"found at index {offset}"
            )
            break
    return problems


class FieldPathError(ValueError):
    """A selectable field's path that does not lead to a field of the schema."""


def field_path(json_path: str, schema: Mapping[str, Any]) -> tuple[FieldPath, Mapping[str, Any]]:
    """The field a selectable field's ``jsonPath`` names in ``schema``, and the
    schema found there: ``.spec.color`` is ``spec.color``, a key of a map is
    ``spec.labels[app]``. Only dots: a selectable field may not use ``[...]``.

    Raises ``FieldPathError``, worded as Kubernetes words it, when the path is
    malformed or leaves the schema.
    """
    path = FieldPath()
    tokens = iter(_path_tokens(json_path))
    for token in tokens:
        if token == "[":
            raise FieldPathError("array notation is not allowed")
        if token != ".":
            raise FieldPathError(f"expected [ or . but got: {token}")
        name = next(tokens, None)
        if name is None:
            raise FieldPathError("unexpected end of JSON path")
        properties, extra = schema.get("properties"), schema.get("additionalProperties")
        if isinstance(properties, Mapping) and name in properties:
            path, schema = path.child(name), _map(properties[name])
        elif not isinstance(properties, Mapping) and extra is not None:
            path, schema = path.key(name), _map(extra)
        else:
            raise FieldPathError("does not refer to a valid field")
    return path, schema


def _path_tokens(path: str) -> list[str]:
    # As Kubernetes splits them: each of ".[]" alone, a quoted 'string' whole
    # (dots and all), and any other run of characters up to a delimiter.
    tokens: list[str] = []
    start = 0
    while start < len(path):
        end = start + 1
        if path[start] == "'":
            while end < len(path) and not (path[end] == "'" and path[end - 1] != "\\"):
                end += 1
            end = min(end + 1, len(path))
        elif path[start] not in ".[]":
            while end < len(path) and path[end] not in ".[]":
                end += 1
        tokens.append(path[start:end])
        start = end
    return tokens


# -- defaults and strategy ---------------------------------------------------------------


def apply_definition_defaults(crd: dict[str, Any]) -> None:
    """Fill in what Kubernetes' v1 defaulting does, in place.

    ``spec.names.singular`` is the kind in lowercase, ``listKind`` the kind
    and ``List``; ``spec.conversion`` is ``{strategy: None}``; a conversion
    webhook's service port is 443; ``status.storedVersions`` is the storage
    version when empty. Each version's ``served`` and ``storage`` are written
    out as ``false`` when absent, as Go's zero values come back. Nothing is
    added to ``additionalPrinterColumns`` (v1beta1 added Age; v1 does not).
    """
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return
    names = spec.get("names")
    if isinstance(names, dict):
        kind = _text(names.get("kind"))
        if not _text(names.get("singular")):
            names["singular"] = kind.lower()
        if not _text(names.get("listKind")) and kind:
            names["listKind"] = kind + "List"
    if spec.get("conversion") is None:
        spec["conversion"] = {"strategy": "None"}
    webhook = _map(_map(spec.get("conversion")).get("webhook"))
    service = _map(webhook.get("clientConfig")).get("service")
    if isinstance(service, dict) and service.get("port") is None:
        service["port"] = 443
    for version in _list(spec.get("versions")):
        if isinstance(version, dict):
            version.setdefault("served", False)
            version.setdefault("storage", False)
    status = crd.get("status")
    if status is None:
        status = crd["status"] = {}
    if isinstance(status, dict) and not _list(status.get("storedVersions")):
        storage = next((v for v in _versions(crd) if v.get("storage") is True), None)
        if storage is not None:
            status["storedVersions"] = [_text(storage.get("name"))]


def prepare_definition_create(crd: dict[str, Any]) -> None:
    """The status of a new CRD, whatever was sent: nothing accepted yet, no
    conditions, and the storage version stored (Kubernetes' create strategy)."""
    crd["status"] = {
        "conditions": None,
        "acceptedNames": {"plural": "", "kind": ""},
        "storedVersions": stored_versions(crd, None),
    }


def prepare_definition_update(new: dict[str, Any], old: Mapping[str, Any]) -> None:
    """An update of the CRD (not of its status) keeps the old status, adding
    the new storage version to ``storedVersions``."""
    status = copy.deepcopy(dict(_map(old.get("status"))))
    status["storedVersions"] = stored_versions(new, status)
    new["status"] = status
