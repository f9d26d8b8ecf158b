"""CEL rules of a CRD schema (``x-kubernetes-validations``), each verdict in
Kubernetes' exact words."""

from __future__ import annotations

from typing import Any

import pytest

from kubelite.api.crd.cel import compile_errors, compile_rules
from kubelite.api.field import ErrorType, FieldError, FieldPath

pytestmark = pytest.mark.timeout(10)

BASE = FieldPath.of("spec", "versions").index(0).child("schema", "openAPIV3Schema")
UNSET = (
    'Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", '
    "OptionalOldSelf:(*bool)(nil)}"
)


def rule(text: str, **more: Any) -> dict[str, Any]:
    return {"rule": text, **more}


def obj(*rules: dict[str, Any], **properties: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if rules:
        schema["x-kubernetes-validations"] = list(rules)
    return schema


INT = {"type": "integer"}
NUMBER = {"type": "number"}
STRING = {"type": "string"}


def spec_schema(*rules: dict[str, Any], **properties: Any) -> dict[str, Any]:
    """A custom resource whose ``spec`` has ``rules`` and ``properties``."""
    return obj(spec=obj(*rules, **properties))


def errors(schema: dict[str, Any], new: object, old: object = None) -> list[str]:
    return [str(error) for error in compile_rules(schema).validate(new, old)]


# -- where rules run ----------------------------------------------------------


def test_a_rule_at_the_root_sees_the_whole_object_and_has_a_nil_path() -> None:
    schema = obj(rule("self.metadata.name.startsWith('a')"), spec=obj())
    assert errors(schema, {"metadata": {"name": "abc"}}) == []
    assert errors(schema, {"metadata": {"name": "bob"}}) == [
        "<nil>: Invalid value: \"object\": failed rule: self.metadata.name.startsWith('a')"
    ]


def test_a_nested_rule_names_its_node_and_prints_the_schema_type() -> None:
    schema = spec_schema(rule("self.replicas <= self.maxReplicas"), replicas=INT, maxReplicas=INT)
    assert errors(schema, {"spec": {"replicas": 3, "maxReplicas": 5}}) == []
    assert errors(schema, {"spec": {"replicas": 6, "maxReplicas": 5}}) == [
        'spec: Invalid value: "object": failed rule: self.replicas <= self.maxReplicas'
    ]


def test_a_rule_on_list_items_runs_for_every_item() -> None:
    item = obj(rule("self.port > 0", message="port must be positive"), port=INT)
    schema = spec_schema(ports={"type": "array", "items": item})
    new = {"spec": {"ports": [{"port": 0}, {"port": 80}, {"port": -1}]}}
    assert errors(schema, new) == [
        'spec.ports[0]: Invalid value: "object": port must be positive',
        'spec.ports[2]: Invalid value: "object": port must be positive',
    ]


def test_a_rule_on_map_values_runs_for_every_value_with_self_the_value() -> None:
    value = {"type": "string", "x-kubernetes-validations": [rule("self.size() <= 3")]}
    schema = spec_schema(labels={"type": "object", "additionalProperties": value})
    assert errors(schema, {"spec": {"labels": {"a": "abc", "b": "abcd"}}}) == [
        'spec.labels[b]: Invalid value: "string": failed rule: self.size() <= 3'
    ]


def test_a_rule_on_a_list_and_a_scalar_prints_their_types() -> None:
    schema = spec_schema(
        tags={
            "type": "array",
            "items": STRING,
            "x-kubernetes-validations": [rule("size(self) < 2")],
        },
        count={"type": "integer", "x-kubernetes-validations": [rule("self % 2 == 0")]},
    )
    assert errors(schema, {"spec": {"tags": ["a", "b"], "count": 3}}) == [
        'spec.tags: Invalid value: "array": failed rule: size(self) < 2',
        'spec.count: Invalid value: "integer": failed rule: self % 2 == 0',
    ]


def test_null_and_absent_values_are_not_validated() -> None:
    name = {"type": "string", "nullable": True, "x-kubernetes-validations": [rule("self == 'x'")]}
    schema = spec_schema(name=name)
    assert errors(schema, {"spec": {"name": None}}) == []
    assert errors(schema, {"spec": {}}) == []
    assert errors(schema, {}) == []


def test_a_schema_without_rules_compiles_to_nothing() -> None:
    rules = compile_rules(spec_schema(replicas=INT))
    assert not rules
    assert rules.validate({"spec": {"replicas": 1}}) == []
    assert compile_rules(spec_schema(rule("true")))


# -- messages, paths and reasons ------------------------------------------------


def test_message_expression_is_the_message_when_it_gives_one() -> None:
    failing = rule(
        "self.replicas <= self.maxReplicas",
        message="replicas too high",
        messageExpression="'replicas ' + string(self.replicas) + ' > ' + string(self.maxReplicas)",
    )
    schema = spec_schema(failing, replicas=INT, maxReplicas=INT)
    assert errors(schema, {"spec": {"replicas": 6, "maxReplicas": 5}}) == [
        'spec: Invalid value: "object": replicas 6 > 5'
    ]


@pytest.mark.parametrize(
    "expression",
    ["self.missing + 'x'", "'  '", "'two\\nlines'"],
    ids=["runtime error", "blank", "line break"],
)
def test_a_message_expression_that_gives_nothing_usable_falls_back(expression: str) -> None:
    with_message = rule("false", message=" the message ", messageExpression=expression)
    without = rule("false", messageExpression=expression)
    assert errors(spec_schema(with_message, without), {"spec": {}}) == [
        'spec: Invalid value: "object": the message',
        'spec: Invalid value: "object": failed rule: false',
    ]


def test_field_path_is_appended_to_the_node_path() -> None:
    limits = {"type": "object", "additionalProperties": STRING}
    schema = spec_schema(
        rule("self.min <= self.max", fieldPath=".max", message="max below min"),
        rule("'cpu' in self.limits", fieldPath=".limits['cpu']"),
        min=INT,
        max=INT,
        limits=limits,
    )
    assert errors(schema, {"spec": {"min": 2, "max": 1, "limits": {}}}) == [
        'spec.max: Invalid value: "object": max below min',
        "spec.limits[cpu]: Invalid value: \"object\": failed rule: 'cpu' in self.limits",
    ]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("FieldValueInvalid", 'spec.a: Invalid value: "object": a is wrong'),
        ("FieldValueForbidden", "spec.a: Forbidden: a is wrong"),
        ("FieldValueRequired", "spec.a: Required value: a is wrong"),
        ("FieldValueDuplicate", 'spec.a: Duplicate value: "object"'),
    ],
)
def test_reason_picks_the_error_type(reason: str, expected: str) -> None:
    failing = rule("self.a > 0", message="a is wrong", reason=reason, fieldPath=".a")
    found = compile_rules(spec_schema(failing, a=INT)).validate({"spec": {"a": 0}})
    assert [str(error) for error in found] == [expected]
    assert found[0].type is ErrorType(reason)


