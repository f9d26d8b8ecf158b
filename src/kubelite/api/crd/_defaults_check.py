"""Whether the ``default`` values of a structural schema may serve, as
apiextensions checks them when a CRD is written.

Kubernetes walks the schema's ``properties`` and ``items`` (not
``additionalProperties``, nor the junctors, where a default is not
structural) and holds each ``default`` to these rules, in this order:

1. **pruned**: pruning the default with its own node drops nothing, else
   ``must not have unknown fields``. A ``null`` inside is not a field that
   pruning drops: it is left to the validator;
2. **resource meta**: where the node is an embedded resource (the schema
   root counts as one) or holds some, their ``apiVersion`` and ``kind`` are
   strings, and then their ``metadata`` valid. Only the first mistyped field
   is reported; metadata errors hide the next rule;
3. **valid**: the default passes its node's schema, worded as a custom
   object's errors but with the default at the validator's root, so that the
   name in the message is empty::

       properties[n].default: Invalid value: "string":  in body must be of type integer: "string"

   and, if it does, the rules (``x-kubernetes-validations``) of the node and
   below, with the default as ``self`` and ``oldSelf``, then as a new value.

A default *inside* a resource's ``apiVersion``, ``kind`` or ``metadata``
(forbidden at the schema root, allowed in an embedded resource) is instead
planted in a stand-in object, ``{"apiVersion": "validation/v1", "kind":
"Validation", "metadata": {"labels": <default>}}``, whose metadata must pass
the object-metadata checks (``must result in valid metadata: ...``); then it
must pass its node's schema and rules as above. It is not held to pruning.

**Kubernetes' quirks, kept.** Below an array default, the validator names an
item ``[0]`` and Kubernetes appends that name to the path as a field:
``default.[0]``. Below a map default (``additionalProperties``), the name is
``.key``, Go joining the key to the empty root name with a dot.

**Limits.** The JSON decoding of metadata is checked for the JSON types of
its fields only, and its errors are worded as Go's ``encoding/json`` words
them (Kubernetes decodes with json-iterator, whose errors quote the bytes
around the mistake); ``managedFields`` and timestamps are not checked further.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Final

from kubelite.api.crd._compiled import META, Node, Pruner, Segment, bad_value, copy_json
from kubelite.api.crd._validator import Check
from kubelite.api.crd.cel import compile_rules
from kubelite.api.field import FieldError, FieldPath
from kubelite.api.validation import NameRule, validate_object_meta

__all__ = ["check_defaults"]

Schema = Mapping[str, Any]
# Where a default sits below a resource's apiVersion, kind or metadata: the
# property names from the resource down, None for an array's items.
MetaSteps = tuple[str | None, ...]

_RULES: Final = "x-kubernetes-validations"
# The type meta of the object a metadata default is planted in.
_STAND_IN: Final = {"apiVersion": "validation/v1", "kind": "Validation"}
# Kubernetes' stand-in for an absent name when it checks metadata defaults.
_FAKE_NAME: Final = "fakename"
# Errors of Kubernetes' coercion of embedded resources: it stops at the first.
_COERCION: Final = frozenset({"must be a string", "must be of type object"})
_METADATA: Final = FieldPath.of("metadata")
# A root that is no default's node: Check skips the root's metadata, which a
# default's own node must not do.
_NO_ROOT: Final = Node({}, nested=False)


def check_defaults(
    schema: Schema, path: FieldPath, *, require_pruned: bool = True
) -> list[FieldError]:
    """What is wrong with the defaults of ``schema``, a structural schema at
    ``path``. ``require_pruned=False`` lets a default carry unknown fields,
    as Kubernetes does on the update of a CRD that already had such defaults.
    """
    if not _has_defaults(schema):
        return []
    # Kubernetes checks the root's defaults as those of an embedded resource.
    root = {**schema, "x-kubernetes-embedded-resource": True}
    walk = _Walk(require_pruned=require_pruned, rules=_has_rules(schema))
    walk.node(root, Node(root, nested=False), path, None)
    return walk.errors


def _has_defaults(raw: Schema) -> bool:
    if raw.get("default") is not None:
        return True
    items, props = raw.get("items"), raw.get("properties")
    subs = [items, *props.values()] if isinstance(props, Mapping) else [items]
    return any(isinstance(sub, Mapping) and _has_defaults(sub) for sub in subs)


def _has_rules(raw: Schema) -> bool:
    if raw.get(_RULES):
        return True
    props = raw.get("properties")
    subs = [raw.get("items"), raw.get("additionalProperties")]
    if isinstance(props, Mapping):
        subs += props.values()
    return any(isinstance(sub, Mapping) and _has_rules(sub) for sub in subs)


class _Check(Check):
    """The validator with a default at its root, naming a value below a map
    at the root ``.key``, as Go does."""

    __slots__ = ()

    def _name(self, *more: Segment) -> str:
        name = super()._name(*more)
        first = (*self.stack, *more)[:1]
        return f".{name}" if first and first[0][0] is None else name


def _validator_errors(walk: Check, at: FieldPath) -> list[FieldError]:
    """The validator's errors, an item of an array default at ``default.[0]``."""
    prefix = f"{at}["
    return [
        dataclasses.replace(e, field=f"{at}.{e.field[len(prefix) - 1 :]}")
        if e.field.startswith(prefix)
        else e
        for e in walk.errors
    ]


