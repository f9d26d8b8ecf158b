"""The server-side apply type model: built-in fields pinned to how Kubernetes
merges them, and each x-kubernetes extension of a CRD schema."""

from __future__ import annotations

from typing import Any

import pytest

from kubelite.api.openapi import BuiltinDefinitions, builtin_definitions
from kubelite.api.ssa._from_openapi import OBJECT_META, Converter
from kubelite.api.ssa.kinds import type_for_kind, type_for_schema
from kubelite.api.ssa.types import (
    UNTYPED,
    ItemKeyError,
    ListType,
    Map,
    Node,
    Scalar,
    SchemaError,
    Struct,
    is_leaf,
    item_key,
)

LEAF = Scalar("untyped")
STRING = Scalar("string")
NUMERIC = Scalar("numeric")


def _at(node: Node | None, path: str) -> Node:
    """The node a dotted path reaches; ``[]`` steps into a list's items."""
    for step in path.split("."):
        assert node is not None, path
        if step == "[]":
            assert isinstance(node, ListType), path
            node = node.items
        else:
            node = node.field(step)
    assert node is not None, path
    return node


def _kind(group: str, kind: str, path: str) -> Node:
    return _at(type_for_kind(group, "v1", kind), path)


def _list(node: Node) -> ListType:
    assert isinstance(node, ListType)
    return node


def _struct(node: Node | None) -> Struct:
    assert isinstance(node, Struct)
    return node


# Built-in kinds.


@pytest.mark.parametrize(
    ("group", "kind", "path", "keys"),
    [
        ("apps", "Deployment", "spec.template.spec.containers", ("name",)),
        ("apps", "Deployment", "spec.template.spec.containers.[].env", ("name",)),
        (
            "apps",
            "Deployment",
            "spec.template.spec.containers.[].ports",
            ("containerPort", "protocol"),
        ),
        ("apps", "Deployment", "spec.template.spec.volumes", ("name",)),
        ("apps", "Deployment", "metadata.ownerReferences", ("uid",)),
        ("", "Service", "spec.ports", ("port", "protocol")),
        ("", "Pod", "spec.imagePullSecrets", ("name",)),
    ],
)
def test_builtin_map_lists(group: str, kind: str, path: str, keys: tuple[str, ...]) -> None:
    node = _list(_kind(group, kind, path))
    assert (node.kind, node.keys) == ("map", keys)
    assert isinstance(node.items, Struct)


@pytest.mark.parametrize(
    ("group", "kind", "path"),
    [
        ("apps", "Deployment", "spec.template.spec.tolerations"),
        ("apps", "Deployment", "metadata.managedFields"),
        ("apps", "Deployment", "spec.template.spec.containers.[].command"),
        ("apps", "Deployment", "spec.selector.matchExpressions"),
    ],
)
def test_builtin_atomic_lists(group: str, kind: str, path: str) -> None:
    assert _list(_kind(group, kind, path)).kind == "atomic"


def test_finalizers_are_a_set_of_strings() -> None:
    assert _kind("apps", "Deployment", "metadata.finalizers") == ListType(STRING, "set")


def test_maps() -> None:
    assert _kind("apps", "Deployment", "metadata.labels") == Map(STRING, atomic=False)
    assert _kind("apps", "Deployment", "spec.template.metadata.annotations") == Map(STRING)
    assert _kind("", "ConfigMap", "data") == Map(STRING)
    assert _kind("", "ConfigMap", "binaryData") == Map(STRING), "format byte is a string"
    assert _kind("", "Pod", "spec.nodeSelector") == Map(STRING, atomic=True)
    assert _kind("", "Service", "spec.selector") == Map(STRING, atomic=True)
    limits = _kind("", "Pod", "spec.containers.[].resources.limits")
    assert limits == Map(LEAF), "Quantity is a leaf"


def test_structs() -> None:
    selector = _struct(_kind("apps", "Deployment", "spec.selector"))
    assert selector.atomic, "LabelSelector has x-kubernetes-map-type: atomic"
    pdb = _struct(_kind("policy", "PodDisruptionBudget", "spec.selector"))
    assert pdb is selector, "patch strategy replace beside the reference changes nothing"
    strategy = _struct(_kind("apps", "Deployment", "spec.strategy"))
    assert not strategy.atomic
    assert strategy.extra is None, "no unknown fields in a built-in struct"
    template = _struct(_kind("apps", "Deployment", "spec.template.spec"))
    assert template.field("noSuchField") is None