# -- transition rules -----------------------------------------------------------


def immutable(schema: dict[str, Any], **more: Any) -> dict[str, Any]:
    rules = [rule("self == oldSelf", message="is immutable", **more)]
    return {**schema, "x-kubernetes-validations": rules}


def test_a_transition_rule_runs_only_on_update_where_the_old_value_exists() -> None:
    schema = spec_schema(name=immutable(STRING), size=INT)
    assert errors(schema, {"spec": {"name": "a"}}) == []
    assert errors(schema, {"spec": {"name": "a"}}, {"spec": {"size": 1}}) == []
    assert errors(schema, {"spec": {"name": "a"}}, {"spec": {"name": "a"}}) == []
    assert errors(schema, {"spec": {"name": "a"}}, {"spec": {"name": "b"}}) == [
        'spec.name: Invalid value: "string": is immutable'
    ]


def test_self_and_old_self_side_by_side_in_one_rule() -> None:
    grows = rule("self.size >= oldSelf.size", message="size may only grow")
    plain = rule("self.size < 10")
    schema = spec_schema(grows, plain, size=INT)
    assert errors(schema, {"spec": {"size": 20}}) == [
        'spec: Invalid value: "object": failed rule: self.size < 10'
    ]
    assert errors(schema, {"spec": {"size": 1}}, {"spec": {"size": 2}}) == [
        'spec: Invalid value: "object": size may only grow'
    ]


