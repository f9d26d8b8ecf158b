"""Whether a CRD version's ``openAPIV3Schema`` may serve, as apiextensions checks it.

Three groups of rules, reported in Kubernetes' order:

- **structural** (the schema package's ``ValidateStructural``): every node has
  a ``type`` unless ``x-kubernetes-int-or-string`` or
  ``x-kubernetes-preserve-unknown-fields`` stands for it; the root is an
  object without ``additionalProperties``; ``allOf``, ``anyOf``, ``oneOf``
  and ``not`` only restrict values (no ``type``, ``default``, ``nullable``,
  extensions, or ``metadata`` in them), and every field they name is also
  declared outside them; embedded resources are objects; the root's
  ``metadata`` restricts at most ``name`` and ``generateName``. These come
  sorted by their text, as Kubernetes sorts them;
- **defaults** (the structural defaulting's ``ValidateDefaults``), only when
  the schema is structural: every ``default`` valid against its node and
  already pruned (``_defaults_check``);
- **OpenAPI** (the CRD validation's schema walk): only the six JSON types;
  no ``$ref``, ``id``, ``definitions``, ``patternProperties``,
  ``additionalItems``, ``dependencies`` or ``uniqueItems``; no
  ``additionalProperties`` beside ``properties``; no defaults in the root's
  ``apiVersion``, ``kind`` and ``metadata``; the list-type and map-type rules.

A schema passing all three can be compiled (``schema.compile_schema``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from kubelite.api.crd._defaults_check import check_defaults
from kubelite.api.field import FieldError, FieldPath

__all__ = ["check_structural"]

Schema = Mapping[str, Any]

_TYPES: Final = ("array", "boolean", "integer", "number", "object", "string")
_META: Final = frozenset({"apiVersion", "kind", "metadata"})
_INT_OR_STRING_ANY_OF: Final = [{"type": "integer"}, {"type": "string"}]
# Keys the structural form of a schema does not carry (rejected elsewhere).
_NOT_STRUCTURAL: Final = frozenset(
    {"id", "$schema", "$ref", "example", "externalDocs", "definitions", "dependencies"}
    | {"patternProperties", "additionalItems"}
)


class _Level(enum.Enum):
    ROOT = "must not be empty at the root"
    ITEMS = "must not be empty for specified array items"
    FIELD = "must not be empty for specified object fields"


def check_structural(
    schema: Schema, path: FieldPath, *, require_pruned_defaults: bool = True
) -> list[FieldError]:
    """What keeps ``schema`` from serving, worded as Kubernetes words it.

    ``path`` is where the schema sits in the CRD, for instance
    ``spec.versions[0].schema.openAPIV3Schema``. The defaults are checked
    (``_defaults_check``) only in a schema that is otherwise structural;
    ``require_pruned_defaults=False`` lets them carry unknown fields.
    """
    # TODO(#4): on an update Kubernetes lets defaults carry unknown fields if
    # the old CRD already had such a default; the CRD validation does not pass
    # the old CRD down to here yet, so every write requires pruned defaults.
    structural: list[FieldError] = []
    _invariants(schema, _Level.ROOT, path, structural)
    _junctor_completeness(schema, schema, path, path, structural)
    structural.sort(key=str)
    if not structural:
        structural = check_defaults(schema, path, require_pruned=require_pruned_defaults)
    return structural + _openapi(schema, path, root=True, in_meta=False, no_default=None)


def _sub(schema: Schema, key: str) -> Schema | None:
    found = schema.get(key)
    return found if isinstance(found, Mapping) else None


def _props(schema: Schema) -> dict[str, Schema]:
    found = schema.get("properties")
    if not isinstance(found, Mapping):
        return {}
    return {key: sub for key, sub in found.items() if isinstance(sub, Mapping)}


def _list(schema: Schema, key: str) -> list[Schema]:
    found = schema.get(key)
    return [sub for sub in found if isinstance(sub, Mapping)] if isinstance(found, list) else []


def _type(schema: Schema) -> str:
    found = schema.get("type")
    return found if isinstance(found, str) else ""


# -- structural invariants -------------------------------------------------------------


def _invariants(s: Schema, level: _Level, path: FieldPath, errors: list[FieldError]) -> None:
    kind, items, props = _type(s), _sub(s, "items"), _props(s)
    int_or_string = s.get("x-kubernetes-int-or-string") is True
    preserve = s.get("x-kubernetes-preserve-unknown-fields") is True
    embedded = s.get("x-kubernetes-embedded-resource") is True
    additional = s.get("additionalProperties")

    if kind == "array" and "items" not in s:
        errors.append(FieldError.required(path.child("items"), "must be specified"))
    if items is not None:
        _invariants(items, _Level.ITEMS, path.child("items"), errors)
    for key, prop in props.items():
        _invariants(prop, _Level.FIELD, path.child("properties").key(key), errors)
    if additional is not None:
        if level is _Level.ROOT:
            where = path.child("additionalProperties")
            errors.append(FieldError.forbidden(where, "must not be used at the root"))
        if isinstance(additional, Mapping):
            _invariants(additional, _Level.FIELD, path.child("additionalProperties"), errors)
    for name, value in (("preserve-unknown-fields", preserve), ("embedded-resource", embedded)):
        if int_or_string and value:
            detail = "must be false if x-kubernetes-int-or-string is true"
            errors.append(FieldError.invalid(path.child(f"x-kubernetes-{name}"), True, detail))

    # The two int-or-string shapes may give types inside anyOf.
    all_of = _list(s, "allOf")
    skip_any_of = s.get("anyOf") == _INT_OR_STRING_ANY_OF
    skip_first = bool(all_of) and all_of[0].get("anyOf") == _INT_OR_STRING_ANY_OF
    _value_validation(s, skip_any_of, skip_first, path, errors)

    if embedded and kind != "object":
        detail = "must be object if x-kubernetes-embedded-resource is true"
        if kind:
            errors.append(FieldError.invalid(path.child("type"), kind, detail))
        else:
            errors.append(FieldError.required(path.child("type"), detail))
    elif not kind and not int_or_string and not preserve:
        errors.append(FieldError.required(path.child("type"), level.value))
    if embedded and additional is not None:
        detail = "must not be used if x-kubernetes-embedded-resource is set"
        errors.append(FieldError.forbidden(path.child("additionalProperties"), detail))
    if level is _Level.ROOT and kind and kind != "object":
        errors.append(FieldError.invalid(path.child("type"), kind, "must be object at the root"))

    if level is _Level.ROOT or embedded:
        at = path.child("properties")
        for name, want in (("kind", "string"), ("apiVersion", "string"), ("metadata", "object")):
            if name in props and _type(props[name]) != want:
                where = at.key(name).child("type")
                errors.append(FieldError.invalid(where, _type(props[name]), f"must be {want}"))
    if level is _Level.ROOT and "metadata" in props and not _only_names(props["metadata"]):
        detail = (
            "must not specify anything other than name and generateName, "
            "but metadata is implicitly specified"
        )
        errors.append(FieldError.forbidden(path.child("properties").key("metadata"), detail))
    if embedded and not preserve and not props:
        detail = (
            "must not be empty if x-kubernetes-embedded-resource is true "
            "without x-kubernetes-preserve-unknown-fields"
        )
        errors.append(FieldError.required(path.child("properties"), detail))


def _only_names(metadata: Schema) -> bool:
    """Whether the root's metadata schema says nothing but its type, a
    default, and the schemas of ``name`` and ``generateName``."""
    for key, value in metadata.items():
        if key in ("type", "default") or key in _NOT_STRUCTURAL:
            continue
        if key == "properties" and isinstance(value, Mapping) and value:
            if set(value) <= {"name", "generateName"}:
                continue
            return False
        # Zero values are as good as absent, but a zero bound is a bound.
        if value is False or value is None or value in ("", [], {}):
            continue
        return False
    return True


def _value_validation(
    s: Schema, skip_any_of: bool, skip_first_any_of: bool, path: FieldPath, errors: list[FieldError]
) -> None:
    """The junctors of ``s`` must only restrict values."""
    if not skip_any_of:
        for index, sub in enumerate(_list(s, "anyOf")):
            _nested(sub, False, path.child("anyOf").index(index), errors)
    for index, sub in enumerate(_list(s, "allOf")):
        _nested(sub, skip_first_any_of and index == 0, path.child("allOf").index(index), errors)
    for index, sub in enumerate(_list(s, "oneOf")):
        _nested(sub, False, path.child("oneOf").index(index), errors)
    not_ = _sub(s, "not")
    if not_ is not None:
        _nested(not_, False, path.child("not"), errors)
    pattern = s.get("pattern")
    if isinstance(pattern, str) and pattern:
        try:
            re.compile(pattern)
        except re.error as err:
            detail = f"must be a valid regular expression, but isn't: {err}"
            errors.append(FieldError.invalid(path.child("pattern"), pattern, detail))


# What a value validation must not say: (key, present, detail).
_FORBIDDEN_NESTED: Final[tuple[tuple[str, Callable[[Any], bool], str], ...]] = (
    ("type", lambda v: bool(v), "must be empty to be structural"),
    ("additionalProperties", lambda v: v is not None, "must be undefined to be structural"),
    ("default", lambda v: v is not None, "must be undefined to be structural"),
    ("title", lambda v: bool(v), "must be empty to be structural"),
    ("description", lambda v: bool(v), "must be empty to be structural"),
    ("nullable", lambda v: v is True, "must be false to be structural"),
    ("x-kubernetes-preserve-unknown-fields", lambda v: v is True, "must be false to be structural"),
    ("x-kubernetes-embedded-resource", lambda v: v is True, "must be false to be structural"),
    ("x-kubernetes-int-or-string", lambda v: v is True, "must be false to be structural"),
    ("x-kubernetes-list-map-keys", lambda v: bool(v), "must be empty to be structural"),
    ("x-kubernetes-list-type", lambda v: v is not None, "must be undefined to be structural"),
    ("x-kubernetes-map-type", lambda v: v is not None, "must be undefined to be structural"),
    # Rules inside junctors: Kubernetes runs them for its own types, never a CRD's.
    ("x-kubernetes-validations", lambda v: bool(v), "must be empty to be structural"),
)


def _nested(v: Schema, skip_any_of: bool, path: FieldPath, errors: list[FieldError]) -> None:
    _value_validation(v, skip_any_of, False, path, errors)
    items = _sub(v, "items")
    if items is not None:
        _nested(items, False, path.child("items"), errors)
    props = _props(v)
    for key, prop in props.items():
        _nested(prop, False, path.child("properties").key(key), errors)
    for key, present, detail in _FORBIDDEN_NESTED:
        if present(v.get(key)):
            errors.append(FieldError.forbidden(path.child(key), detail))
    if "metadata" in props:
        where = path.child("properties").key("metadata")
        errors.append(FieldError.forbidden(where, "must not be specified in a nested context"))


def _junctor_completeness(
    v: Schema, s: Schema, s_path: FieldPath, v_path: FieldPath, errors: list[FieldError]
) -> None:
    """Every field the root's junctors name is declared in the schema proper."""
    not_ = _sub(v, "not")
    if not_ is not None:
        _completeness(not_, s, s_path, v_path.child("not"), errors)
    for name in ("allOf", "anyOf", "oneOf"):
        for index, sub in enumerate(_list(v, name)):
            _completeness(sub, s, s_path, v_path.child(name).index(index), errors)


