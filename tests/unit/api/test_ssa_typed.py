"""Server-side apply's typed walks: field sets as Kubernetes records them
(against real managedFields), merge (with structured-merge-diff's own merge
vectors), remove and extract, compare, and the laws that tie them together."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubelite.api.ssa import EMPTY, FieldSet, Path, PathElement, from_fields_v1, to_fields_v1
from kubelite.api.ssa.kinds import type_for_kind, type_for_schema
from kubelite.api.ssa.merge import changed_fields, compare, merge
from kubelite.api.ssa.typed import (
    TypedError,
    ensure_named_fields_are_members,
    extract,
    field_set,
    remove,
)
from kubelite.api.ssa.types import (
    UNTYPED,
    ListType,
    Map,
    Node,
    Scalar,
    Struct,
)

K = PathElement.key
V = PathElement.value

# Field sets as Kubernetes writes them, shared with test_ssa_fieldpath.py.
DATA = FilePath(__file__).parent / "data"


def _kind(group: str, kind: str) -> Node:
    node = type_for_kind(group, "v1", kind)
    assert node is not None
    return node


DEPLOYMENT = _kind("apps", "Deployment")
POD = _kind("", "Pod")
SERVICE = _kind("", "Service")
CONFIGMAP = _kind("", "ConfigMap")


def fields_v1(text: str) -> FieldSet:
    return from_fields_v1(orjson.loads(text))


def copy(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


# What Kubernetes leaves out of every entry (stripMeta in managedfields).
_META = FieldSet(
    [Path.of("apiVersion"), Path.of("kind")]
    + [
        Path.of("metadata", name)
        for name in (
            "name",
            "namespace",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "selfLink",
            "managedFields",
        )
    ]
)


def entry(fields: FieldSet) -> FieldSet:
    return fields - _META


def nginx(**spec: Any) -> dict[str, Any]:
    """The Deployment kubectl's examples apply, as a client sends it."""
    container: dict[str, Any] = {"name": "nginx", "image": "nginx:1.14.2"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "nginx", "labels": {"app": "nginx"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [container | spec]},
            },
        },
    }


# -- field_set: what an applier owns ---------------------------------------------


def test_applied_configmap_owns_what_the_kubernetes_docs_show() -> None:
    config: Any = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "test-cm", "namespace": "default", "labels": {"test-label": "test"}},
        "data": {"key": "some value"},
    }
    # The Server-Side Apply page's example entry (manager kubectl, Apply).
    expected = '{"f:metadata":{"f:labels":{"f:test-label":{}}},"f:data":{"f:key":{}}}'
    assert entry(field_set(config, CONFIGMAP)) == fields_v1(expected)


def test_applied_deployment_owns_leaves_and_items_not_the_structs_around_them() -> None:
    fields = entry(field_set(nginx(ports=[{"containerPort": 80}]), DEPLOYMENT))
    # Items are members ("."), declared structs and maps are not, even labels.
    expected = r"""{"f:metadata":{"f:labels":{"f:app":{}}},
      "f:spec":{"f:replicas":{},"f:selector":{},"f:template":{
        "f:metadata":{"f:labels":{"f:app":{}}},
        "f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{},
          "f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{
            ".":{},"f:containerPort":{}}}}}}}}}"""
    assert fields == fields_v1(expected)
    assert orjson.dumps(to_fields_v1(fields)) == orjson.dumps(orjson.loads(expected))


def test_service_ports_are_keyed_by_port_and_the_default_protocol() -> None:
    ports = [{"port": 53, "protocol": "UDP"}, {"port": 443, "name": "https"}]
    config: Any = {"spec": {"ports": ports}}
    udp, tcp = K({"port": 53, "protocol": "UDP"}), K({"port": 443, "protocol": "TCP"})
    assert list(field_set(config, SERVICE)) == [
        Path.of("spec", "ports", udp),
        Path.of("spec", "ports", udp, "port"),
        Path.of("spec", "ports", udp, "protocol"),
        Path.of("spec", "ports", tcp),
        Path.of("spec", "ports", tcp, "name"),
        Path.of("spec", "ports", tcp, "port"),
    ]


def test_set_items_are_owned_one_by_one() -> None:
    config: Any = {"metadata": {"finalizers": ["example.com/cleanup", "kubernetes"]}}
    expected = r"""{"f:metadata":{"f:finalizers":{
      "v:\"example.com/cleanup\"":{},"v:\"kubernetes\"":{}}}}"""
    assert field_set(config, POD) == fields_v1(expected)