def test_map_values_correlate_by_key() -> None:
    values = {"type": "object", "additionalProperties": immutable(INT)}
    schema = spec_schema(values=values)
    new = {"spec": {"values": {"a": 1, "b": 2, "c": 3}}}
    old = {"spec": {"values": {"a": 1, "b": 5}}}
    assert errors(schema, new, old) == ['spec.values[b]: Invalid value: "integer": is immutable']


def test_list_map_items_correlate_by_their_keys() -> None:
    item = immutable(obj(name=STRING, port=INT))
    ports = {
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        "items": item,
    }
    schema = spec_schema(ports=ports)
    new = {"spec": {"ports": [{"name": "b", "port": 2}, {"name": "a", "port": 9}, {"name": "c"}]}}
    old = {"spec": {"ports": [{"name": "a", "port": 1}, {"name": "b", "port": 2}]}}
    assert errors(schema, new, old) == ['spec.ports[1]: Invalid value: "object": is immutable']


def test_items_of_other_lists_have_no_old_value() -> None:
    schema = spec_schema(tags={"type": "array", "items": immutable(STRING)})
    assert errors(schema, {"spec": {"tags": ["x"]}}, {"spec": {"tags": ["y"]}}) == []


def test_optional_old_self_runs_on_create_with_an_optional() -> None:
    once = rule(
        "!oldSelf.hasValue() || self == oldSelf.value()",
        message="may be set once",
        optionalOldSelf=True,
    )
    starts = rule("oldSelf.orValue('') != '' || self.startsWith('a')", optionalOldSelf=True)
    schema = spec_schema(name={**STRING, "x-kubernetes-validations": [once, starts]})
    assert errors(schema, {"spec": {"name": "ab"}}) == []
    assert errors(schema, {"spec": {"name": "b"}}) == [
        "spec.name: Invalid value: \"string\": failed rule: oldSelf.orValue('') != '' "
        "|| self.startsWith('a')"
    ]
    assert errors(schema, {"spec": {"name": "b"}}, {"spec": {"name": "a"}}) == [
        'spec.name: Invalid value: "string": may be set once'
    ]


# -- values: ints, doubles, the standard library ------------------------------------


def test_json_integers_are_ints_and_number_fields_are_doubles() -> None:
    schema = spec_schema(
        rule("type(self.count) == int && self.count + 1 == 3"),
        rule("type(self.ratio) == double && self.ratio * 2.0 == 2.0"),
        rule("type(self.free.i) == int && type(self.free.f) == double"),
        count=INT,
        ratio=NUMBER,
        free={"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    )
    # 1 in a number field is a double, as Kubernetes converts it; elsewhere an int.
    assert errors(schema, {"spec": {"count": 2, "ratio": 1, "free": {"i": 1, "f": 1.0}}}) == []
    ratios = {
        "type": "array",
        "items": NUMBER,
        "x-kubernetes-validations": [rule("self[0] / 2.0 == 0.5")],
    }
    assert errors(spec_schema(ratios=ratios), {"spec": {"ratios": [1]}}) == []


def test_int_and_double_do_not_mix_in_arithmetic() -> None:
    schema = spec_schema(rule("self.count + 0.5 > 1.0"), count=INT)
    assert errors(schema, {"spec": {"count": 2}}) == [
        "spec: Invalid value: \"object\": 'no such overload': call arguments did not match "
        "a supported operator, function or macro signature for rule: self.count + 0.5 > 1.0"
    ]


def test_the_macros_and_string_functions_kubernetes_rules_use() -> None:
    items = {"type": "array", "items": STRING}
    schema = spec_schema(
        rule("self.items.all(i, i.size() < 10) && self.items.exists(i, i == 'b')"),
        rule("self.items.exists_one(i, i.startsWith('a')) && self.items.map(i, i + i)[1] == 'bb'"),
        rule("self.items.filter(i, i.endsWith('c')) == ['c'] && has(self.name) && !has(self.x)"),
        rule("self.name.lowerAscii().matches('^[a-z]+$') && self.name.contains('B')"),
        rule("self.name.split('B') == ['a', 'c'] && math.greatest(1, 2) == 2"),
        items=items,
        name=STRING,
        x=STRING,
    )
    assert errors(schema, {"spec": {"items": ["a", "b", "c"], "name": "aBc"}}) == []


# -- runtime errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("self.missing == 1", "no such key: missing"),
        ("self.count / 0 == 1", "division by zero"),
        ("self.count % 0 == 1", "modulus by zero"),
        ("self.name.matches('[') ", "invalid regular expression: missing ]: ["),
    ],
)
def test_a_rule_that_fails_to_evaluate_says_why(text: str, error: str) -> None:
    schema = spec_schema(rule(text, message="the message"), count=INT, name=STRING)
    assert errors(schema, {"spec": {"count": 1, "name": "a"}}) == [
        f'spec: Invalid value: "object": {error} evaluating rule: the message'
    ]


