"""JSON Merge Patch (RFC 7386): the RFC's examples and the diff round trip."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelite.api.patch import JSONValue, apply_merge_patch, create_merge_patch

# RFC 7386 appendix A, in order.
RFC_7386_EXAMPLES: list[tuple[JSONValue, JSONValue, JSONValue]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "expected"), RFC_7386_EXAMPLES)
def test_rfc_7386_appendix_a(target: JSONValue, patch: JSONValue, expected: JSONValue) -> None:
    assert apply_merge_patch(target, patch) == expected


def test_rfc_7386_section_3_example() -> None:
    target: JSONValue = {
        "title": "Goodbye!",
        "author": {"givenName": "John", "familyName": "Doe"},
        "tags": ["example", "sample"],
        "content": "This will be unchanged",
    }
    patch: JSONValue = {
        "title": "Hello!",
        "phoneNumber": "+01-123-456-7890",
        "author": {"familyName": None},
        "tags": ["example"],
    }
    assert apply_merge_patch(target, patch) == {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    }


def test_kubectl_label_and_scale() -> None:
    deployment: JSONValue = {
        "metadata": {"name": "x", "labels": {"app": "x"}},
        "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "c"}]}}},
    }
    labelled = apply_merge_patch(deployment, {"metadata": {"labels": {"foo": "bar"}}})
    scaled = apply_merge_patch(labelled, {"spec": {"replicas": 3}})
    assert scaled == {
        "metadata": {"name": "x", "labels": {"app": "x", "foo": "bar"}},
        "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "c"}]}}},
    }


def test_key_order_is_kept_and_new_keys_follow() -> None:
    result = apply_merge_patch({"b": 1, "a": 2, "c": 3}, {"d": 4, "a": 5, "c": None})
    assert isinstance(result, dict)
    assert list(result) == ["b", "a", "d"]


def test_inputs_are_not_modified_and_results_share_nothing() -> None:
    target: JSONValue = {"a": {"b": [1]}, "c": {"d": 1}}
    patch: JSONValue = {"c": {"d": None, "e": [2]}, "f": {"g": None, "h": 1}}
    before_target, before_patch = copy.deepcopy(target), copy.deepcopy(patch)
    result = apply_merge_patch(target, patch)
    assert result == {"a": {"b": [1]}, "c": {"e": [2]}, "f": {"h": 1}}
    assert isinstance(result, dict)
    assert isinstance(result["a"], dict)
    assert isinstance(result["a"]["b"], list)
    result["a"]["b"].append(2)
    assert target == before_target
    assert patch == before_patch


def test_create_merge_patch() -> None:
    original: JSONValue = {"a": 1, "b": {"c": 2, "d": 3}, "e": [1]}
    modified: JSONValue = {"a": 1, "b": {"c": 4}, "e": [1, 2], "f": True}
    assert create_merge_patch(original, modified) == {
        "b": {"c": 4, "d": None},
        "e": [1, 2],
        "f": True,
    }
    assert create_merge_patch(original, original) == {}
    # 1 and 1.0 are the same JSON number; true and 1 are not.
    assert create_merge_patch({"a": 1}, {"a": 1.0}) == {}
    assert create_merge_patch({"a": 1}, {"a": True}) == {"a": True}


# Values with no null inside an object: a merge patch cannot express those.
_leaves = st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=3)
_json = st.recursive(
    _leaves | st.none(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=2), inner.filter(lambda v: v is not None), max_size=3)
    ),
    max_leaves=10,
)


@given(original=_json, modified=_json)
def test_applying_the_diff_gives_the_modified_document(
    original: JSONValue, modified: JSONValue
) -> None:
    patch = create_merge_patch(original, modified)
    assert apply_merge_patch(original, patch) == modified


@given(target=_json, patch=_json)
def test_merge_patch_is_idempotent(target: JSONValue, patch: JSONValue) -> None:
    once = apply_merge_patch(target, patch)
    assert apply_merge_patch(once, patch) == once