@pytest.mark.parametrize(
    ("spec", "owned"),
    [
        ({"selector": {"matchLabels": {"a": "b"}}}, ["selector"]),  # atomic struct
        ({"template": {"spec": {"tolerations": [{"key": "k"}]}}}, ["template.spec.tolerations"]),
        ({"template": {"spec": {"nodeSelector": {"a": "b"}}}}, ["template.spec.nodeSelector"]),
        (
            {"template": {"spec": {"nodeSelector": None, "tolerations": []}}},
            ["template.spec.nodeSelector", "template.spec.tolerations"],
        ),
        ({"replicas": None}, ["replicas"]),  # a null scalar is set to null
        ({"template": None, "strategy": {}}, []),  # granular: only a prefix
        ({"template": {"metadata": {"labels": {}}, "spec": {"containers": []}}}, []),
    ],
)
def test_atomic_values_are_one_field_and_empty_granular_ones_none(
    spec: dict[str, Any], owned: list[str]
) -> None:
    expected = FieldSet(Path.of("spec", *name.split(".")) for name in owned)
    assert field_set({"spec": spec}, DEPLOYMENT) == expected


CRD = type_for_schema(
    {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "replicas": {"type": "integer"},
                    "name": {"type": "string"},
                    "enabled": {"type": "boolean"},
                    "tags": {
                        "type": "array",
                        "x-kubernetes-list-type": "set",
                        "items": {"type": "string"},
                    },
                    "ports": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                        "items": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {
                                "name": {"type": "string"},
                                "port": {"type": "integer"},
                                "protocol": {"type": "string"},
                            },
                        },
                    },
                    "args": {"type": "array", "items": {"type": "string"}},
                    "selector": {
                        "type": "object",
                        "x-kubernetes-map-type": "atomic",
                        "properties": {"app": {"type": "string"}},
                    },
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "template": {
                        "type": "object",
                        "properties": {
                            "image": {"type": "string"},
                            "limits": {
                                "type": "object",
                                "additionalProperties": {"type": "string"},
                            },
                        },
                    },
                    "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                },
            }
        },
    }
)