def test_a_rule_that_did_not_compile_fails_every_object() -> None:
    schema = spec_schema(rule("self.a >"), rule("self.a > 0"), a=INT)
    found = errors(schema, {"spec": {"a": 0}})
    assert len(found) == 2
    assert found[0].startswith(
        'spec: Invalid value: "object": rule compile error: compilation failed: '
        "ERROR: <input>:1:9: Syntax error: mismatched input '<EOF>'"
    )
    assert found[1] == 'spec: Invalid value: "object": failed rule: self.a > 0'


# -- a CRD's rules, checked when it is written ------------------------------------------


def test_rules_that_compile_have_no_errors() -> None:
    schema = spec_schema(rule("self.a > 0", messageExpression="'a is ' + string(self.a)"), a=INT)
    assert compile_errors(schema, BASE) == []


def test_a_rule_that_fails_to_compile_is_refused_with_the_rule_printed() -> None:
    assert [str(error) for error in compile_errors(obj(rule("foo == 1")), BASE)] == [
        "spec.versions[0].schema.openAPIV3Schema.x-kubernetes-validations[0].rule: "
        'Invalid value: apiextensions.ValidationRule{Rule:"foo == 1", Message:"", '
        f'MessageExpression:"", {UNSET}: compilation failed: ERROR: <input>:1:1: '
        "undeclared reference to 'foo' (in container '')\n | foo == 1\n | ^"
    ]


def test_rules_are_type_checked_against_the_schema() -> None:
    name = {**STRING, "x-kubernetes-validations": [rule("self.startsWith(1)")]}
    found = compile_errors(spec_schema(name=name), BASE)
    assert [error.field for error in found] == [
        "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[name]"
        ".x-kubernetes-validations[0].rule"
    ]
    assert "found no matching overload for 'startsWith' applied to '(string, int)'" in str(found[0])


def test_a_rule_must_be_a_bool_and_a_message_expression_a_string() -> None:
    schema = spec_schema(rule("self.a + 1", messageExpression="1"), a=INT)
    at = "spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0]"
    literal = (
        'apiextensions.ValidationRule{Rule:"self.a + 1", Message:"", '
        f'MessageExpression:"1", {UNSET}'
    )
    assert [str(error) for error in compile_errors(schema, BASE)] == [
        f"{at}.rule: Invalid value: {literal}: cel expression must evaluate to a bool",
        f"{at}.messageExpression: Invalid value: {literal}: must evaluate to a string",
    ]


def test_old_self_below_a_list_that_is_not_a_map_is_refused() -> None:
    schema = spec_schema(tags={"type": "array", "items": immutable(STRING)})
    at = "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[tags].items"
    assert [str(error) for error in compile_errors(schema, BASE)] == [
        f'{at}.x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": '
        f"oldSelf cannot be used on the uncorrelatable portion of the schema within {at}"
    ]


