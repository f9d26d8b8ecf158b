"""A CRD's defaults checked when it is written, and the ``email`` format, each
as Kubernetes words and decides it."""

from __future__ import annotations

from typing import Any

import pytest

from kubelite.api.crd.definition import validate_definition
from kubelite.api.crd.formats import is_email
from kubelite.api.crd.schema import check_structural, validate
from kubelite.api.field import FieldPath

pytestmark = pytest.mark.timeout(10)

Schema = dict[str, Any]

BASE = FieldPath.of("spec", "versions").index(0).child("schema", "openAPIV3Schema")
SPEC = "spec.versions[0].schema.openAPIV3Schema.properties[spec]"
X = f"{SPEC}.properties[x]"


def spec_schema(properties: Schema) -> Schema:
    spec = {"type": "object", "properties": properties}
    return {"type": "object", "properties": {"spec": spec}}


def errors(schema: Schema, *, require_pruned: bool = True) -> list[str]:
    found = check_structural(schema, BASE, require_pruned_defaults=require_pruned)
    return [str(error) for error in found]


def of_x(field: Schema) -> list[str]:
    """The errors of a schema whose ``spec.x`` is ``field``."""
    return errors(spec_schema({"x": field}))


# -- the default against its own schema ----------------------------------------------------


def test_a_default_of_the_wrong_type_is_named_with_an_empty_path() -> None:
    # Kubernetes validates the default at the root of its own node: nothing
    # stands before "in body", hence the two spaces.
    schema = spec_schema({"replicas": {"type": "integer", "default": "string"}})
    assert errors(schema) == [
        f'{SPEC}.properties[replicas].default: Invalid value: "string":  in body must be of '
        'type integer: "string"'
    ]


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (
            {"type": "string", "format": "ipv4", "default": "abcd"},
            'Invalid value: "abcd":  in body must be of type ipv4: "abcd"',
        ),
        (
            {"type": "string", "enum": ["a", "b"], "default": "c"},
            'Unsupported value: "c": supported values: "a", "b"',
        ),
        (
            {"type": "integer", "maximum": 10, "default": 11},
            "Invalid value: 11:  in body should be less than or equal to 10",
        ),
        (
            {"type": "string", "pattern": "^a+$", "default": "b"},
            "Invalid value: \"b\":  in body should match '^a+$'",
        ),
        (
            {"type": "string", "maxLength": 2, "default": "abc"},
            "Too long: may not be more than 2 bytes",
        ),
        (
            {"x-kubernetes-int-or-string": True, "default": 1.5},
            'Invalid value: "number":  in body must be of type integer,string: "number"',
        ),
    ],
)
def test_a_default_breaking_its_node_s_rules(field: Schema, message: str) -> None:
    assert of_x(field) == [f"{X}.default: {message}"]


def test_good_defaults_pass() -> None:
    schema = spec_schema(
        {
            "replicas": {"type": "integer", "minimum": 0, "default": 1},
            "port": {"x-kubernetes-int-or-string": True, "default": "50%"},
            "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
            "when": {"type": "string", "format": "date-time", "default": "2024-01-01T00:00:00Z"},
            "ratio": {"type": "number", "default": 1},
            "tags": {"type": "array", "items": {"type": "string"}, "default": ["a"]},
            "raw": {"x-kubernetes-preserve-unknown-fields": True, "default": {"any": [1]}},
            "none": {"type": "string", "nullable": True, "default": None},
        }
    )
    assert errors(schema) == []


def test_below_an_object_default_the_name_is_the_field() -> None:
    field = {"type": "object", "properties": {"a": {"type": "integer"}}, "default": {"a": "x"}}
    assert of_x(field) == [
        f'{X}.default.a: Invalid value: "string": a in body must be of type integer: "string"'
    ]


def test_below_an_array_default_the_item_is_appended_as_a_field() -> None:
    field = {"type": "array", "items": {"type": "string"}, "default": ["a", 1]}
    assert of_x(field) == [
        f'{X}.default.[1]: Invalid value: "integer": [1] in body must be of type string: "integer"'
    ]


