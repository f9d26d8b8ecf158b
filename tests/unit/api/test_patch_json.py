"""JSON Patch (RFC 6902): the RFC's appendix A, pointer rules, errors, copying."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelite.api.patch import (
    JSONValue,
    PatchConflictError,
    PatchInvalidError,
    PatchOperationError,
    PatchPathNotFoundError,
    PatchTestFailedError,
    apply_json_patch,
)
from kubelite.api.patch.json_patch import escape_pointer_token, parse_pointer

# RFC 6902 appendix A, A.1 to A.16 except A.13 (duplicate "op" members), which
# the JSON decoder settles before a patch reaches this layer.
RFC_6902_EXAMPLES: list[tuple[str, JSONValue, JSONValue, JSONValue]] = [
    (
        "A.1 adding an object member",
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux"}],
        {"baz": "qux", "foo": "bar"},
    ),
    (
        "A.2 adding an array element",
        {"foo": ["bar", "baz"]},
        [{"op": "add", "path": "/foo/1", "value": "qux"}],
        {"foo": ["bar", "qux", "baz"]},
    ),
    (
        "A.3 removing an object member",
        {"baz": "qux", "foo": "bar"},
        [{"op": "remove", "path": "/baz"}],
        {"foo": "bar"},
    ),
    (
        "A.4 removing an array element",
        {"foo": ["bar", "qux", "baz"]},
        [{"op": "remove", "path": "/foo/1"}],
        {"foo": ["bar", "baz"]},
    ),
    (
        "A.5 replacing a value",
        {"baz": "qux", "foo": "bar"},
        [{"op": "replace", "path": "/baz", "value": "boo"}],
        {"baz": "boo", "foo": "bar"},
    ),
    (
        "A.6 moving a value",
        {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
        [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
        {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
    ),
    (
        "A.7 moving an array element",
        {"foo": ["all", "grass", "cows", "eat"]},
        [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
        {"foo": ["all", "cows", "eat", "grass"]},
    ),
    (
        "A.8 testing a value: success",
        {"baz": "qux", "foo": ["a", 2, "c"]},
        [
            {"op": "test", "path": "/baz", "value": "qux"},
            {"op": "test", "path": "/foo/1", "value": 2},
        ],
        {"baz": "qux", "foo": ["a", 2, "c"]},
    ),
    (
        "A.10 adding a nested member object",
        {"foo": "bar"},
        [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
        {"foo": "bar", "child": {"grandchild": {}}},
    ),
    (
        "A.11 ignoring unrecognized elements",
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
        {"foo": "bar", "baz": "qux"},
    ),
    (
        "A.14 ~ escape ordering",
        {"/": 9, "~1": 10},
        [{"op": "test", "path": "/~01", "value": 10}],
        {"/": 9, "~1": 10},
    ),
    (
        "A.16 adding an array value",
        {"foo": ["bar"]},
        [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
        {"foo": ["bar", ["abc", "def"]]},
    ),
]


@pytest.mark.parametrize(
    ("document", "patch", "expected"),
    [case[1:] for case in RFC_6902_EXAMPLES],
    ids=[case[0] for case in RFC_6902_EXAMPLES],
)
def test_rfc_6902_examples(document: JSONValue, patch: JSONValue, expected: JSONValue) -> None:
    assert apply_json_patch(document, patch) == expected


def test_rfc_a9_failed_test() -> None:
    with pytest.raises(PatchTestFailedError) as caught:
        apply_json_patch({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}])
    assert caught.value.path == "/baz"


def test_rfc_a12_adding_to_a_nonexistent_target() -> None:
    with pytest.raises(PatchPathNotFoundError):
        apply_json_patch({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}])


def test_rfc_a15_strings_and_numbers_differ() -> None:
    with pytest.raises(PatchTestFailedError):
        apply_json_patch({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}])


@pytest.mark.parametrize(
    ("found", "expected", "equal"),
    [
        (1, 1.0, True),
        (1, True, False),
        (0, False, False),
        ({"a": [1, {"b": None}]}, {"a": [1.0, {"b": None}]}, True),
        ({"a": [True]}, {"a": [1]}, False),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        ([1, 2], [2, 1], False),
        (None, None, True),
        ("1", 1, False),
    ],
)
def test_test_uses_json_equality(found: JSONValue, expected: JSONValue, equal: bool) -> None:
    patch: JSONValue = [{"op": "test", "path": "/x", "value": expected}]
    if equal:
        assert apply_json_patch({"x": found}, patch) == {"x": found}
    else:
        with pytest.raises(PatchTestFailedError):
            apply_json_patch({"x": found}, patch)


def test_kopf_finalizer_patch_guarded_by_resource_version() -> None:
    pod: JSONValue = {"metadata": {"name": "p", "resourceVersion": "7"}}
    patch: JSONValue = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": "7"},
        {"op": "add", "path": "/metadata/finalizers", "value": ["kopf.zalando.org/x"]},
    ]
    assert apply_json_patch(pod, patch) == {
        "metadata": {"name": "p", "resourceVersion": "7", "finalizers": ["kopf.zalando.org/x"]}
    }
    stale: JSONValue = [{"op": "test", "path": "/metadata/resourceVersion", "value": "6"}]
    with pytest.raises(PatchTestFailedError):
        apply_json_patch(pod, stale)


def test_kubectl_managed_fields_replace() -> None:
    obj: JSONValue = {"metadata": {"managedFields": [{"manager": "a"}], "resourceVersion": "1"}}
    patch: JSONValue = [
        {"op": "replace", "path": "/metadata/managedFields", "value": []},
        {"op": "replace", "path": "/metadata/resourceVersion", "value": "103"},
    ]
    assert apply_json_patch(obj, patch) == {
        "metadata": {"managedFields": [], "resourceVersion": "103"}
    }


def test_whole_document_operations() -> None:
    assert apply_json_patch({"a": 1}, [{"op": "replace", "path": "", "value": {"b": 2}}]) == {
        "b": 2
    }
    assert apply_json_patch({"a": 1}, [{"op": "add", "path": "", "value": [1]}]) == [1]
    assert apply_json_patch({"a": 1}, [{"op": "test", "path": "", "value": {"a": 1.0}}]) == {"a": 1}
    assert apply_json_patch({"a": {"b": 1}}, [{"op": "copy", "from": "", "path": "/c"}]) == {
        "a": {"b": 1},
        "c": {"a": {"b": 1}},
    }


def test_null_value_is_a_value() -> None:
    assert apply_json_patch({}, [{"op": "add", "path": "/a", "value": None}]) == {"a": None}


def test_empty_member_name_and_escapes() -> None:
    document: JSONValue = {"": 1, "a/b": 2, "m~n": 3}
    assert apply_json_patch(document, [{"op": "remove", "path": "/"}]) == {"a/b": 2, "m~n": 3}
    patch: JSONValue = [
        {"op": "replace", "path": "/a~1b", "value": 20},
        {"op": "replace", "path": "/m~0n", "value": 30},
    ]
    assert apply_json_patch(document, patch) == {"": 1, "a/b": 20, "m~n": 30}


def test_pointer_parsing() -> None:
    assert parse_pointer("") == ()
    assert parse_pointer("/") == ("",)
    assert parse_pointer("/a~1b/~01/c") == ("a/b", "~1", "c")
    assert escape_pointer_token("a/b~c") == "a~1b~0c"
    for bad in ("a", "/a~2", "/a~"):
        with pytest.raises(PatchInvalidError):
            parse_pointer(bad)


@pytest.mark.parametrize(
    ("document", "operation"),
    [
        ({"a": [1, 2]}, {"op": "add", "path": "/a/3", "value": 0}),
        ({"a": [1, 2]}, {"op": "add", "path": "/a/01", "value": 0}),
        ({"a": [1, 2]}, {"op": "add", "path": "/a/-1", "value": 0}),
        ({"a": [1, 2]}, {"op": "add", "path": "/a/x", "value": 0}),
        ({"a": [1, 2]}, {"op": "replace", "path": "/a/2", "value": 0}),
        ({"a": [1, 2]}, {"op": "remove", "path": "/a/-"}),
        ({"a": [1, 2]}, {"op": "test", "path": "/a/2", "value": 0}),
        ({"a": 1}, {"op": "remove", "path": "/b"}),
        ({"a": 1}, {"op": "replace", "path": "/b", "value": 0}),
        ({"a": 1}, {"op": "add", "path": "/a/b", "value": 0}),
        ({"a": 1}, {"op": "move", "from": "/b", "path": "/c"}),
        ({"a": 1}, {"op": "copy", "from": "/b", "path": "/c"}),
        ({"a": 1}, {"op": "test", "path": "/b", "value": None}),
    ],
)
def test_missing_locations(document: JSONValue, operation: JSONValue) -> None:
    with pytest.raises(PatchPathNotFoundError):
        apply_json_patch(document, [operation])


def test_append_and_insert_at_end() -> None:
    doc: JSONValue = {"a": [1, 2]}
    assert apply_json_patch(doc, [{"op": "add", "path": "/a/2", "value": 3}]) == {"a": [1, 2, 3]}
    assert apply_json_patch(doc, [{"op": "add", "path": "/a/-", "value": 3}]) == {"a": [1, 2, 3]}
    assert apply_json_patch(doc, [{"op": "add", "path": "/a/0", "value": 0}]) == {"a": [0, 1, 2]}


def test_move_into_own_child_is_a_conflict() -> None:
    with pytest.raises(PatchConflictError):
        apply_json_patch({"a": {"b": 1}}, [{"op": "move", "from": "/a", "path": "/a/c"}])
    # A sibling whose name merely starts the same is not a child.
    moved = apply_json_patch({"a": {"b": 1}}, [{"op": "move", "from": "/a", "path": "/ab"}])
    assert moved == {"ab": {"b": 1}}
    assert apply_json_patch({"a": 1}, [{"op": "move", "from": "/a", "path": "/a"}]) == {"a": 1}


@pytest.mark.parametrize(
    "patch",
    [
        {"op": "add", "path": "/a", "value": 1},
        "add",
        [["add"]],
        [{"op": "add", "path": "a", "value": 1}],
    ],
)
def test_malformed_patches(patch: JSONValue) -> None:
    with pytest.raises(PatchInvalidError):
        apply_json_patch({"a": 1}, patch)


@pytest.mark.parametrize(
    "patch",
    [
        [{"path": "/a", "value": 1}],
        [{"op": "bogus", "path": "/a"}],
        [{"op": "add", "value": 1}],
        [{"op": "add", "path": 1, "value": 1}],
        [{"op": "add", "path": "/a"}],
        [{"op": "replace", "path": "/a"}],
        [{"op": "test", "path": "/a"}],
        [{"op": "move", "path": "/a"}],
        [{"op": "copy", "path": "/a", "from": 3}],
        [{"op": "remove", "path": ""}],
    ],
)
def test_operations_that_cannot_be_carried_out(patch: JSONValue) -> None:
    # Kubernetes finds these while applying the patch, so they are 422, not 400.
    with pytest.raises(PatchOperationError):
        apply_json_patch({"a": 1}, patch)


def test_malformed_operation_is_found_before_anything_applies() -> None:
    patch: JSONValue = [
        {"op": "test", "path": "/a", "value": 2},
        {"op": "nonsense", "path": "/a"},
    ]
    # The failing test comes first, yet the operation that names no op is reported.
    with pytest.raises(PatchOperationError):
        apply_json_patch({"a": 1}, patch)


def test_inputs_are_not_modified_and_results_share_nothing() -> None:
    document: JSONValue = {"a": {"b": [1, 2]}, "c": {"d": 1}}
    value: JSONValue = {"x": [1]}
    patch: JSONValue = [
        {"op": "add", "path": "/a/b/-", "value": value},
        {"op": "copy", "from": "/a/b/2", "path": "/e"},
        {"op": "add", "path": "/e/x/-", "value": 2},
        {"op": "remove", "path": "/c/d"},
    ]
    before_document, before_patch = copy.deepcopy(document), copy.deepcopy(patch)
    result = apply_json_patch(document, patch)
    assert result == {"a": {"b": [1, 2, {"x": [1]}]}, "c": {}, "e": {"x": [1, 2]}}
    assert document == before_document
    assert patch == before_patch


def test_failure_leaves_the_document_untouched() -> None:
    document: JSONValue = {"a": [1]}
    patch: JSONValue = [
        {"op": "add", "path": "/a/-", "value": 2},
        {"op": "test", "path": "/a/0", "value": 5},
    ]
    with pytest.raises(PatchTestFailedError):
        apply_json_patch(document, patch)
    assert document == {"a": [1]}


_keys = st.text(alphabet="ab/~", max_size=3)
_leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=3)
_documents = st.dictionaries(
    _keys,
    st.recursive(_leaves, lambda inner: st.lists(inner, max_size=3), max_leaves=6),
    max_size=4,
)


@given(document=_documents, key=_keys, value=_leaves)
def test_add_then_remove_restores_the_document(
    document: dict[str, JSONValue], key: str, value: JSONValue
) -> None:
    pointer = "/" + escape_pointer_token(key)
    added = apply_json_patch(document, [{"op": "add", "path": pointer, "value": value}])
    assert isinstance(added, dict)
    assert added[key] == value
    if key not in document:
        assert apply_json_patch(added, [{"op": "remove", "path": pointer}]) == document
    assert apply_json_patch(document, [{"op": "test", "path": "", "value": document}]) == document