def test_keys_of_maps_and_fields_outside_the_schema_are_members() -> None:
    config: Any = {"spec": {"labels": {"x": "1"}, "config": {"a": {"b": [1]}, "c": None}}}
    assert list(field_set(config, CRD)) == [
        Path.of("spec", "config", "a"),
        Path.of("spec", "config", "a", "b"),
        Path.of("spec", "config", "c"),
        Path.of("spec", "labels", "x"),
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"template": {"spec": {"containers": [{"name": "c"}, {"name": "c"}]}}},
            '.spec.template.spec.containers: duplicate entries for key [name="c"]',
        ),
        (
            {"template": {"spec": {"containers": [None]}}},
            ".spec.template.spec.containers: element 0: "
            "associative list with keys may not have a null element",
        ),
        (
            {"template": {"spec": {"containers": ["c"]}}},
            ".spec.template.spec.containers: element 0: "
            "associative list with keys may not have non-map elements",
        ),
        (
            {"template": {"spec": {"containers": [{"image": "x"}]}}},
            ".spec.template.spec.containers: element 0: associative list with keys "
            "['name'] has an item that omits every key field (and none has a default)",
        ),
        (
            {"template": {"spec": {"containers": [{"name": "c", "image": 5}]}}},
            '.spec.template.spec.containers[name="c"].image: expected string, got number',
        ),
        ({"replicas": "3"}, ".spec.replicas: expected numeric (int or float), got string"),
        ({"paused": 1}, ".spec.paused: expected boolean, got number"),
        ({"template": []}, ".spec.template: expected map, got list"),
        ({"selector": "app=x"}, ".spec.selector: expected map, got string"),
        (
            {"template": {"spec": {"tolerations": {}}}},
            ".spec.template.spec.tolerations: expected list, got map",
        ),
        ({"replica": 3}, ".spec.replica: field not declared in schema"),
    ],
)
def test_invalid_objects_are_refused_where_and_as_kubernetes_says(
    spec: dict[str, Any], message: str
) -> None:
    obj: Any = {"spec": spec}
    with pytest.raises(TypedError) as caught:
        field_set(obj, DEPLOYMENT)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_merge_and_compare_check_what_they_walk() -> None:
    live: Any = {"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "c"}]}}}}
    refused: dict[str, Any] = {
        ".spec.replicas: expected numeric (int or float), got string": {"replicas": "3"},
        ".spec.template: expected map, got list": {"template": []},
        ".spec.replica: field not declared in schema": {"replica": 3},
        '.spec.template.spec.containers[name="c"].image: expected string, got number': {
            "template": {"spec": {"containers": [{"name": "c", "image": 5}]}}
        },
    }
    for message, spec in refused.items():
        with pytest.raises(TypedError) as caught:
            merge(live, {"spec": spec}, DEPLOYMENT)
        assert str(caught.value) == message
    # Compare takes stored objects: it checks shapes and names, not scalars.
    with pytest.raises(TypedError, match=r"^\.spec\.template: expected map, got list$"):
        compare(live, {"spec": {"template": []}}, DEPLOYMENT)
    with pytest.raises(TypedError, match=r"^\.spec\.replica: field not declared in schema$"):
        compare({}, {"spec": {"replica": 3}}, DEPLOYMENT)


@pytest.mark.parametrize(
    ("finalizers", "message"),
    [
        (["a", "a"], '.metadata.finalizers: duplicate entries for key [="a"]'),
        (
            [{}],
            ".metadata.finalizers: element 0: "
            "associative list without keys has an element that's a map type",
        ),
        (
            [None],
            ".metadata.finalizers: element 0: "
            "associative list without keys has an element that's an explicit null",
        ),
        (
            [["a"]],
            ".metadata.finalizers: element 0: "
            "not supported: associative list with lists as elements",
        ),
        ([1], ".metadata.finalizers[=1]: expected string, got number"),
    ],
)
def test_invalid_set_items(finalizers: list[Any], message: str) -> None:
    with pytest.raises(TypedError) as caught:
        field_set({"metadata": {"finalizers": finalizers}}, POD)
    assert str(caught.value) == message


def test_stored_objects_may_hold_duplicates() -> None:
    env = [{"name": "A", "value": "1"}, {"name": "A", "valueFrom": {"fieldRef": {}}}]
    pod: Any = {"spec": {"containers": [{"name": "c", "env": env}]}}
    a = ("spec", "containers", K({"name": "c"}), "env", K({"name": "A"}))
    assert set(field_set(pod, POD, allow_duplicates=True)) >= {
        Path.of(*a),
        Path.of(*a, "value"),
        Path.of(*a, "valueFrom", "fieldRef"),
    }


# -- compare: what an updater changed --------------------------------------------

# A `kubectl apply` (client side) creating the nginx Deployment; its entry,
# manager kubectl-client-side-apply, operation Update, as Kubernetes 1.2x
# writes it after defaulting.
CLIENT_SIDE_ENTRY = (DATA / "deployment-client-side-fields.json").read_text()

# An apps/v1 Deployment as Go's zero value encodes it: the "before" of a create.
EMPTY_DEPLOYMENT: Any = {
    "metadata": {"creationTimestamp": None},
    "spec": {
        "selector": None,
        "strategy": {},
        "template": {"metadata": {"creationTimestamp": None}, "spec": {"containers": None}},
    },
    "status": {},
}


def created_nginx() -> dict[str, Any]:
    """The nginx Deployment as stored after creation and defaulting."""
    container = {
        "name": "nginx",
        "image": "nginx:1.14.2",
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": 80, "protocol": "TCP"}],
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    return {
        "metadata": {
            "name": "nginx",
            "namespace": "default",
            "uid": "5b1f0c9e",
            "resourceVersion": "1",
            "generation": 1,
            "creationTimestamp": "2024-01-15T10:00:00Z",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
            "labels": {"app": "nginx"},
        },
        "spec": {
            "progressDeadlineSeconds": 600,
            "replicas": 1,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": {"app": "nginx"}},
            "strategy": {
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                "type": "RollingUpdate",
            },
            "template": {
                "metadata": {"creationTimestamp": None, "labels": {"app": "nginx"}},
                "spec": {
                    "containers": [container],
                    "dnsPolicy": "ClusterFirst",
                    "restartPolicy": "Always",
                    "schedulerName": "default-scheduler",
                    "securityContext": {},
                    "terminationGracePeriodSeconds": 30,
                },
            },
        },
        "status": {},
    }


def test_create_records_what_kubectl_client_side_apply_owns() -> None:
    changes = compare(EMPTY_DEPLOYMENT, created_nginx(), DEPLOYMENT)
    assert changes.removed == EMPTY
    # A map or list absent before is itself added ("."), containers was null
    # before and is not; resources and securityContext are new, empty leaves.
    assert entry(changes.added | changes.modified) == fields_v1(CLIENT_SIDE_ENTRY)


def test_kubelet_status_update_records_what_the_kubelet_owns() -> None:
    def condition(kind: str, status: str, time: str) -> dict[str, str]:
        return {"type": kind, "status": status, "lastTransitionTime": time, "reason": "Started"}

    before: Any = {
        "status": {
            "phase": "Running",
            "hostIP": "10.0.0.7",
            "conditions": [
                condition("Initialized", "True", "t0"),
                condition("Ready", "False", "t0"),
                condition("ContainersReady", "False", "t0"),
            ],
            "containerStatuses": [{"name": "c", "ready": False}],
        }
    }
    after = copy(before)
    after["status"]["conditions"][1:] = [
        condition("Ready", "True", "t1"),
        condition("ContainersReady", "True", "t1"),
    ]
    after["status"] |= {
        "containerStatuses": [{"name": "c", "ready": True}],
        "podIP": "172.155.130.108",
        "podIPs": [{"ip": "172.155.130.108"}],
    }
    changes = compare(before, after, POD)
    # kubernetes/kubernetes#89080: the kubelet's entry after a pod starts.
    expected = r"""{"f:status": {
      "f:conditions": {
        "k:{\"type\":\"ContainersReady\"}": {"f:lastTransitionTime": {}, "f:status": {}},
        "k:{\"type\":\"Ready\"}": {"f:lastTransitionTime": {}, "f:status": {}}},
      "f:containerStatuses": {}, "f:podIP": {},
      "f:podIPs": {".": {}, "k:{\"ip\":\"172.155.130.108\"}": {".": {}, "f:ip": {}}}}}"""
    assert changes.added | changes.modified == fields_v1(expected)
    assert changes.removed == EMPTY


LEAF = Scalar("untyped")
INNER = Struct({"inner": Struct({"value": LEAF})})


@pytest.mark.parametrize(
    ("node", "old", "new", "added", "modified", "removed"),
    [
        # null and empty differ; a missing value differs from both.
        (INNER, {}, {"inner": {}}, ["inner"], [], []),
        (INNER, {}, {"inner": None}, ["inner"], [], []),
        (INNER, {"inner": None}, {"inner": {}}, [], ["inner"], []),
        (INNER, {"inner": {"value": 1}}, {"inner": None}, [], [], ["inner.value"]),
        (INNER, {"inner": {"value": 1}}, {}, [], [], ["inner", "inner.value"]),
        # Untyped values: a map on one side is walked, the rest are leaves.
        (UNTYPED, {"a": {"b": {}}}, {"a": ["b"]}, [], ["a"], ["a.b"]),
        (UNTYPED, {"a": "b"}, {"a": {"b": {}}}, ["a.b"], ["a"], []),
        (UNTYPED, {"a": {"b": {}}}, {"a": None}, [], [], ["a.b"]),
        (UNTYPED, {"a": None}, {"a": "b"}, [], ["a"], []),
        # Numbers compare by value; a boolean is not a number.
        (UNTYPED, {"a": 1, "b": [1]}, {"a": 1.0, "b": [1.0]}, [], [], []),
        (UNTYPED, {"a": 1, "b": [1]}, {"a": True, "b": [True]}, [], ["a", "b"], []),
    ],
)
def test_compare_as_structured_merge_diff(
    node: Node,
    old: dict[str, Any],
    new: dict[str, Any],
    added: list[str],
    modified: list[str],
    removed: list[str],
) -> None:
    def paths(names: list[str]) -> FieldSet:
        return FieldSet(Path.of(*name.split(".")) for name in names)

    forward = compare(old, new, node)
    assert (forward.added, forward.modified, forward.removed) == (
        paths(added),
        paths(modified),
        paths(removed),
    )
    backward = compare(new, old, node)
    assert (backward.added, backward.removed) == (paths(removed), paths(added))


def test_compare_treats_a_duplicated_key_as_one_atomic_value() -> None:
    one = {"name": "A", "value": "1"}
    pod: Any = {"spec": {"containers": [{"name": "c", "env": [one]}]}}
    twice = copy(pod)
    twice["spec"]["containers"][0]["env"].append({"name": "A", "value": "2"})
    a = Path.of("spec", "containers", K({"name": "c"}), "env", K({"name": "A"}))
    became = compare(pod, twice, POD)
    assert became.added == FieldSet([a])
    assert became.removed == FieldSet([a, Path.of(*a, "name"), Path.of(*a, "value")])
    stopped = compare(twice, pod, POD)
    assert stopped.removed == FieldSet([a])
    assert a in stopped.added
    changed = copy(twice)
    changed["spec"]["containers"][0]["env"][1]["value"] = "3"
    assert compare(twice, changed, POD).modified == FieldSet([a])


def test_changed_fields_are_what_apply_would_add_or_change() -> None:
    live = created_nginx()
    config = nginx(image="nginx:1.25")
    assert changed_fields(live, config, DEPLOYMENT) == FieldSet(
        [
            Path.of("apiVersion"),
            Path.of("kind"),
            Path.of("spec", "replicas"),
            Path.of("spec", "template", "spec", "containers", K({"name": "nginx"}), "image"),
        ]
    )
    assert changed_fields(live, copy(live), DEPLOYMENT) == EMPTY


# -- merge -----------------------------------------------------------------------

# structured-merge-diff's merge vectors (typed/merge_test.go): live, config,
# result, over sets of strings, booleans and numbers, and a map-list keyed by
# key and id; live lists may hold duplicates.
VECTOR_SCHEMA = type_for_schema(
    {
        "type": "object",
        "properties": {
            "s": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
            "b": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "boolean"}},
            "n": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "number"}},
            "l": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["key", "id"],
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string"},
                        "id": {"type": "number"},
                        "bv": {"type": "boolean"},
                        "nv": {"type": "number"},
                    },
                },
            },
            "atomic": {"type": "array", "items": {"type": "string"}},
        },
    }
)
SET_VECTORS = [
    ("abcd", "dxb", "acdxb"),  # the worked example in merge's docstring
    ("abc", "ab", "abc"),
    ("ab", "abc", "abc"),
    ("abc", "", "abc"),
    ("ab", "ba", "ba"),
    ("abc", "def", "abcdef"),
    ("abc", "cdef", "abcdef"),
    ("abcgf", "cdef", "abcgdef"),
    ("cdef", "ace", "acdef"),
    ("abcxyz", "def", "abcxyzdef"),
    ("abcxyz", "defxyz", "abcdefxyz"),
    ("cagf", "cfag", "cfag"),
    ("abcd", "defa", "bcdefa"),
    ("cdefghij", "2h3e4kl", "cdfg2hij3e4kl"),
    ("abcdefghij", "1b2h3e4kl", "a1bcdfg2hij3e4kl"),
    ("abb", "c", "abbc"),  # live duplicates the config leaves alone stay
    ("abb", "b", "ab"),  # and those it names become its one item
    ("abb", "a", "abb"),
    ("abcdec", "1b2ed", "a1bc2ecd"),
    ("abcdec", "1b2ced", "a1b2ced"),
    ("aabb", "bcd", "aabcd"),
    ("cagfca", "cfag", "cfag"),
]