def test_below_a_map_default_the_name_starts_with_a_dot() -> None:
    field = {"type": "object", "additionalProperties": {"type": "integer"}, "default": {"k": "v"}}
    assert of_x(field) == [
        f'{X}.default.k: Invalid value: "string": .k in body must be of type integer: "string"'
    ]


def test_a_null_inside_a_default_fails_validation_not_pruning() -> None:
    field = {"type": "object", "properties": {"a": {"type": "integer"}}, "default": {"a": None}}
    assert of_x(field) == [
        f'{X}.default.a: Invalid value: "null": a in body must be of type integer: "null"'
    ]


def test_a_junctor_failure_is_reported_on_the_default() -> None:
    field = {
        "type": "object",
        "properties": {"a": {"type": "integer"}},
        "anyOf": [{"required": ["a"]}],
        "default": {},
    }
    assert of_x(field) == [
        f'{X}.default: Invalid value: "": "" must validate at least one schema (anyOf)',
        f"{X}.default.a: Required value",
    ]


def test_defaults_in_items_are_checked() -> None:
    field = {
        "type": "array",
        "items": {"type": "object", "properties": {"n": {"type": "string", "default": 5}}},
    }
    assert of_x(field) == [
        f'{X}.items.properties[n].default: Invalid value: "integer":  in body must be of type '
        'string: "integer"'
    ]


def test_defaults_in_additional_properties_are_not_checked() -> None:
    # Kubernetes' walk does not follow additionalProperties.
    field = {"type": "object", "additionalProperties": {"type": "integer", "default": "x"}}
    assert of_x(field) == []


def test_a_node_s_default_comes_before_those_below_it() -> None:
    field = {
        "type": "object",
        "properties": {"a": {"type": "string", "default": 1}},
        "default": {"a": 2},
    }
    assert of_x(field) == [
        f'{X}.default.a: Invalid value: "integer": a in body must be of type string: "integer"',
        f'{X}.properties[a].default: Invalid value: "integer":  in body must be of type '
        'string: "integer"',
    ]


# -- pruned ------------------------------------------------------------------------------


def test_a_default_with_unknown_fields_is_refused() -> None:
    field = {
        "type": "object",
        "properties": {"a": {"type": "integer"}},
        "default": {"a": 1, "b": 2},
    }
    assert of_x(field) == [
        f'{X}.default: Invalid value: map[string]interface {{}}{{"a":1, "b":2}}: must not '
        "have unknown fields"
    ]


def test_unknown_fields_deep_in_a_default_and_its_other_errors() -> None:
    field = {
        "type": "array",
        "items": {"type": "object", "properties": {"a": {"type": "integer"}}},
        "default": [{"a": "x", "b": True}],
    }
    assert of_x(field) == [
        f'{X}.default: Invalid value: []interface {{}}{{map[string]interface {{}}{{"a":"x", '
        '"b":true}}: must not have unknown fields',
        f'{X}.default.[0].a: Invalid value: "string": [0].a in body must be of type integer: '
        '"string"',
    ]


def test_unknown_fields_are_kept_where_the_schema_preserves_them() -> None:
    field = {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
        "properties": {"a": {"type": "integer"}},
        "default": {"a": 1, "b": 2},
    }
    assert of_x(field) == []


def test_pruning_may_be_waived() -> None:
    # As on an update of a CRD that already had unpruned defaults.
    field = {"type": "object", "properties": {"a": {"type": "integer"}}, "default": {"b": 1}}
    assert errors(spec_schema({"x": field}), require_pruned=False) == []


# -- embedded resources and their metadata ---------------------------------------------------

EMBEDDED: Schema = {
    "type": "object",
    "x-kubernetes-embedded-resource": True,
    "x-kubernetes-preserve-unknown-fields": True,
}