def _completeness(
    v: Schema, s: Schema | None, s_path: FieldPath, v_path: FieldPath, errors: list[FieldError]
) -> None:
    if s is None:
        errors.append(FieldError.required(s_path, f"because it is defined in {v_path}"))
        return
    _junctor_completeness(v, s, s_path, v_path, errors)
    items = _sub(v, "items")
    if items is not None:
        _completeness(items, _sub(s, "items"), s_path.child("items"), v_path.child("items"), errors)
    declared, additional = _props(s), _sub(s, "additionalProperties")
    for key, prop in _props(v).items():
        at = v_path.child("properties").key(key)
        if key in declared:
            _completeness(prop, declared[key], s_path.child("properties").key(key), at, errors)
        elif additional is not None:
            _completeness(prop, additional, s_path.child("additionalProperties"), at, errors)
        else:
            where = s_path.child("properties").key(key)
            errors.append(FieldError.required(where, f"because it is defined in {at}"))


# -- the CRD validation's schema walk ------------------------------------------------


def _openapi(
    s: Schema, path: FieldPath, *, root: bool, in_meta: bool, no_default: str | None
) -> list[FieldError]:
    """``no_default``, when set, is why a default may not be given here."""
    errors: list[FieldError] = []
    kind = s.get("type")
    if isinstance(kind, str) and kind and kind not in _TYPES:
        errors.append(FieldError.not_supported(path.child("type"), kind, _TYPES))
    if "default" in s and no_default is not None:
        detail = f"must not be set {no_default}".rstrip()
        errors.append(FieldError.forbidden(path.child("default"), detail))
    for key in (
        "id",
        "additionalItems",
        "patternProperties",
        "definitions",
        "dependencies",
        "$ref",
    ):
        value = s.get(key)
        if value if key in ("id", "patternProperties", "definitions") else value is not None:
            errors.append(FieldError.forbidden(path.child(key), f"{key} is not supported"))
    if kind == "null":
        detail = "type cannot be set to null, use nullable as an alternative"
        errors.append(FieldError.forbidden(path.child("type"), detail))
    if isinstance(s.get("items"), list):
        detail = "items must be a schema object and not an array"
        errors.append(FieldError.forbidden(path.child("items"), detail))
    if in_meta and s.get("x-kubernetes-embedded-resource") is True:
        where = path.child("x-kubernetes-embedded-resource")
        errors.append(FieldError.forbidden(where, "must not be used inside of resource meta"))
    if s.get("uniqueItems") is True:
        detail = "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"
        errors.append(FieldError.forbidden(path.child("uniqueItems"), detail))

    props, additional = _props(s), s.get("additionalProperties")
    if props and (additional is False or isinstance(additional, Mapping)):
        detail = "additionalProperties and properties are mutual exclusive"
        errors.append(FieldError.forbidden(path.child("additionalProperties"), detail))
    if isinstance(additional, Mapping):
        reason = (
            "inside additionalProperties applying to object metadata" if in_meta else no_default
        )
        at = path.child("additionalProperties")
        errors += _openapi(additional, at, root=False, in_meta=in_meta, no_default=reason)
    embedded = s.get("x-kubernetes-embedded-resource") is True
    for key, prop in props.items():
        meta, reason = in_meta, no_default
        if (root or embedded) and key in _META:
            meta, reason = True, (f"in top-level {key}" if root else no_default)
        at = path.child("properties").key(key)
        errors += _openapi(prop, at, root=False, in_meta=meta, no_default=reason)
    not_ = _sub(s, "not")
    junctors = [(path.child("not"), not_)] if not_ is not None else []
    for name in ("allOf", "oneOf", "anyOf"):
        junctors += [(path.child(name).index(i), sub) for i, sub in enumerate(_list(s, name))]
    items = _sub(s, "items")
    if items is not None:
        junctors.append((path.child("items"), items))
    for at, sub in junctors:
        errors += _openapi(sub, at, root=False, in_meta=in_meta, no_default=no_default)

    if s.get("x-kubernetes-preserve-unknown-fields") is False:
        where = path.child("x-kubernetes-preserve-unknown-fields")
        errors.append(FieldError.invalid(where, False, "must be true or undefined"))
    errors += _map_type(s, path)
    errors += _list_type(s, path)
    return errors


