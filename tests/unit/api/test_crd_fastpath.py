"""The generated accept path of CRD validation against the walker it stands in
for: it may answer False for a valid object, never True for an invalid one, and
for the features it covers inline it answers exactly."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubelite.api.crd import _fastpath
from kubelite.api.crd import schema as schema_module
from kubelite.api.crd._compiled import Node
from kubelite.api.crd._fastpath import compile_fast_check, generate
from kubelite.api.crd._validator import Check
from kubelite.api.crd.schema import CompiledSchema
from kubelite.api.field import FieldPath

pytestmark = pytest.mark.timeout(60)

Schema = dict[str, Any]
HEAD = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "a"}}


def walker_accepts(root: Node, obj: object) -> bool:
    walk = Check(root, FieldPath())
    walk.check(root, obj)
    return not (walk.errors or walk.embedded or walk.lists)


def agree(root_schema: Schema, obj: object) -> bool:
    """The fast answer for ``obj``, having checked it is the walker's."""
    root = Node(root_schema, nested=False)
    fast = compile_fast_check(root)(obj)
    assert fast == walker_accepts(root, obj), generate(root)[0]
    return fast


def spec_valid(field: Schema, value: object) -> bool:
    """Whether ``spec.x: value`` passes ``field``, fast and walker agreeing."""
    spec = {"type": "object", "properties": {"x": field}}
    return agree({"type": "object", "properties": {"spec": spec}}, {**HEAD, "spec": {"x": value}})


# -- each feature ----------------------------------------------------------------------------