def test_scalars() -> None:
    assert _kind("apps", "Deployment", "spec.replicas") == NUMERIC
    assert _kind("apps", "Deployment", "spec.paused") == Scalar("boolean")
    assert _kind("apps", "Deployment", "metadata.name") == STRING
    assert _kind("apps", "Deployment", "metadata.creationTimestamp") == LEAF, "Time"
    assert _kind("", "Service", "spec.ports.[].targetPort") == LEAF, "IntOrString"
    assert _kind("apps", "ControllerRevision", "data") == LEAF, "RawExtension"
    assert _kind("", "Pod", "metadata.managedFields.[].fieldsV1") == Map(UNTYPED)


def test_metadata_is_shared() -> None:
    pod = _kind("", "Pod", "metadata")
    assert _kind("apps", "Deployment", "spec.template.metadata") is pod
    assert _kind("", "ConfigMap", "metadata") is pod


def test_unknown_kind_and_memo() -> None:
    assert type_for_kind("example.com", "v1", "Widget") is None
    assert type_for_kind("apps", "v1", "Deployment") is type_for_kind("apps", "v1", "Deployment")


def test_recursive_builtin_kind() -> None:
    """JSONSchemaProps holds more JSONSchemaProps: the same struct, not a copy."""
    props = _kind("apiextensions.k8s.io", "CustomResourceDefinition", "spec.versions.[].schema")
    schema = _struct(_at(props, "openAPIV3Schema"))
    assert _at(schema, "properties") == Map(schema)
    assert _at(schema, "allOf") == ListType(schema, "atomic")
    assert _at(schema, "properties.x.properties.y") is schema
    assert _at(schema, "default") is UNTYPED, "JSON has no type"
    assert _at(schema, "items") is UNTYPED, "JSONSchemaPropsOrArray has no type"
    assert "openAPIV3Schema" in repr(_struct(props)), "repr names fields, does not recurse"


def test_every_builtin_definition_builds() -> None:
    defs = builtin_definitions()
    converter = Converter(defs)
    for name in defs:
        assert converter.named(name) is not None, name


# Item keys.


def test_item_key_defaults_and_order() -> None:
    ports = _list(_kind("apps", "Deployment", "spec.template.spec.containers.[].ports"))
    assert item_key(ports, {"containerPort": 80}) == (("containerPort", 80), ("protocol", "TCP"))
    assert item_key(ports, {"protocol": "UDP", "containerPort": 53, "name": "dns"}) == (
        ("containerPort", 53),
        ("protocol", "UDP"),
    )
    service = _list(_kind("", "Service", "spec.ports"))
    assert item_key(service, {"port": 443}) == (("port", 443), ("protocol", "TCP"))
    secrets = _list(_kind("", "Pod", "spec.imagePullSecrets"))
    assert item_key(secrets, {}) == (("name", ""),)


def test_item_key_optional_key_field() -> None:
    devices = _list(_at(type_for_kind("resource.k8s.io", "v1", "ResourceClaim"), "status.devices"))
    assert "shareID" in devices.keys
    item = {"driver": "d", "device": "x", "pool": "p"}
    assert item_key(devices, item) == (("device", "x"), ("driver", "d"), ("pool", "p"))


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("web", "not an object"),
        (None, "not an object"),
        ({"image": "nginx"}, "omits every key field"),
        ({"name": {"a": 1}}, "not a scalar"),
    ],
)
def test_item_key_errors(item: object, message: str) -> None:
    containers = _list(_kind("apps", "Deployment", "spec.template.spec.containers"))
    with pytest.raises(ItemKeyError, match=message):
        item_key(containers, item)


def test_item_key_needs_a_map_list() -> None:
    with pytest.raises(ItemKeyError, match="'set'"):
        item_key(_list(_kind("", "Pod", "metadata.finalizers")), "a")


def test_is_leaf() -> None:
    assert is_leaf(_kind("apps", "Deployment", "spec.selector"), {"matchLabels": {}})
    assert not is_leaf(_kind("apps", "Deployment", "metadata.labels"), {"a": "b"})
    assert is_leaf(_kind("", "Pod", "spec.tolerations"), [{}])
    assert not is_leaf(_kind("", "Pod", "spec.containers"), [{}])
    assert not is_leaf(UNTYPED, {"a": 1})
    assert is_leaf(UNTYPED, [1])
    assert is_leaf(_kind("", "Pod", "spec"), None)
    assert is_leaf(STRING, "x")