def test_bad_fields_of_a_rule_come_first_and_keep_its_node_from_compiling() -> None:
    schema = spec_schema(
        rule("  "),
        rule("self.a >", fieldPath=".nope"),
        rule("true", reason="FieldValueWrong"),
        rule("true", fieldPath="a"),
        a=INT,
    )
    at = "spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations"
    assert [str(error) for error in compile_errors(schema, BASE)] == [
        f"{at}[0].rule: Required value: rule is not specified",
        f'{at}[1].fieldPath: Invalid value: ".nope": fieldPath must be a valid path: '
        "does not refer to a valid field",
        f'{at}[2].reason: Unsupported value: "FieldValueWrong": supported values: '
        '"FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"',
        f'{at}[3].fieldPath: Invalid value: "a": fieldPath must be a valid path: '
        "expected [ or . but got: a",
    ]


@pytest.mark.parametrize(
    ("path", "error"),
    [
        (".m['a'x", "expected ] but got x"),
        (".m['a'", "unexpected end of JSON path"),
        (".m['a", "expected single quoted string but got 'a"),
        (".m[", "unexpected end of JSON path"),
        (".m[a]", "expected single quoted string but got a"),
        (".m['\\q']", "invalid string literal: invalid escape char \\q"),
        (".s.x", "does not refer to a valid field"),
    ],
)
def test_field_path_errors(path: str, error: str) -> None:
    schema = spec_schema(
        rule("true", fieldPath=path), m={"type": "object", "additionalProperties": INT}, s=STRING
    )
    found = compile_errors(schema, FieldPath())
    assert [error.detail for error in found] == [f"fieldPath must be a valid path: {error}"]


# -- rules that read a few fields of a large object -------------------------------


def test_a_rule_reading_named_fields_sees_them_and_their_absence() -> None:
    schema = spec_schema(
        rule("self.a <= self.b"), rule("!has(self.c) || self.c > 0"), a=INT, b=INT, c=INT, d=INT
    )
    assert errors(schema, {"spec": {"a": 1, "b": 2, "d": 9}}) == []
    assert errors(schema, {"spec": {"a": 3, "b": 2, "c": 0, "d": 9}}) == [
        'spec: Invalid value: "object": failed rule: self.a <= self.b',
        'spec: Invalid value: "object": failed rule: !has(self.c) || self.c > 0',
    ]


def test_a_rule_on_the_whole_object_sees_every_field() -> None:
    # A method on self (size, all) and self in a comparison see the object whole,
    # even where a field has the method's name.
    for text in ("self.size() == 3", "self.all(k, k != 'x')", "self != {'a': 1}"):
        schema = spec_schema(rule(text), a=INT, b=INT, c=INT)
        assert errors(schema, {"spec": {"a": 1, "b": 2, "c": 3}}) == [], text
    named = spec_schema(rule("self.size() == 2"), size=INT, other=INT)
    assert errors(named, {"spec": {"size": 1, "other": 2}}) == []


def test_a_transition_rule_reads_the_same_fields_of_the_old_object() -> None:
    schema = spec_schema(rule("self.a == oldSelf.a", message="a is immutable"), a=INT, b=INT)
    assert errors(schema, {"spec": {"a": 1, "b": 5}}, {"spec": {"a": 1, "b": 4}}) == []
    assert errors(schema, {"spec": {"a": 2, "b": 4}}, {"spec": {"a": 1, "b": 4}}) == [
        'spec: Invalid value: "object": a is immutable'
    ]


# -- ratcheting: an update's unchanged values keep their failures as warnings -------


def verdict(schema: dict[str, Any], new: object, old: object = None) -> tuple[list[str], list[str]]:
    """The errors and the warnings (failures ratcheting forgives) of a write."""
    warnings: list[FieldError] = []
    found = compile_rules(schema).validate(new, old, warnings=warnings)
    return [str(error) for error in found], [str(warning) for warning in warnings]


