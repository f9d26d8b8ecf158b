"""A CustomResourceDefinition checked as Kubernetes checks it, in its words.

Pure functions on the decoded ``apiextensions.k8s.io/v1`` object. Kubernetes
validates not the v1 object but the internal form it converts to, and two
quirks of that conversion show in its errors, so they are kept here:

- a per-version field that every version sets alike (``schema``,
  ``subresources``, ``additionalPrinterColumns``, ``selectableFields``) moves
  to the top level first, and its errors name the old v1beta1 paths. With a
  single version, always::

      sent at   spec.versions[0].subresources.scale.specReplicasPath
      named     spec.subresources.scale.specReplicasPath
      sent at   spec.versions[0].schema.openAPIV3Schema
      named     spec.validation.openAPIV3Schema

  The consequences come too: identical ``selectableFields`` under differing
  schemas, or differing ones under one schema, are refused;
- the first version's name is also the internal ``spec.version``, so a bad
  first name is reported twice.

Errors come in Kubernetes' order: the name rule (``plural.group``), the spec
(group, scope, schemas present, each version, unique names, one storage
version, names, the moved fields, conversion), the status (accepted names,
stored versions), the approval of a ``*.k8s.io`` group. The generic metadata
checks are the registry's. Where Go prints a struct as the bad value, so does
this, with ``0xc000000000`` for the memory addresses Go would show.

Left out: the schema's own rules (``kubelite.api.crd.schema``, given as
``structural`` and called with each schema and its path), CEL rules and their
cost, defaults inside schemas, the ratcheting that lets an old CRD keep what
is no longer allowed, and conversion webhooks: kubelite calls no webhooks, so
``strategy: Webhook`` is refused, saying so, rather than served unconverted.
Names, conditions, served types and defaults are in ``names``, and exported
here too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from kubelite.api.crd.gostruct import go_versions
from kubelite.api.crd.names import (
    ESTABLISHED,
    NAMES_ACCEPTED,
    CustomVersion,
    FieldPathError,
    Taken,
    _list,
    _map,
    _text,
    _versions,
    accepted_names,
    apply_definition_defaults,
    conditions,
    custom_versions,
    deprecation_problems,
    field_path,
    prepare_definition_create,
    prepare_definition_update,
    resource_types,
    stored_versions,
    validate_names,
    validate_stored_versions,
)
from kubelite.api.field import FieldError, FieldPath, GoLiteral, go_quote
from kubelite.api.validation import is_dns1035_label, is_dns1123_subdomain

__all__ = [
    "ESTABLISHED",
    "MAX_SELECTABLE_FIELDS",
    "NAMES_ACCEPTED",
    "CustomVersion",
    "FieldPathError",
    "Structural",
    "Taken",
    "accepted_names",
    "apply_definition_defaults",
    "conditions",
    "custom_versions",
    "field_path",
    "prepare_definition_create",
    "prepare_definition_update",
    "resource_types",
    "stored_versions",
    "validate_definition",
    "validate_definition_update",
]

# The structural-schema check of one version's schema, given its path.
Structural = Callable[[Mapping[str, Any], FieldPath], list[FieldError]]

MAX_SELECTABLE_FIELDS: Final = 8
APPROVAL_ANNOTATION: Final = "api-approved.kubernetes.io"

_SPEC: Final = FieldPath.of("spec")
_SCOPES: Final = ("Cluster", "Namespaced")
_STRATEGIES: Final = ("None", "Webhook")
_SELECTABLE_TYPES: Final = ("string", "boolean", "integer")
_IMMUTABLE: Final = "field is immutable"
_NOT_WEBHOOK: Final = "should not be set when strategy is not set to Webhook"
# The per-version fields that the conversion moves up when all versions agree.
_MOVABLE: Final = ("schema", "subresources", "additionalPrinterColumns", "selectableFields")
_APPROVAL_SEE: Final = "see https://github.com/kubernetes/enhancements/pull/1111"


# JSONSchemaProps' fields in Go's order, for the root check under a status
# subresource; and which of them are plain bools or strings, unset when false or "".
def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_SCHEMA_FIELDS: Final = _words(
    "id $schema $ref description type nullable format title default maximum "
    "exclusiveMaximum minimum exclusiveMinimum maxLength minLength pattern maxItems "
    "minItems uniqueItems multipleOf enum maxProperties minProperties required items "
    "allOf oneOf anyOf not properties additionalProperties patternProperties "
    "dependencies additionalItems definitions externalDocs example "
    "x-kubernetes-preserve-unknown-fields x-kubernetes-embedded-resource "
    "x-kubernetes-int-or-string x-kubernetes-list-map-keys x-kubernetes-list-type "
    "x-kubernetes-map-type x-kubernetes-validations"
)
_PLAIN_BOOLS: Final = _words(
    "nullable exclusiveMaximum exclusiveMinimum uniqueItems "
    "x-kubernetes-embedded-resource x-kubernetes-int-or-string"
)
_PLAIN_STRINGS: Final = _words("id $schema description type format title pattern")
_ROOT_ALLOWED: Final = _words(
    "description type format title maximum exclusiveMaximum minimum exclusiveMinimum "
    "maxLength minLength pattern maxItems minItems uniqueItems multipleOf required items "
    "properties externalDocs example x-kubernetes-preserve-unknown-fields "
    "x-kubernetes-validations"
)
_COLUMN_TYPES: Final = _words("boolean date integer number string")
_COLUMN_FORMATS: Final = _words("byte date date-time double float int32 int64 password")


# -- validation ------------------------------------------------------------------------


def validate_definition(
    crd: Mapping[str, Any], *, structural: Structural | None = None
) -> list[FieldError]:
    """What is wrong with a CRD to be created, in Kubernetes' order and words.

    ``crd`` is the object as it will be stored: defaulted and prepared
    (``apply_definition_defaults``, ``prepare_definition_create``).
    """
    errors = _name_rule(crd)
    errors += _spec(_map(crd.get("spec")), structural, require_schemas=True)
    errors += _status(crd)
    errors += _approval(crd, None)
    errors += _preserve_unknown_fields(crd, None)
    return errors


def validate_definition_update(
    new: Mapping[str, Any], old: Mapping[str, Any], *, structural: Structural | None = None
) -> list[FieldError]:
    """What is wrong with ``new`` replacing ``old``: the rules of a new CRD
    (except the name's, which cannot change), then those of the change.

    The group and plural never change; the scope and kind not once the CRD is
    ``Established``. A version listed in ``status.storedVersions`` must stay in
    ``spec.versions``. ``new`` is prepared (``prepare_definition_update``).
    """
    spec, old_spec = _map(new.get("spec")), _map(old.get("spec"))
    errors = _spec(spec, structural, require_schemas=_all_have_schemas(old_spec))
    names, old_names = _map(spec.get("names")), _map(old_spec.get("names"))
    changes = [(("group",), spec, old_spec), (("names", "plural"), names, old_names)]
    if _established(old):
        changes[:0] = [(("scope",), spec, old_spec), (("names", "kind"), names, old_names)]
    for path, now, before in changes:
        key = path[-1]
        if now.get(key) != before.get(key):
            value = _text(now.get(key))
            errors.append(FieldError.invalid(_SPEC.child(*path), value, _IMMUTABLE))
    errors += _status(new)
    errors += _approval(new, old)
    errors += _preserve_unknown_fields(new, old)
    return errors


def _name_rule(crd: Mapping[str, Any]) -> list[FieldError]:
    meta, spec = _map(crd.get("metadata")), _map(crd.get("spec"))
    required = f"{_text(_map(spec.get('names')).get('plural'))}.{_text(spec.get('group'))}"
    detail = 'must be spec.names.plural+"."+spec.group'
    errors: list[FieldError] = []
    # Kubernetes checks generateName with the same rule, so it never passes.
    for key in ("generateName", "name"):
        value = _text(meta.get(key))
        if value and value != required:
            errors.append(FieldError.invalid(FieldPath.of("metadata", key), value, detail))
    return errors


def _spec(
    spec: Mapping[str, Any], structural: Structural | None, *, require_schemas: bool
) -> list[FieldError]:
    errors: list[FieldError] = []
    group = _text(spec.get("group"))
    if not group:
        errors.append(FieldError.required(_SPEC.child("group")))
    elif problems := is_dns1123_subdomain(group):
        errors.append(FieldError.invalid(_SPEC.child("group"), group, ",".join(problems)))
    elif "." not in group:
        detail = "should be a domain with at least one dot"
        errors.append(FieldError.invalid(_SPEC.child("group"), group, detail))
    errors += _enum(_text(spec.get("scope")), _SCOPES, _SPEC.child("scope"))

    # What every version agrees on is checked once, at its top-level path, below.
    versions = _versions({"spec": spec})
    moved = _moved(versions)
    top = {key: versions[0].get(key) for key in _MOVABLE if moved[key]}
    preserve = spec.get("preserveUnknownFields") is True
    if not isinstance(_map(top.get("schema")).get("openAPIV3Schema"), Mapping):
        for index, version in enumerate(versions):
            if isinstance(_schema_of(version, moved), Mapping):
                continue
            where = _SPEC.child("versions").index(index).child("schema", "openAPIV3Schema")
            if require_schemas:
                errors.append(FieldError.required(where, "schemas are required"))
            elif not preserve and version.get("served") is True:
                errors.append(FieldError.required(where, "because otherwise all fields are pruned"))

    storage, seen, unique = 0, set(), True
    for index, version in enumerate(versions):
        at = _SPEC.child("versions").index(index)
        storage += version.get("storage") is True
        name = _text(version.get("name"))
        unique = unique and name not in seen
        seen.add(name)
        if problems := is_dns1035_label(name):
            errors.append(FieldError.invalid(at.child("name"), name, ",".join(problems)))
        errors += _version(version, at, moved, structural)
    raw = spec.get("versions")
    if not unique:
        detail = "must contain unique version names"
        errors.append(FieldError.invalid(_SPEC.child("versions"), go_versions(raw, moved), detail))
    if storage != 1:
        detail = "must have exactly one version marked as storage version"
        errors.append(FieldError.invalid(_SPEC.child("versions"), go_versions(raw, moved), detail))
    # The first version's name, again, as the internal spec.version.
    first = _text(versions[0].get("name")) if versions else ""
    if first and (problems := is_dns1035_label(first)):
        errors.append(FieldError.invalid(_SPEC.child("version"), first, ",".join(problems)))

    names = _map(spec.get("names"))
    for key in ("plural", "singular", "kind", "listKind"):
        if not _text(names.get(key)):
            errors.append(FieldError.required(_SPEC.child("names", key)))
    errors += validate_names(names, _SPEC.child("names"))

    any_status = any(_has_status(version.get("subresources")) for version in versions)
    errors += _validation(top.get("schema"), any_status, _SPEC.child("validation"), structural)
    errors += _subresources(top.get("subresources"), _SPEC.child("subresources"))
    for index, column in enumerate(_list(top.get("additionalPrinterColumns"))):
        errors += _column(column, _SPEC.child("additionalPrinterColumns").index(index))
    if fields := _list(top.get("selectableFields")):
        where = _SPEC.child("selectableFields")
        if top.get("schema") is None:
            detail = "may only be set when validations.schema is included"
            errors.append(FieldError.invalid(where, "", detail))
        else:
            schema = _map(_map(top.get("schema")).get("openAPIV3Schema"))
            errors += _selectable_fields(fields, schema, where)
    return errors + _conversion(spec, preserve)


def _version(
    version: Mapping[str, Any],
    at: FieldPath,
    moved: Mapping[str, bool],
    structural: Structural | None,
) -> list[FieldError]:
    warning = version.get("deprecationWarning")
    where = at.child("deprecationWarning")
    errors = [FieldError.invalid(where, warning, p) for p in deprecation_problems(version)]
    if not moved["schema"]:
        status = _has_status(version.get("subresources"))
        errors += _validation(version.get("schema"), status, at.child("schema"), structural)
    if not moved["subresources"]:
        errors += _subresources(version.get("subresources"), at.child("subresources"))
    if not moved["additionalPrinterColumns"]:
        for index, column in enumerate(_list(version.get("additionalPrinterColumns"))):
            errors += _column(column, at.child("additionalPrinterColumns").index(index))
    fields = [] if moved["selectableFields"] else _list(version.get("selectableFields"))
    if fields:
        schema = _schema_of(version, moved)
        if isinstance(schema, Mapping):
            errors += _selectable_fields(fields, schema, at.child("selectableFields"))
        else:
            # Kubernetes' words, though they say the opposite of what is meant.
            detail = "may only be set when `version.schema.openAPIV3Schema` is not included"
            errors.append(FieldError.invalid(at.child("selectableFields"), "", detail))
    return errors


def _validation(
    validation: object, status: bool, at: FieldPath, structural: Structural | None
) -> list[FieldError]:
    schema = _map(validation).get("openAPIV3Schema")
    if not isinstance(schema, Mapping):
        return []
    root = at.child("openAPIV3Schema")
    errors = _status_root(schema, root) if status else []
    if schema.get("nullable") is True:
        errors.append(
            FieldError.forbidden(root.child("nullable"), "nullable cannot be true at the root")
        )
    if structural is not None:
        errors += structural(schema, root)
    return errors


def _status_root(schema: Mapping[str, Any], root: FieldPath) -> list[FieldError]:
    """With a status subresource, the root may only hold what survives moving
    ``properties.status`` out: the first field that may not is reported."""
    for key in _SCHEMA_FIELDS:
        value = schema.get(key)
        unset = value is None or (
            (key in _PLAIN_BOOLS and value is False) or (key in _PLAIN_STRINGS and value == "")
        )
        if unset:
            continue
        if key == "type":
            if value == "object":
                continue
            detail = (
                'only "object" is allowed as the type at the root of the schema if the '
                "status subresource is enabled"
            )
            return [FieldError.invalid(root.child("type"), _go(value), detail)]
        if key not in _ROOT_ALLOWED:
            allowed = " ".join(map(_go_field, _ROOT_ALLOWED))
            detail = (
                f"only [{allowed}] fields are allowed at the root of the schema if the "
                "status subresource is enabled"
            )
            literal = GoLiteral("apiextensions.JSONSchemaProps{...}")
            return [FieldError.invalid(root, literal, detail)]
    return []


def _subresources(subresources: object, at: FieldPath) -> list[FieldError]:
    scale = _map(subresources).get("scale")
    if not isinstance(scale, Mapping):
        return []
    errors: list[FieldError] = []
    for key, prefix in (("specReplicasPath", ".spec"), ("statusReplicasPath", ".status")):
        where = at.child("scale", key)
        path = _text(scale.get(key))
        if not path:
            errors.append(FieldError.required(where))
        elif problems := _simple_json_path(path, where):
            errors += problems
        elif not path.startswith(prefix + "."):
            detail = f"should be a json path under {prefix}"
            errors.append(FieldError.invalid(where, path, detail))
    selector = _text(scale.get("labelSelectorPath"))
    if selector:
        where = at.child("scale", "labelSelectorPath")
        if problems := _simple_json_path(selector, where):
            errors += problems
        elif not selector.startswith((".spec.", ".status.")):
            detail = "should be a json path under either .spec or .status"
            errors.append(FieldError.invalid(where, selector, detail))
    return errors


def _simple_json_path(path: str, at: FieldPath) -> list[FieldError]:
    if not path.startswith("."):
        return [FieldError.invalid(at, path, "must be a simple json path starting with .")]
    return []


def _column(column: object, at: FieldPath) -> list[FieldError]:
    column = _map(column)
    errors: list[FieldError] = []
    if not _text(column.get("name")):
        errors.append(FieldError.required(at.child("name")))
    kind = _text(column.get("type"))
    types = "must be one of " + ",".join(_COLUMN_TYPES)
    if not kind:
        errors.append(FieldError.required(at.child("type"), types))
    elif kind not in _COLUMN_TYPES:
        errors.append(FieldError.invalid(at.child("type"), kind, types))
    form = _text(column.get("format"))
    if form and form not in _COLUMN_FORMATS:
        formats = "must be one of " + ",".join(_COLUMN_FORMATS)
        errors.append(FieldError.invalid(at.child("format"), form, formats))
    # Kubernetes names the field as its Go struct does.
    path = _text(column.get("jsonPath"))
    if not path:
        errors.append(FieldError.required(at.child("JSONPath")))
    else:
        errors += _simple_json_path(path, at.child("JSONPath"))
    return errors


# -- selectable fields -------------------------------------------------------------------


def _selectable_fields(
    fields: list[Any], schema: Mapping[str, Any], at: FieldPath
) -> list[FieldError]:
    errors: list[FieldError] = []
    unique: list[str] = []
    for index, entry in enumerate(fields):
        where = at.index(index).child("jsonPath")
        path = _text(_map(entry).get("jsonPath"))
        if not path:
            errors.append(FieldError.required(where))
            continue
        try:
            field, found = field_path(path, schema)
        except FieldPathError as err:
            errors.append(FieldError.invalid(where, path, f"is an invalid path: {err}"))
            continue
        if field.segments[:1] == ((True, "metadata"),):
            errors.append(FieldError.invalid(where, path, "must not point to fields in metadata"))
        if found.get("type") not in _SELECTABLE_TYPES:
            detail = (
                "must point to a field of type string, boolean or integer. Enum string "
                "fields and strings with formats are allowed."
            )
            errors.append(FieldError.invalid(where, path, detail))
        text = str(field)
        if text in unique:
            errors.append(FieldError.duplicate(where, path))
        else:
            unique.append(text)
    if len(unique) > MAX_SELECTABLE_FIELDS:
        errors.append(FieldError.too_many(at, len(unique), MAX_SELECTABLE_FIELDS))
    return errors


# -- conversion, status, approval ------------------------------------------------------


def _conversion(spec: Mapping[str, Any], preserve: bool) -> list[FieldError]:
    conversion = spec.get("conversion")
    if not isinstance(conversion, Mapping):
        return []
    at = _SPEC.child("conversion")
    strategy = _text(conversion.get("strategy"))
    errors: list[FieldError] = []
    if strategy != "None" and preserve:
        detail = "must be None if spec.preserveUnknownFields is true"
        errors.append(FieldError.invalid(at.child("strategy"), strategy, detail))
    errors += _enum(strategy, _STRATEGIES, at.child("strategy"))
    if strategy == "Webhook":
        detail = "conversion webhooks are not supported by kubelite; use strategy None"
        errors.append(FieldError.invalid(at.child("strategy"), strategy, detail))
        return errors
    webhook = _map(conversion.get("webhook"))
    if webhook.get("clientConfig") is not None:
        errors.append(FieldError.forbidden(at.child("webhookClientConfig"), _NOT_WEBHOOK))
    if _list(webhook.get("conversionReviewVersions")):
        errors.append(FieldError.forbidden(at.child("conversionReviewVersions"), _NOT_WEBHOOK))
    return errors


def _status(crd: Mapping[str, Any]) -> list[FieldError]:
    at = FieldPath.of("status")
    accepted = _map(_map(crd.get("status")).get("acceptedNames"))
    return validate_names(accepted, at.child("acceptedNames")) + validate_stored_versions(crd)


def _approval(crd: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    """A group under ``k8s.io`` or ``kubernetes.io`` needs the approval annotation."""
    group = _text(_map(crd.get("spec")).get("group"))
    if not any(group == root or group.endswith("." + root) for root in ("k8s.io", "kubernetes.io")):
        return []
    annotation = _text(_map(_map(crd.get("metadata")).get("annotations")).get(APPROVAL_ANNOTATION))
    state = _approval_state(annotation)
    if old is not None:
        before = _map(_map(old.get("metadata")).get("annotations")).get(APPROVAL_ANNOTATION)
        if _approval_state(_text(before)) == state:
            return []
    where = FieldPath.of("metadata", "annotations").key(APPROVAL_ANNOTATION)
    quoted = go_quote(APPROVAL_ANNOTATION)
    if state == "missing":
        detail = f"protected groups must have approval annotation {quoted}, {_APPROVAL_SEE}"
        return [FieldError.required(where, detail)]
    if state == "invalid":
        detail = (
            f"protected groups must have approval annotation {quoted} with either a URL or "
            f'a reason starting with "unapproved", {_APPROVAL_SEE}'
        )
        return [FieldError.invalid(where, annotation, detail)]
    return []


def _approval_state(annotation: str) -> str:
    if not annotation:
        return "missing"
    if annotation.startswith("unapproved"):
        return "bypassed"
    try:
        parts = urlsplit(annotation)
    except ValueError:
        return "invalid"
    return "approved" if parts.scheme and parts.netloc else "invalid"


def _preserve_unknown_fields(
    crd: Mapping[str, Any], old: Mapping[str, Any] | None
) -> list[FieldError]:
    if old is not None and _map(old.get("spec")).get("preserveUnknownFields") is True:
        return []  # kept as it was
    if _map(crd.get("spec")).get("preserveUnknownFields") is not True:
        return []
    detail = (
        "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in "
        "spec.versions[*].schema instead"
    )
    return [FieldError.invalid(_SPEC.child("preserveUnknownFields"), True, detail)]


# -- helpers -----------------------------------------------------------------------------


def _go_field(key: str) -> str:
    """A schema field's Go name: ``maxLength`` is MaxLength, and an extension
    ``x-kubernetes-preserve-unknown-fields`` is XPreserveUnknownFields."""
    if key.startswith("x-kubernetes-"):
        return "X" + "".join(part.capitalize() for part in key[13:].split("-"))
    return key[0].upper() + key[1:]


def _enum(value: str, allowed: tuple[str, ...], at: FieldPath) -> list[FieldError]:
    if not value:
        return [FieldError.required(at)]
    return [] if value in allowed else [FieldError.not_supported(at, value, allowed)]


def _moved(versions: list[Mapping[str, Any]]) -> dict[str, bool]:
    """Which per-version fields the conversion moves to the top level: those
    all versions agree on (an empty list counts as absent, as Go compares)."""

    def same(a: object, b: object) -> bool:
        return (None if a == [] else a) == (None if b == [] else b)

    return {
        key: bool(versions) and all(same(v.get(key), versions[0].get(key)) for v in versions)
        for key in _MOVABLE
    }


def _schema_of(version: Mapping[str, Any], moved: Mapping[str, bool]) -> object:
    return None if moved["schema"] else _map(version.get("schema")).get("openAPIV3Schema")


def _has_status(subresources: object) -> bool:
    return isinstance(_map(subresources).get("status"), Mapping)


def _all_have_schemas(spec: Mapping[str, Any]) -> bool:
    versions = _versions({"spec": spec})
    return all(isinstance(_map(v.get("schema")).get("openAPIV3Schema"), Mapping) for v in versions)


def _established(crd: Mapping[str, Any]) -> bool:
    return any(
        _map(c).get("type") == ESTABLISHED and _map(c).get("status") == "True"
        for c in _list(_map(crd.get("status")).get("conditions"))
    )


def _go(value: object) -> object:
    """A JSON scalar as a field error shows it; anything else as Go's %v would."""
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)