class _Walk:
    """One walk over a schema's nodes; ``errors`` collects, node by node,
    the node's default's errors, then those below its items and properties."""

    __slots__ = ("errors", "require_pruned", "rules")

    def __init__(self, *, require_pruned: bool, rules: bool) -> None:
        self.errors: list[FieldError] = []
        self.require_pruned = require_pruned
        self.rules = rules  # whether the schema has any rule at all

    def node(self, raw: Schema, node: Node, path: FieldPath, meta: MetaSteps | None) -> None:
        if node.embedded:
            meta = None  # a resource of its own, with a metadata of its own
        if node.has_default:
            at = path.child("default")
            if meta is None:
                self.errors += self._default(raw, node, at)
            else:
                self.errors += self._meta_default(raw, node, at, meta)
        items = raw.get("items")
        if node.items is not None and isinstance(items, Mapping):
            inner = None if meta is None else (*meta, None)
            self.node(items, node.items, path.child("items"), inner)
        props: Schema = raw.get("properties") or {}
        for key, sub in node.props.items():
            steps: MetaSteps | None = None
            if meta is not None:
                steps = (*meta, key)
            elif node.embedded and key in META:
                steps = (key,)
            self.node(props[key], sub, path.child("properties").key(key), steps)

    def _default(self, raw: Schema, node: Node, at: FieldPath) -> list[FieldError]:
        default = node.default
        errors: list[FieldError] = []
        if self.require_pruned:
            pruner = Pruner()
            pruner.value(node, copy_json(default))
            # Only unknown fields count: the pruner also drops nulls, unreported.
            if pruner.dropped:
                detail = "must not have unknown fields"
                errors.append(FieldError.invalid(at, bad_value(default), detail))
        walk = _Check(_NO_ROOT, at)
        walk.check(node, default)
        coerced = [error for error in walk.embedded if error.detail in _COERCION]
        if coerced or walk.embedded:
            return errors + (coerced[:1] or walk.embedded)
        return errors + (_validator_errors(walk, at) or self._rules(raw, default, at))

    def _meta_default(
        self, raw: Schema, node: Node, at: FieldPath, meta: MetaSteps
    ) -> list[FieldError]:
        default = node.default
        problem = _metadata_problem(_stand_in(default, meta))
        if problem:
            detail = f"must result in valid metadata: {problem}"
            return [FieldError.invalid(at, bad_value(default), detail)]
        walk = _Check(_NO_ROOT, at)
        walk.check(node, default)
        return _validator_errors(walk, at) or self._rules(raw, default, at)

    def _rules(self, raw: Schema, default: object, at: FieldPath) -> list[FieldError]:
        if not self.rules or not _has_rules(raw):
            return []
        rules = compile_rules(raw)
        # Kubernetes (with validation ratcheting) also checks a default as a
        # new value, for the rules that take oldSelf as optional.
        return rules.validate(default, default, path=at) or rules.validate(default, path=at)