def test_an_unchanged_value_keeps_its_failure_as_a_warning() -> None:
    small = {**INT, "x-kubernetes-validations": [rule("self < 10", message="too big")]}
    schema = spec_schema(size=small, other=INT)
    failure = 'spec.size: Invalid value: "integer": too big'
    # On a create nothing is forgiven; on an update the unchanged size is, even
    # though its sibling changed, and a changed size is not.
    assert verdict(schema, {"spec": {"size": 20}}) == ([failure], [])
    assert verdict(schema, {"spec": {"size": 20, "other": 2}}, {"spec": {"size": 20}}) == (
        [],
        [failure],
    )
    assert verdict(schema, {"spec": {"size": 21}}, {"spec": {"size": 20}}) == ([failure], [])
    # Without a list for them, the forgiven failures are dropped.
    assert errors(schema, {"spec": {"size": 20}}, {"spec": {"size": 20}}) == []


def test_a_rule_on_an_object_is_forgiven_only_if_the_whole_object_is_unchanged() -> None:
    schema = spec_schema(rule("self.min <= self.max"), min=INT, max=INT, note=STRING)
    failure = 'spec: Invalid value: "object": failed rule: self.min <= self.max'
    old = {"spec": {"min": 5, "max": 1, "note": "a"}}
    assert verdict(schema, old, old) == ([], [failure])
    assert verdict(schema, {"spec": {"min": 5, "max": 1, "note": "b"}}, old) == ([failure], [])


def test_transition_rules_and_evaluation_errors_are_never_forgiven() -> None:
    schema = spec_schema(
        rule("self.size == oldSelf.size + 1", message="size must grow by one"),
        rule("self.missing == 1", message="needs missing"),
        size=INT,
    )
    old = {"spec": {"size": 1}}
    assert verdict(schema, old, old) == (
        [
            'spec: Invalid value: "object": size must grow by one',
            'spec: Invalid value: "object": no such key: missing evaluating rule: needs missing',
        ],
        [],
    )


def test_equal_means_the_same_json_type() -> None:
    # 1 and 1.0, and true and 1, differ as Go's DeepEqual tells them apart.
    value = {
        "x-kubernetes-preserve-unknown-fields": True,
        "x-kubernetes-validations": [rule("false")],
    }
    schema = spec_schema(value=value)
    failure = ['spec.value: Invalid value: "": failed rule: false']
    for new, old in ((1, 1.0), (True, 1), ([1], [1.0]), ({"a": 1}, {"a": True})):
        found = verdict(schema, {"spec": {"value": new}}, {"spec": {"value": old}})
        assert found == (failure, []), (new, old)
    assert verdict(schema, {"spec": {"value": [1.0]}}, {"spec": {"value": [1.0]}}) == ([], failure)


def test_a_field_the_schema_does_not_declare_is_never_unchanged() -> None:
    # Kubernetes compares an object field by field through its schema: an
    # undeclared field has none, so the object counts as changed.
    free = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    schema = spec_schema(extra={**free, "x-kubernetes-validations": [rule("false")]})
    same = {"spec": {"extra": {"a": 1}}}
    assert verdict(schema, same, same) == (
        ['spec.extra: Invalid value: "object": failed rule: false'],
        [],
    )
    empty: dict[str, Any] = {"spec": {"extra": {}}}
    assert verdict(schema, empty, empty) == (
        [],
        ['spec.extra: Invalid value: "object": failed rule: false'],
    )


def test_map_list_items_correlate_by_keys_and_may_move() -> None:
    item = obj(rule("self.port > 0", message="port must be positive"), name=STRING, port=INT)
    ports = {
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        "items": item,
        "x-kubernetes-validations": [rule("self.size() < 2", message="too many")],
    }
    schema = spec_schema(ports=ports)
    old = {"spec": {"ports": [{"name": "a", "port": 0}, {"name": "b", "port": 0}]}}
    moved = {"spec": {"ports": [{"name": "b", "port": 0}, {"name": "a", "port": 0}]}}
    assert verdict(schema, moved, old) == (
        [],
        [
            'spec.ports: Invalid value: "array": too many',
            'spec.ports[0]: Invalid value: "object": port must be positive',
            'spec.ports[1]: Invalid value: "object": port must be positive',
        ],
    )
    renamed = {"spec": {"ports": [{"name": "c", "port": 0}, {"name": "a", "port": 0}]}}
    assert verdict(schema, renamed, old) == (
        [
            'spec.ports: Invalid value: "array": too many',
            'spec.ports[0]: Invalid value: "object": port must be positive',
        ],
        ['spec.ports[1]: Invalid value: "object": port must be positive'],
    )