NOT_STRING = {"not": {"type": "string"}}
LIST_MAP = {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["k"]}
CASES: list[tuple[Schema, object, bool]] = [
    # types, and the integer-valued floats an integer field takes
    ({"type": "string"}, "a", True),
    ({"type": "string"}, 1, False),
    ({"type": "integer"}, 3, True),
    ({"type": "integer"}, 3.0, True),
    ({"type": "integer"}, 3.5, False),
    ({"type": "integer"}, 1e300, False),
    ({"type": "integer"}, float("inf"), False),
    ({"type": "integer"}, True, False),
    ({"type": "number"}, 3, True),
    ({"type": "number"}, 2.5, True),
    ({"type": "boolean"}, False, True),
    ({"type": "boolean"}, 0, False),
    ({"type": "object"}, [], False),
    ({"type": "array"}, {}, False),
    # nullable, and null against an enum
    ({"type": "string"}, None, False),
    ({"type": "string", "nullable": True}, None, True),
    ({"type": "string", "nullable": True, "enum": ["a"]}, None, False),
    ({}, None, True),
    # enum, each type against its own
    ({"type": "string", "enum": ["a", "b"]}, "b", True),
    ({"type": "string", "enum": ["a", "b"]}, "c", False),
    ({"type": "integer", "enum": [1, 2]}, 2.0, True),
    ({"type": "number", "enum": [1.0]}, 1, True),
    ({"type": "boolean", "enum": [True]}, True, True),
    ({"type": "integer", "enum": [True]}, 1, False),
    ({"type": "object", "enum": [{"a": 1}]}, {"a": 1}, True),
    ({"type": "object", "enum": [{"a": 1}]}, {"a": 1.0}, False),
    ({"type": "array", "enum": [[1, "x"]]}, [1, "x"], True),
    # bounds, truncated to integers for integers
    ({"type": "integer", "minimum": 1.5}, 1, True),
    ({"type": "integer", "minimum": 1.5}, 1.0, False),
    ({"type": "integer", "maximum": 5, "exclusiveMaximum": True}, 5, False),
    ({"type": "integer", "minimum": 5, "exclusiveMinimum": True}, 6, True),
    ({"type": "number", "maximum": 2.5}, 2.5, True),
    ({"type": "number", "maximum": 2.5, "exclusiveMaximum": True}, 2.5, False),
    ({"type": "integer", "multipleOf": 3}, 9, True),
    ({"type": "integer", "multipleOf": 3}, 10, False),
    ({"type": "integer", "multipleOf": 2.5}, 4, True),  # the factor truncates to 2
    ({"type": "number", "multipleOf": 0.5}, 1.5, True),
    ({"type": "number", "multipleOf": 0.5}, 1.2, False),
    ({"type": "integer", "multipleOf": 0.5}, 3, True),
    ({"type": "integer", "multipleOf": -2}, 4, False),
    ({"type": "integer", "multipleOf": 0}, 4, False),
    # lengths in characters, patterns searched, formats
    ({"type": "string", "maxLength": 2}, "éé", True),
    ({"type": "string", "maxLength": 2}, "ééé", False),
    ({"type": "string", "minLength": 2}, "é", False),
    ({"type": "string", "pattern": "b"}, "abc", True),
    ({"type": "string", "pattern": "^b"}, "abc", False),
    ({"type": "string", "pattern": "^a$"}, "a\n", True),
    ({"type": "string", "pattern": "("}, "a", False),
    ({"type": "string", "format": "date"}, "2024-02-29", True),
    ({"type": "string", "format": "date"}, "2023-02-29", False),
    ({"type": "string", "format": "date"}, ["any"], True),  # Kubernetes' quirk
    ({"type": "integer", "format": "date"}, "2024-02-29", False),
    ({"type": "integer", "format": "int32"}, 2**40, True),
    ({"format": "uuid"}, 5, False),
    # int-or-string and preserve-unknown-fields
    ({"x-kubernetes-int-or-string": True}, 80, True),
    ({"x-kubernetes-int-or-string": True}, "80%", True),
    ({"x-kubernetes-int-or-string": True}, 1.0, True),
    ({"x-kubernetes-int-or-string": True}, True, False),
    ({"x-kubernetes-int-or-string": True, "maximum": 10}, 11, False),
    ({"x-kubernetes-int-or-string": True, "maxLength": 2}, "abc", False),
    ({"x-kubernetes-preserve-unknown-fields": True}, {"any": [1, {"x": None}]}, True),
    ({"type": "object", "x-kubernetes-preserve-unknown-fields": True}, {"a": 1}, True),
    # objects
    ({"type": "object", "required": ["a"]}, {"a": None}, True),
    ({"type": "object", "required": ["a"]}, {"b": 1}, False),
    ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}, {}, False),
    ({"type": "object", "properties": {"a": {}}, "required": ["a"]}, {"a": 1}, True),
    ({"type": "object", "properties": {"a": {}}, "required": ["a"]}, {"b": 1}, False),
    ({"type": "object", "properties": {"a": {}}, "additionalProperties": False}, {"b": 1}, False),
    ({"type": "object", "additionalProperties": False}, {}, True),
    ({"type": "object", "additionalProperties": {"type": "integer"}}, {"a": 1, "b": 2}, True),
    ({"type": "object", "additionalProperties": {"type": "integer"}}, {"a": "1"}, False),
    ({"type": "object", "minProperties": 2}, {"a": 1}, False),
    ({"type": "object", "maxProperties": 1}, {"a": 1}, True),
    # arrays and list types
    ({"type": "array", "items": {"type": "integer", "maximum": 3}}, [1, 2, 3], True),
    ({"type": "array", "items": {"type": "integer", "maximum": 3}}, [1, 4], False),
    ({"type": "array", "minItems": 1}, [], False),
    ({"type": "array", "maxItems": 1}, [1, 2], False),
    ({"type": "array", "uniqueItems": True}, [1, 1.0], True),
    ({"type": "array", "uniqueItems": True}, [{"a": 1}, {"a": 1}], False),
    ({"type": "array", "x-kubernetes-list-type": "set"}, ["a", "b"], True),
    ({"type": "array", "x-kubernetes-list-type": "set"}, ["a", "a"], False),
    ({"type": "array", "x-kubernetes-list-type": "set"}, [1, 1.0], True),
    ({"type": "array", "x-kubernetes-list-type": "set"}, [{"a": 1}, {"a": 1.0}], False),
    (LIST_MAP, [{"k": 1}, {"k": 2}], True),
    (LIST_MAP, [{"k": 1}, {"k": 1, "v": 2}], False),
    (LIST_MAP, [{}, {"v": 1}], False),
    (LIST_MAP, [{"k": None}, {}], True),
    (LIST_MAP, [None, {}], False),
    (LIST_MAP, [{"k": 1}, 2], False),
    # junctors
    ({"type": "integer", "anyOf": [{"minimum": 5}, {"maximum": 1}]}, 0, True),
    ({"type": "integer", "anyOf": [{"minimum": 5}, {"maximum": 1}]}, 3, False),
    ({"type": "integer", "oneOf": [{"minimum": 5}, {"minimum": 7}]}, 6, True),
    ({"type": "integer", "oneOf": [{"minimum": 5}, {"minimum": 7}]}, 8, False),
    ({"type": "integer", "oneOf": [{"minimum": 5}, {"minimum": 7}]}, 1, False),
    ({"type": "integer", "allOf": [{"minimum": 5}, {"maximum": 7}]}, 6, True),
    ({"type": "integer", "allOf": [{"minimum": 5}, {"maximum": 7}]}, 8, False),
    ({"type": "string", "not": {"pattern": "^x"}}, "ab", True),
    ({"type": "string", "not": {"pattern": "^x"}}, "xy", False),
    ({"type": "string", "nullable": True, "not": {"enum": ["a"]}}, None, True),
    (
        {"type": "object", "oneOf": [{"required": ["a"]}, {"required": ["b"]}]},
        {"a": 1},
        True,
    ),
    (
        {"type": "object", "oneOf": [{"required": ["a"]}, {"required": ["b"]}]},
        {"a": 1, "b": 2},
        False,
    ),
    ({"type": "object", "not": {"properties": {"a": NOT_STRING}}}, {"a": "s"}, True),
    ({"type": "object", "not": {"properties": {"a": NOT_STRING}}}, {"a": 1}, False),
]