def test_an_embedded_resource_default_needs_its_type_meta() -> None:
    assert of_x({**EMBEDDED, "default": {"spec": {}}}) == [
        f"{X}.default.apiVersion: Required value",
        f"{X}.default.kind: Required value",
    ]


def test_a_mistyped_type_meta_is_the_only_error() -> None:
    field = {**EMBEDDED, "default": {"apiVersion": 1, "kind": 2}}
    assert of_x(field) == [f"{X}.default.apiVersion: Invalid value: 1: must be a string"]


def test_a_default_inside_embedded_metadata_must_make_valid_metadata() -> None:
    name = {"type": "string", "default": "a/b"}
    metadata = {"type": "object", "properties": {"name": name}}
    field = {**EMBEDDED, "properties": {"metadata": metadata}}
    assert of_x(field) == [
        f'{X}.properties[metadata].properties[name].default: Invalid value: "a/b": must result '
        "in valid metadata: metadata.name: Invalid value: \"a/b\": may not contain '/'"
    ]


def test_several_metadata_errors_are_one_aggregate() -> None:
    labels = {"type": "object", "additionalProperties": {"type": "string"}}
    labels["default"] = {"a": "b c", "d": "e/f"}
    metadata = {"type": "object", "properties": {"labels": labels}}
    field = {**EMBEDDED, "properties": {"metadata": metadata}}
    value_rule = (
        "a valid label must be an empty string or consist of alphanumeric characters, '-', "
        "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  "
        "or 'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    )
    assert of_x(field) == [
        f"{X}.properties[metadata].properties[labels].default: Invalid value: "
        'map[string]interface {}{"a":"b c", "d":"e/f"}: must result in valid metadata: '
        "[metadata.labels: Invalid "
        f'value: "b c": {value_rule}, metadata.labels: Invalid value: "e/f": {value_rule}]'
    ]


def test_a_metadata_default_of_the_wrong_json_type_fails_decoding() -> None:
    metadata = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    metadata["default"] = {"generation": "one"}
    field = {**EMBEDDED, "properties": {"metadata": metadata}}
    assert of_x(field) == [
        f"{X}.properties[metadata].default: Invalid value: map[string]interface {{}}"
        '{"generation":"one"}: must result in valid metadata: metadata: Invalid value: '
        'map[string]interface {}{"generation":"one"}: json: cannot unmarshal string into Go '
        "struct field ObjectMeta.generation of type int64"
    ]


def test_a_good_metadata_default_is_still_held_to_its_schema() -> None:
    name = {"type": "string", "maxLength": 3, "default": "abcd"}
    metadata = {"type": "object", "properties": {"name": name}}
    field = {**EMBEDDED, "properties": {"metadata": metadata}}
    assert of_x(field) == [
        f"{X}.properties[metadata].properties[name].default: Too long: may not be more than 3 bytes"
    ]


def test_a_top_level_metadata_default_is_checked_and_forbidden() -> None:
    name = {"type": "string", "default": ".."}
    schema = {
        "type": "object",
        "properties": {"metadata": {"type": "object", "properties": {"name": name}}},
    }
    at = "spec.versions[0].schema.openAPIV3Schema.properties[metadata].properties[name].default"
    assert errors(schema) == [
        f'{at}: Invalid value: "..": must result in valid metadata: metadata.name: Invalid '
        "value: \"..\": may not be '..'",
        f"{at}: Forbidden: must not be set in top-level metadata",
    ]


# -- CEL rules ---------------------------------------------------------------------------------


def test_a_default_must_pass_the_rules_of_its_node() -> None:
    field = {
        "type": "object",
        "properties": {"min": {"type": "integer"}, "max": {"type": "integer"}},
        "x-kubernetes-validations": [{"rule": "self.min <= self.max"}],
        "default": {"min": 2, "max": 1},
    }
    assert of_x(field) == [
        f'{X}.default: Invalid value: "object": failed rule: self.min <= self.max'
    ]


def test_rules_run_only_on_a_default_that_passed_its_schema() -> None:
    field = {
        "type": "object",
        "properties": {"min": {"type": "integer"}},
        "x-kubernetes-validations": [{"rule": "self.min > 0"}],
        "default": {"min": "x"},
    }
    assert of_x(field) == [
        f'{X}.default.min: Invalid value: "string": min in body must be of type integer: "string"'
    ]


# -- when defaults are checked ----------------------------------------------------------------


def test_defaults_wait_for_a_structural_schema() -> None:
    schema = spec_schema({"x": {"default": "s"}, "y": {"type": "integer", "default": "s"}})
    assert errors(schema) == [
        f"{SPEC}.properties[x].type: Required value: must not be empty for specified object fields"
    ]


def test_a_crd_with_a_bad_default_is_refused() -> None:
    def version(name: str, default: object, *, storage: bool) -> Schema:
        schema = spec_schema({"replicas": {"type": "integer", "default": default}})
        return {
            "name": name,
            "served": True,
            "storage": storage,
            "schema": {"openAPIV3Schema": schema},
        }

    names = {"plural": "widgets", "singular": "widget", "kind": "Widget"}
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {**names, "listKind": "WidgetList"},
            "versions": [version("v1beta1", 1, storage=False), version("v1", "one", storage=True)],
            "conversion": {"strategy": "None"},
        },
        "status": {"storedVersions": ["v1"]},
    }
    found = validate_definition(crd, structural=check_structural)
    assert [str(error) for error in found] == [
        "spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[replicas].default: "
        'Invalid value: "string":  in body must be of type integer: "string"'
    ]