def test_items_of_a_list_without_a_type_correlate_by_index() -> None:
    tag = {**STRING, "x-kubernetes-validations": [rule("self != 'bad'", message="bad tag")]}
    schema = spec_schema(tags={"type": "array", "items": tag})
    old = {"spec": {"tags": ["bad", "x"]}}
    assert verdict(schema, {"spec": {"tags": ["bad", "y", "z"]}}, old) == (
        [],
        ['spec.tags[0]: Invalid value: "string": bad tag'],
    )
    assert verdict(schema, {"spec": {"tags": ["y", "bad"]}}, old) == (
        ['spec.tags[1]: Invalid value: "string": bad tag'],
        [],
    )


def test_items_of_a_set_are_judged_by_the_whole_list() -> None:
    tag = {**STRING, "x-kubernetes-validations": [rule("self != 'bad'", message="bad tag")]}
    tags = {"type": "array", "x-kubernetes-list-type": "set", "items": tag}
    schema = spec_schema(tags=tags)
    old = {"spec": {"tags": ["bad", "x"]}}
    assert verdict(schema, old, old) == ([], ['spec.tags[0]: Invalid value: "string": bad tag'])
    assert verdict(schema, {"spec": {"tags": ["bad", "y"]}}, old) == (
        ['spec.tags[0]: Invalid value: "string": bad tag'],
        [],
    )


def test_a_new_field_has_no_old_value_to_be_unchanged_against() -> None:
    name = {**STRING, "x-kubernetes-validations": [rule("self.size() < 3", message="too long")]}
    schema = spec_schema(name=name, size=INT)
    assert verdict(schema, {"spec": {"name": "long"}}, {"spec": {"size": 1}}) == (
        ['spec.name: Invalid value: "string": too long'],
        [],
    )


# -- Kubernetes' libraries: lists and regex -----------------------------------------


def on(schema: dict[str, Any], *rules: str) -> dict[str, Any]:
    """A custom resource whose ``spec.x`` is of ``schema`` with ``rules``."""
    return spec_schema(x={**schema, "x-kubernetes-validations": [rule(r) for r in rules]})


INTS = {"type": "array", "items": INT}
NUMBERS = {"type": "array", "items": NUMBER}
STRINGS = {"type": "array", "items": STRING}


def test_the_lists_library_on_typed_lists() -> None:
    ints = on(
        INTS,
        "self.isSorted() == (self == [1, 2, 3])",
        "self.sum() == 6 && self.min() == 1 && self.max() == 3",
        "self.indexOf(2) >= 0 && self.indexOf(9) == -1",
        "self.lastIndexOf(self[0]) == 0",
    )
    assert errors(ints, {"spec": {"x": [1, 2, 3]}}) == []
    assert errors(ints, {"spec": {"x": [3, 1, 2]}}) == []
    numbers = on(NUMBERS, "self.sum() == 3.5 && self.max() == 2.0 && self.isSorted()")
    assert errors(numbers, {"spec": {"x": [1.5, 2]}}) == []
    strings = on(
        STRINGS,
        "self.min() == 'a' && self.max() == 'c' && !self.isSorted()",
        "self.indexOf('b') == 0 && self.lastIndexOf('b') == 2",
        "self[0].indexOf('b') == 0",  # the strings extension's indexOf still works
    )
    assert errors(strings, {"spec": {"x": ["b", "a", "b", "c"]}}) == []