@pytest.mark.parametrize(("field", "value", "valid"), CASES)
def test_feature(field: Schema, value: object, valid: bool) -> None:
    assert spec_valid(field, value) is valid


def test_root_metadata_is_skipped_but_counted() -> None:
    meta = {"type": "object", "properties": {"name": {"type": "integer"}}}
    root: Schema = {"type": "object", "properties": {"metadata": meta}, "required": ["metadata"]}
    assert agree(root, {"metadata": {"name": "a"}})
    assert not agree(root, {"kind": "Thing"})
    closed = {**root, "additionalProperties": False}
    assert not agree(closed, {"metadata": {}, "kind": "Thing"})
    mapped = {"type": "object", "additionalProperties": {"type": "integer"}}
    assert agree(mapped, {"metadata": {"name": "a"}, "size": 1})
    # A junctor of the root sees the metadata like any other field.
    branch = {"properties": {"metadata": {"properties": {"name": {"maxLength": 1}}}}}
    assert not agree({"type": "object", "allOf": [branch]}, {"metadata": {"name": "ab"}})


def test_embedded_resource_goes_to_the_walker() -> None:
    embedded = {"type": "object", "x-kubernetes-embedded-resource": True}
    root = Node({"type": "object", "properties": {"spec": embedded}}, nested=False)
    obj = {**HEAD, "spec": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}}
    assert walker_accepts(root, obj)
    assert compile_fast_check(root)(obj) is False


def test_values_json_cannot_hold_go_to_the_walker() -> None:
    root = Node({"type": "object", "properties": {"x": {}, "n": {"type": "integer"}}}, nested=False)
    fast = compile_fast_check(root)
    assert fast({"x": (1, 2)})  # an unconstrained field takes anything, as the walker does
    assert fast({"n": 2**70})
    assert not fast({"n": (1,)})
    assert not fast({"x": 1, "n": object()})
    assert not fast(HEAD.items())