# -- the email format: Go's net/mail.ParseAddress ------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "user@example.com",
        "  user@example.com  ",
        "John Doe <jdoe@machine.example>",
        "<user@example.com>",
        '"Joe Q. Public" <john.q.public@example.com>',
        '"" <a@example.com>',
        "Joe (the) Q <a@example.com>",
        '"quoted local"@example.com',
        '"a\\"b"@example.com',
        "user@[192.0.2.1]",
        "user@[::ffff:192.0.2.1]",
        "user@[IPv6:2001:db8::1]",
        "jdoe@example.com (John (the) Doe)",
        "Pete <pete@silly.test> (his host)",
        "José <josé@exämple.com>",
        "=?utf-8?q?J=C3=B6rg?= <j@example.com>",
        "team: a@example.com;",
        "team: Name <a@example.com> (c) ; (d)",
        "x@y",
    ],
)
def test_email_addresses_go_takes(address: str) -> None:
    assert is_email(address)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "someone",
        "user@",
        "@example.com",
        "user@@example.com",
        ".user@example.com",
        "user.@example.com",
        "us..er@example.com",
        "user@example.com.",
        '""@example.com',
        "user name@example.com",
        "user@[::1]",  # IPv6 wants its "IPv6:" tag
        "user@[300.1.1.1]",
        "user@[192.0.2.1 ]",
        "<user@example.com >",
        "<user @example.com>",
        "Name <user@example.com",
        "user@example.com (unclosed",
        "Joe (unclosed <a@example.com>",
        "(comment) Joe <a@example.com>",
        "a@example.com <b@example.com>",
        "a@example.com, b@example.com",
        "team:;",
        "team: a@example.com, b@example.com;",
        "team: a@example.com",
        "a\x01@example.com",
    ],
)
def test_email_addresses_go_refuses(address: str) -> None:
    assert not is_email(address)


def test_a_bad_email_in_a_custom_object() -> None:
    schema = spec_schema({"x": {"type": "string", "format": "email"}})
    obj = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "a"}}
    found = validate(schema, {**obj, "spec": {"x": "user@[::1]"}})
    assert [str(error) for error in found] == [
        'spec.x: Invalid value: "user@[::1]": spec.x in body must be of type email: "user@[::1]"'
    ]