@pytest.mark.parametrize(("live", "config", "merged"), SET_VECTORS)
def test_merged_set_order(live: str, config: str, merged: str) -> None:
    result = merge({"s": list(live)}, {"s": list(config)}, VECTOR_SCHEMA)
    assert result == {"s": list(merged)}


@pytest.mark.parametrize(
    ("live", "config", "merged"),
    [
        ({"b": [True]}, {"b": [False]}, {"b": [True, False]}),
        ({"b": [True, False, True]}, {"b": [False]}, {"b": [True, False, True]}),
        ({"b": [True, False, True]}, {"b": [True]}, {"b": [True, False]}),
        ({"n": [1, 2, 3.14159]}, {"n": [1, 2, 3]}, {"n": [1, 2, 3.14159, 3]}),
        ({"n": [1, 2, 3.14159, 1, 2]}, {"n": [1, 2, 3]}, {"n": [1, 2, 3.14159, 3]}),
        ({"atomic": ["a", "a"]}, {"atomic": None}, {"atomic": None}),
        ({"atomic": ["a", "b"]}, {"atomic": []}, {"atomic": []}),
        (
            {"l": [{"key": "a", "id": 1}, {"key": "b", "id": 1}]},
            {"l": [{"key": "a", "id": 1}, {"key": "a", "id": 2}]},
            {"l": [{"key": "a", "id": 1}, {"key": "b", "id": 1}, {"key": "a", "id": 2}]},
        ),
        (
            {"l": [{"key": "a", "id": 1}, {"key": "b", "id": 2}, {"key": "c", "id": 3}]},
            {"l": [{"key": "c", "id": 3}, {"key": "a", "id": 1}]},
            {"l": [{"key": "b", "id": 2}, {"key": "c", "id": 3}, {"key": "a", "id": 1}]},
        ),
        (  # the config's item replaces every duplicate, unmerged
            {
                "l": [
                    {"key": "a", "id": 1, "bv": True},
                    {"key": "b", "id": 2},
                    {"key": "a", "id": 1, "nv": 2},
                ]
            },
            {"l": [{"key": "a", "id": 1, "nv": 3}, {"key": "c", "id": 3}, {"key": "b", "id": 2}]},
            {"l": [{"key": "a", "id": 1, "nv": 3}, {"key": "c", "id": 3}, {"key": "b", "id": 2}]},
        ),
        (
            {"l": [{"key": "a", "id": 1, "nv": 1}, {"key": "a", "id": 1, "nv": 2}]},
            {"l": []},
            {"l": [{"key": "a", "id": 1, "nv": 1}, {"key": "a", "id": 1, "nv": 2}]},
        ),
    ],
)
def test_merge_vectors(live: Any, config: Any, merged: Any) -> None:
    result = merge(live, config, VECTOR_SCHEMA)
    assert orjson.dumps(result) == orjson.dumps(merged)