def test_overflow_falls_back() -> None:
    root = Node({"type": "object", "properties": {"x": {"multipleOf": 0.5}}}, nested=False)
    assert compile_fast_check(root)({"x": 10**400}) is False


def test_deep_schema_is_split_into_functions() -> None:
    leaf: Schema = {"type": "integer", "maximum": 3}
    good: object = 3
    bad: object = 4
    for depth in range(40):
        if depth % 2:
            leaf, good, bad = {"type": "array", "items": leaf}, [good], [good, bad]
        else:
            leaf = {"type": "object", "additionalProperties": leaf}
            good, bad = {"k": good}, {"k": good, "j": bad}
    root = {"type": "object", "properties": {"spec": leaf}}
    assert "def _n" in generate(Node(root, nested=False))[0]
    assert agree(root, {"spec": good})
    assert not agree(root, {"spec": bad})


def test_huge_schema_always_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fastpath, "_MAX_LINES", 50)
    props = {f"f{i}": {"type": "string"} for i in range(40)}
    root = Node({"type": "object", "properties": props}, nested=False)
    assert compile_fast_check(root)({}) is False


def test_validate_returns_at_once_for_a_valid_object(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = {
        "type": "object",
        "properties": {"size": {"type": "integer", "minimum": 1}, "name": {"type": "string"}},
    }
    compiled = CompiledSchema({"type": "object", "properties": {"spec": spec}})
    good, bad = {**HEAD, "spec": {"size": 2}}, {**HEAD, "spec": {"size": 0}}
    errors = [str(error) for error in compiled.validate(bad)]
    assert errors == [
        "spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1"
    ]

    def no_walk(*args: object) -> None:
        raise AssertionError("the walker ran for a valid object")

    monkeypatch.setattr(schema_module, "Check", no_walk)
    assert compiled.validate(good) == []
    assert compiled.validate(good, old=bad) == []


# -- random schemas and objects ----------------------------------------------------------------

NAMES = ["a", "b", "c", "metadata"]
NUMBERS = st.one_of(st.integers(-3, 12), st.sampled_from([0.5, 1.5, -2.5, 3.0, 7.25]))
STRINGS = st.text(alphabet="ab0-éZ\n", max_size=5) | st.sampled_from(
    ["2024-01-02", "2024-01-02T03:04:05Z", "a@b.io", "10.0.0.1", "x" * 7]
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, STRINGS)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(NAMES), inner),
    max_leaves=6,
)
ENUM = st.lists(JSON, min_size=1, max_size=4)
# Value validations, as junctor branches hold them.
BOUNDS = st.sampled_from([-2.5, -1, 0, 0.5, 1, 1.5, 3, 3.0, 7.25, 10])
CHECKS: dict[str, st.SearchStrategy[Any]] = {
    "minimum": BOUNDS,
    "maximum": BOUNDS,
    "exclusiveMinimum": st.booleans(),
    "exclusiveMaximum": st.booleans(),
    "multipleOf": st.sampled_from([2, 3, 0.5, 2.5, 0.1, -2, 0]),
    "minLength": st.integers(0, 4),
    "maxLength": st.integers(0, 4),
    "pattern": st.sampled_from(["^[a-z0-9-]+$", "^a", "b$", "[0-9]", "^(Z|é)*$", "("]),
    "format": st.sampled_from(["date", "date-time", "email", "ipv4", "uuid", "int32", "byte"]),
    "enum": ENUM,
    "required": st.lists(st.sampled_from(NAMES), max_size=2),
    "minProperties": st.integers(0, 3),
    "maxProperties": st.integers(0, 3),
    "minItems": st.integers(0, 3),
    "maxItems": st.integers(0, 3),
    "uniqueItems": st.booleans(),
}
INNER = st.sampled_from([{}, {"maxLength": 1}, {"minimum": 2}, {"not": {"enum": [1]}}])
BRANCH_CHECKS = {**CHECKS, "properties": st.dictionaries(st.sampled_from(NAMES), INNER)}
BRANCH_KEYS = st.lists(st.sampled_from(sorted(BRANCH_CHECKS)), min_size=1, max_size=2, unique=True)
BRANCH = BRANCH_KEYS.flatmap(
    lambda chosen: st.fixed_dictionaries({k: BRANCH_CHECKS[k] for k in chosen})
)
BRANCHES = st.lists(BRANCH, min_size=1, max_size=3)
KINDS = st.sampled_from(["string", "integer", "number", "boolean", "object", "array", None])


