"""Values of the wrong JSON type and absent required fields, found along the schema."""

from __future__ import annotations

from typing import Any

import pytest

from kubelite.api.field import ErrorType
from kubelite.api.openapi.definitions import builtin_definitions
from kubelite.api.openapi.types import QUANTITY_FORMAT_ERROR, missing_required, wrong_types
from kubelite.api.resources import ResourceTypes

POD = "io.k8s.api.core.v1.Pod"
DEPLOYMENT = "io.k8s.api.apps.v1.Deployment"
VALID_POD = {"spec": {"containers": [{"name": "a"}]}}

META = {
    "name": "web",
    "namespace": "default",
    "uid": "6f1c2d4e-0a4b-4c1e-9d55-1b0e2f3a4b5c",
    "resourceVersion": "42",
    "generation": 1,
    "creationTimestamp": "2024-05-01T10:00:00Z",
    "labels": {"app": "web"},
    "annotations": {"note": "x"},
    "ownerReferences": [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "web-5d4f",
            "uid": "0b1c2d4e-0a4b-4c1e-9d55-1b0e2f3a4b5c",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ],
    "finalizers": ["example.com/keep"],
    "managedFields": [
        {
            "manager": "kubectl-client-side-apply",
            "operation": "Update",
            "apiVersion": "v1",
            "time": "2024-05-01T10:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}},
        }
    ],
}

POD_SPEC: dict[str, Any] = {
    "containers": [
        {
            "name": "web",
            "image": "nginx:1.27",
            "command": ["nginx"],
            "args": ["-g", "daemon off;"],
            "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}],
            "env": [
                {"name": "MODE", "value": "prod"},
                {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            ],
            "resources": {
                "limits": {"cpu": "500m", "memory": "128Mi"},
                "requests": {"cpu": 0.25, "memory": 64000000},
            },
            "livenessProbe": {
                "httpGet": {"path": "/", "port": "http", "scheme": "HTTP"},
                "initialDelaySeconds": 3,
                "periodSeconds": 10,
            },
            "readinessProbe": {"tcpSocket": {"port": 80}},
            "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}],
            "securityContext": {"runAsUser": 1000, "allowPrivilegeEscalation": False},
            "terminationMessagePath": "/dev/termination-log",
            "imagePullPolicy": "IfNotPresent",
        }
    ],
    "volumes": [
        {"name": "data", "emptyDir": {"sizeLimit": "1Gi"}},
        {"name": "cfg", "configMap": {"name": "cfg", "items": [{"key": "a", "path": "a"}]}},
    ],
    "restartPolicy": "Always",
    "terminationGracePeriodSeconds": 30,
    "dnsPolicy": "ClusterFirst",
    "nodeSelector": {"disk": "ssd"},
    "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}],
    "affinity": {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
                ]
            }
        }
    },
    "securityContext": {"fsGroup": 2000},
    "schedulerName": "default-scheduler",
    "enableServiceLinks": True,
}

