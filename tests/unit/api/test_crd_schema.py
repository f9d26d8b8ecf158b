"""Custom objects against CRD schemas: validation messages, pruning, defaults,
and the structural check, each as Kubernetes words and does it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubelite.api.crd import formats
from kubelite.api.crd.schema import (
    apply_defaults,
    check_structural,
    compile_schema,
    prune,
    validate,
)
from kubelite.api.field import ErrorType, FieldPath

pytestmark = pytest.mark.timeout(10)

Schema = dict[str, Any]


def spec_schema(properties: Schema, **extra: Any) -> Schema:
    """A root schema whose ``spec`` has ``properties``."""
    spec = {"type": "object", "properties": properties, **extra}
    return {"type": "object", "properties": {"spec": spec}}


def messages(schema: Schema, spec: object) -> list[str]:
    obj = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "a"}}
    return [str(error) for error in validate(schema, {**obj, "spec": spec})]


def one(field: Schema, value: object) -> list[str]:
    """The messages for ``spec.x`` holding ``value`` under ``field``."""
    return messages(spec_schema({"x": field}), {"x": value})


# -- types ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "got"),
    [
        ("integer", "3", "string"),
        ("integer", 1.5, "number"),
        ("integer", True, "boolean"),
        ("number", "1", "string"),
        ("string", 5, "integer"),
        ("boolean", "true", "string"),
        ("object", [], "array"),
        ("array", {}, "object"),
    ],
)
def test_type_mismatch(kind: str, value: object, got: str) -> None:
    assert one({"type": kind}, value) == [
        f'spec.x: Invalid value: "{got}": spec.x in body must be of type {kind}: "{got}"'
    ]


@pytest.mark.parametrize(
    ("kind", "value"),
    [("integer", 3), ("integer", 2.0), ("number", 3), ("number", 0.5), ("string", "")],
)
def test_type_match(kind: str, value: object) -> None:
    assert one({"type": kind}, value) == []


def test_type_error_type_is_field_value_type_invalid() -> None:
    (error,) = validate(spec_schema({"x": {"type": "string"}}), {"spec": {"x": 1}})
    assert error.type is ErrorType.TYPE_INVALID
    assert error.cause().to_dict()["reason"] == "FieldValueTypeInvalid"


def test_null_needs_nullable() -> None:
    assert one({"type": "string"}, None) == [
        'spec.x: Invalid value: "null": spec.x in body must be of type string: "null"'
    ]
    assert one({"type": "string", "nullable": True}, None) == []


def test_formatted_field_given_a_number_names_the_format() -> None:
    # kube-openapi reports the format and the Go format of the value.
    assert one({"type": "string", "format": "date-time"}, 5) == [
        'spec.x: Invalid value: "int64": spec.x in body must be of type date-time: "int64"'
    ]


def test_int_or_string() -> None:
    field = {"x-kubernetes-int-or-string": True}
    assert one(field, 3) == []
    assert one(field, "50%") == []
    assert one(field, True) == [
        'spec.x: Invalid value: "boolean": spec.x in body must be of type integer,string: "boolean"'
    ]


def test_preserve_unknown_fields_without_type_takes_anything() -> None:
    field = {"x-kubernetes-preserve-unknown-fields": True}
    for value in (1, "a", [1], {"a": {"b": 1}}, None):
        assert one(field, value) == []


# -- required, enum ----------------------------------------------------------------------


def test_required() -> None:
    schema = spec_schema({"size": {"type": "string"}}, required=["size", "other"])
    assert messages(schema, {}) == ["spec.size: Required value", "spec.other: Required value"]
    assert messages(schema, {"size": "M", "other": None}) == []


def test_required_counts_presence_not_value() -> None:
    schema = spec_schema({"size": {"type": "string", "nullable": True}}, required=["size"])
    assert messages(schema, {"size": None}) == []


def test_enum() -> None:
    assert one({"type": "string", "enum": ["a", "b"]}, "x") == [
        'spec.x: Unsupported value: "x": supported values: "a", "b"'
    ]
    assert one({"type": "string", "enum": ["a", "b"]}, "b") == []


def test_enum_of_numbers_and_booleans() -> None:
    assert one({"type": "integer", "enum": [1, 2]}, 3) == [
        'spec.x: Unsupported value: 3: supported values: "1", "2"'
    ]
    assert one({"type": "number", "enum": [1, 2.5]}, 1.0) == []
    # 1 is not true, whatever Python thinks.
    assert one({"type": "boolean", "enum": [True]}, False) == [
        'spec.x: Unsupported value: false: supported values: "true"'
    ]
    assert one({"enum": [True], "x-kubernetes-preserve-unknown-fields": True}, 1) == [
        'spec.x: Unsupported value: 1: supported values: "true"'
    ]


def test_null_fails_an_enum_even_when_nullable() -> None:
    assert one({"type": "string", "nullable": True, "enum": ["a"]}, None) == [
        'spec.x: Unsupported value: null: supported values: "a"'
    ]


def test_enum_of_objects_prints_the_go_value() -> None:
    field = {"type": "object", "enum": [{"a": 1}], "x-kubernetes-preserve-unknown-fields": True}
    assert one(field, {"a": 2}) == [
        'spec.x: Unsupported value: map[string]interface {}{"a":2}: supported values: "{\\"a\\":1}"'
    ]


# -- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "detail"),
    [
        ({"minimum": 1}, 0, "should be greater than or equal to 1"),
        ({"minimum": 1, "exclusiveMinimum": True}, 1, "should be greater than 1"),
        ({"maximum": 5}, 6, "should be less than or equal to 5"),
        ({"maximum": 5, "exclusiveMaximum": True}, 5, "should be less than 5"),
        ({"minimum": 0.5}, 0.25, "should be greater than or equal to 0.5"),
        ({"maximum": 1e21}, 2e21, "should be less than or equal to 1e+21"),
        ({"multipleOf": 3}, 7, "should be a multiple of 3"),
        ({"multipleOf": 0.5}, 0.3, "should be a multiple of 0.5"),
    ],
)
def test_number_bounds(field: Schema, value: float, detail: str) -> None:
    shown = repr(value) if isinstance(value, int) else format(value, "g")
    assert one({"type": "number", **field}, value) == [
        f"spec.x: Invalid value: {shown}: spec.x in body {detail}"
    ]


def test_integer_bounds_are_truncated_first() -> None:
    # Go compares an integer with int64(minimum): 1 passes "minimum: 1.5".
    assert one({"type": "integer", "minimum": 1.5}, 1) == []
    assert one({"type": "integer", "minimum": 1.5}, 0) == [
        "spec.x: Invalid value: 0: spec.x in body should be greater than or equal to 1"
    ]


def test_number_bounds_pass() -> None:
    field = {"type": "number", "minimum": 0, "maximum": 10, "multipleOf": 0.25}
    assert one(field, 2.5) == []
    assert one(field, 10) == []


def test_all_number_errors_in_order() -> None:
    field = {"type": "integer", "multipleOf": 2, "minimum": 10, "maximum": 0}
    assert one(field, 5) == [
        "spec.x: Invalid value: 5: spec.x in body should be a multiple of 2",
        "spec.x: Invalid value: 5: spec.x in body should be greater than or equal to 10",
        "spec.x: Invalid value: 5: spec.x in body should be less than or equal to 0",
    ]


# -- strings -------------------------------------------------------------------------------


def test_string_lengths_count_characters() -> None:
    field = {"type": "string", "minLength": 1, "maxLength": 5}
    assert one(field, "") == [
        'spec.x: Invalid value: "": spec.x in body should be at least 1 chars long'
    ]
    assert one(field, "abcdef") == ["spec.x: Too long: may not be more than 5 bytes"]
    assert one(field, "ééééé") == []  # ten bytes, five characters
    assert one({"type": "string", "maxLength": 1}, "ab") == [
        "spec.x: Too long: may not be more than 1 byte"
    ]


def test_pattern() -> None:
    field = {"type": "string", "pattern": "^[0-9]+$"}
    assert one(field, "abc") == [
        "spec.x: Invalid value: \"abc\": spec.x in body should match '^[0-9]+$'"
    ]
    assert one(field, "123") == []
    # Unanchored patterns search, as Go's MatchString does.
    assert one({"type": "string", "pattern": "[0-9]"}, "a1b") == []


def test_only_the_first_string_rule_is_reported() -> None:
    field = {"type": "string", "maxLength": 2, "pattern": "^[0-9]+$"}
    assert one(field, "abcd") == ["spec.x: Too long: may not be more than 2 bytes"]


def test_invalid_pattern_is_reported_at_validation() -> None:
    assert one({"type": "string", "pattern": "("}, "a") == [
        'spec.x: Invalid value: "a": spec.x in body should match \'(, but pattern is invalid: '
        "missing ), unterminated subpattern at position 0'"
    ]


# -- formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("date-time", "2024-02-29T10:00:00.5+01:00", "2024-02-29 10:00:00"),
        ("datetime", "2024-01-01T00:00:00Z", "2024-01-01T24:00:00Z"),
        ("date", "2024-02-29", "2023-02-29"),
        ("uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567"),
        ("ipv4", "10.0.0.1", "10.0.0.256"),
        ("ipv6", "fe80::1", "10.0.0.1"),
        ("cidr", "10.0.0.0/8", "10.0.0.0/33"),
        ("hostname", "example.com", "-example.com"),
        ("email", "someone@example.com", "someone"),
        ("duration", "1h30m", "soon"),
        ("byte", "aGVsbG8=", "hello!"),
        ("mac", "00:00:5e:00:53:01", "00:00:5e"),
        ("uri", "https://example.com/a", "example.com"),
    ],
)
def test_formats(name: str, good: str, bad: str) -> None:
    field = {"type": "string", "format": name}
    assert one(field, good) == []
    assert one(field, bad) == [
        f'spec.x: Invalid value: "{bad}": spec.x in body must be of type {name}: "{bad}"'
    ]


def test_numeric_formats_are_not_checked() -> None:
    # Kubernetes strips int32, int64, float and double: no range check.
    assert one({"type": "integer", "format": "int32"}, 2**40) == []
    assert one({"type": "string", "format": "no-such-format"}, "x") == []
    assert formats.checker("int32") is None


def test_format_error_comes_after_the_string_rule() -> None:
    field = {"type": "string", "format": "ipv4", "maxLength": 3}
    assert one(field, "abcd") == [
        "spec.x: Too long: may not be more than 3 bytes",
        'spec.x: Invalid value: "abcd": spec.x in body must be of type ipv4: "abcd"',
    ]


# -- arrays and objects ------------------------------------------------------------------


def test_items() -> None:
    field = {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2}
    assert one(field, []) == [
        "spec.x: Invalid value: 0: spec.x in body should have at least 1 items"
    ]
    assert one(field, ["a", "b", "c"]) == ["spec.x: Too many: 3: must have at most 2 items"]
    assert one(field, ["a", 1]) == [
        'spec.x[1]: Invalid value: "integer": spec.x[1] in body must be of type string: "integer"'
    ]


def test_item_errors_come_before_the_array_bounds() -> None:
    field = {"type": "array", "items": {"type": "string"}, "maxItems": 1}
    assert one(field, [1, "a"]) == [
        'spec.x[0]: Invalid value: "integer": spec.x[0] in body must be of type string: "integer"',
        "spec.x: Too many: 2: must have at most 1 item",
    ]


def test_unique_items() -> None:
    field = {"type": "array", "items": {"type": "integer"}, "uniqueItems": True}
    assert one(field, [1, 2, 1]) == [
        'spec.x: Invalid value: "": spec.x in body shouldn\'t contain duplicates'
    ]
    assert one(field, [1, 2]) == []


def test_nested_paths() -> None:
    schema = spec_schema(
        {
            "items": {
                "type": "array",
                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
            }
        }
    )
    assert messages(schema, {"items": [{"name": "a"}, {"name": 5}]}) == [
        'spec.items[1].name: Invalid value: "integer": spec.items[1].name in body must be of '
        'type string: "integer"'
    ]


def test_properties_bounds() -> None:
    field = {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "minProperties": 1,
        "maxProperties": 2,
    }
    assert one(field, {}) == [
        "spec.x: Invalid value: 0: spec.x in body should have at least 1 properties"
    ]
    assert one(field, {"a": "1", "b": "2", "c": 3}) == [
        "spec.x: Too many: 3: must have at most 2 items"
    ]


def test_map_values_are_named_with_dots() -> None:
    field = {"type": "object", "additionalProperties": {"type": "string", "maxLength": 2}}
    assert one(field, {"key": "long"}) == ["spec.x.key: Too long: may not be more than 2 bytes"]


def test_additional_properties_false() -> None:
    field = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "additionalProperties": False,
    }
    assert one(field, {"a": "1", "b": "2"}) == [
        'spec.x: Invalid value: "b": spec.x.b in body is a forbidden property'
    ]


def test_root_metadata_is_left_to_object_meta_validation() -> None:
    schema = {
        "type": "object",
        "properties": {"metadata": {"type": "object", "properties": {"name": {"maxLength": 1}}}},
    }
    assert validate(schema, {"metadata": {"name": "long-name"}}) == []


def test_base_path() -> None:
    errors = validate(
        spec_schema({"x": {"type": "integer"}}),
        {"spec": {"x": "a"}},
        path=FieldPath.of("object"),
    )
    assert [str(e) for e in errors] == [
        'object.spec.x: Invalid value: "string": spec.x in body must be of type integer: "string"'
    ]


def test_errors_follow_the_object_key_order() -> None:
    schema = spec_schema({"a": {"type": "string"}, "b": {"type": "string"}})
    assert [e.field for e in validate(schema, {"spec": {"b": 1, "a": 1}})] == ["spec.b", "spec.a"]


# -- junctors ------------------------------------------------------------------------------


def test_any_of() -> None:
    field = {
        "type": "string",
        "anyOf": [{"pattern": "^a"}, {"pattern": "^b"}, {"maxLength": 1}],
    }
    assert one(field, "a") == []
    assert one(field, "cc") == [
        '<nil>: Invalid value: "": "spec.x" must validate at least one schema (anyOf)',
        "spec.x: Invalid value: \"cc\": spec.x in body should match '^a'",
    ]


def test_one_of() -> None:
    field = {"type": "integer", "oneOf": [{"minimum": 5}, {"maximum": 10}]}
    assert one(field, 20) == []
    assert one(field, 7) == [
        '<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). '
        "Found 2 valid alternatives"
    ]


def test_all_of_and_not() -> None:
    field = {"type": "integer", "allOf": [{"minimum": 5}, {"maximum": 10}], "not": {"enum": [7]}}
    assert one(field, 7) == [
        '<nil>: Invalid value: "": "spec.x" must not validate the schema (not)'
    ]
    assert one(field, 11) == [
        "spec.x: Invalid value: 11: spec.x in body should be less than or equal to 10",
        '<nil>: Invalid value: "": "spec.x" must validate all the schemas (allOf)',
    ]


def test_junctor_properties_are_checked() -> None:
    field = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "anyOf": [{"required": ["a"]}],
    }
    assert one(field, {}) == [
        '<nil>: Invalid value: "": "spec.x" must validate at least one schema (anyOf)',
        "spec.x.a: Required value",
    ]


# -- embedded resources ------------------------------------------------------------------


EMBEDDED = {
    "type": "object",
    "x-kubernetes-embedded-resource": True,
    "x-kubernetes-preserve-unknown-fields": True,
}


def test_embedded_resource_needs_api_version_and_kind() -> None:
    assert one(EMBEDDED, {}) == ["spec.x.apiVersion: Required value", "spec.x.kind: Required value"]
    assert one(EMBEDDED, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}) == []


def test_embedded_resource_fields() -> None:
    bad = {"apiVersion": "a/b/c", "kind": "Pod_1", "metadata": {"name": "a/b"}}
    assert one(EMBEDDED, bad) == [
        'spec.x.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
        'spec.x.kind: Invalid value: "Pod_1": may have mixed case, but should otherwise match: '
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
        "with an alphabetic character, and end with an alphanumeric character (e.g. "
        "'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        "spec.x.metadata.name: Invalid value: \"a/b\": may not contain '/'",
    ]
    assert one(EMBEDDED, {"apiVersion": 1, "kind": ""}) == [
        "spec.x.apiVersion: Invalid value: 1: must be a string",
        'spec.x.kind: Invalid value: "": must not be empty',
    ]


def test_embedded_errors_come_after_the_validator_and_use_brackets() -> None:
    field = {"type": "object", "additionalProperties": EMBEDDED}
    schema = spec_schema({"x": field, "y": {"type": "string"}})
    assert messages(schema, {"x": {"k": {"kind": "A"}}, "y": 1}) == [
        'spec.y: Invalid value: "integer": spec.y in body must be of type string: "integer"',
        "spec.x[k].apiVersion: Required value",
    ]


# -- list types ----------------------------------------------------------------------------


def test_set_reports_each_repeat_once() -> None:
    field = {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"}
    assert one(field, ["a", "b", "a", "a", "b"]) == [
        'spec.x[2]: Duplicate value: "a"',
        'spec.x[4]: Duplicate value: "b"',
    ]


def test_set_compares_scalars_by_type() -> None:
    field = {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "number"}}
    assert one(field, [1, 1.5, 2]) == []
    assert one(field, [1, 1]) == ["spec.x[1]: Duplicate value: 1"]


def test_set_of_objects() -> None:
    item = {
        "type": "object",
        "x-kubernetes-map-type": "atomic",
        "properties": {"a": {"type": "integer"}},
    }
    field = {"type": "array", "x-kubernetes-list-type": "set", "items": item}
    assert one(field, [{"a": 1}, {"a": 1}]) == [
        'spec.x[1]: Duplicate value: map[string]interface {}{"a":1}'
    ]


PORTS = {
    "type": "array",
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["name"],
    "items": {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "port": {"type": "integer"}},
    },
}


def test_map_list_duplicate_keys() -> None:
    assert one(PORTS, [{"name": "a", "port": 1}, {"name": "b"}, {"name": "a", "port": 2}]) == [
        'spec.x[2]: Duplicate value: map[string]interface {}{"name":"a"}'
    ]


def test_map_list_with_two_keys() -> None:
    field = {**PORTS, "x-kubernetes-list-map-keys": ["name", "port"]}
    assert one(field, [{"name": "a", "port": 1}, {"name": "a", "port": 2}]) == []
    assert one(field, [{"name": "a", "port": 1}, {"port": 1, "name": "a"}]) == [
        'spec.x[1]: Duplicate value: map[string]interface {}{"name":"a", "port":1}'
    ]


def test_map_list_items_must_be_objects() -> None:
    field = {**PORTS, "items": {"x-kubernetes-preserve-unknown-fields": True}}
    assert one(field, [{"name": "a"}, "b"]) == [
        'spec.x[1]: Invalid value: "b": must be an object for an array of list-type map'
    ]


def test_atomic_lists_take_duplicates() -> None:
    field = {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "atomic"}
    assert one(field, ["a", "a"]) == []


def test_list_checks_go_on_below_a_failed_object() -> None:
    field = {"type": "object", "maxProperties": 0, "properties": {"l": PORTS}}
    assert one(field, {"l": [{"name": "a"}, {"name": "a"}]}) == [
        "spec.x: Too many: 1: must have at most 0 items",
        'spec.x.l[1]: Duplicate value: map[string]interface {}{"name":"a"}',
    ]


# -- ratcheting ----------------------------------------------------------------------------


def update(schema: Schema, spec: object, old_spec: object, **root: object) -> list[str]:
    """The messages for an update of ``spec`` over ``old_spec``; ``root`` adds
    top-level fields to the new object only."""
    obj = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "a"}}
    old = copy.deepcopy({**obj, "spec": old_spec})
    return [str(error) for error in validate(schema, {**obj, **root, "spec": spec}, old=old)]


SHORT = spec_schema({"x": {"type": "string", "maxLength": 3}, "y": {"type": "integer"}})
TOO_LONG = "spec.x: Too long: may not be more than 3 bytes"


def test_ratchet_unchanged_invalid_field_passes() -> None:
    assert messages(SHORT, {"x": "long", "y": 2}) == [TOO_LONG]
    assert update(SHORT, {"x": "long", "y": 2}, {"x": "long", "y": 1}) == []
    assert update(SHORT, {"x": "long"}, {"x": "long", "y": 1}) == []


def test_ratchet_changed_invalid_field_fails() -> None:
    assert update(SHORT, {"x": "longer", "y": 1}, {"x": "long", "y": 1}) == [TOO_LONG]
    assert update(SHORT, {"x": "long"}, {"x": "ok"}) == [TOO_LONG]


def test_ratchet_new_invalid_field_fails() -> None:
    assert update(SHORT, {"x": "long", "y": 1}, {"y": 1}) == [TOO_LONG]
    assert update(SHORT, {"x": "long"}, {"x": None}) == [TOO_LONG]


def test_ratchet_compares_values_as_go_does() -> None:
    # 500 and 500.0 decode to int64 and float64, which DeepEqual tells apart.
    schema = spec_schema({"x": {"type": "number", "maximum": 100}})
    assert update(schema, {"x": 500}, {"x": 500}) == []
    assert update(schema, {"x": 500.0}, {"x": 500}) == [
        "spec.x: Invalid value: 500: spec.x in body should be less than or equal to 100"
    ]


def test_ratchet_correlates_map_values_by_key() -> None:
    schema = spec_schema(
        {"m": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1000}}}
    )
    assert update(schema, {"m": {"a": 1, "b": 3000}}, {"m": {"a": 1, "b": 2000}}) == []
    assert update(schema, {"m": {"a": 2, "c": 5}}, {"m": {"a": 1, "c": 3000}}) == [
        "spec.m.a: Invalid value: 2: spec.m.a in body should be greater than or equal to 1000",
        "spec.m.c: Invalid value: 5: spec.m.c in body should be greater than or equal to 1000",
    ]


LIMITED_PORTS = {
    **PORTS,
    "items": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "port": {"type": "integer", "maximum": 100},
            "note": {"type": "string"},
        },
    },
}
PORT_443 = "in body should be less than or equal to 100"


def test_ratchet_correlates_map_list_items_by_key() -> None:
    old = {"x": [{"name": "a", "port": 443}, {"name": "b", "port": 80}]}
    moved = {"x": [{"name": "c", "port": 90}, {"name": "a", "port": 443}]}
    assert one(LIMITED_PORTS, moved["x"]) == [
        f"spec.x[1].port: Invalid value: 443: spec.x[1].port {PORT_443}"
    ]
    assert update(spec_schema({"x": LIMITED_PORTS}), moved, old) == []

    # The item changed, but its port did not: the port's error still goes.
    noted = {"x": [{"name": "a", "port": 443, "note": "n"}]}
    assert update(spec_schema({"x": LIMITED_PORTS}), noted, old) == []

    # Another key's item has no old value, whatever its index.
    renamed = {"x": [{"name": "a", "port": 80}, {"name": "c", "port": 443}]}
    assert update(spec_schema({"x": LIMITED_PORTS}), renamed, old) == [
        f"spec.x[1].port: Invalid value: 443: spec.x[1].port {PORT_443}"
    ]


def test_ratchet_map_list_reordered_is_unchanged() -> None:
    schema = spec_schema({"x": {**PORTS, "maxItems": 1}})
    old = {"x": [{"name": "a"}, {"name": "b"}]}
    assert update(schema, {"x": [{"name": "b"}, {"name": "a"}]}, old) == []
    assert update(schema, {"x": [{"name": "b"}, {"name": "a", "port": 1}]}, old) == [
        "spec.x: Too many: 2: must have at most 1 item"
    ]


@pytest.mark.parametrize("list_type", [None, "atomic", "set"])
def test_ratchet_items_of_atomic_lists_not_correlated(list_type: str | None) -> None:
    field: Schema = {"type": "array", "items": {"type": "string", "maxLength": 3}}
    if list_type is not None:
        field["x-kubernetes-list-type"] = list_type
    schema = spec_schema({"x": field, "y": {"type": "integer"}})
    old = {"x": ["long", "ok"], "y": 1}
    assert update(schema, {"x": ["long", "ok2"], "y": 1}, old) == [
        "spec.x[0]: Too long: may not be more than 3 bytes"
    ]
    # The list as a whole is unchanged, and so are its items' values.
    assert update(schema, {"x": ["long", "ok"], "y": 2}, old) == []


def test_ratchet_required_missing_on_unchanged_object() -> None:
    schema = spec_schema({"a": {"type": "string"}, "b": {"type": "integer"}}, required=["a"])
    assert update(schema, {"b": 1}, {"b": 1}, status={"ready": True}) == []
    assert update(schema, {"b": 2}, {"b": 1}) == ["spec.a: Required value"]


@pytest.mark.parametrize(
    ("field", "old", "new", "error"),
    [
        (
            {"type": "object", "maxProperties": 1, "additionalProperties": {"type": "string"}},
            {"a": "1", "b": "2"},
            {"a": "1", "b": "3"},
            "spec.x: Too many: 2: must have at most 1 item",
        ),
        (
            {"type": "object", "minProperties": 2, "additionalProperties": {"type": "string"}},
            {"a": "1"},
            {"a": "2"},
            "spec.x: Invalid value: 1: spec.x in body should have at least 2 properties",
        ),
    ],
)
def test_ratchet_object_rules_need_the_whole_object_unchanged(
    field: Schema, old: object, new: object, error: str
) -> None:
    schema = spec_schema({"x": field, "y": {"type": "integer"}})
    assert update(schema, {"x": old, "y": 2}, {"x": old, "y": 1}) == []
    assert update(schema, {"x": new, "y": 1}, {"x": old, "y": 1}) == [error]


def test_ratchet_needs_every_field_described() -> None:
    # Kubernetes cannot correlate a field the schema does not describe, so
    # an object holding one never counts as unchanged.
    schema = spec_schema({"a": {"type": "string"}}, required=["a"])
    schema["properties"]["spec"]["x-kubernetes-preserve-unknown-fields"] = True
    assert update(schema, {"extra": 1}, {"extra": 1}) == ["spec.a: Required value"]

    # Nor, so, does an object with a forbidden field (which pruning would drop).
    closed = spec_schema({"a": {"type": "string"}}, additionalProperties=False)
    assert update(closed, {"c": "1"}, {"c": "1"}) == [
        'spec: Invalid value: "c": spec.c in body is a forbidden property'
    ]


def test_ratchet_never_reaches_the_root() -> None:
    # No schema describes all of metadata, so the root never counts unchanged.
    schema = {"type": "object", "required": ["spec"], "properties": {"spec": {"type": "object"}}}
    obj = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "a"}}
    assert [str(e) for e in validate(schema, obj, old=copy.deepcopy(obj))] == [
        "spec: Required value"
    ]


def test_ratchet_not_inside_junctors() -> None:
    field = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "allOf": [{"properties": {"a": {"maximum": 5}}}],
    }
    schema = spec_schema({"x": field, "y": {"type": "integer"}})
    old = {"x": {"a": 9, "b": 1}, "y": 1}
    assert update(schema, {"x": {"a": 9, "b": 1}, "y": 2}, old) == []
    # x.a is unchanged, but the branch that finds it invalid has no old value.
    assert update(schema, {"x": {"a": 9, "b": 2}, "y": 1}, old) == [
        "spec.x.a: Invalid value: 9: spec.x.a in body should be less than or equal to 5",
        '<nil>: Invalid value: "": "spec.x" must validate all the schemas (allOf). None validated',
    ]


def test_ratchet_list_type_errors_go_if_the_old_object_had_some() -> None:
    field = {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"}
    schema = spec_schema({"x": field, "z": field})
    twice = 'spec.z[1]: Duplicate value: "b"'
    assert update(schema, {"x": ["a", "a"], "z": ["b", "b"]}, {"x": ["a", "a"]}) == []
    assert update(schema, {"z": ["b", "b"]}, {"x": ["a"]}) == [twice]


def test_ratchet_keeps_embedded_resource_errors() -> None:
    schema = spec_schema({"x": EMBEDDED})
    assert update(schema, {"x": {"kind": "Pod"}}, {"x": {"kind": "Pod"}}) == [
        "spec.x.apiVersion: Required value"
    ]


def test_create_unchanged_without_old() -> None:
    field = {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"}
    schema = spec_schema({"x": {"type": "string", "maxLength": 3}, "s": field, "e": EMBEDDED})
    obj = {"spec": {"x": "long", "s": ["a", "a"], "e": {}}}
    expected = [
        TOO_LONG,
        "spec.e.apiVersion: Required value",
        "spec.e.kind: Required value",
        'spec.s[1]: Duplicate value: "a"',
    ]
    assert [str(error) for error in validate(schema, obj)] == expected
    assert [str(error) for error in validate(schema, obj, old=None)] == expected
    assert validate(schema, obj, old=copy.deepcopy(obj)) == validate(schema, obj)[1:3]


# -- pruning -------------------------------------------------------------------------------


def test_prune_drops_and_reports_unknown_fields() -> None:
    schema = spec_schema(
        {
            "a": {"type": "string"},
            "items": {
                "type": "array",
                "items": {"type": "object", "properties": {"x": {"type": "integer"}}},
            },
        }
    )
    obj = {
        "apiVersion": "v1",
        "kind": "Thing",
        "metadata": {"name": "a", "whatever": 1},
        "status": {"ready": True},
        "spec": {"a": "1", "z": 1, "b": {"c": 1}, "items": [{"x": 1, "y": 2}, {"y": 3}]},
    }
    assert prune(schema, obj) == [
        "spec.b",
        "spec.items[0].y",
        "spec.items[1].y",
        "spec.z",
        "status",
    ]
    assert obj == {
        "apiVersion": "v1",
        "kind": "Thing",
        "metadata": {"name": "a", "whatever": 1},
        "spec": {"a": "1", "items": [{"x": 1}, {}]},
    }


def test_prune_keeps_preserved_fields_but_prunes_declared_ones() -> None:
    field = {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
        "properties": {"known": {"type": "object", "properties": {"a": {"type": "string"}}}},
    }
    obj = {"spec": {"x": {"other": {"deep": 1}, "known": {"a": "1", "b": 2}}}}
    assert prune(spec_schema({"x": field}), obj) == ["spec.x.known.b"]
    assert obj == {"spec": {"x": {"other": {"deep": 1}, "known": {"a": "1"}}}}


def test_prune_map_values() -> None:
    field = {
        "type": "object",
        "additionalProperties": {"type": "object", "properties": {"a": {"type": "string"}}},
    }
    obj = {"spec": {"x": {"k": {"a": "1", "b": 2}}}}
    assert prune(spec_schema({"x": field}), obj) == ["spec.x.k.b"]


def test_prune_keeps_type_and_object_meta_of_embedded_resources() -> None:
    field = {
        "type": "object",
        "x-kubernetes-embedded-resource": True,
        "properties": {"spec": {"type": "object"}},
    }
    obj = {"spec": {"x": {"apiVersion": "v1", "kind": "Pod", "metadata": {"a": 1}, "z": 1}}}
    assert prune(spec_schema({"x": field}), obj) == ["spec.x.z"]
    assert obj["spec"]["x"] == {"apiVersion": "v1", "kind": "Pod", "metadata": {"a": 1}}


def test_prune_drops_non_nullable_nulls_without_defaults() -> None:
    schema = spec_schema(
        {
            "plain": {"type": "string"},
            "nullable": {"type": "string", "nullable": True},
            "defaulted": {"type": "string", "default": "d"},
        }
    )
    obj = {"spec": {"plain": None, "nullable": None, "defaulted": None}}
    assert prune(schema, obj) == []  # unreported, as in Kubernetes
    assert obj == {"spec": {"nullable": None, "defaulted": None}}


def test_prune_empties_maps_nothing_describes() -> None:
    field = {"type": "object", "additionalProperties": True}
    obj = {"spec": {"x": {"k": {"a": 1}, "n": 1}}}
    assert prune(spec_schema({"x": field}), obj) == ["spec.x.k.a"]
    assert obj == {"spec": {"x": {"k": {}, "n": 1}}}


def test_prune_preserving_root() -> None:
    schema = {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
        "properties": {"spec": {"type": "object", "properties": {}}},
    }
    obj = {"spec": {"a": 1}, "other": {"b": 2}}
    assert prune(schema, obj) == ["spec.a"]
    assert obj == {"spec": {}, "other": {"b": 2}}


# -- defaults ------------------------------------------------------------------------------


def test_defaults_fill_absent_fields_with_copies() -> None:
    schema = spec_schema(
        {
            "size": {"type": "string", "default": "M"},
            "tags": {"type": "array", "items": {"type": "string"}, "default": ["a"]},
            "set": {"type": "string", "default": "unused"},
        }
    )
    first: dict[str, Any] = {"spec": {"set": "mine"}}
    second: dict[str, Any] = {"spec": {}}
    apply_defaults(schema, first)
    apply_defaults(schema, second)
    assert first == {"spec": {"size": "M", "tags": ["a"], "set": "mine"}}
    first["spec"]["tags"].append("b")
    assert second["spec"]["tags"] == ["a"]


def test_defaults_reach_into_defaulted_objects_items_and_maps() -> None:
    inner = {"type": "object", "properties": {"port": {"type": "integer", "default": 80}}}
    schema = spec_schema(
        {
            "server": {**inner, "default": {}},
            "list": {"type": "array", "items": inner},
            "map": {"type": "object", "additionalProperties": inner},
        }
    )
    obj: dict[str, Any] = {"spec": {"list": [{}, {"port": 1}], "map": {"a": {}}}}
    apply_defaults(schema, obj)
    assert obj == {
        "spec": {
            "server": {"port": 80},
            "list": [{"port": 80}, {"port": 1}],
            "map": {"a": {"port": 80}},
        }
    }


def test_defaults_replace_non_nullable_nulls() -> None:
    schema = spec_schema(
        {
            "a": {"type": "string", "default": "x"},
            "b": {"type": "string", "nullable": True, "default": "x"},
            "items": {"type": "array", "items": {"type": "string", "default": "i"}},
            "map": {"type": "object", "additionalProperties": {"type": "string", "default": "m"}},
        }
    )
    obj: dict[str, Any] = {"spec": {"a": None, "b": None, "items": [None, "z"], "map": {"k": None}}}
    apply_defaults(schema, obj)
    assert obj == {"spec": {"a": "x", "b": None, "items": ["i", "z"], "map": {"k": "m"}}}


def test_defaults_need_an_object() -> None:
    schema = spec_schema({"a": {"type": "string", "default": "x"}})
    obj: dict[str, Any] = {"metadata": {}}
    apply_defaults(schema, obj)
    assert obj == {"metadata": {}}


# -- compiling -----------------------------------------------------------------------------


def test_compiled_once_per_schema_object() -> None:
    schema = spec_schema({"a": {"type": "string"}})
    assert compile_schema(schema) is compile_schema(schema)
    assert compile_schema(copy.deepcopy(schema)) is not compile_schema(schema)


def test_compiled_schema_walks() -> None:
    compiled = compile_schema(spec_schema({"a": {"type": "string", "default": "x"}}))
    obj: dict[str, Any] = {"spec": {"b": 1}}
    assert compiled.prune(obj) == ["spec.b"]
    compiled.apply_defaults(obj)
    assert obj == {"spec": {"a": "x"}}
    assert compiled.validate(obj) == []


# -- the structural check ----------------------------------------------------------------

BASE = FieldPath.of("spec", "validation", "openAPIV3Schema")


def structural(schema: Schema) -> list[str]:
    return [str(error) for error in check_structural(schema, BASE)]


def test_structural_schema_passes() -> None:
    schema = spec_schema(
        {
            "replicas": {"type": "integer", "minimum": 0},
            "port": {
                "x-kubernetes-int-or-string": True,
                "anyOf": [{"type": "integer"}, {"type": "string"}],
            },
            "ports": PORTS,
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "raw": {"x-kubernetes-preserve-unknown-fields": True},
            "template": EMBEDDED,
        },
        anyOf=[{"required": ["replicas"]}, {"required": ["port"]}],
    )
    schema["properties"]["metadata"] = {
        "type": "object",
        "properties": {"name": {"type": "string", "maxLength": 10}},
    }
    assert structural(schema) == []


def test_types_are_required() -> None:
    schema = {
        "properties": {
            "spec": {"properties": {"x": {"type": "array", "items": {}}}},
            "list": {"type": "array"},
        }
    }
    assert structural(schema) == [
        "spec.validation.openAPIV3Schema.properties[list].items: Required value: must be specified",
        "spec.validation.openAPIV3Schema.properties[spec].properties[x].items.type: "
        "Required value: must not be empty for specified array items",
        "spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty "
        "for specified object fields",
        "spec.validation.openAPIV3Schema.type: Required value: must not be empty at the root",
    ]


def test_root_rules() -> None:
    assert structural({"type": "string"}) == [
        'spec.validation.openAPIV3Schema.type: Invalid value: "string": must be object at the root'
    ]
    assert structural({"type": "object", "additionalProperties": {"type": "string"}}) == [
        "spec.validation.openAPIV3Schema.additionalProperties: Forbidden: must not be used at the "
        "root"
    ]


def test_metadata_may_only_restrict_names() -> None:
    schema = {
        "type": "object",
        "properties": {
            "metadata": {"type": "object", "properties": {"labels": {"type": "object"}}}
        },
    }
    assert structural(schema) == [
        "spec.validation.openAPIV3Schema.properties[metadata]: Forbidden: must not specify "
        "anything other than name and generateName, but metadata is implicitly specified"
    ]


def test_value_validations_may_not_declare_types() -> None:
    schema = spec_schema(
        {"x": {"type": "string"}},
        allOf=[{"properties": {"x": {"type": "string", "default": "a"}}}],
    )
    assert structural(schema) == [
        "spec.validation.openAPIV3Schema.properties[spec].allOf[0].properties[x].default: "
        "Forbidden: must be undefined to be structural",
        "spec.validation.openAPIV3Schema.properties[spec].allOf[0].properties[x].type: "
        "Forbidden: must be empty to be structural",
    ]


def test_rules_and_map_types_may_not_hide_in_junctors() -> None:
    schema = spec_schema(
        {"x": {"type": "object"}},
        anyOf=[
            {
                "properties": {
                    "x": {
                        "x-kubernetes-map-type": "atomic",
                        "x-kubernetes-validations": [{"rule": "size(self) > 0"}],
                    }
                }
            }
        ],
    )
    prefix = "spec.validation.openAPIV3Schema.properties[spec].anyOf[0].properties[x]"
    assert structural(schema) == [
        f"{prefix}.x-kubernetes-map-type: Forbidden: must be undefined to be structural",
        f"{prefix}.x-kubernetes-validations: Forbidden: must be empty to be structural",
        f"{prefix}.type: Required value: must be object if x-kubernetes-map-type is specified",
    ]


def test_junctor_fields_must_be_declared() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "oneOf": [{"required": ["a"]}, {"properties": {"b": {"minLength": 1}}}],
    }
    assert structural(schema) == [
        "spec.validation.openAPIV3Schema.properties[b]: Required value: because it is defined in "
        "spec.validation.openAPIV3Schema.oneOf[1].properties[b]"
    ]


def test_openapi_rules() -> None:
    schema = spec_schema(
        {
            "a": {"type": "text"},
            "b": {"$ref": "#/definitions/b", "type": "string"},
            "c": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "d": {
                "type": "object",
                "properties": {"e": {"type": "string"}},
                "additionalProperties": {"type": "string"},
            },
        }
    )
    base = "spec.validation.openAPIV3Schema.properties[spec].properties"
    assert structural(schema) == [
        f'{base}[a].type: Unsupported value: "text": supported values: "array", "boolean", '
        '"integer", "number", "object", "string"',
        f"{base}[b].$ref: Forbidden: $ref is not supported",
        f"{base}[c].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime "
        "complexity becomes quadratic",
        f"{base}[d].additionalProperties: Forbidden: additionalProperties and properties are "
        "mutual exclusive",
    ]


def test_list_type_rules() -> None:
    schema = spec_schema(
        {
            "a": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "map"},
            "b": {"type": "string", "x-kubernetes-list-type": "set"},
            "c": {**PORTS, "x-kubernetes-list-map-keys": ["name", "port", "missing"]},
        }
    )
    base = "spec.validation.openAPIV3Schema.properties[spec].properties"
    assert structural(schema) == [
        f"{base}[a].x-kubernetes-list-map-keys: Required value: must not be empty if "
        "x-kubernetes-list-type is map",
        f'{base}[a].items.type: Invalid value: "string": must be object if parent array\'s '
        "x-kubernetes-list-type is map",
        f'{base}[b].type: Invalid value: "string": must be array if x-kubernetes-list-type is '
        "specified",
        f'{base}[c].x-kubernetes-list-map-keys: Invalid value: []string{{"name", "port", '
        '"missing"}: entries must all be names of item properties',
        f"{base}[c].items.properties[port].default: Required value: this property is in "
        "x-kubernetes-list-map-keys, so it must have a default or be a required property",
    ]


def test_metadata_defaults_are_forbidden() -> None:
    schema = {"type": "object", "properties": {"kind": {"type": "string", "default": "X"}}}
    assert structural(schema) == [
        "spec.validation.openAPIV3Schema.properties[kind].default: Forbidden: must not be set in "
        "top-level kind"
    ]