FEATURES: dict[str, st.SearchStrategy[Any]] = {
    **CHECKS,
    "nullable": st.booleans(),
    "x-kubernetes-int-or-string": st.just(True),
    "x-kubernetes-preserve-unknown-fields": st.just(True),
    "x-kubernetes-embedded-resource": st.just(True),
    "x-kubernetes-list-type": st.sampled_from(["set", "map", "atomic"]),
    "x-kubernetes-list-map-keys": st.sampled_from([["a"], ["a", "b"]]),
    "allOf": BRANCHES,
    "anyOf": BRANCHES,
    "oneOf": BRANCHES,
    "not": BRANCH,
}


# The features each type of node is likeliest to meet a value they apply to.
NUMERIC = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]
LIKELY: dict[str | None, list[str]] = {
    "string": ["minLength", "maxLength", "pattern", "format"],
    "integer": [*NUMERIC, "format"],
    "number": NUMERIC,
    "boolean": [],
    "object": ["required", "minProperties", "maxProperties", "x-kubernetes-embedded-resource"],
    "array": ["minItems", "maxItems", "uniqueItems", "x-kubernetes-list-type"],
    None: ["x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields", *NUMERIC],
}
COMMON = ["enum", "nullable", "allOf", "anyOf", "oneOf", "not"]


def extras(kind: str | None) -> st.SearchStrategy[Schema]:
    """A node of ``kind`` with a few features (few, so that objects pass
    them often enough), mostly those that apply to its values."""
    base = {"type": st.just(kind)} if kind else {}
    likely = st.sampled_from(LIKELY[kind] + COMMON)
    keys = st.lists(likely | st.sampled_from(sorted(FEATURES)), max_size=3, unique=True)
    return keys.flatmap(
        lambda chosen: st.fixed_dictionaries({**base, **{k: FEATURES[k] for k in chosen}})
    )


def schemas(depth: int) -> st.SearchStrategy[Schema]:
    leaf = KINDS.flatmap(extras)
    if depth == 0:
        return leaf
    child = schemas(depth - 1)
    props = st.dictionaries(st.sampled_from(NAMES), child, min_size=1, max_size=3)
    shapes = st.one_of(
        st.fixed_dictionaries(
            {"properties": props}, optional={"additionalProperties": st.just(False)}
        ),
        st.fixed_dictionaries({"additionalProperties": child}),
        st.fixed_dictionaries({"items": child}),
        st.fixed_dictionaries(
            {},
            optional={"properties": props, "items": child, "additionalProperties": child},
        ),
    )
    kinds = {"properties": "object", "additionalProperties": "object", "items": "array"}

    def typed(shape: Schema) -> st.SearchStrategy[Schema]:
        kind = next((kinds[key] for key in shape if key in kinds), None)
        return KINDS.flatmap(extras) if len(shape) > 1 else extras(kind)

    containers = shapes.flatmap(lambda shape: typed(shape).map(lambda node: {**node, **shape}))
    return st.one_of(leaf, containers, containers)


def near_numbers(node: Schema) -> st.SearchStrategy[Any]:
    """Numbers on and beside the node's bounds and factor, in both types."""
    found: list[Any] = [2.0, -0.0, 1e300, float(2**53), 2**60]
    for key in ("minimum", "maximum", "multipleOf"):
        bound = node.get(key)
        if isinstance(bound, int | float) and not isinstance(bound, bool):
            whole = int(bound)
            found += [bound, whole, whole - 1, whole + 1, float(whole), bound + 0.5]
            found += [whole * 3, bound * 3, float(whole * 2)]
    return st.sampled_from(found) | NUMBERS