VALID: dict[tuple[str, str], dict[str, Any]] = {
    ("", "Pod"): {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": META,
        "spec": POD_SPEC,
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "podIP": "10.0.0.5",
            "podIPs": [{"ip": "10.0.0.5"}],
            "startTime": "2024-05-01T10:00:01Z",
            # A status as a client in Python writes it, without what Go always sends.
            "containerStatuses": [{"name": "web", "state": {"running": {}}}],
        },
    },
    ("", "Namespace"): {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "team", "labels": {"kubernetes.io/metadata.name": "team"}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    },
    ("", "Service"): {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "type": "NodePort",
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080}],
            "clusterIP": "10.96.0.12",
            "clusterIPs": ["10.96.0.12"],
            "ipFamilies": ["IPv4"],
            "sessionAffinity": "None",
        },
        "status": {"loadBalancer": {}},
    },
    ("", "Endpoints"): {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "web"},
        "subsets": [
            {
                "addresses": [{"ip": "10.0.0.5", "targetRef": {"kind": "Pod", "name": "web"}}],
                "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
            }
        ],
    },
    ("", "ConfigMap"): {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "creationTimestamp": None},
        "data": {"a": "1"},
        "binaryData": {"b": "AAEC"},
        "immutable": False,
    },
    ("", "Secret"): {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "token"},
        "type": "Opaque",
        "data": {"password": "c2VjcmV0"},
        "stringData": {"user": "admin"},
    },
    ("", "ServiceAccount"): {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "robot"},
        "secrets": [{"name": "robot-token"}],
        "imagePullSecrets": [{"name": "registry"}],
        "automountServiceAccountToken": True,
    },
    ("", "Node"): {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "node-1", "labels": {"kubernetes.io/hostname": "node-1"}},
        "spec": {"podCIDR": "10.0.1.0/24", "taints": [{"key": "k", "effect": "NoSchedule"}]},
        "status": {
            "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
            "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "lastHeartbeatTime": "2024-05-01T10:00:00Z",
                    "reason": "KubeletReady",
                }
            ],
            "addresses": [{"type": "InternalIP", "address": "192.168.1.10"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"kubeletVersion": "v1.37.0", "architecture": "amd64"},
        },
    },
    ("", "Event"): {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web.17c", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web"},
        "reason": "Started",
        "message": "Started container web",
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": "2024-05-01T10:00:00Z",
        "lastTimestamp": "2024-05-01T10:00:00Z",
        "count": 1,
        "type": "Normal",
        "eventTime": None,
    },
    ("apps", "Deployment"): {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "generation": 3},
        "spec": {
            "replicas": 2,
            "selector": {
                "matchLabels": {"app": "web"},
                "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}],
            },
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1},
            },
            "template": {
                "metadata": {"labels": {"app": "web"}, "creationTimestamp": None},
                "spec": POD_SPEC,
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
        "status": {
            "observedGeneration": 3,
            "replicas": 2,
            "conditions": [{"type": "Available", "status": "True"}],
        },
    },
    ("apps", "ReplicaSet"): {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web-5d4f"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": POD_SPEC},
        },
        "status": {"readyReplicas": 2},
    },
    ("", "ResourceQuota"): {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "compute"},
        "spec": {"hard": {"pods": "10", "requests.cpu": 2, "limits.memory": "4Gi"}},
        "status": {"hard": {"pods": "10"}, "used": {"pods": "3"}},
    },
    ("", "LimitRange"): {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "defaults"},
        "spec": {
            "limits": [{"type": "Container", "default": {"cpu": "500m"}, "max": {"memory": "1Gi"}}]
        },
    },
    ("apiextensions.k8s.io", "CustomResourceDefinition"): {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "redises.cache.example.com"},
        "spec": {
            "group": "cache.example.com",
            "scope": "Namespaced",
            "names": {"plural": "redises", "kind": "Redis", "shortNames": ["rd"]},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "x-kubernetes-validations": [{"rule": "self.a <= 3"}],
                                    "properties": {"a": {"type": "integer", "default": 1}},
                                }
                            },
                        }
                    },
                }
            ],
        },
    },
    ("coordination.k8s.io", "Lease"): {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "node-1", "namespace": "kube-node-lease"},
        "spec": {
            "holderIdentity": "node-1",
            "leaseDurationSeconds": 40,
            "renewTime": "2024-05-01T10:00:00.123456Z",
        },
    },
    ("events.k8s.io", "Event"): {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "web.17d"},
        "eventTime": "2024-05-01T10:00:00.000000Z",
        "reportingController": "example.com/ctl",
        "reportingInstance": "ctl-1",
        "action": "Scale",
        "reason": "Scaled",
        "regarding": {"kind": "Deployment", "name": "web"},
        "series": {"count": 2, "lastObservedTime": "2024-05-01T10:00:05.000000Z"},
        "type": "Normal",
    },
}


def _root(group: str, kind: str) -> str:
    resource = next(r for r in ResourceTypes() if (r.group, r.kind) == (group, kind))
    root = builtin_definitions().by_kind(resource.group, resource.version, resource.kind)
    if root is None:
        raise LookupError(f"no definition for {group}/{kind}")
    return root


def _wrong(root: str, obj: dict[str, Any]) -> list[str]:
    return [found.message for found in wrong_types(builtin_definitions(), root, obj)]


def _missing(root: str, obj: dict[str, Any]) -> list[str]:
    return [str(error) for error in missing_required(builtin_definitions(), root, obj)]


# -- valid objects -------------------------------------------------------------------


def test_every_served_builtin_type_has_a_valid_example() -> None:
    served = {(r.group, r.kind) for r in ResourceTypes()}
    assert served == set(VALID)


@pytest.mark.parametrize("key", list(VALID), ids=lambda key: "/".join(filter(None, key)))
def test_a_valid_object_has_no_wrong_type_and_misses_nothing(key: tuple[str, str]) -> None:
    root = _root(*key)
    obj = VALID[key]
    before = repr(obj)
    assert _wrong(root, obj) == []
    assert _missing(root, obj) == []
    assert repr(obj) == before


# -- wrong types -------------------------------------------------------------------------


def test_a_string_for_a_list_names_the_struct_and_the_go_type() -> None:
    [found] = wrong_types(builtin_definitions(), POD, {"spec": {"containers": "c"}})
    assert (found.path, found.go_field, found.struct) == (
        "spec.containers",
        "spec.containers",
        "PodSpec",
    )
    assert (found.json_type, found.go_type) == ("string", "[]v1.Container")
    assert found.message == (
        "json: cannot unmarshal string into Go struct field PodSpec.spec.containers "
        "of type []v1.Container"
    )