def test_min_of_an_empty_list_fails_in_kubernetes_words() -> None:
    schema = on(INTS, "self.min() > 0")
    assert errors(schema, {"spec": {"x": []}}) == [
        'spec.x: Invalid value: "array": min called on empty list evaluating rule: self.min() > 0'
    ]


@pytest.mark.parametrize(
    ("text", "mismatch"),
    [
        ("self.sum() == 1", "'sum' applied to '(list(string))'"),
        ("self.indexOf(1) == 1", "'indexOf' applied to '(list(string), int)'"),
    ],
)
def test_list_functions_are_type_checked(text: str, mismatch: str) -> None:
    found = compile_errors(on(STRINGS, text), BASE)
    assert len(found) == 1
    assert f"found no matching overload for {mismatch}" in str(found[0])


def test_list_functions_on_values_of_no_declared_type() -> None:
    free = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    schema = on(free, "self.v.sum() == 3", "self.v.isSorted()", "self.w.indexOf(1) == -1")
    # true is not 1 to indexOf; mixed kinds cannot be summed nor ordered.
    assert errors(schema, {"spec": {"x": {"v": [1, 2], "w": [True]}}}) == []
    no_overload = (
        "'no such overload': call arguments did not match a supported operator, "
        "function or macro signature for rule: "
    )
    assert errors(schema, {"spec": {"x": {"v": [1, "a"], "w": []}}}) == [
        f'spec.x: Invalid value: "object": {no_overload}self.v.sum() == 3',
        f'spec.x: Invalid value: "object": {no_overload}self.v.isSorted()',
    ]


def test_the_regex_library() -> None:
    schema = on(
        STRING,
        "self.find('[0-9]+') == '123' && self.find('xyz') == ''",
        "self.findAll('[0-9]+') == ['123', '456'] && self.findAll('[0-9]+', 1) == ['123']",
        # Go's rule for empty matches: none right where a match ended.
        "self.findAll('[0-9]*') == ['123', '', '', '', '', '456']",
        "self.findAll('[a-z]', 0) == [] && self.find('(?<w>[a-z]+)') == 'abc'",
    )
    assert errors(schema, {"spec": {"x": "123 abc 456"}}) == []


def test_dollar_is_the_end_of_the_text_as_in_go() -> None:
    schema = on(STRING, "self.find('a$') == '' && self.find('(?m)a$') == 'a'")
    assert errors(schema, {"spec": {"x": "a\n"}}) == []


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        ("[", "missing closing ]: `[`"),
        ("(a", "missing closing ): `(a`"),
        ("a)", "unexpected ): `a)`"),
        ("*", "missing argument to repetition operator: `*`"),
        ("(?=a)", "invalid or unsupported Perl syntax: `(?=`"),
        ("(a)\\\\1", "invalid escape sequence: `\\1`"),
    ],
)
def test_a_bad_regex_fails_as_go_words_it(pattern: str, error: str) -> None:
    text = f"self.find('{pattern}') == ''"
    assert errors(on(STRING, text), {"spec": {"x": "a"}}) == [
        f'spec.x: Invalid value: "string": Illegal regex: error parsing regexp: {error} '
        f"evaluating rule: {text}"
    ]


def test_results_the_binding_cannot_convert_fail_loudly() -> None:
    schema = on(STRING, "[b'b', b'a'].min() == b'a'", "[duration('1s')].sum() > duration('0s')")
    assert errors(schema, {"spec": {"x": ""}}) == [
        'spec.x: Invalid value: "string": sum of durations or timestamps is not supported '
        "by kubelite evaluating rule: [duration('1s')].sum() > duration('0s')"
    ]


def test_a_map_list_item_without_its_key_has_no_old_value() -> None:
    item = immutable(obj(name=STRING, port=INT))
    ports = {
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        "items": item,
    }
    schema = spec_schema(ports=ports)
    # Without a name, neither item correlates: the transition rule does not run.
    assert (
        errors(schema, {"spec": {"ports": [{"port": 2}]}}, {"spec": {"ports": [{"port": 1}]}}) == []
    )