def test_containers_merge_by_name_and_keep_what_the_config_leaves_out() -> None:
    live = created_nginx()
    sidecar = {"name": "sidecar", "image": "envoy"}
    live["spec"]["template"]["spec"]["containers"].append(sidecar)
    config = nginx(image="nginx:1.25")
    config["spec"]["template"]["spec"]["containers"].insert(0, {"name": "init", "image": "busybox"})
    result: Any = merge(live, config, DEPLOYMENT)
    containers = result["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["init", "nginx", "sidecar"]
    assert containers[1]["image"] == "nginx:1.25"
    assert containers[1]["imagePullPolicy"] == "IfNotPresent"  # the live value stays
    assert containers[2] is sidecar  # untouched parts are shared, not copied
    assert result["spec"]["replicas"] == 3
    assert result["status"] is live["status"]


def test_ports_merge_by_port_and_protocol() -> None:
    ports = [
        {"containerPort": 53, "protocol": "UDP", "name": "dns"},
        {"containerPort": 53, "protocol": "TCP", "name": "dns-tcp"},
    ]
    live: Any = {"spec": {"containers": [{"name": "c", "ports": ports}]}}
    config: Any = {
        "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 53, "name": "x"}]}]}
    }
    result: Any = merge(live, config, POD)
    assert result["spec"]["containers"][0]["ports"] == [
        {"containerPort": 53, "protocol": "UDP", "name": "dns"},
        {"containerPort": 53, "protocol": "TCP", "name": "x"},
    ]


def test_labels_merge_by_key_while_atomic_values_are_replaced() -> None:
    live: Any = {
        "metadata": {"labels": {"a": "1", "b": "2"}, "finalizers": ["x", "y"]},
        "spec": {
            "selector": {"matchLabels": {"a": "1"}, "matchExpressions": []},
            "template": {"spec": {"tolerations": [{"key": "k1"}], "nodeSelector": {"z": "1"}}},
        },
    }
    config: Any = {
        "metadata": {"labels": {"b": "3", "c": "4"}, "finalizers": ["z", "x"]},
        "spec": {
            "selector": {"matchLabels": {"c": "4"}},
            "template": {"spec": {"tolerations": [{"key": "k2"}], "nodeSelector": {"w": "2"}}},
        },
    }
    assert merge(live, config, DEPLOYMENT) == {
        "metadata": {"labels": {"a": "1", "b": "3", "c": "4"}, "finalizers": ["z", "x", "y"]},
        "spec": {
            "selector": {"matchLabels": {"c": "4"}},
            "template": {"spec": {"tolerations": [{"key": "k2"}], "nodeSelector": {"w": "2"}}},
        },
    }


@pytest.mark.parametrize(
    ("live", "config", "merged"),
    [
        # Null or empty granular values in the config add nothing.
        ({"template": {"spec": {}}}, {"template": None}, {"template": {"spec": {}}}),
        ({"strategy": {"type": "x"}}, {"strategy": {}}, {"strategy": {"type": "x"}}),
        ({"strategy": {}}, {"strategy": None}, {"strategy": None}),  # both empty: a leaf
        ({"strategy": None}, {"strategy": {"type": "x"}}, {"strategy": {"type": "x"}}),
        # A null scalar or atomic value in the config is a value.
        ({"replicas": 3}, {"replicas": None}, {"replicas": None}),
        ({"selector": {"matchLabels": {}}}, {"selector": None}, {"selector": None}),
        ({"paused": True}, {"replicas": 1}, {"paused": True, "replicas": 1}),
    ],
)
def test_merge_of_null_and_empty_values(live: Any, config: Any, merged: Any) -> None:
    assert merge({"spec": live}, {"spec": config}, DEPLOYMENT) == {"spec": merged}


def test_merge_refuses_duplicates_in_the_config_only() -> None:
    live: Any = {"metadata": {"finalizers": ["a", "a"]}}
    assert merge(live, {"metadata": {"finalizers": ["b"]}}, POD) == {
        "metadata": {"finalizers": ["a", "a", "b"]}
    }
    with pytest.raises(TypedError, match=r"^\.metadata\.finalizers: duplicate entries for key"):
        merge({"metadata": {"finalizers": ["b"]}}, live, POD)


# -- remove, extract -------------------------------------------------------------


def test_remove_takes_fields_out_and_leaves_emptied_containers() -> None:
    merged = merge(created_nginx(), nginx(), DEPLOYMENT)
    result: Any = remove(merged, field_set(nginx(), DEPLOYMENT), DEPLOYMENT)
    assert result["metadata"]["labels"] == {}  # emptied: {} since SMD #306
    spec = result["spec"]
    assert "replicas" not in spec
    assert "selector" not in spec
    assert spec["template"]["metadata"] == {"creationTimestamp": None, "labels": {}}
    assert spec["template"]["spec"]["containers"] == []  # the item was owned whole
    assert spec["strategy"] == merged["spec"]["strategy"]  # type: ignore[index, call-overload]


def test_remove_an_item_or_fields_inside_it() -> None:
    pod: Any = {"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}}
    b = K({"name": "b"})
    assert remove(pod, FieldSet([Path.of("spec", "containers", b)]), POD) == {
        "spec": {"containers": [{"name": "a", "image": "x"}]}
    }
    assert remove(pod, FieldSet([Path.of("spec", "containers", b, "image")]), POD) == {
        "spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b"}]}
    }
    everything = FieldSet([Path.of("spec"), Path.of("kind")])
    assert remove({"spec": {"replicas": 1}}, everything, DEPLOYMENT) is None