def _must_be(kind: str, want: str, path: FieldPath, detail: str) -> list[FieldError]:
    if kind == want:
        return []
    if kind:
        return [FieldError.invalid(path.child("type"), kind, detail)]
    return [FieldError.required(path.child("type"), detail)]


def _map_type(s: Schema, path: FieldPath) -> list[FieldError]:
    map_type = s.get("x-kubernetes-map-type")
    if map_type is None:
        return []
    detail = "must be object if x-kubernetes-map-type is specified"
    errors = _must_be(_type(s), "object", path, detail)
    if map_type not in ("atomic", "granular"):
        where = path.child("x-kubernetes-map-type")
        errors.append(FieldError.not_supported(where, map_type, ["atomic", "granular"]))
    return errors


def _list_type(s: Schema, path: FieldPath) -> list[FieldError]:
    errors: list[FieldError] = []
    list_type, items = s.get("x-kubernetes-list-type"), _sub(s, "items")
    keys = s.get("x-kubernetes-list-map-keys") or []
    at_type = path.child("x-kubernetes-list-type")
    if list_type is not None and _type(s) != "array":
        detail = "must be array if x-kubernetes-list-type is specified"
        errors += _must_be(_type(s), "array", path, detail)
    elif list_type == "set" and items is not None:
        detail = "must be atomic as item of a list with x-kubernetes-list-type=set"
        inner = items.get("x-kubernetes-list-type")
        if _type(items) == "array" and inner not in (None, "atomic"):
            where = path.child("items", "x-kubernetes-list-type")
            errors.append(FieldError.invalid(where, inner, detail))
        if _type(items) == "object" and items.get("x-kubernetes-map-type") != "atomic":
            # Kubernetes shows the item's list type here, usually unset.
            shown = inner if isinstance(inner, str) else "null"
            errors.append(
                FieldError.invalid(path.child("items", "x-kubernetes-map-type"), shown, detail)
            )
    if list_type is not None and list_type not in ("atomic", "set", "map"):
        errors.append(FieldError.not_supported(at_type, list_type, ["atomic", "set", "map"]))
    if keys:
        detail = "must be map if x-kubernetes-list-map-keys is non-empty"
        if list_type is None:
            errors.append(FieldError.required(at_type, detail))
        elif list_type != "map":
            errors.append(FieldError.invalid(at_type, list_type, detail))
    if list_type == "map":
        errors += _map_list(s, items, keys, path)
    if items is not None and list_type in ("set", "map"):
        errors += _map_list_keys_set(items, list_type, keys, path)
    return errors