def near_strings(node: Schema) -> st.SearchStrategy[str]:
    """Strings on and beside the node's lengths."""
    found = STRINGS
    for key in ("minLength", "maxLength"):
        size = node.get(key)
        if isinstance(size, int):
            found |= st.text(alphabet="abé0-", min_size=max(size - 1, 0), max_size=size + 1)
    return found


@st.composite
def instances(draw: st.DrawFn, node: Schema) -> Any:
    """A value shaped by ``node``, often valid, often a little off."""
    if draw(st.integers(0, 11)) == 0:
        return draw(JSON)
    if "enum" in node and draw(st.booleans()):
        chosen = copy.deepcopy(draw(st.sampled_from(node["enum"])))
        if type(chosen) is int and draw(st.booleans()):
            return float(chosen)  # the walker takes an equal number of either type
        return chosen
    kind = node.get("type")
    if node.get("x-kubernetes-int-or-string") or kind is None:
        kind = draw(st.sampled_from(["integer", "string", "object", "array"]))
    if kind == "object":
        value: dict[str, Any] = {}
        props = node.get("properties") or {}
        for name, sub in props.items():
            if draw(st.integers(0, 3)):
                value[name] = draw(instances(sub))
        add = node.get("additionalProperties")
        if isinstance(add, dict):
            for name in draw(st.lists(st.sampled_from(["x", "y", "metadata"]), max_size=2)):
                value[name] = draw(instances(add))
        return value
    if kind == "array":
        items = node.get("items") or {}
        seq = draw(st.lists(instances(items), max_size=3))
        repeat: bool = draw(st.booleans())
        if seq and repeat:
            seq.append(copy.deepcopy(seq[0]))
        return seq
    if kind == "string":
        return draw(near_strings(node))
    if kind in ("integer", "number"):
        return draw(near_numbers(node))
    return draw(st.booleans())


def _embeds(node: object) -> bool:
    if isinstance(node, dict):
        embedded = node.get("x-kubernetes-embedded-resource") is True
        return embedded or any(map(_embeds, node.values()))
    return isinstance(node, list) and any(map(_embeds, node))


ROOTS = st.fixed_dictionaries(
    {"type": st.just("object")},
    optional={
        "required": st.lists(st.sampled_from(["metadata", "spec"]), max_size=2),
        "additionalProperties": st.just(False),
    },
)
# The root skips its metadata, however it is declared.
ROOT_META = {"type": "object", "properties": {"name": {"type": "integer"}}}


def check_agreement(root_schema: Schema, data: st.DataObject, spec: Schema, count: int) -> None:
    """``count`` objects for ``spec``: the fast check never accepts one the
    walker refuses, and without embedded resources it answers exactly."""
    root = Node(root_schema, nested=False)
    fast = compile_fast_check(root)
    exact = not _embeds(spec)
    for _ in range(count):
        obj = {**HEAD, "spec": data.draw(instances(spec))}
        if data.draw(st.integers(0, 9)) == 0:
            del obj[data.draw(st.sampled_from(["metadata", "spec", "kind"]))]
        accepted, valid = fast(obj), walker_accepts(root, obj)
        assert valid or not accepted, (root_schema, obj)
        if exact:
            assert accepted == valid, (root_schema, obj, generate(root)[0])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), spec=schemas(3), root_schema=ROOTS, meta=st.booleans())
def test_fast_agrees_with_the_walker(
    data: st.DataObject, spec: Schema, root_schema: Schema, meta: bool
) -> None:
    head = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}}
    root_schema["properties"] = {**head, "spec": spec}
    if meta:
        root_schema["properties"]["metadata"] = ROOT_META
    check_agreement(root_schema, data, spec, 10)


@settings(max_examples=400, deadline=None)
@given(data=st.data(), spec=schemas(0))
def test_fast_agrees_with_the_walker_on_scalars(data: st.DataObject, spec: Schema) -> None:
    check_agreement({"type": "object", "properties": {"spec": spec}}, data, spec, 20)