def test_extract_keeps_what_the_set_names() -> None:
    merged = merge(created_nginx(), nginx(ports=[{"containerPort": 80}]), DEPLOYMENT)
    fields = field_set(nginx(ports=[{"containerPort": 80}]), DEPLOYMENT)
    assert extract(merged, fields, DEPLOYMENT) == nginx(ports=[{"containerPort": 80}])
    # An item keeps only the fields named under it, besides its key fields.
    port = K({"containerPort": 80, "protocol": "TCP"})
    nginx_item = ("spec", "template", "spec", "containers", K({"name": "nginx"}))
    only = FieldSet([Path.of(*nginx_item, "ports", port)])
    ports = {"ports": [{"containerPort": 80, "protocol": "TCP"}]}
    assert extract(merged, only, DEPLOYMENT) == {
        "spec": {"template": {"spec": {"containers": [ports]}}}
    }


def test_extract_returns_empty_values_as_they_are() -> None:
    obj: Any = {"spec": {"config": {"a": {}, "b": [], "c": None}, "args": []}}
    fields = field_set(obj, CRD)
    assert extract(obj, fields, CRD) == obj
    # A granular value with nothing named in it is left out (null inside).
    assert extract({"spec": {"labels": {}}, "x": 1}, EMPTY, CRD) is None