# Custom kinds.


def _crd(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


def _custom(schema: dict[str, Any], path: str) -> Node:
    return _at(type_for_schema(schema), path)


def test_custom_root_fields() -> None:
    root = _struct(type_for_schema(_crd(metadata={"type": "object"}, spec={"type": "object"})))
    assert root.field("apiVersion") == STRING
    assert root.field("kind") == STRING
    assert root.field("metadata") is _kind("", "Pod", "metadata"), "ObjectMeta replaces it"
    assert root.field("spec") == Map(UNTYPED), "an object without properties is free-form"
    assert root.extra is None
    assert root.field("status") is None


def test_custom_list_types() -> None:
    item = {"type": "object", "properties": {"name": {"type": "string"}}}
    schema = _crd(
        plain={"type": "array", "items": {"type": "string"}},
        atomic={"type": "array", "items": item, "x-kubernetes-list-type": "atomic"},
        set={"type": "array", "items": {"type": "integer"}, "x-kubernetes-list-type": "set"},
        map={
            "type": "array",
            "items": item,
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
        },
        merged={
            "type": "array",
            "items": item,
            "x-kubernetes-patch-strategy": "merge",
            "x-kubernetes-patch-merge-key": "name",
        },
        mergedSet={
            "type": "array",
            "items": {"type": "string"},
            "x-kubernetes-patch-strategy": "merge",
        },
        retained={"type": "array", "items": item, "x-kubernetes-patch-strategy": "retainKeys"},
    )
    assert _custom(schema, "plain") == ListType(STRING, "atomic")
    assert _list(_custom(schema, "atomic")).kind == "atomic"
    assert _custom(schema, "set") == ListType(NUMERIC, "set")
    assert (_list(_custom(schema, "map")).kind, _list(_custom(schema, "map")).keys) == (
        "map",
        ("name",),
    )
    merged = _list(_custom(schema, "merged"))
    assert (merged.kind, merged.keys) == ("map", ("name",)), "merge key without a list type"
    assert _custom(schema, "mergedSet") == ListType(STRING, "set")
    assert _list(_custom(schema, "retained")).kind == "atomic"


@pytest.mark.parametrize(
    ("prop", "message"),
    [
        ({"type": "array", "items": {"type": "object"}, "x-kubernetes-list-type": "map"}, "keys"),
        ({"type": "array", "x-kubernetes-list-type": "bag"}, "list-type 'bag'"),
        ({"type": "array", "x-kubernetes-patch-strategy": "replace"}, "patch-strategy"),
        ({"type": "object", "x-kubernetes-map-type": "loose"}, "map-type 'loose'"),
        ({"type": "date"}, "unknown type 'date'"),
    ],
)
def test_custom_schema_errors(prop: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        type_for_schema(_crd(spec=prop))


def test_custom_map_types() -> None:
    fields = {"a": {"type": "string"}, "b": {"type": "string"}}
    schema = _crd(
        pair={"type": "object", "properties": fields, "x-kubernetes-map-type": "atomic"},
        loose={"type": "object", "properties": fields, "x-kubernetes-map-type": "granular"},
        colors={
            "type": "object",
            "additionalProperties": {"type": "string"},
            "x-kubernetes-map-type": "atomic",
        },
    )
    assert _struct(_custom(schema, "pair")).atomic
    assert not _struct(_custom(schema, "loose")).atomic
    assert _custom(schema, "colors") == Map(STRING, atomic=True)


def test_custom_scalars() -> None:
    schema = _crd(
        port={
            "x-kubernetes-int-or-string": True,
            "anyOf": [{"type": "integer"}, {"type": "string"}],
        },
        at={"type": "string", "format": "date-time"},
        blob={"type": "string", "format": "byte"},
        ratio={"type": "number"},
    )
    assert _custom(schema, "port") == LEAF
    assert _custom(schema, "at") == LEAF
    assert _custom(schema, "blob") == STRING
    assert _custom(schema, "ratio") == NUMERIC


def test_custom_preserve_unknown_fields() -> None:
    schema = _crd(
        free={"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        anything={"x-kubernetes-preserve-unknown-fields": True},
        open={
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
            "properties": {
                "inner": {"type": "object", "properties": {"n": {"type": "integer"}}},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
        },
        closed={"type": "object", "properties": {"n": {"type": "integer"}}},
    )
    assert _custom(schema, "free") == Map(UNTYPED)
    assert _custom(schema, "anything") is UNTYPED
    open_ = _struct(_custom(schema, "open"))
    assert open_.extra is UNTYPED
    assert _struct(_at(open_, "inner")).extra is UNTYPED, "the whole subtree preserves"
    assert _at(open_, "inner.n") == NUMERIC
    assert _at(open_, "tags") == ListType(STRING, "atomic")
    assert _at(open_, "unknown.deeper") is UNTYPED
    assert _struct(_custom(schema, "closed")).extra is None
    root = _struct(
        type_for_schema({"type": "object", "x-kubernetes-preserve-unknown-fields": True})
    )
    assert root.extra is UNTYPED
    assert root.field("metadata") is _kind("", "Pod", "metadata"), "ObjectMeta stays typed"


def test_custom_embedded_resource() -> None:
    schema = _crd(
        template={
            "type": "object",
            "x-kubernetes-embedded-resource": True,
            "x-kubernetes-preserve-unknown-fields": True,
        },
    )
    template = _struct(_custom(schema, "template"))
    assert template.field("apiVersion") == STRING
    assert template.field("kind") == STRING
    assert template.field("metadata") is _kind("", "Pod", "metadata")
    assert template.extra is UNTYPED


def test_custom_key_defaults() -> None:
    schema = _crd(
        listeners={
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["port", "protocol"],
            "items": {
                "type": "object",
                "properties": {
                    "port": {"type": "integer"},
                    "protocol": {"type": "string", "default": "HTTP"},
                },
            },
        }
    )
    listeners = _list(_custom(schema, "listeners"))
    assert item_key(listeners, {"port": 80}) == (("port", 80), ("protocol", "HTTP"))


# Definitions that cycle, and overrides beside a reference.


def _definitions(raw: dict[str, Any]) -> BuiltinDefinitions:
    return BuiltinDefinitions(raw, version="test")


def test_recursive_definition() -> None:
    defs = _definitions(
        {
            "x.Tree": {
                "type": "object",
                "x-kubernetes-group-version-kind": [
                    {"group": "example.com", "version": "v1", "kind": "Tree"}
                ],
                "properties": {
                    "name": {"type": "string"},
                    "children": {
                        "type": "array",
                        "items": {"$ref": "#/$defs/x.Tree"},
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                    },
                },
            }
        }
    )
    tree = _struct(type_for_kind("example.com", "v1", "Tree", definitions=defs))
    assert _list(_at(tree, "children")).items is tree
    assert _at(tree, "children.[].children.[].name") == STRING


def test_cycle_through_a_map_is_an_error() -> None:
    defs = _definitions(
        {"x.Loop": {"type": "object", "additionalProperties": {"$ref": "#/$defs/x.Loop"}}}
    )
    with pytest.raises(SchemaError, match=r"x\.Loop refers to itself"):
        Converter(defs).named("x.Loop")
    with pytest.raises(SchemaError, match="no definition"):
        Converter(defs).named("x.Missing")


def test_map_type_beside_a_reference() -> None:
    selector = {
        "type": "object",
        "x-kubernetes-map-type": "atomic",
        "properties": {
            "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}}
        },
    }
    defs = _definitions(
        {
            "x.Selector": selector,
            "x.Holder": {
                "type": "object",
                "properties": {
                    "plain": {"$ref": "#/$defs/x.Selector"},
                    "granular": {"$ref": "#/$defs/x.Selector", "x-kubernetes-map-type": "granular"},
                    "again": {"$ref": "#/$defs/x.Selector", "x-kubernetes-map-type": "granular"},
                },
            },
        }
    )
    holder = Converter(defs).named("x.Holder")
    plain, granular = _struct(_at(holder, "plain")), _struct(_at(holder, "granular"))
    assert plain.atomic
    assert not granular.atomic
    assert granular.fields is plain.fields
    assert _at(holder, "again") is granular, "one copy per override"


def test_object_meta_name() -> None:
    assert OBJECT_META in builtin_definitions()