def test_go_paths_leave_out_indices_and_the_struct_is_the_innermost() -> None:
    pod = {"spec": {"containers": [{"name": "a"}, {"name": "b", "ports": "80"}]}}
    [found] = wrong_types(builtin_definitions(), POD, pod)
    assert found.path == "spec.containers[1].ports"
    assert found.message == (
        "json: cannot unmarshal string into Go struct field Container.spec.containers.ports "
        "of type []v1.ContainerPort"
    )


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (
            {"spec": "x"},
            "json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec",
        ),
        (
            {"metadata": {"name": 5}},
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name "
            "of type string",
        ),
        (
            {"metadata": {"labels": ["a"]}},
            "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels "
            "of type map[string]string",
        ),
        (
            {"metadata": {"annotations": {"a": True}}},
            "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.annotations "
            "of type string",
        ),
        (
            {"spec": {"containers": [{"name": "a", "stdin": "yes"}]}},
            "json: cannot unmarshal string into Go struct field Container.spec.containers.stdin "
            "of type bool",
        ),
        (
            {"spec": {"terminationGracePeriodSeconds": "30"}},
            "json: cannot unmarshal string into Go struct field "
            "PodSpec.spec.terminationGracePeriodSeconds of type int64",
        ),
        (
            {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80.5}]}]}},
            "json: cannot unmarshal number 80.5 into Go struct field "
            "ContainerPort.spec.containers.ports.containerPort of type int32",
        ),
        (
            {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 2**31}]}]}},
            "json: cannot unmarshal number 2147483648 into Go struct field "
            "ContainerPort.spec.containers.ports.containerPort of type int32",
        ),
        (
            {"spec": {"nodeSelector": {"disk": 1}}},
            "json: cannot unmarshal number into Go struct field PodSpec.spec.nodeSelector "
            "of type string",
        ),
        (
            {"metadata": {"creationTimestamp": 5}},
            "json: cannot unmarshal number into Go struct field "
            "ObjectMeta.metadata.creationTimestamp of type string",
        ),
        (
            {"spec": {"containers": {"name": "a"}}},
            "json: cannot unmarshal object into Go struct field PodSpec.spec.containers "
            "of type []v1.Container",
        ),
    ],
)
def test_go_words_for_each_json_type(obj: dict[str, Any], message: str) -> None:
    assert _wrong(POD, obj) == [message]


def test_only_the_first_wrong_value_is_reported() -> None:
    pod = {"metadata": {"name": 1}, "spec": {"containers": "c"}}
    assert len(wrong_types(builtin_definitions(), POD, pod)) == 1
    assert "ObjectMeta.metadata.name" in _wrong(POD, pod)[0]


def test_null_fits_every_field() -> None:
    pod = {
        "metadata": {"name": None, "labels": None, "creationTimestamp": None},
        "spec": {
            "containers": [{"name": "a", "ports": None, "resources": {"limits": None}}],
            "nodeSelector": {"a": None},
            "priority": None,
        },
        "status": None,
    }
    assert _wrong(POD, pod) == []


@pytest.mark.parametrize("port", [8080, "http", None])
def test_int_or_string_takes_an_int_or_a_string(port: object) -> None:
    probe = {"httpGet": {"port": port}}
    pod = {"spec": {"containers": [{"name": "a", "livenessProbe": probe}]}}
    assert _wrong(POD, pod) == []


@pytest.mark.parametrize(
    ("port", "json_type"), [(True, "bool"), ({}, "object"), ([80], "array"), (1.5, "number 1.5")]
)
def test_int_or_string_reports_int32_for_anything_else(port: object, json_type: str) -> None:
    probe = {"httpGet": {"port": port}}
    pod = {"spec": {"containers": [{"name": "a", "livenessProbe": probe}]}}
    assert _wrong(POD, pod) == [
        f"json: cannot unmarshal {json_type} into Go struct field "
        "HTTPGetAction.spec.containers.livenessProbe.httpGet.port of type int32"
    ]


def test_int_or_string_in_a_deployment_strategy() -> None:
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": True}}
    [found] = wrong_types(builtin_definitions(), DEPLOYMENT, {"spec": {"strategy": strategy}})
    assert (found.struct, found.go_field, found.go_type) == (
        "RollingUpdateDeployment",
        "spec.strategy.rollingUpdate.maxSurge",
        "int32",
    )