def test_named_fields_become_members_for_pruning() -> None:
    fields = FieldSet([Path.of("spec", "config", "a", "b"), Path.of("metadata", "labels", "x")])
    assert set(ensure_named_fields_are_members(fields, CRD)) == set(fields) | {
        Path.of("spec"),
        Path.of("spec", "config"),
        Path.of("metadata"),
        Path.of("metadata", "labels"),
    }
    item = FieldSet([Path.of("spec", "containers", K({"name": "c"}), "resources", "limits")])
    assert set(ensure_named_fields_are_members(item, POD)) == set(item) | {
        Path.of("spec"),
        Path.of("spec", "containers"),
        Path.of("spec", "containers", K({"name": "c"}), "resources"),
    }


# -- laws ------------------------------------------------------------------------


def _values(node: Node, depth: int = 0) -> st.SearchStrategy[Any]:
    """Valid values of ``node``, small."""
    names = st.text(alphabet="abxy", min_size=1, max_size=2)
    if isinstance(node, Scalar):
        scalars: dict[str, st.SearchStrategy[Any]] = {
            "string": st.text(alphabet="ab", max_size=2),
            "numeric": st.integers(-3, 3) | st.sampled_from([0.5, 1.0, -0.0]),
            "boolean": st.booleans(),
        }
        return st.none() | scalars.get(node.kind, st.integers(0, 2))
    if isinstance(node, ListType):
        items = _values(node.items, depth + 1)
        if node.kind == "atomic":
            return st.none() | st.lists(items, max_size=2)
        if node.kind == "set":
            return st.none() | st.lists(
                st.text(alphabet="abc", max_size=1), max_size=3, unique=True
            )
        assert isinstance(node.items, Struct)
        required = {key: st.text(alphabet="pq", max_size=1) for key in node.keys}
        optional = {
            name: _values(child, depth + 1)
            for name, child in node.items.fields.items()
            if name not in node.keys
        }
        item = st.fixed_dictionaries(required, optional=optional)
        unique = st.lists(item, max_size=3, unique_by=lambda i: tuple(i[k] for k in node.keys))
        return st.none() | unique
    if isinstance(node, Map):
        return st.none() | st.dictionaries(names, _values(node.values, depth + 1), max_size=2)
    if isinstance(node, Struct):
        if not node.fields:
            return st.just({})
        fields = {name: _values(child, depth + 1) for name, child in node.fields.items()}
        return st.none() | st.fixed_dictionaries({}, optional=fields)
    leaf = st.none() | st.integers(0, 2) | st.text(alphabet="ab", max_size=1)
    return st.recursive(
        leaf,
        lambda inner: st.lists(inner, max_size=2) | st.dictionaries(names, inner, max_size=2),
        max_leaves=4,
    )