def _map_list(
    s: Schema, items: Schema | None, keys: list[Any], path: FieldPath
) -> list[FieldError]:
    errors: list[FieldError] = []
    at_keys = path.child("x-kubernetes-list-map-keys")
    if not keys:
        detail = "must not be empty if x-kubernetes-list-type is map"
        errors.append(FieldError.required(at_keys, detail))
    if items is None:
        if not isinstance(s.get("items"), list):
            detail = "must have a schema if x-kubernetes-list-type is map"
            errors.append(FieldError.required(path.child("items"), detail))
        return errors
    if _type(items) != "object":
        detail = "must be object if parent array's x-kubernetes-list-type is map"
        errors.append(FieldError.invalid(path.child("items", "type"), _type(items), detail))
        return errors
    item_props, seen = _props(items), set()
    for key in keys:
        if key in item_props:
            if _type(item_props[key]) in ("array", "object"):
                # Kubernetes shows the item's type, not the key's.
                where = path.child("items", "properties").key(key).child("type")
                detail = "must be a scalar type if parent array's x-kubernetes-list-type is map"
                errors.append(FieldError.invalid(where, _type(items), detail))
        else:
            detail = "entries must all be names of item properties"
            errors.append(FieldError.invalid(at_keys, keys, detail))
        if key in seen:
            errors.append(FieldError.invalid(at_keys, keys, "must not contain duplicate entries"))
        seen.add(key)
    return errors


def _map_list_keys_set(
    items: Schema, list_type: str, keys: list[Any], path: FieldPath
) -> list[FieldError]:
    errors: list[FieldError] = []
    at = path.child("items")
    if items.get("nullable") is True:
        detail = f"cannot be nullable when x-kubernetes-list-type is {list_type}"
        errors.append(FieldError.forbidden(at.child("nullable"), detail))
    if list_type != "map":
        return errors
    required, item_props = items.get("required") or [], _props(items)
    for key in keys:
        prop = item_props.get(key)
        if prop is None:
            continue
        where = at.child("properties").key(key)
        if key not in required and prop.get("default") is None:
            detail = (
                "this property is in x-kubernetes-list-map-keys, "
                "so it must have a default or be a required property"
            )
            errors.append(FieldError.required(where.child("default"), detail))
        if prop.get("nullable") is True:
            detail = "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"
            errors.append(FieldError.forbidden(where.child("nullable"), detail))
    return errors
