"""Built-in printers: exact cells for realistic objects, and the Table envelope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kubelite.api.resources import BUILT_IN
from kubelite.api.tables import DEFAULT, IncludeObject, TableError, build_table, table_for

pytestmark = pytest.mark.timeout(10)

NOW = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": "default", "creationTimestamp": ago(minutes=5), **extra}


def cells(group: str, resource: str, obj: dict[str, Any]) -> list[Any]:
    return table_for(group, resource).cells(obj, NOW)


def running(name: str, *, ready: bool = True, restarts: int = 0, **extra: Any) -> dict[str, Any]:
    status: dict[str, Any] = {
        "name": name,
        "ready": ready,
        "restartCount": restarts,
        "state": {"running": {"startedAt": ago(minutes=4)}},
        **extra,
    }
    return status


# -- pods --------------------------------------------------------------------------------


def pod(containers: list[str], status: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta("web-0", resourceVersion="41", **metadata),
        "spec": {
            "nodeName": "node-1",
            "containers": [{"name": c, "image": f"{c}:1"} for c in containers],
        },
        "status": status,
    }


def test_pod_columns() -> None:
    printer = table_for("", "pods")
    assert printer.column_names(wide=False) == ["Name", "Ready", "Status", "Restarts", "Age"]
    assert printer.column_names()[5:] == ["IP", "Node", "Nominated Node", "Readiness Gates"]
    assert [c.type for c in printer.columns] == ["string"] * 9
    assert printer.columns[0].format == "name"


def test_running_pod_with_restarts() -> None:
    last = {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(minutes=2)}}
    obj = pod(
        ["app", "sidecar"],
        {
            "phase": "Running",
            "podIP": "10.0.0.7",
            "podIPs": [{"ip": "10.0.0.7"}],
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [
                running("app", restarts=3, lastState=last),
                running("sidecar"),
            ],
        },
    )
    assert cells("", "pods", obj) == [
        "web-0",
        "2/2",
        "Running",
        "3 (2m ago)",
        "5m",
        "10.0.0.7",
        "node-1",
        "<none>",
        "<none>",
    ]
    assert table_for("", "pods").conditions(obj) == []


def test_crash_loop_back_off_pod() -> None:
    obj = pod(
        ["app", "proxy"],
        {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": "app",
                    "ready": False,
                    "restartCount": 5,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}},
                    "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(seconds=40)}},
                },
                running("proxy"),
            ],
        },
    )
    assert cells("", "pods", obj)[:4] == ["web-0", "1/2", "CrashLoopBackOff", "5 (40s ago)"]


def test_completed_pod() -> None:
    obj = pod(
        ["job"],
        {
            "phase": "Succeeded",
            "containerStatuses": [
                {
                    "name": "job",
                    "ready": False,
                    "restartCount": 0,
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
                }
            ],
        },
    )
    assert cells("", "pods", obj)[:4] == ["web-0", "0/1", "Completed", "0"]
    assert table_for("", "pods").conditions(obj) == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]


def test_terminated_without_reason_prints_exit_code_or_signal() -> None:
    exited = {"terminated": {"exitCode": 137}}
    signalled = {"terminated": {"exitCode": 0, "signal": 9}}
    for state, expected in ((exited, "ExitCode:137"), (signalled, "Signal:9")):
        obj = pod(
            ["app"], {"phase": "Failed", "containerStatuses": [{"name": "app", "state": state}]}
        )
        assert cells("", "pods", obj)[2] == expected


def test_init_container_pod() -> None:
    obj = pod(
        ["app"],
        {
            "phase": "Pending",
            "initContainerStatuses": [
                {"name": "migrate", "state": {"running": {}}, "restartCount": 0},
            ],
            "containerStatuses": [
                {"name": "app", "state": {"waiting": {"reason": "PodInitializing"}}},
            ],
        },
    )
    obj["spec"]["initContainers"] = [{"name": "migrate", "image": "migrate:1"}]
    assert cells("", "pods", obj)[:4] == ["web-0", "0/1", "Init:0/1", "0"]


def test_init_container_failures() -> None:
    def status(state: dict[str, Any]) -> dict[str, Any]:
        return {
            "phase": "Pending",
            "initContainerStatuses": [
                {"name": "a", "state": {"terminated": {"exitCode": 0}}},
                {"name": "b", "state": state, "restartCount": 2},
            ],
        }

    obj = pod(["app"], status({"waiting": {"reason": "CrashLoopBackOff"}}))
    obj["spec"]["initContainers"] = [{"name": "a"}, {"name": "b"}]
    assert cells("", "pods", obj)[2:4] == ["Init:CrashLoopBackOff", "2"]
    obj["status"] = status({"terminated": {"exitCode": 2}})
    assert cells("", "pods", obj)[2] == "Init:ExitCode:2"


def test_sidecar_counts_toward_ready() -> None:
    obj = pod(
        ["app"],
        {
            "phase": "Running",
            "conditions": [{"type": "Initialized", "status": "True"}],
            "initContainerStatuses": [
                {
                    "name": "mesh",
                    "started": True,
                    "ready": True,
                    "restartCount": 1,
                    "state": {"running": {}},
                },
            ],
            "containerStatuses": [running("app")],
        },
    )
    obj["spec"]["initContainers"] = [{"name": "mesh", "restartPolicy": "Always"}]
    assert cells("", "pods", obj)[1:4] == ["2/2", "Running", "1"]


def test_terminating_pod() -> None:
    obj = pod(
        ["app"],
        {"phase": "Running", "containerStatuses": [running("app")]},
        deletionTimestamp=ago(seconds=3),
    )
    assert cells("", "pods", obj)[1:3] == ["1/1", "Terminating"]
    obj["status"]["reason"] = "NodeLost"
    assert cells("", "pods", obj)[2] == "Unknown"
    obj["status"] = {"phase": "Succeeded"}
    assert cells("", "pods", obj)[2] == "Succeeded"


def test_pending_pod_wide_cells() -> None:
    obj = pod(["app"], {"phase": "Pending", "nominatedNodeName": "node-2"})
    del obj["spec"]["nodeName"]
    obj["spec"]["readinessGates"] = [{"conditionType": "lb/ready"}, {"conditionType": "x"}]
    obj["status"]["conditions"] = [{"type": "lb/ready", "status": "True"}]
    assert cells("", "pods", obj)[1:] == [
        "0/1",
        "Pending",
        "0",
        "5m",
        "<none>",
        "<none>",
        "node-2",
        "1/2",
    ]


# -- deployments and replica sets -----------------------------------------------------

TEMPLATE = {
    "metadata": {"labels": {"app": "web"}},
    "spec": {
        "containers": [
            {"name": "web", "image": "nginx:1.27"},
            {"name": "log", "image": "fluent-bit:3"},
        ]
    },
}


def test_deployment_mid_rollout() -> None:
    obj = {
        "metadata": meta("web"),
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE},
        "status": {
            "replicas": 4,
            "updatedReplicas": 1,
            "readyReplicas": 3,
            "availableReplicas": 3,
        },
    }
    assert cells("apps", "deployments", obj) == [
        "web",
        "3/3",
        1,
        3,
        "5m",
        "web,log",
        "nginx:1.27,fluent-bit:3",
        "app=web",
    ]
    printer = table_for("apps", "deployments")
    assert printer.column_names(wide=False) == ["Name", "Ready", "Up-to-date", "Available", "Age"]


def test_fresh_deployment_without_status() -> None:
    obj = {"metadata": meta("web"), "spec": {"selector": {}, "template": TEMPLATE}}
    assert cells("apps", "deployments", obj)[:4] == ["web", "0/1", 0, 0]
    assert cells("apps", "deployments", obj)[7] == ""


def test_replica_set() -> None:
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe", "be"]}],
    }
    obj = {
        "metadata": meta("web-5d8f"),
        "spec": {"replicas": 3, "selector": selector, "template": TEMPLATE},
        "status": {"replicas": 3, "readyReplicas": 2},
    }
    assert cells("apps", "replicasets", obj) == [
        "web-5d8f",
        3,
        3,
        2,
        "5m",
        "web,log",
        "nginx:1.27,fluent-bit:3",
        "app=web,tier in (be,fe)",
    ]
    obj["spec"]["selector"] = {}
    assert cells("apps", "replicasets", obj)[7] == "<none>"
    columns = table_for("apps", "replicasets").columns
    assert [c.type for c in columns[1:4]] == ["integer"] * 3


# -- services and endpoints -----------------------------------------------------------


def test_cluster_ip_service() -> None:
    obj = {
        "metadata": meta("web"),
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.96.0.12",
            "clusterIPs": ["10.96.0.12"],
            "selector": {"tier": "fe", "app": "web"},
            "ports": [
                {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080},
                {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 8443},
            ],
        },
    }
    assert cells("", "services", obj) == [
        "web",
        "ClusterIP",
        "10.96.0.12",
        "<none>",
        "80/TCP,443/TCP",
        "5m",
        "app=web,tier=fe",
    ]
    assert table_for("", "services").column_names(wide=False) == [
        "Name",
        "Type",
        "Cluster-IP",
        "External-IP",
        "Port(s)",
        "Age",
    ]


def test_other_service_types() -> None:
    node_port = {
        "metadata": meta("np"),
        "spec": {
            "type": "NodePort",
            "clusterIPs": ["10.96.1.1"],
            "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}],
        },
    }
    assert cells("", "services", node_port)[1:5] == [
        "NodePort",
        "10.96.1.1",
        "<none>",
        "80:30080/TCP",
    ]
    balancer = {
        "metadata": meta("lb"),
        "spec": {
            "type": "LoadBalancer",
            "clusterIPs": ["10.96.1.2"],
            "externalIPs": ["9.9.9.9"],
            "ports": [{"port": 53, "protocol": "UDP"}],
        },
        "status": {},
    }
    assert cells("", "services", balancer)[3] == "9.9.9.9"
    del balancer["spec"]["externalIPs"]
    assert cells("", "services", balancer)[3] == "<pending>"
    balancer["status"] = {"loadBalancer": {"ingress": [{"ip": "5.5.5.5"}, {"hostname": "a.io"}]}}
    assert cells("", "services", balancer)[3] == "5.5.5.5,a.io"
    external = {"metadata": meta("db"), "spec": {"type": "ExternalName", "externalName": "db.io"}}
    assert cells("", "services", external)[1:6] == [
        "ExternalName",
        "<none>",
        "db.io",
        "<none>",
        "5m",
    ]


def test_endpoints() -> None:
    obj = {
        "metadata": meta("web"),
        "subsets": [
            {
                "addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}, {"ip": "fd00::3"}],
                "ports": [{"port": 8080}, {"port": 8443}],
            }
        ],
    }
    assert cells("", "endpoints", obj) == [
        "web",
        "10.0.0.1:8080,10.0.0.2:8080,[fd00::3]:8080 + 3 more...",
        "5m",
    ]
    assert cells("", "endpoints", {"metadata": meta("none")})[1] == "<none>"
    headless = {"metadata": meta("h"), "subsets": [{"addresses": [{"ip": "10.0.0.9"}]}]}
    assert cells("", "endpoints", headless)[1] == "10.0.0.9"


# -- nodes, namespaces, small types ---------------------------------------------------


def test_control_plane_node() -> None:
    obj = {
        "metadata": meta(
            "cp-1",
            labels={
                "node-role.kubernetes.io/control-plane": "",
                "kubernetes.io/hostname": "cp-1",
            },
        ),
        "spec": {},
        "status": {
            "conditions": [
                {"type": "MemoryPressure", "status": "False"},
                {"type": "Ready", "status": "True"},
            ],
            "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}],
            "nodeInfo": {
                "kubeletVersion": "v1.37.1",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "kernelVersion": "6.8.0",
                "containerRuntimeVersion": "containerd://2.1.0",
            },
        },
    }
    assert cells("", "nodes", obj) == [
        "cp-1",
        "Ready",
        "control-plane",
        "5m",
        "v1.37.1",
        "172.18.0.2",
        "<none>",
        "Debian GNU/Linux 12 (bookworm)",
        "6.8.0",
        "containerd://2.1.0",
    ]
    obj["spec"]["unschedulable"] = True
    obj["status"]["conditions"][1]["status"] = "Unknown"
    obj["metadata"]["labels"]["kubernetes.io/role"] = "etcd"
    assert cells("", "nodes", obj)[1:3] == ["NotReady,SchedulingDisabled", "control-plane,etcd"]
    bare = {"metadata": meta("n")}
    assert cells("", "nodes", bare)[1:] == [
        "Unknown",
        "<none>",
        "5m",
        "",
        "<none>",
        "<none>",
        "<unknown>",
        "<unknown>",
        "<unknown>",
    ]


def test_small_types() -> None:
    namespace = {"metadata": meta("prod"), "status": {"phase": "Terminating"}}
    assert cells("", "namespaces", namespace) == ["prod", "Terminating", "5m"]
    configmap = {"metadata": meta("cfg"), "data": {"a": "1", "b": "2"}, "binaryData": {"c": ""}}
    assert cells("", "configmaps", configmap) == ["cfg", 3, "5m"]
    secret = {
        "metadata": meta("tls"),
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": "", "tls.key": ""},
    }
    assert cells("", "secrets", secret) == ["tls", "kubernetes.io/tls", 2, "5m"]
    account = {"metadata": meta("default")}
    assert cells("", "serviceaccounts", account) == ["default", 0, "5m"]
    lease = {"metadata": meta("kube-scheduler"), "spec": {"holderIdentity": "cp-1_4f2a"}}
    assert cells("coordination.k8s.io", "leases", lease) == ["kube-scheduler", "cp-1_4f2a", "5m"]
    assert cells("coordination.k8s.io", "leases", {"metadata": meta("x")})[1] == ""
    quota = {
        "metadata": meta("compute"),
        "status": {
            "hard": {"limits.cpu": "2", "pods": "10", "requests.cpu": "1", "limits.memory": 4},
            "used": {"pods": "3", "requests.cpu": "500m"},
        },
    }
    assert cells("", "resourcequotas", quota) == [
        "compute",
        "5m",
        "pods: 3/10, requests.cpu: 500m/1",
        "limits.cpu: 0/2, limits.memory: 0/4",
    ]
    assert cells("", "resourcequotas", {"metadata": meta("new")}) == ["new", "5m", "", ""]


# -- events ---------------------------------------------------------------------------


def test_core_event() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": meta("web-0.17e2a"),
        "involvedObject": {"kind": "Pod", "name": "web-0", "fieldPath": "spec.containers{app}"},
        "reason": "BackOff",
        "message": "Back-off restarting failed container app\n",
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": ago(minutes=30),
        "lastTimestamp": ago(seconds=45),
        "count": 12,
        "type": "Warning",
    }
    assert cells("", "events", obj) == [
        "45s",
        "Warning",
        "BackOff",
        "pod/web-0",
        "spec.containers{app}",
        "kubelet, node-1",
        "Back-off restarting failed container app",
        "30m",
        12,
        "web-0.17e2a",
    ]
    printer = table_for("", "events")
    assert printer.column_names(wide=False) == ["Last Seen", "Type", "Reason", "Object", "Message"]


def test_events_k8s_io_event() -> None:
    obj = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": meta("web.1"),
        "eventTime": ago(minutes=3, seconds=12),
        "regarding": {"kind": "Deployment", "name": "web"},
        "reason": "ScalingReplicaSet",
        "note": "Scaled up replica set web-5d8f to 3",
        "reportingController": "deployment-controller",
        "type": "Normal",
    }
    assert cells("events.k8s.io", "events", obj) == [
        "3m12s",
        "Normal",
        "ScalingReplicaSet",
        "deployment/web",
        "",
        "deployment-controller",
        "Scaled up replica set web-5d8f to 3",
        "3m12s",
        1,
        "web.1",
    ]
    obj["series"] = {"count": 4, "lastObservedTime": ago(seconds=9)}
    assert cells("events.k8s.io", "events", obj)[0] == "9s"
    assert cells("events.k8s.io", "events", obj)[8] == 4


# -- the registry and the Table envelope ------------------------------------------------


def test_every_built_in_type_has_a_printer() -> None:
    for resource in BUILT_IN:
        printer = table_for(resource.group, resource.plural)
        assert printer is not DEFAULT, resource.plural
        row = printer.cells({"metadata": meta("x")}, NOW)
        assert len(row) == len(printer.columns), resource.plural


def test_default_printer() -> None:
    printer = table_for("example.com", "widgets")
    assert printer is DEFAULT
    assert [(c.name, c.type) for c in printer.columns] == [
        ("Name", "string"),
        ("Created At", "date"),
    ]
    obj = {"metadata": {"name": "w", "creationTimestamp": "2026-12-03T11:55:00Z"}}
    assert printer.cells(obj, NOW) == ["w", "2026-12-03T11:55:00Z"]


def test_list_table() -> None:
    namespaces = [
        {"kind": "Namespace", "apiVersion": "v1", "metadata": meta("a", resourceVersion="3")},
        {"kind": "Namespace", "apiVersion": "v1", "metadata": meta("b", resourceVersion="5")},
    ]
    table = build_table(
        table_for("", "namespaces"),
        namespaces,
        now=NOW,
        list_metadata={"resourceVersion": "9", "continue": "", "remainingItemCount": 4},
    )
    assert table["kind"] == "Table"
    assert table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {"resourceVersion": "9", "remainingItemCount": 4}
    assert table["columnDefinitions"][1] == {
        "name": "Status",
        "type": "string",
        "format": "",
        "description": "",
        "priority": 0,
    }
    assert table["rows"][1] == {
        "cells": ["b", "", "5m"],
        "object": {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": namespaces[1]["metadata"],
        },
    }


def test_single_object_and_watch_event_tables() -> None:
    obj = pod(["app"], {"phase": "Succeeded"})
    table = build_table(table_for("", "pods"), [obj], now=NOW, include_object="Object")
    assert table["metadata"] == {"resourceVersion": "41"}
    assert table["rows"][0]["object"] is obj
    assert table["rows"][0]["conditions"][0]["reason"] == "Succeeded"

    event = build_table(table_for("", "pods"), [obj], now=NOW, no_headers=True)
    assert event["columnDefinitions"] is None
    assert len(event["rows"]) == 1

    bare = build_table(table_for("", "pods"), iter([obj]), now=NOW, include_object="None")
    assert bare["rows"][0]["object"] is None
    beta = build_table(DEFAULT, [obj], now=NOW, include_object="", version="v1beta1")
    assert beta["apiVersion"] == "meta.k8s.io/v1beta1"
    assert beta["rows"][0]["object"]["apiVersion"] == "meta.k8s.io/v1beta1"


def test_empty_list_table() -> None:
    table = build_table(DEFAULT, [], now=NOW, list_metadata={"resourceVersion": "1"})
    assert table["rows"] == []
    assert table["metadata"] == {"resourceVersion": "1"}


def test_bad_table_requests() -> None:
    with pytest.raises(TableError, match='unrecognized includeObject value: "Everything"'):
        build_table(DEFAULT, [], now=NOW, include_object="Everything")
    with pytest.raises(TableError):
        build_table(DEFAULT, [], now=NOW, version="v2")
    assert IncludeObject.parse("") is IncludeObject.METADATA