SPEC = CRD.field("spec")
assert SPEC is not None
objects = st.fixed_dictionaries({}, optional={"spec": _values(SPEC)})
laws = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@laws
@given(objects, objects)
def test_a_merge_sets_every_field_the_config_sets(live: Any, config: Any) -> None:
    before = orjson.dumps([live, config])
    merged = merge(live, config, CRD)
    assert orjson.dumps([live, config]) == before  # inputs are never modified
    assert (field_set(config, CRD) - field_set(merged, CRD)).is_empty()


@laws
@given(objects)
def test_merging_or_comparing_an_object_with_itself_changes_nothing(obj: Any) -> None:
    twin = copy(obj)
    assert merge(obj, twin, CRD) == obj
    assert compare(obj, twin, CRD).is_same()
    assert compare(obj, obj, CRD).is_same()
    assert changed_fields(obj, twin, CRD) == EMPTY


@laws
@given(objects)
def test_removing_every_field_leaves_none_and_extracting_them_keeps_all(obj: Any) -> None:
    fields = field_set(obj, CRD)
    assert field_set(remove(obj, fields, CRD), CRD) == EMPTY
    assert field_set(extract(obj, fields, CRD), CRD) == fields


@laws
@given(objects, objects)
def test_compare_is_symmetric(old: Any, new: Any) -> None:
    forward, backward = compare(old, new, CRD), compare(new, old, CRD)
    assert (forward.added, forward.modified) == (backward.removed, backward.modified)
