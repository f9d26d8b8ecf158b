"""Name, label, annotation and metadata rules, each with Kubernetes' exact message."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelite.api import validation
from kubelite.api.field import FieldPath
from kubelite.api.validation import NameRule

pytestmark = pytest.mark.timeout(10)

SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character (e.g. "
    "'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
    "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
    "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MESSAGE = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
    "with an alphabetic character, and end with an alphanumeric character (e.g. "
    "'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
NAME_PART_MESSAGE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
    "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MESSAGE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', "
    "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  "
    "or 'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)

META = FieldPath.of("metadata")


# -- bare checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["a", "web-1", "a.b.c", "0", "a" * 63 + "." + "b" * 63, "x" * 253]
)
def test_dns1123_subdomain_accepts(value: str) -> None:
    assert validation.is_dns1123_subdomain(value) == []


@pytest.mark.parametrize(
    ("value", "problems"),
    [
        ("", [SUBDOMAIN_MESSAGE]),
        ("Web", [SUBDOMAIN_MESSAGE]),
        ("web_1", [SUBDOMAIN_MESSAGE]),
        ("-web", [SUBDOMAIN_MESSAGE]),
        ("web.", [SUBDOMAIN_MESSAGE]),
        ("web\n", [SUBDOMAIN_MESSAGE]),
        ("x" * 254, ["must be no more than 253 characters"]),
        ("X" * 254, ["must be no more than 253 characters", SUBDOMAIN_MESSAGE]),
    ],
)
def test_dns1123_subdomain_rejects(value: str, problems: list[str]) -> None:
    assert validation.is_dns1123_subdomain(value) == problems


@pytest.mark.parametrize(
    ("value", "problems"),
    [
        ("kube-system", []),
        ("1abc", []),
        ("a.b", ["must not contain dots"]),
        ("A", [LABEL_MESSAGE]),
        ("a" * 64, ["must be no more than 63 characters"]),
        ("a" * 64 + ".b", ["must be no more than 63 characters", "must not contain dots"]),
        ("", [LABEL_MESSAGE]),
    ],
)
def test_dns1123_label(value: str, problems: list[str]) -> None:
    assert validation.is_dns1123_label(value) == problems


@pytest.mark.parametrize(
    ("value", "problems"),
    [
        ("web", []),
        ("1web", [DNS1035_MESSAGE]),
        ("a.b", [DNS1035_MESSAGE]),
        ("a" * 64, ["must be no more than 63 characters"]),
    ],
)
def test_dns1035_label(value: str, problems: list[str]) -> None:
    assert validation.is_dns1035_label(value) == problems


def test_lengths_count_bytes() -> None:
    # 32 two-byte characters are 64 bytes, over the 63 a label allows.
    assert validation.is_label_value("é" * 32)[0] == "must be no more than 63 characters"


@pytest.mark.parametrize(
    ("value", "prefix", "problems"),
    [
        ("Any Thing", False, []),
        (".", False, ["may not be '.'"]),
        ("..", False, ["may not be '..'"]),
        ("..", True, []),
        ("a/b%c", False, ["may not contain '/'", "may not contain '%'"]),
        ("a%", True, ["may not contain '%'"]),
    ],
)
def test_path_segment_name(value: str, prefix: bool, problems: list[str]) -> None:
    assert validation.is_path_segment_name(value, prefix=prefix) == problems


@pytest.mark.parametrize(
    ("value", "problems"),
    [
        ("app", []),
        ("App_Name.v1", []),
        ("example.com/app", []),
        ("kubernetes.io/hostname", []),
        ("", ["name part must be non-empty", NAME_PART_MESSAGE]),
        ("a b", [NAME_PART_MESSAGE]),
        ("-a", [NAME_PART_MESSAGE]),
        ("/a", ["prefix part must be non-empty"]),
        ("example.com/", ["name part must be non-empty", NAME_PART_MESSAGE]),
        ("Example.com/a", ["prefix part " + SUBDOMAIN_MESSAGE]),
        ("a" * 64, ["name part must be no more than 63 characters"]),
        (
            "a/b/c",
            [
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', "
                "and must start and end with an alphanumeric character (e.g. 'MyName',  or "
                "'my.name',  or '123-abc', regex used for validation is "
                "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain "
                "prefix and '/' (e.g. 'example.com/MyName')"
            ],
        ),
    ],
)
def test_qualified_name(value: str, problems: list[str]) -> None:
    assert validation.is_qualified_name(value) == problems


@pytest.mark.parametrize(
    ("value", "problems"),
    [
        ("", []),
        ("v1.2_x-y", []),
        ("-x", [LABEL_VALUE_MESSAGE]),
        ("a b", [LABEL_VALUE_MESSAGE]),
        ("a" * 64, ["must be no more than 63 characters"]),
    ],
)
def test_label_value(value: str, problems: list[str]) -> None:
    assert validation.is_label_value(value) == problems


# -- names and generateName -------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "name", "ok"),
    [
        (NameRule.DNS1123_SUBDOMAIN, "a.b", True),
        (NameRule.DNS1123_LABEL, "a.b", False),
        (NameRule.DNS1035_LABEL, "1a", False),
        (NameRule.DNS1123_LABEL, "1a", True),
        (NameRule.PATH_SEGMENT, "Any:Thing", True),
    ],
)
def test_name_rules(rule: NameRule, name: str, ok: bool) -> None:
    assert (rule.check(name) == []) is ok


def test_validate_name_gives_field_errors() -> None:
    [error] = validation.validate_name("Web", META.child("name"))
    assert str(error) == f'metadata.name: Invalid value: "Web": {SUBDOMAIN_MESSAGE}'


@pytest.mark.parametrize(
    ("prefix", "ok"),
    [
        ("web-", True),
        ("web", True),
        ("-", False),  # too short to mask: still ends with a dash
        ("a.-", True),  # Kubernetes' mask drops two characters: "a.-" checks as "aa"
        ("Web-", False),
        ("web--", True),
    ],
)
def test_generate_name_prefix(prefix: str, ok: bool) -> None:
    errors = validation.validate_generate_name(prefix, META.child("generateName"))
    assert (errors == []) is ok


def test_generate_name_prefix_error_names_the_prefix() -> None:
    [error] = validation.validate_generate_name(
        "Web-", META.child("generateName"), rule=NameRule.DNS1123_LABEL
    )
    assert str(error) == f'metadata.generateName: Invalid value: "Web-": {LABEL_MESSAGE}'


def test_generate_name_appends_five_characters_from_the_alphabet() -> None:
    name = validation.generate_name("web-", rng=random.Random(7))
    assert name.startswith("web-")
    assert len(name) == 9
    assert set(name[4:]) <= set(validation.GENERATED_SUFFIX_ALPHABET)
    # The same seed gives the same name.
    assert validation.generate_name("web-", rng=random.Random(7)) == name


def test_generate_name_uses_the_injected_source() -> None:
    class First(random.Random):
        def choice(self, seq: Any) -> Any:
            return seq[0]

    assert validation.generate_name("web-", rng=First()) == "web-bbbbb"


def test_generate_name_cuts_a_long_base() -> None:
    name = validation.generate_name("a" * 80)
    assert len(name) == 63
    assert name[:58] == "a" * 58


@given(st.from_regex(r"[a-z0-9]([-a-z0-9]{0,60}[a-z0-9])?-?", fullmatch=True))
def test_generated_names_are_valid_labels(base: str) -> None:
    name = validation.generate_name(base)
    assert validation.is_dns1123_label(name) == []


# -- labels and annotations ---------------------------------------------------------------


def test_labels_report_the_map_path_in_key_order() -> None:
    errors = validation.validate_labels({"z": "bad value", "a b": "ok"}, META.child("labels"))
    assert [str(error) for error in errors] == [
        f'metadata.labels: Invalid value: "a b": {NAME_PART_MESSAGE}',
        f'metadata.labels: Invalid value: "bad value": {LABEL_VALUE_MESSAGE}',
    ]


def test_valid_labels() -> None:
    labels = {"app": "web", "app.kubernetes.io/name": "x", "empty": ""}
    assert validation.validate_labels(labels, META.child("labels")) == []


def test_annotation_keys_ignore_case_and_values_are_free() -> None:
    annotations = {"Example.COM/Key": "any value at all\n", "ok": ""}
    assert validation.validate_annotations(annotations, META.child("annotations")) == []


def test_annotation_bad_key() -> None:
    [error] = validation.validate_annotations({"a b": ""}, META.child("annotations"))
    assert str(error) == f'metadata.annotations: Invalid value: "a b": {NAME_PART_MESSAGE}'


def test_annotation_size_limit_is_exclusive() -> None:
    path = META.child("annotations")
    at_limit = {"k": "v" * (validation.TOTAL_ANNOTATION_SIZE_LIMIT - 1)}
    assert validation.validate_annotations(at_limit, path) == []
    over = {"k": "v" * validation.TOTAL_ANNOTATION_SIZE_LIMIT}
    [error] = validation.validate_annotations(over, path)
    assert str(error) == "metadata.annotations: Too long: may not be more than 262144 bytes"


# -- object metadata -------------------------------------------------------------------------


def test_object_meta_valid() -> None:
    errors = validation.validate_object_meta(
        name="web", namespace="default", namespaced=True, labels={"app": "web"}
    )
    assert errors == []


def test_object_meta_collects_every_problem_in_order() -> None:
    errors = validation.validate_object_meta(
        name="",
        generate_name="Web-",
        namespace="",
        namespaced=True,
        generation=-1,
        labels={"a": "-"},
        annotations={"b c": ""},
    )
    assert [str(error) for error in errors] == [
        f'metadata.generateName: Invalid value: "Web-": {SUBDOMAIN_MESSAGE}',
        "metadata.name: Required value: name or generateName is required",
        "metadata.namespace: Required value",
        "metadata.generation: Invalid value: -1: must be greater than or equal to 0",
        f'metadata.labels: Invalid value: "-": {LABEL_VALUE_MESSAGE}',
        f'metadata.annotations: Invalid value: "b c": {NAME_PART_MESSAGE}',
    ]


def test_object_meta_namespace_rules() -> None:
    [bad] = validation.validate_object_meta(name="x", namespace="a.b", namespaced=True)
    assert str(bad) == 'metadata.namespace: Invalid value: "a.b": must not contain dots'
    [forbidden] = validation.validate_object_meta(name="x", namespace="ns", namespaced=False)
    assert str(forbidden) == "metadata.namespace: Forbidden: not allowed on this type"


def test_object_meta_uses_the_resource_name_rule() -> None:
    errors = validation.validate_object_meta(
        name="1web", namespace="ns", namespaced=True, rule=NameRule.DNS1035_LABEL
    )
    assert [str(e) for e in errors] == [f'metadata.name: Invalid value: "1web": {DNS1035_MESSAGE}']


# -- label selectors in objects ---------------------------------------------------------------


def test_label_selector_valid() -> None:
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["a", "b"]},
            {"key": "gpu", "operator": "Exists"},
        ],
    }
    assert validation.validate_label_selector(selector, FieldPath.of("spec", "selector")) == []
    assert validation.validate_label_selector(None, FieldPath.of("spec", "selector")) == []


def test_label_selector_errors() -> None:
    selector = {
        "matchLabels": {"app": "a b"},
        "matchExpressions": [
            {"key": "tier", "operator": "In"},
            {"key": "gpu", "operator": "Exists", "values": ["x"]},
            {"key": "bad key", "operator": "Near"},
            {"key": "ok", "operator": "NotIn", "values": ["-"]},
        ],
    }
    errors = validation.validate_label_selector(selector, FieldPath.of("spec", "selector"))
    assert [str(error) for error in errors] == [
        f'spec.selector.matchLabels: Invalid value: "a b": {LABEL_VALUE_MESSAGE}',
        "spec.selector.matchExpressions[0].values: Required value: must be specified when "
        "`operator` is 'In' or 'NotIn'",
        "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when "
        "`operator` is 'Exists' or 'DoesNotExist'",
        'spec.selector.matchExpressions[2].operator: Invalid value: "Near": not a valid '
        "selector operator",
        f'spec.selector.matchExpressions[2].key: Invalid value: "bad key": {NAME_PART_MESSAGE}',
        f'spec.selector.matchExpressions[3].values[0]: Invalid value: "-": {LABEL_VALUE_MESSAGE}',
    ]
