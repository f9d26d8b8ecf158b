"""Labels and annotations of the wrong JSON type are field errors, never crashes.

Request bodies reach validation untyped; these pin that a list, a number or
``null`` where a string map is due comes back as a ``FieldError`` (the API
server's 422) instead of an exception (its 500).
"""

from __future__ import annotations

from typing import Any

import pytest

from kubelite.api import validation
from kubelite.api.field import FieldPath

pytestmark = pytest.mark.timeout(10)

LABELS = FieldPath.of("metadata", "labels")
ANNOTATIONS = FieldPath.of("metadata", "annotations")


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ("x", 'metadata.labels: Invalid value: "x": must be a map of string to string'),
        (["a"], 'metadata.labels: Invalid value: []string{"a"}: must be a map of string to string'),
        (7, "metadata.labels: Invalid value: 7: must be a map of string to string"),
        ({"a": 1}, "metadata.labels[a]: Invalid value: 1: must be a string"),
        ({"a": None}, "metadata.labels[a]: Invalid value: null: must be a string"),
        ({"a": ["b"]}, 'metadata.labels[a]: Invalid value: []string{"b"}: must be a string'),
        ({1: "a"}, "metadata.labels[1]: Invalid value: 1: must be a string"),
    ],
)
def test_labels_of_the_wrong_type(labels: Any, expected: str) -> None:
    assert [str(e) for e in validation.validate_labels(labels, LABELS)] == [expected]


def test_label_type_errors_come_with_the_rules_for_the_rest() -> None:
    errors = validation.validate_labels({"ok": "v", "n": 1, "bad key!": "v"}, LABELS)
    assert [(e.type.value, e.field) for e in errors] == [
        ("FieldValueTypeInvalid", "metadata.labels[n]"),
        ("FieldValueInvalid", "metadata.labels"),
    ]


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        ("x", 'metadata.annotations: Invalid value: "x": must be a map of string to string'),
        ({"a": 1}, "metadata.annotations[a]: Invalid value: 1: must be a string"),
        ({"a": None}, "metadata.annotations[a]: Invalid value: null: must be a string"),
    ],
)
def test_annotations_of_the_wrong_type(annotations: Any, expected: str) -> None:
    errors = validation.validate_annotations(annotations, ANNOTATIONS)
    assert [str(e) for e in errors] == [expected]


def test_object_meta_reports_wrong_types_as_field_errors() -> None:
    labels: Any = {"a": 1}
    annotations: Any = "x"
    errors = validation.validate_object_meta(
        name="a", namespace="default", namespaced=True, labels=labels, annotations=annotations
    )
    assert [e.field for e in errors] == ["metadata.labels[a]", "metadata.annotations"]


def test_match_labels_of_the_wrong_type() -> None:
    selector = {"matchLabels": {"app": 3}}
    errors = validation.validate_label_selector(selector, FieldPath.of("spec", "selector"))
    assert [str(e) for e in errors] == [
        "spec.selector.matchLabels[app]: Invalid value: 3: must be a string"
    ]