@pytest.mark.parametrize("quantity", ["100m", "1Gi", 2, 0.5, None])
def test_a_quantity_takes_a_string_or_a_number(quantity: object) -> None:
    pod = {"spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": quantity}}}]}}
    assert _wrong(POD, pod) == []


@pytest.mark.parametrize("quantity", [True, {"value": 1}, ["1"]])
def test_a_quantity_of_another_type_fails_its_parser(quantity: object) -> None:
    pod = {"spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": quantity}}}]}}
    [found] = wrong_types(builtin_definitions(), POD, pod)
    assert found.path == "spec.containers[0].resources.limits[cpu]"
    assert found.message == QUANTITY_FORMAT_ERROR


def test_a_map_of_quantities_that_is_not_a_map() -> None:
    pod = {"spec": {"containers": [{"name": "a", "resources": {"limits": "1"}}]}}
    assert _wrong(POD, pod) == [
        "json: cannot unmarshal string into Go struct field "
        "ResourceRequirements.spec.containers.resources.limits "
        "of type map[string]resource.Quantity"
    ]


def test_map_values_are_typed_and_named_by_the_map() -> None:
    [found] = wrong_types(builtin_definitions(), POD, {"metadata": {"labels": {"a": 1}}})
    assert (found.path, found.go_field, found.go_type) == (
        "metadata.labels[a]",
        "metadata.labels",
        "string",
    )


def test_bytes_of_a_secret_are_named_as_go_names_them() -> None:
    root = _root("", "Secret")
    assert _wrong(root, {"data": {"a": 1}}) == [
        "json: cannot unmarshal number into Go struct field Secret.data of type []uint8"
    ]


def test_free_form_json_takes_anything() -> None:
    entry = {"manager": "m", "fieldsV1": "not an object"}
    assert _wrong(POD, {"metadata": {"managedFields": [entry]}}) == []


def test_fields_the_schema_does_not_declare_are_not_typed() -> None:
    # prune_unknown drops them; they have no type to be wrong about.
    assert _wrong(POD, {"spec": {"foo": 1, "containers": []}}) == []


# -- required fields ---------------------------------------------------------------------


def test_a_pod_without_containers() -> None:
    assert _missing(POD, {"metadata": {"name": "empty"}, "spec": {}}) == [
        "spec.containers: Required value"
    ]
    assert _missing(POD, {"spec": {"containers": None}}) == ["spec.containers: Required value"]


def test_a_pod_without_a_spec_misses_its_containers() -> None:
    # The spec is a struct value in Go: absent, it decodes empty.
    assert _missing(POD, {"metadata": {"name": "empty"}}) == ["spec.containers: Required value"]


def test_a_deployment_without_selector_or_template() -> None:
    errors = missing_required(builtin_definitions(), DEPLOYMENT, {"spec": {}})
    assert [str(error) for error in errors] == [
        "spec.selector: Required value",
        "spec.template.spec.containers: Required value",
    ]
    assert {error.type for error in errors} == {ErrorType.REQUIRED}
    assert _missing(DEPLOYMENT, {}) == [
        "spec.selector: Required value",
        "spec.template.spec.containers: Required value",
    ]


def test_required_fields_in_lists_and_nested_structs() -> None:
    pod = {
        "spec": {
            "containers": [
                {"name": "a"},
                {"image": "x", "ports": [{"name": "p"}], "env": [{"value": "v"}]},
            ],
            "volumes": [{"configMap": {"items": [{"key": "k"}]}}],
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}}},
        }
    }
    assert _missing(POD, pod) == [
        "spec.containers[1].name: Required value",
        "spec.containers[1].ports[0].containerPort: Required value",
        "spec.containers[1].env[0].name: Required value",
        "spec.volumes[0].name: Required value",
        "spec.volumes[0].configMap.items[0].path: Required value",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
        ".nodeSelectorTerms: Required value",
    ]


def test_required_fields_of_owner_references() -> None:
    pod = {"metadata": {"ownerReferences": [{"kind": "ReplicaSet", "name": "rs"}]}, **VALID_POD}
    assert _missing(POD, pod) == [
        "metadata.ownerReferences[0].apiVersion: Required value",
        "metadata.ownerReferences[0].uid: Required value",
    ]


def test_the_status_is_not_held_to_required_lists() -> None:
    pod = {**VALID_POD, "status": {"conditions": [{"reason": "x"}]}}
    assert _missing(POD, pod) == []


def test_an_event_needs_its_involved_object_but_not_its_metadata() -> None:
    root = _root("", "Event")
    assert _missing(root, {}) == ["involvedObject: Required value"]


def test_values_of_the_wrong_type_are_left_to_wrong_types() -> None:
    assert _missing(POD, {"spec": {"containers": "c"}}) == []
    assert _missing(POD, {"spec": {"containers": ["c"]}}) == []
