"""Field paths and sets: FieldsV1 byte for byte, Kubernetes' order, set algebra."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path as FilePath
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelite.api.patch import JSONValue
from kubelite.api.ssa import (
    EMPTY,
    ElementKind,
    FieldPathError,
    FieldSet,
    Path,
    PathElement,
    UnknownElementError,
    from_fields_v1,
    to_fields_v1,
)

F = PathElement.field
K = PathElement.key
V = PathElement.value
I = PathElement.list_index  # noqa: E741


def round_trip(raw: bytes) -> bytes:
    return orjson.dumps(to_fields_v1(from_fields_v1(orjson.loads(raw))))


def compact(text: str) -> bytes:
    """A readable JSON document as compact bytes, its key order kept."""
    return orjson.dumps(orjson.loads(text))


# -- real documents, in the order Kubernetes writes them ---------------------------

# `kubectl apply --server-side` of a small Deployment (manager "kubectl").
DEPLOYMENT_APPLY = (
    b'{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:replicas":{},'
    b'"f:selector":{},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},'
    b'"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},'
    b'"f:name":{}}}}}}}'
)

# A client-side `kubectl apply` of a Deployment with a port, after defaulting
# (manager "kubectl-client-side-apply", operation Update).
DEPLOYMENT_CLIENT_SIDE = compact(
    (FilePath(__file__).parent / "data" / "deployment-client-side-fields.json").read_text()
)

# kube-controller-manager's status update of the same Deployment.
DEPLOYMENT_STATUS = compact(r"""{
  "f:metadata": {"f:annotations": {".": {}, "f:deployment.kubernetes.io/revision": {}}},
  "f:status": {
    "f:availableReplicas": {},
    "f:conditions": {
      ".": {},
      "k:{\"type\":\"Available\"}": {".": {}, "f:lastTransitionTime": {},
        "f:lastUpdateTime": {}, "f:message": {}, "f:reason": {}, "f:status": {}, "f:type": {}},
      "k:{\"type\":\"Progressing\"}": {".": {}, "f:lastTransitionTime": {},
        "f:lastUpdateTime": {}, "f:message": {}, "f:reason": {}, "f:status": {}, "f:type": {}}},
    "f:observedGeneration": {}, "f:readyReplicas": {}, "f:replicas": {},
    "f:updatedReplicas": {}}}""")

# The kubelet's status update of a Pod (kubernetes/kubernetes#89080).
POD_KUBELET = compact(r"""{
  "f:status": {
    "f:conditions": {
      "k:{\"type\":\"ContainersReady\"}": {"f:lastTransitionTime": {}, "f:status": {}},
      "k:{\"type\":\"Ready\"}": {"f:lastTransitionTime": {}, "f:status": {}}},
    "f:containerStatuses": {}, "f:podIP": {},
    "f:podIPs": {".": {}, "k:{\"ip\":\"172.155.130.108\"}": {".": {}, "f:ip": {}}}}}""")

# A Service's ports, keyed by port and protocol: 53 sorts before 443 as a number.
SERVICE_PORTS = compact(r"""{
  "f:spec": {
    "f:ports": {
      ".": {},
      "k:{\"port\":53,\"protocol\":\"TCP\"}": {".": {}, "f:name": {}, "f:port": {},
        "f:protocol": {}, "f:targetPort": {}},
      "k:{\"port\":53,\"protocol\":\"UDP\"}": {".": {}, "f:name": {}, "f:port": {},
        "f:protocol": {}, "f:targetPort": {}},
      "k:{\"port\":443,\"protocol\":\"TCP\"}": {".": {}, "f:name": {}, "f:port": {},
        "f:protocol": {}, "f:targetPort": {}}},
    "f:selector": {}}}""")

# Finalizers are a set: their items are keyed by value.
FINALIZERS = compact(r"""{
  "f:metadata": {"f:finalizers": {".": {}, "v:\"example.com/cleanup\"": {},
                                  "v:\"kubernetes\"": {}}}}""")

# Every kind of element in one list, in Kubernetes' order: fields, keys (by
# name, then value, shorter first), values (numbers, strings, booleans, lists,
# maps, null), then indexes, numerically.
ALL_KINDS = compact(r"""{
  "f:a": {".": {}, "f:b": {}},
  "f:list": {
    "f:z": {},
    "k:{\"name\":\"a\"}": {},
    "k:{\"name\":\"a\",\"port\":1}": {},
    "k:{\"name\":\"b\"}": {".": {}, "f:x": {}},
    "v:-1.5": {}, "v:2": {}, "v:10": {},
    "v:\"10\"": {}, "v:\"a\"": {},
    "v:false": {}, "v:true": {},
    "v:[1]": {}, "v:{\"a\":1}": {}, "v:null": {},
    "i:2": {}, "i:10": {"f:y": {}}}}""")

REAL_DOCUMENTS = [
    DEPLOYMENT_APPLY,
    DEPLOYMENT_CLIENT_SIDE,
    DEPLOYMENT_STATUS,
    POD_KUBELET,
    SERVICE_PORTS,
    FINALIZERS,
    ALL_KINDS,
]


@pytest.mark.parametrize("raw", REAL_DOCUMENTS)
def test_real_documents_round_trip_byte_for_byte(raw: bytes) -> None:
    assert round_trip(raw) == raw


def test_deployment_paths_in_kubernetes_order() -> None:
    fields = from_fields_v1(orjson.loads(DEPLOYMENT_APPLY))
    assert [str(path) for path in fields] == [
        ".metadata.labels",
        ".metadata.labels.app",
        ".spec.replicas",
        ".spec.selector",
        ".spec.template.metadata.labels",
        ".spec.template.metadata.labels.app",
        '.spec.template.spec.containers[name="nginx"]',
        '.spec.template.spec.containers[name="nginx"].image',
        '.spec.template.spec.containers[name="nginx"].name',
    ]
    assert len(fields) == 9
    assert [str(path) for path in fields.leaves()] == [
        ".metadata.labels.app",
        ".spec.replicas",
        ".spec.selector",
        ".spec.template.metadata.labels.app",
        '.spec.template.spec.containers[name="nginx"].image',
        '.spec.template.spec.containers[name="nginx"].name',
    ]


def _sorted_as_text(document: Any) -> Any:
    # The order of `kubectl get -o yaml`: keys sorted as strings, so "." first,
    # then f:, i:, k:, v:.
    if isinstance(document, dict):
        return {key: _sorted_as_text(document[key]) for key in sorted(document)}
    return document


@pytest.mark.parametrize("raw", REAL_DOCUMENTS)
def test_yaml_sorted_input_is_written_in_kubernetes_order(raw: bytes) -> None:
    shuffled = _sorted_as_text(orjson.loads(raw))
    assert orjson.dumps(to_fields_v1(from_fields_v1(shuffled))) == raw


def test_dot_last_as_before_structured_merge_diff_145_is_read() -> None:
    # Servers before early 2020 wrote "." after the other keys.
    old: dict[str, Any] = {"f:metadata": {"f:labels": {"f:app": {}, ".": {}}}}
    written = orjson.dumps(to_fields_v1(from_fields_v1(old)))
    assert written == b'{"f:metadata":{"f:labels":{".":{},"f:app":{}}}}'


def test_nulls_of_the_1_16_format_count_as_empty_objects() -> None:
    # Kubernetes 1.16's "fields" wrote null where FieldsV1 writes {}.
    old = b'{"f:conditions":{".":null,"k:{\\"type\\":\\"A\\"}":{".":null,"f:type":null}}}'
    new = b'{"f:conditions":{".":{},"k:{\\"type\\":\\"A\\"}":{".":{},"f:type":{}}}}'
    assert round_trip(old) == new
    assert from_fields_v1(None) == EMPTY


def test_only_dot_or_empty_object_marks_a_member() -> None:
    assert list(from_fields_v1({"f:a": {".": {}}})) == [Path.of("a")]
    assert list(from_fields_v1({"f:a": {}})) == [Path.of("a")]
    # An object with children and no "." is not itself a member.
    assert list(from_fields_v1({"f:a": {"f:b": {}}})) == [Path.of("a", "b")]
    # The value of "." is not looked at, and "." at the top is ignored.
    assert list(from_fields_v1({".": 5, "f:a": {".": {"f:x": {}}, "f:b": {}}})) == [
        Path.of("a"),
        Path.of("a", "b"),
    ]


def test_unknown_element_types_are_dropped_with_their_subtrees() -> None:
    document: dict[str, Any] = {"f:a": {"x:new": {"f:b": {}}, "f:c": {}}, "r:top": {}}
    assert to_fields_v1(from_fields_v1(document)) == {"f:a": {"f:c": {}}}
    # An object holding only unknown keys leaves its element a member.
    assert list(from_fields_v1({"f:a": {"x:new": {}}})) == [Path.of("a")]


def test_to_fields_v1_returns_a_new_object_each_time() -> None:
    fields = from_fields_v1(orjson.loads(DEPLOYMENT_APPLY))
    first = to_fields_v1(fields)
    first["f:spec"] = {}
    assert orjson.dumps(to_fields_v1(fields)) == DEPLOYMENT_APPLY
    assert to_fields_v1(EMPTY) == {}
    assert to_fields_v1(FieldSet()) == {}
    assert from_fields_v1({}) == EMPTY


# -- elements ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("f:spec", "f:spec"),
        ("f:", "f:"),
        ("f:app.kubernetes.io/name", "f:app.kubernetes.io/name"),
        ('k:{"protocol":"TCP","containerPort":80}', 'k:{"containerPort":80,"protocol":"TCP"}'),
        ('k:{ "name" : "c" }', 'k:{"name":"c"}'),
        ("k:null", "k:{}"),
        ("k:{}", "k:{}"),
        ('v:"x"', 'v:"x"'),
        ("v:80.0", "v:80"),
        ("v:1.5", "v:1.5"),
        ("v:1e21", "v:1e+21"),
        ("v:1E20", "v:100000000000000000000"),
        ("v:0.0000001", "v:1e-7"),
        ("v:0.000001", "v:0.000001"),
        ("v:-0.0", "v:0"),
        ("v:9007199254740993", "v:9007199254740992"),
        ('v:{"b":1,"a":[true,null]}', 'v:{"a":[true,null],"b":1}'),
        # Go's encoding/json/v2, which structured-merge-diff writes with, leaves
        # <, > and & alone and uses the short escapes.
        ('v:"a\\u003cb"', 'v:"a<b"'),
        ('v:"\\u0008\\u000c\\u0001\\u00e9"', 'v:"\\b\\f\\u0001\u00e9"'),
        ("i:3", "i:3"),
        ("i:+007", "i:7"),
        ("i:-0", "i:0"),
    ],
)
def test_parse_gives_the_canonical_text(text: str, canonical: str) -> None:
    element = PathElement.parse(text)
    assert element.to_string() == canonical
    assert PathElement.parse(canonical) == element


def test_constructors_match_parse() -> None:
    assert F("spec") == PathElement.parse("f:spec")
    assert K({"protocol": "TCP", "containerPort": 80}).text == (
        'k:{"containerPort":80,"protocol":"TCP"}'
    )
    assert V("example.com/cleanup").text == 'v:"example.com/cleanup"'
    assert I(3).text == "i:3"
    assert F("spec").kind is ElementKind.FIELD
    assert K({"a": 1}).kind is ElementKind.KEY
    assert V(1).kind is ElementKind.VALUE
    assert I(0).kind is ElementKind.INDEX
    assert F("spec").payload == "spec"
    assert K({"b": 1, "a": "x"}).payload == {"a": "x", "b": 1}
    assert V(["x", 1]).payload == ["x", 1]
    assert I(4).payload == 4


def test_numbers_are_equal_by_value_and_booleans_are_not_numbers() -> None:
    assert V(80) == V(80.0)
    assert hash(V(80)) == hash(V(80.0))
    assert K({"port": 80}) == PathElement.parse('k:{"port":80.0}')
    assert V(True) != V(1)
    assert V(0) != V(False)
    assert V(None) != V(0)
    assert V(2**60) == PathElement.parse(f"v:{2**60}")


def test_kinds_in_kubernetes_order() -> None:
    # fieldpath/element.go: field names, then keys, then values, then indexes
    # (numerically).
    elements = [I(10), I(2), V("a"), K({"name": "a"}), F("z"), F("a")]
    assert sorted(elements) == [F("a"), F("z"), K({"name": "a"}), V("a"), I(2), I(10)]


def test_values_in_kubernetes_order() -> None:
    # value.Compare: numbers (ints and floats together), strings, booleans,
    # lists, maps, null.
    values: list[JSONValue] = [None, {"a": 1}, [1], True, False, "b", "10", 10, 2.5, -1]
    expected = [-1, 2.5, 10, "10", "b", False, True, [1], {"a": 1}, None]
    assert [e.payload for e in sorted(V(v) for v in values)] == expected
    assert V([1]) < V([1, 0]) < V([2])
    assert V({"a": 1}) < V({"a": 1, "b": 0}) < V({"a": 2}) < V({"b": 0})


def test_keys_in_kubernetes_order() -> None:
    # FieldList.Compare: name, then value, field by field; shorter first.
    assert K({"name": "a"}) < K({"name": "a", "port": 1}) < K({"name": "b"})
    assert K({"port": 53, "protocol": "UDP"}) < K({"port": 443, "protocol": "TCP"})
    assert K({"a": 9}) < K({"b": 0})


@pytest.mark.parametrize(
    ("element", "printed"),
    [
        (F("replicas"), ".replicas"),
        (F("app.kubernetes.io/version"), ".app.kubernetes.io/version"),
        (F(".dockerconfigjson"), "..dockerconfigjson"),
        (K({"name": "nginx"}), '[name="nginx"]'),
        (K({"protocol": "TCP", "containerPort": 80}), '[containerPort=80,protocol="TCP"]'),
        (K({"ok": True, "n": None}), "[n=null,ok=true]"),
        (V("example.com/cleanup"), '[="example.com/cleanup"]'),
        (V('a"b\n'), '[="a\\"b\\n"]'),
        (V(80), "[=80]"),
        (V(1.5), "[=1.5]"),
        # Go's %v of a float64: an exponent from 1e6 and below 1e-4.
        (V(1000000), "[=1e+06]"),
        (V(123456), "[=123456]"),
        (V(0.00001), "[=1e-05]"),
        (V([1, "x"]), '[=[1,"x"]]'),
        (I(3), "[3]"),
    ],
)
def test_elements_print_as_in_conflict_messages(element: PathElement, printed: str) -> None:
    assert str(element) == printed


def test_paths_print_as_in_conflict_messages() -> None:
    # From real "Apply failed with N conflicts" messages.
    env = Path.of(
        "spec", "template", "spec", "containers", K({"name": "agent-smith"}),
        "env", K({"name": "KUBE_NAMESPACE"}), "valueFrom", "fieldRef",
    )  # fmt: skip
    assert str(env) == (
        '.spec.template.spec.containers[name="agent-smith"]'
        '.env[name="KUBE_NAMESPACE"].valueFrom.fieldRef'
    )
    assert str(Path.of("metadata", "labels", "app.kubernetes.io/version")) == (
        ".metadata.labels.app.kubernetes.io/version"
    )
    assert str(Path.of("data", ".dockerconfigjson")) == ".data..dockerconfigjson"
    assert str(Path.of("metadata", "finalizers", V("x"))) == '.metadata.finalizers[="x"]'
    assert str(Path.of("spec", "args", 0)) == ".spec.args[0]"
    assert str(Path()) == ""
    assert repr(Path.of("spec")) == "Path('.spec')"


def test_paths_in_kubernetes_order() -> None:
    # fieldpath/path.go Compare: element by element, a prefix first.
    a = Path.of("spec")
    assert a < Path.of("spec", "replicas") < Path.of("spec", K({"name": "x"})) < Path.of("status")


def test_elements_are_immutable_and_survive_copy_and_pickle() -> None:
    element = K({"name": "c"})
    assert copy.deepcopy(element) == element
    assert pickle.loads(pickle.dumps(element)) == element
    assert type(pickle.loads(pickle.dumps(element))) is PathElement
    assert repr(element) == 'PathElement(\'k:{"name":"c"}\')'
    fields = FieldSet([Path.of("a", "b"), Path.of("a")])
    assert pickle.loads(pickle.dumps(fields)) == fields
    assert copy.deepcopy(fields) == fields


# -- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "fieldsV1 must be a JSON object, not list"),
        ("f:a", "fieldsV1 must be a JSON object, not str"),
        ({"f:a": 1}, 'the value of "f:a" must be a JSON object, not int'),
        ({"f:a": []}, 'the value of "f:a" must be a JSON object, not list'),
        ({"f:a": "x"}, 'the value of "f:a" must be a JSON object, not str'),
        ({"f:a": True}, 'the value of "f:a" must be a JSON object, not bool'),
        ({"f": {}}, 'key "f" does not start with a type letter and a colon'),
        ({"": {}}, 'key "" does not start with a type letter and a colon'),
        ({"spec": {}}, 'key "spec" does not start with a type letter and a colon'),
        ({"k:[1]": {}}, 'key "k:[1]": a key must be a JSON object'),
        ({'k:"x"': {}}, "a key must be a JSON object"),
        ({"k:{": {}}, 'key "k:{": invalid JSON'),
        ({"v:": {}}, 'key "v:": invalid JSON'),
        ({"v:1 2": {}}, 'key "v:1 2": invalid JSON'),
        ({"v:1e400": {}}, 'key "v:1e400": invalid JSON'),
        ({"i:1.5": {}}, 'key "i:1.5": the index is not a decimal integer'),
        ({"i: 1": {}}, "the index is not a decimal integer"),
        ({"i:": {}}, "the index is not a decimal integer"),
        ({"i:99999999999999999999": {}}, "is not a 64-bit integer"),
    ],
)
def test_bad_documents_are_refused(document: object, message: str) -> None:
    with pytest.raises(FieldPathError) as caught:
        from_fields_v1(document)
    assert isinstance(caught.value, ValueError)
    assert message in str(caught.value)


def test_errors_say_where() -> None:
    ports: dict[str, Any] = {"f:ports": {"bad": {}}}
    document = {"f:spec": {"f:containers": {'k:{"name":"c"}': ports}}}
    with pytest.raises(FieldPathError) as caught:
        from_fields_v1(document)
    assert caught.value.path == Path.of("spec", "containers", K({"name": "c"}), "ports")
    assert str(caught.value) == (
        'key "bad" does not start with a type letter and a colon'
        ' (under .spec.containers[name="c"].ports)'
    )
    assert caught.value.problem.startswith('key "bad"')


def test_parse_refuses_unknown_types_that_from_fields_v1_drops() -> None:
    with pytest.raises(UnknownElementError, match='key "x:a" is of unknown type'):
        PathElement.parse("x:a")
    assert from_fields_v1({"x:a": {}}) == EMPTY


def test_constructors_refuse_what_is_not_json() -> None:
    with pytest.raises(FieldPathError, match="not a JSON number"):
        V(float("nan"))
    with pytest.raises(FieldPathError, match="not a JSON value"):
        V({1, 2})  # type: ignore[arg-type]
    with pytest.raises(FieldPathError, match="not valid Unicode"):
        V("\ud800")
    with pytest.raises(FieldPathError, match="64-bit"):
        I(2**63)
    with pytest.raises(FieldPathError, match="64-bit"):
        I(True)
    with pytest.raises(FieldPathError, match="out of the range"):
        V(10**400)


# -- sets ----------------------------------------------------------------------------

SPEC_REPLICAS = Path.of("spec", "replicas")
LABELS = Path.of("metadata", "labels")
LABEL_APP = Path.of("metadata", "labels", "app")


def test_insert_returns_a_new_set() -> None:
    empty = FieldSet()
    one = empty.insert(SPEC_REPLICAS)
    assert empty.is_empty()
    assert not one.is_empty()
    assert one.has(SPEC_REPLICAS)
    assert SPEC_REPLICAS in one
    assert not one.has(Path.of("spec"))  # a prefix is not a member
    assert one.insert(SPEC_REPLICAS) is one
    two = one.insert(LABEL_APP).insert(LABELS)
    assert list(two) == [LABELS, LABEL_APP, SPEC_REPLICAS]
    assert list(one) == [SPEC_REPLICAS]
    # The empty path names the whole object, which is never tracked.
    assert one.insert(Path()) is one
    assert not one.has(Path())
    assert FieldSet([Path()]) == EMPTY
    assert FieldSet.from_paths([LABEL_APP, SPEC_REPLICAS, LABELS, LABELS]) == two


def test_with_prefix() -> None:
    fields = FieldSet([LABELS, LABEL_APP, SPEC_REPLICAS])
    assert fields.with_prefix(F("metadata")) == FieldSet(
        [Path.of("labels"), Path.of("labels", "app")]
    )
    assert fields.with_prefix(F("metadata")).with_prefix(F("labels")) == FieldSet([Path.of("app")])
    assert fields.with_prefix(F("status")) == EMPTY
    # Removing .metadata.labels leaves .metadata.labels.app: sets hold paths.
    assert fields - FieldSet([LABELS]) == FieldSet([LABEL_APP, SPEC_REPLICAS])


def test_equality_and_hash() -> None:
    a = FieldSet([LABELS, LABEL_APP])
    b = FieldSet([LABEL_APP]).insert(LABELS)
    assert a == b
    assert hash(a) == hash(b)
    assert a != FieldSet([LABEL_APP])
    assert a != "not a set"
    assert repr(a) == "FieldSet(['.metadata.labels', '.metadata.labels.app'])"


# -- properties ----------------------------------------------------------------------

names = st.text(alphabet="ab.-/é", max_size=3)
scalars: st.SearchStrategy[JSONValue] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet='ab"\\<\n\u2028', max_size=3),
)
elements = st.one_of(
    names.map(F),
    st.dictionaries(st.text(alphabet="np", max_size=2), scalars, min_size=1, max_size=2).map(K),
    st.one_of(scalars, st.lists(scalars, max_size=2)).map(V),
    st.integers(min_value=0, max_value=12).map(I),
)
paths = st.lists(elements, min_size=1, max_size=4).map(Path)
path_lists = st.lists(paths, max_size=12)


def leaves_of(model: frozenset[Path]) -> frozenset[Path]:
    return frozenset(
        p for p in model if not any(len(q) > len(p) and q[: len(p)] == p for q in model)
    )


@given(path_lists)
def test_a_set_behaves_as_the_set_of_its_paths(items: list[Path]) -> None:
    fields = FieldSet(items)
    model = frozenset(items)
    assert list(fields) == sorted(model)
    assert len(fields) == len(model)
    assert all(fields.has(p) for p in model)
    assert frozenset(fields.leaves()) == leaves_of(model)


@given(path_lists, path_lists)
def test_set_algebra_matches_python_sets(left: list[Path], right: list[Path]) -> None:
    a, b = FieldSet(left), FieldSet(right)
    ma, mb = frozenset(left), frozenset(right)
    assert frozenset(a | b) == ma | mb
    assert frozenset(a & b) == ma & mb
    assert frozenset(a - b) == ma - mb
    # Results are canonical: equal to the set built from their paths.
    for result in (a | b, a & b, a - b):
        assert result == FieldSet(result)


@given(path_lists, path_lists)
def test_recursive_difference_drops_every_path_under_one_of_the_other(
    left: list[Path], right: list[Path]
) -> None:
    a, b = FieldSet(left), FieldSet(right)
    kept = frozenset(p for p in left if not any(p[:n] in b for n in range(1, len(p) + 1)))
    result = a.recursive_difference(b)
    assert frozenset(result) == kept
    assert result == FieldSet(result)


@given(path_lists, path_lists, path_lists)
def test_set_algebra_laws(x: list[Path], y: list[Path], z: list[Path]) -> None:
    a, b, c = FieldSet(x), FieldSet(y), FieldSet(z)
    assert a | b == b | a
    assert a & b == b & a
    assert (a | b) | c == a | (b | c)
    assert (a & b) & c == a & (b & c)
    assert a & (b | c) == (a & b) | (a & c)
    assert (a - b) | (a & b) == a
    assert (a - b) & b == EMPTY
    assert a - a == EMPTY
    assert a | a == a
    assert a & a == a
    assert a | EMPTY == a
    assert a & EMPTY == EMPTY


@given(path_lists)
def test_fields_v1_round_trip(items: list[Path]) -> None:
    fields = FieldSet(items)
    document = to_fields_v1(fields)
    raw = orjson.dumps(document)
    assert from_fields_v1(document) == fields
    assert from_fields_v1(orjson.loads(raw)) == fields
    assert round_trip(raw) == raw


def _assert_kubernetes_order(document: dict[str, Any]) -> None:
    keys = list(document)
    if "." in keys:
        assert keys[0] == "."
        keys = keys[1:]
    parsed = [PathElement.parse(key) for key in keys]
    assert parsed == sorted(parsed)
    assert len(set(parsed)) == len(parsed)
    for value in document.values():
        _assert_kubernetes_order(value)


@given(path_lists)
def test_fields_v1_keys_are_written_in_kubernetes_order(items: list[Path]) -> None:
    _assert_kubernetes_order(to_fields_v1(FieldSet(items)))


@given(elements)
def test_an_element_reads_back_from_its_text(element: PathElement) -> None:
    assert PathElement.parse(element.to_string()) == element
    assert PathElement.parse(element.to_string()).to_string() == element.to_string()


@given(elements, elements)
def test_element_order_is_total_and_agrees_with_equality(a: PathElement, b: PathElement) -> None:
    assert (a == b) == (not a < b and not b < a)
    assert (a == b) == (a.text == b.text)