# -- a default inside a resource's metadata ------------------------------------------


def _stand_in(default: object, steps: MetaSteps) -> dict[str, Any]:
    """The object Kubernetes builds around a default below a resource's
    apiVersion, kind or metadata; a default for apiVersion or kind is lost."""
    focus: Any = copy_json(default)
    for step in reversed(steps):
        focus = [focus] if step is None else {step: focus}
    return {**focus, **_STAND_IN}


def _metadata_problem(obj: Mapping[str, Any]) -> str:
    """What is wrong with the stand-in's metadata, as one message."""
    if "metadata" not in obj:
        return ""
    meta = obj["metadata"]
    wrong = _undecodable(meta)
    if wrong:
        return str(FieldError.invalid(_METADATA, bad_value(meta), wrong))
    fields: Mapping[str, Any] = meta or {}
    errors = validate_object_meta(
        name=fields.get("name") or _FAKE_NAME,
        generate_name=fields.get("generateName") or "",
        namespace=fields.get("namespace") or "",
        namespaced=bool(fields.get("namespace")),
        # Go decodes a null in a map or list as the zero value.
        labels={k: v or "" for k, v in (fields.get("labels") or {}).items()},
        annotations={k: v or "" for k, v in (fields.get("annotations") or {}).items()},
        generation=fields.get("generation") or 0,
        owner_references=[ref or {} for ref in fields.get("ownerReferences") or []],
        finalizers=[item or "" for item in fields.get("finalizers") or []],
        rule=NameRule.PATH_SEGMENT,
    )
    # Go's aggregate: one message as it is, more in brackets, repeats dropped.
    messages = list(dict.fromkeys(str(error) for error in errors))
    if len(messages) < 2:
        return "".join(messages)
    return "[" + ", ".join(messages) + "]"


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _fits(value: object, kind: type) -> bool:
    return value is None or (isinstance(value, kind) and not isinstance(value, bool))


# ObjectMeta's JSON fields: the Go type, the container if any, and the type of
# the value (or of each element).
_OBJECT_META: Final[dict[str, tuple[str, type | None, type]]] = {
    **dict.fromkeys(
        ("name", "generateName", "namespace", "selfLink", "resourceVersion"),
        ("string", None, str),
    ),
    "uid": ("types.UID", None, str),
    "creationTimestamp": ("v1.Time", None, str),
    "deletionTimestamp": ("v1.Time", None, str),
    "generation": ("int64", None, int),
    "deletionGracePeriodSeconds": ("int64", None, int),
    "labels": ("map[string]string", dict, str),
    "annotations": ("map[string]string", dict, str),
    "finalizers": ("[]string", list, str),
    "ownerReferences": ("[]v1.OwnerReference", list, dict),
    "managedFields": ("[]v1.ManagedFieldsEntry", list, dict),
}


def _undecodable(meta: object) -> str:
    """Why Go cannot decode ``meta`` as an ObjectMeta, or ""."""
    # TODO(#4): Kubernetes decodes with json-iterator, whose errors differ
    # (they quote the bytes around the mistake); these are encoding/json's.
    if meta is None:
        return ""
    if not isinstance(meta, dict):
        return f"json: cannot unmarshal {_json_type(meta)} into Go value of type v1.ObjectMeta"
    for key, value in meta.items():
        if key not in _OBJECT_META or value is None:
            continue
        go_type, container, kind = _OBJECT_META[key]
        if container is None:
            if _fits(value, kind):
                continue
        elif isinstance(value, dict | list) and isinstance(value, container):
            items = list(value.values()) if isinstance(value, dict) else value
            bad = [item for item in items if not _fits(item, kind)]
            if not bad:
                continue
            go_type, value = go_type.rpartition("]")[2], bad[0]
        return (
            f"json: cannot unmarshal {_json_type(value)} into Go struct field "
            f"ObjectMeta.{key} of type {go_type}"
        )
    return ""
