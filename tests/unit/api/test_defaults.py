"""Server-side defaults: each default Kubernetes fills, that what was sent is kept,
the image tag rules behind ``imagePullPolicy``, and that odd input never raises."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubelite.api.defaults import apply_defaults
from kubelite.api.images import image_tag, pull_policy

pytestmark = pytest.mark.timeout(30)

HEX = "0123456789abcdef" * 4

CONTAINER_DEFAULTS = {
    "terminationMessagePath": "/dev/termination-log",
    "terminationMessagePolicy": "File",
    "resources": {},
}
POD_SPEC_DEFAULTS = {
    "restartPolicy": "Always",
    "dnsPolicy": "ClusterFirst",
    "schedulerName": "default-scheduler",
    "terminationGracePeriodSeconds": 30,
    "securityContext": {},
}
POD_ONLY_DEFAULTS = {
    "enableServiceLinks": True,
    "priority": 0,
    "preemptionPolicy": "PreemptLowerPriority",
}


def defaulted(group: str, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(obj)
    apply_defaults(group, plural, result)
    return result


def pod(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]
    return spec


def first_container(spec: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = spec["containers"][0]
    return container


# -- pods -------------------------------------------------------------------------------


def test_pod_gets_pod_spec_and_container_defaults() -> None:
    obj = defaulted("", "pods", pod(containers=[{"name": "web", "image": "nginx:1.25"}]))

    assert obj["spec"] == {
        **POD_SPEC_DEFAULTS,
        **POD_ONLY_DEFAULTS,
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.25",
                "imagePullPolicy": "IfNotPresent",
                **CONTAINER_DEFAULTS,
            }
        ],
    }
    assert obj["metadata"] == {"name": "p"}
    assert "status" not in obj


def test_every_container_list_is_defaulted() -> None:
    obj = defaulted(
        "",
        "pods",
        pod(
            initContainers=[{"name": "init", "image": "busybox"}],
            containers=[{"name": "web", "image": "nginx"}],
            ephemeralContainers=[{"name": "debug", "image": "busybox:1.36"}],
        ),
    )

    spec = pod_spec(obj)
    assert spec["initContainers"][0] == {
        "name": "init",
        "image": "busybox",
        "imagePullPolicy": "Always",
        **CONTAINER_DEFAULTS,
    }
    assert first_container(spec)["imagePullPolicy"] == "Always"
    assert spec["ephemeralContainers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert spec["ephemeralContainers"][0]["terminationMessagePolicy"] == "File"


def test_container_ports_env_and_lifecycle() -> None:
    container = {
        "name": "web",
        "image": "nginx",
        "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
        "env": [
            {"name": "A", "value": "1"},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
        ],
        "lifecycle": {
            "preStop": {"httpGet": {"port": 8080}},
            "postStart": {"exec": {"command": ["true"]}},
        },
    }
    result = first_container(pod_spec(defaulted("", "pods", pod(containers=[container]))))

    assert result["ports"] == [
        {"containerPort": 80, "protocol": "TCP"},
        {"containerPort": 53, "protocol": "UDP"},
    ]
    assert result["env"] == [
        {"name": "A", "value": "1"},
        {
            "name": "NODE",
            "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName", "apiVersion": "v1"}},
        },
        {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
    ]
    assert result["lifecycle"] == {
        "preStop": {"httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"}},
        "postStart": {"exec": {"command": ["true"]}},
    }


def test_probes_are_defaulted_only_when_present() -> None:
    container = {
        "name": "web",
        "image": "nginx",
        "livenessProbe": {"httpGet": {"port": 80}},
        "readinessProbe": {"tcpSocket": {"port": 80}, "periodSeconds": 5},
        "startupProbe": {"grpc": {"port": 9000}},
    }
    result = first_container(pod_spec(defaulted("", "pods", pod(containers=[container]))))

    timing = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1}
    assert result["livenessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
        **timing,
        "failureThreshold": 3,
    }
    assert result["readinessProbe"] == {
        "tcpSocket": {"port": 80},
        **timing,
        "periodSeconds": 5,
        "failureThreshold": 3,
    }
    assert result["startupProbe"]["grpc"] == {"port": 9000, "service": ""}

    bare = first_container(
        pod_spec(defaulted("", "pods", pod(containers=[{"name": "c", "image": "x"}])))
    )
    assert not {"livenessProbe", "readinessProbe", "startupProbe"} & bare.keys()


def test_go_zero_values_count_as_unset() -> None:
    # Kubernetes cannot tell "" or 0 from absent in non-pointer fields.
    container = {
        "name": "web",
        "image": "nginx",
        "imagePullPolicy": "",
        "livenessProbe": {"exec": {"command": ["true"]}, "timeoutSeconds": 0},
    }
    spec = pod_spec(
        defaulted(
            "",
            "pods",
            pod(restartPolicy="", dnsPolicy=None, containers=[container]),
        )
    )

    assert spec["restartPolicy"] == "Always"
    assert spec["dnsPolicy"] == "ClusterFirst"
    assert first_container(spec)["imagePullPolicy"] == "Always"
    assert first_container(spec)["livenessProbe"]["timeoutSeconds"] == 1


def test_pointer_fields_keep_a_sent_zero() -> None:
    spec = pod_spec(
        defaulted(
            "",
            "pods",
            pod(
                terminationGracePeriodSeconds=0,
                enableServiceLinks=False,
                containers=[{"name": "c", "image": "x"}],
            ),
        )
    )

    assert spec["terminationGracePeriodSeconds"] == 0
    assert spec["enableServiceLinks"] is False


def test_volumes() -> None:
    volumes = [
        {"name": "scratch"},
        {"name": "cache", "emptyDir": {"medium": "Memory"}},
        {"name": "cfg", "configMap": {"name": "cfg"}},
        {"name": "creds", "secret": {"secretName": "creds", "defaultMode": 0o400}},
        {"name": "host", "hostPath": {"path": "/var/log"}},
        {
            "name": "info",
            "downwardAPI": {
                "items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]
            },
        },
        {
            "name": "all",
            "projected": {
                "sources": [
                    {"serviceAccountToken": {"path": "token"}},
                    {
                        "downwardAPI": {
                            "items": [
                                {"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}
                            ]
                        }
                    },
                    {"configMap": {"name": "cfg"}},
                ]
            },
        },
        {"name": "claim", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "oci", "image": {"reference": "registry:5000/models:v1"}},
    ]
    result = pod_spec(
        defaulted("", "pods", pod(containers=[{"name": "c", "image": "x"}], volumes=volumes))
    )["volumes"]

    assert result[0] == {"name": "scratch", "emptyDir": {}}
    # An emptyDir has no mode to default.
    assert result[1] == {"name": "cache", "emptyDir": {"medium": "Memory"}}
    assert result[2] == {"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 420}}
    assert result[3] == {"name": "creds", "secret": {"secretName": "creds", "defaultMode": 0o400}}
    assert result[4] == {"name": "host", "hostPath": {"path": "/var/log", "type": ""}}
    assert result[5]["downwardAPI"] == {
        "items": [
            {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels", "apiVersion": "v1"}}
        ],
        "defaultMode": 420,
    }
    projected = result[6]["projected"]
    assert projected["defaultMode"] == 420
    assert projected["sources"][0] == {
        "serviceAccountToken": {"path": "token", "expirationSeconds": 3600}
    }
    assert projected["sources"][1]["downwardAPI"]["items"][0]["fieldRef"]["apiVersion"] == "v1"
    # Within a projection only the volume carries a mode.
    assert projected["sources"][2] == {"configMap": {"name": "cfg"}}
    assert result[7] == {"name": "claim", "persistentVolumeClaim": {"claimName": "data"}}
    assert result[8]["image"] == {
        "reference": "registry:5000/models:v1",
        "pullPolicy": "IfNotPresent",
    }


def test_requests_default_to_limits_in_a_pod() -> None:
    container = {
        "name": "c",
        "image": "x",
        "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}, "requests": {"cpu": "100m"}},
    }
    spec = pod_spec(defaulted("", "pods", pod(containers=[container], initContainers=[])))

    assert first_container(spec)["resources"] == {
        "limits": {"cpu": "500m", "memory": "1Gi"},
        "requests": {"cpu": "100m", "memory": "1Gi"},
    }

    only_limits = {"name": "c", "image": "x", "resources": {"limits": {"cpu": "1"}}}
    spec = pod_spec(defaulted("", "pods", pod(initContainers=[only_limits], containers=[])))
    assert spec["initContainers"][0]["resources"]["requests"] == {"cpu": "1"}


def test_host_network_ports_get_host_ports() -> None:
    container = {
        "name": "c",
        "image": "x",
        "ports": [{"containerPort": 8080}, {"containerPort": 9090, "hostPort": 9191}],
    }
    spec = pod_spec(defaulted("", "pods", pod(hostNetwork=True, containers=[container])))

    assert first_container(spec)["ports"] == [
        {"containerPort": 8080, "hostPort": 8080, "protocol": "TCP"},
        {"containerPort": 9090, "hostPort": 9191, "protocol": "TCP"},
    ]

    spec = pod_spec(defaulted("", "pods", pod(containers=[container])))
    assert "hostPort" not in first_container(spec)["ports"][0]


@pytest.mark.parametrize(
    ("class_name", "priority"),
    [("system-node-critical", 2000001000), ("system-cluster-critical", 2000000000)],
)
def test_system_priority_classes(class_name: str, priority: int) -> None:
    spec = pod_spec(defaulted("", "pods", pod(priorityClassName=class_name, containers=[])))

    assert spec["priority"] == priority
    assert spec["preemptionPolicy"] == "PreemptLowerPriority"


def test_other_priority_classes_are_left_to_admission() -> None:
    spec = pod_spec(defaulted("", "pods", pod(priorityClassName="batch", containers=[])))

    assert "priority" not in spec
    assert "preemptionPolicy" not in spec


def test_pod_without_spec_gets_one() -> None:
    obj = defaulted("", "pods", {"metadata": {"name": "p"}})

    assert obj["spec"] == {**POD_SPEC_DEFAULTS, **POD_ONLY_DEFAULTS}


def full_pod() -> dict[str, Any]:
    """A pod that sets, to values other than the defaults, every field defaulted."""
    container = {
        "name": "web",
        "image": "nginx",
        "imagePullPolicy": "Never",
        "terminationMessagePath": "/tmp/msg",
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}},
        "ports": [{"containerPort": 53, "protocol": "UDP", "hostPort": 5353}],
        "env": [{"name": "V", "valueFrom": {"fieldRef": {"apiVersion": "v2", "fieldPath": "x"}}}],
        "livenessProbe": {
            "httpGet": {"port": 80, "path": "/healthz", "scheme": "HTTPS"},
            "timeoutSeconds": 4,
            "periodSeconds": 7,
            "successThreshold": 2,
            "failureThreshold": 9,
        },
        "startupProbe": {
            "grpc": {"port": 1, "service": "svc"},
            "timeoutSeconds": 4,
            "periodSeconds": 7,
            "successThreshold": 2,
            "failureThreshold": 9,
        },
        "lifecycle": {"preStop": {"httpGet": {"port": 1, "path": "/stop", "scheme": "HTTPS"}}},
    }
    return pod(
        restartPolicy="Never",
        dnsPolicy="Default",
        schedulerName="mine",
        terminationGracePeriodSeconds=5,
        securityContext={"runAsUser": 1000},
        enableServiceLinks=False,
        hostNetwork=True,
        priority=7,
        preemptionPolicy="Never",
        containers=[container],
        initContainers=[copy.deepcopy(container)],
        volumes=[
            {"name": "a", "secret": {"secretName": "s", "defaultMode": 256}},
            {"name": "b", "configMap": {"name": "c", "defaultMode": 256}},
            {"name": "c", "hostPath": {"path": "/x", "type": "Directory"}},
            {
                "name": "d",
                "projected": {
                    "defaultMode": 256,
                    "sources": [{"serviceAccountToken": {"path": "t", "expirationSeconds": 600}}],
                },
            },
        ],
    )


def test_sent_values_are_never_overwritten() -> None:
    obj = full_pod()

    assert defaulted("", "pods", obj) == obj


def test_defaulting_twice_equals_defaulting_once() -> None:
    sparse = pod(
        containers=[
            {
                "name": "web",
                "image": "nginx",
                "ports": [{"containerPort": 80}],
                "livenessProbe": {"httpGet": {"port": 80}},
                "resources": {"limits": {"memory": "1Gi"}},
            }
        ],
        volumes=[{"name": "v"}, {"name": "s", "secret": {"secretName": "s"}}],
        hostNetwork=True,
    )
    once = defaulted("", "pods", sparse)

    assert defaulted("", "pods", once) == once
    assert defaulted("", "pods", full_pod()) == full_pod()


# -- image tags -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "tag", "policy"),
    [
        ("nginx", "latest", "Always"),
        ("nginx:latest", "latest", "Always"),
        ("nginx:1.25", "1.25", "IfNotPresent"),
        ("library/nginx:Latest", "Latest", "IfNotPresent"),
        # A port is not a tag.
        ("registry:5000/app", "latest", "Always"),
        ("registry:5000/app:v1", "v1", "IfNotPresent"),
        ("localhost/app", "latest", "Always"),
        ("[::1]:5000/team/app:2", "2", "IfNotPresent"),
        ("ghcr.io/org/app", "latest", "Always"),
        # A digest alone names no tag; with a tag, the tag decides.
        (f"app@sha256:{HEX}", "", "IfNotPresent"),
        (f"registry:5000/app@sha256:{HEX}", "", "IfNotPresent"),
        (f"nginx:latest@sha256:{HEX}", "latest", "Always"),
        (f"nginx:1.25@sha256:{HEX}", "1.25", "IfNotPresent"),
        # References that do not parse have no tag.
        ("", "", "IfNotPresent"),
        ("NGINX", "", "IfNotPresent"),
        ("nginx:", "", "IfNotPresent"),
        (" nginx", "", "IfNotPresent"),
        (HEX, "", "IfNotPresent"),
        ("app@sha256:abc", "", "IfNotPresent"),
        (f"app@md5:{HEX[:32]}", "", "IfNotPresent"),
        (f"app@sha256:{HEX.upper()}", "", "IfNotPresent"),
        ("app:" + "x" * 129, "", "IfNotPresent"),
        ("a/" + "b" * 254, "", "IfNotPresent"),
    ],
)
def test_image_tag_and_pull_policy(image: str, tag: str, policy: str) -> None:
    assert image_tag(image) == tag
    assert pull_policy(image) == policy


def test_a_container_without_an_image_pulls_if_not_present() -> None:
    spec = pod_spec(defaulted("", "pods", pod(containers=[{"name": "c"}])))

    assert first_container(spec)["imagePullPolicy"] == "IfNotPresent"


# -- workloads --------------------------------------------------------------------------


def template() -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]},
    }


def test_deployment_defaults() -> None:
    obj = defaulted(
        "apps",
        "deployments",
        {"spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template()}},
    )

    spec = obj["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    assert spec["template"]["spec"] == {
        **POD_SPEC_DEFAULTS,
        "containers": [
            {"name": "web", "image": "nginx", "imagePullPolicy": "Always", **CONTAINER_DEFAULTS}
        ],
    }
    # No creationTimestamp, and nothing that only a Pod gets.
    assert spec["template"]["metadata"] == {"labels": {"app": "web"}}


def test_deployment_keeps_what_was_sent() -> None:
    sent = {
        "spec": {
            "replicas": 0,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0}},
            "revisionHistoryLimit": 0,
            "progressDeadlineSeconds": 30,
            "template": template(),
        }
    }
    spec = defaulted("apps", "deployments", sent)["spec"]

    assert spec["replicas"] == 0
    assert spec["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": "25%"}
    assert spec["revisionHistoryLimit"] == 0
    assert spec["progressDeadlineSeconds"] == 30


def test_recreate_strategy_gets_no_rolling_update() -> None:
    sent = {"spec": {"strategy": {"type": "Recreate"}, "template": template()}}

    assert defaulted("apps", "deployments", sent)["spec"]["strategy"] == {"type": "Recreate"}


def test_replica_set_defaults() -> None:
    spec = defaulted("apps", "replicasets", {"spec": {"template": template()}})["spec"]

    assert spec["replicas"] == 1
    assert spec["template"]["spec"]["restartPolicy"] == "Always"
    assert first_container(spec["template"]["spec"])["resources"] == {}
    assert spec["template"]["metadata"] == {"labels": {"app": "web"}}
    assert not {"strategy", "revisionHistoryLimit", "progressDeadlineSeconds"} & spec.keys()


def test_template_requests_are_not_copied_from_limits() -> None:
    tmpl = template()
    tmpl["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1"}}
    spec = defaulted("apps", "replicasets", {"spec": {"template": tmpl}})["spec"]

    assert first_container(spec["template"]["spec"])["resources"] == {"limits": {"cpu": "1"}}


# -- services ---------------------------------------------------------------------------


def service(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "s"}, "spec": spec}


def test_cluster_ip_service_defaults() -> None:
    spec = defaulted(
        "",
        "services",
        service(
            selector={"app": "web"},
            ports=[{"port": 80}, {"port": 53, "protocol": "UDP", "targetPort": "dns"}],
        ),
    )["spec"]

    assert spec == {
        "selector": {"app": "web"},
        "ports": [
            {"port": 80, "protocol": "TCP", "targetPort": 80},
            {"port": 53, "protocol": "UDP", "targetPort": "dns"},
        ],
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "internalTrafficPolicy": "Cluster",
        "ipFamilyPolicy": "SingleStack",
        "ipFamilies": ["IPv4"],
    }


@pytest.mark.parametrize("kind", ["NodePort", "LoadBalancer"])
def test_externally_reachable_services(kind: str) -> None:
    spec = defaulted("", "services", service(type=kind, ports=[{"port": 80}]))["spec"]

    assert spec["externalTrafficPolicy"] == "Cluster"
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert spec["ipFamilyPolicy"] == "SingleStack"
    assert spec["ipFamilies"] == ["IPv4"]
    assert ("allocateLoadBalancerNodePorts" in spec) == (kind == "LoadBalancer")
    assert "nodePort" not in spec["ports"][0]
    assert "clusterIP" not in spec


def test_cluster_ip_with_external_ips_gets_external_traffic_policy() -> None:
    plain = defaulted("", "services", service(ports=[{"port": 80}]))["spec"]
    exposed = defaulted("", "services", service(externalIPs=["192.0.2.1"]))["spec"]

    assert "externalTrafficPolicy" not in plain
    assert exposed["externalTrafficPolicy"] == "Cluster"


def test_external_name_service() -> None:
    spec = defaulted("", "services", service(type="ExternalName", externalName="db.example"))[
        "spec"
    ]

    assert spec == {
        "type": "ExternalName",
        "externalName": "db.example",
        "sessionAffinity": "None",
    }


def test_headless_service_without_selector_is_dual_stack() -> None:
    headless = defaulted("", "services", service(clusterIP="None"))["spec"]
    with_selector = defaulted("", "services", service(clusterIP="None", selector={"a": "b"}))[
        "spec"
    ]

    assert headless["ipFamilyPolicy"] == "RequireDualStack"
    assert headless["ipFamilies"] == ["IPv4", "IPv6"]
    assert with_selector["ipFamilyPolicy"] == "SingleStack"
    assert with_selector["ipFamilies"] == ["IPv4"]


def test_ip_families_follow_the_cluster_ips_sent() -> None:
    spec = defaulted("", "services", service(clusterIPs=["fd00::10"]))["spec"]

    assert spec["ipFamilies"] == ["IPv6"]
    assert "clusterIP" not in spec


def test_session_affinity() -> None:
    client_ip = defaulted("", "services", service(sessionAffinity="ClientIP"))["spec"]
    none = defaulted(
        "",
        "services",
        service(sessionAffinityConfig={"clientIP": {"timeoutSeconds": 60}}),
    )["spec"]

    assert client_ip["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}
    # As in Kubernetes, a config without ClientIP affinity is dropped.
    assert "sessionAffinityConfig" not in none


def test_load_balancer_ingress_ip_mode() -> None:
    obj = defaulted(
        "",
        "services",
        {
            "spec": {"type": "LoadBalancer"},
            "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}, {"hostname": "lb"}]}},
        },
    )

    assert obj["status"]["loadBalancer"]["ingress"] == [
        {"ip": "192.0.2.1", "ipMode": "VIP"},
        {"hostname": "lb"},
    ]


def test_service_keeps_what_was_sent() -> None:
    sent = service(
        type="NodePort",
        selector={"app": "web"},
        ports=[{"port": 80, "protocol": "SCTP", "targetPort": 8080, "nodePort": 30080}],
        sessionAffinity="ClientIP",
        sessionAffinityConfig={"clientIP": {"timeoutSeconds": 60}},
        externalTrafficPolicy="Local",
        internalTrafficPolicy="Local",
        ipFamilyPolicy="PreferDualStack",
        ipFamilies=["IPv4"],
        clusterIP="10.96.0.10",
    )

    assert defaulted("", "services", sent) == sent


# -- other types ------------------------------------------------------------------------


def test_secret_type() -> None:
    assert defaulted("", "secrets", {"data": {}})["type"] == "Opaque"
    tls = {"type": "kubernetes.io/tls", "data": {}}
    assert defaulted("", "secrets", tls) == tls


def test_endpoints_port_protocol() -> None:
    obj = defaulted(
        "",
        "endpoints",
        {"subsets": [{"ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}, {}]},
    )

    assert obj["subsets"][0]["ports"] == [
        {"port": 80, "protocol": "TCP"},
        {"port": 53, "protocol": "UDP"},
    ]
    assert obj["subsets"][1] == {}


@pytest.mark.parametrize(
    ("group", "plural"),
    [
        ("", "namespaces"),
        ("", "configmaps"),
        ("", "nodes"),
        ("coordination.k8s.io", "leases"),
        ("example.com", "pods"),
        ("apps", "pods"),
        ("", "deployments"),
    ],
)
def test_other_types_are_left_alone(group: str, plural: str) -> None:
    obj = {"metadata": {"name": "x"}, "spec": {"containers": [{"name": "c"}]}, "data": {}}

    assert defaulted(group, plural, obj) == obj


# -- malformed input --------------------------------------------------------------------

TYPES = [
    ("", "pods"),
    ("", "services"),
    ("", "endpoints"),
    ("", "secrets"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
]

MALFORMED: list[dict[str, Any]] = [
    {"spec": "nope"},
    {"spec": []},
    {"spec": {"containers": "web"}},
    {"spec": {"containers": [None, 3, "web", ["x"]]}},
    {"spec": {"containers": [{"image": 5, "ports": "80", "env": {"A": "1"}}]}},
    {"spec": {"containers": [{"ports": [80, None, {"containerPort": "80"}]}]}},
    {"spec": {"containers": [{"env": [{"valueFrom": "x"}, {"valueFrom": {"fieldRef": 1}}]}]}},
    {"spec": {"containers": [{"livenessProbe": "x", "readinessProbe": {"httpGet": []}}]}},
    {"spec": {"containers": [{"lifecycle": {"preStop": "x", "postStart": {"httpGet": 1}}}]}},
    {"spec": {"containers": [{"resources": {"limits": [], "requests": "x"}}]}},
    {"spec": {"containers": [{"resources": {"limits": {"cpu": "1"}, "requests": []}}]}},
    {"spec": {"volumes": [None, {"secret": "x"}, {"projected": {"sources": [1, {}]}}]}},
    {"spec": {"volumes": [{"image": {"reference": 1}}, {"downwardAPI": {"items": "x"}}]}},
    {"spec": {"volumes": [{"ephemeral": {"volumeClaimTemplate": {"spec": []}}}]}},
    {"spec": {"hostNetwork": True, "containers": [{"ports": [{"containerPort": True}]}]}},
    {"spec": {"priorityClassName": ["system-node-critical"], "restartPolicy": 1}},
    {"spec": {"template": "x", "strategy": [], "replicas": "many"}},
    {"spec": {"template": {"spec": {"containers": {}}}, "strategy": {"rollingUpdate": 1}}},
    {"spec": {"ports": [{"port": "80"}, {"port": True}, "x"], "type": ["ClusterIP"]}},
    {"spec": {"clusterIPs": [1, None], "ipFamilies": "IPv4", "selector": []}},
    {"spec": {"clusterIP": "not-an-ip", "externalIPs": "1.2.3.4", "ipFamilies": [None]}},
    {"spec": {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": 1}}},
    {"spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {"ingress": "x"}}},
    {"subsets": "x"},
    {"subsets": [{"ports": "x"}, None, {"ports": [None, {"protocol": 6}]}]},
    {"type": 1},
]


@pytest.mark.parametrize("obj", MALFORMED)
@pytest.mark.parametrize(("group", "plural"), TYPES)
def test_malformed_input_does_not_raise(group: str, plural: str, obj: dict[str, Any]) -> None:
    once = defaulted(group, plural, obj)

    assert defaulted(group, plural, once) == once


def test_a_body_that_is_not_an_object_is_ignored() -> None:
    body: Any = ["not", "an", "object"]
    apply_defaults("", "pods", body)

    assert body == ["not", "an", "object"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "spec",
                    "containers",
                    "template",
                    "ports",
                    "port",
                    "image",
                    "volumes",
                    "env",
                    "valueFrom",
                    "fieldRef",
                    "livenessProbe",
                    "httpGet",
                    "resources",
                    "limits",
                    "type",
                    "clusterIP",
                    "selector",
                    "subsets",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(type_=st.sampled_from(TYPES), spec=JSON)
def test_arbitrary_json_never_raises(type_: tuple[str, str], spec: Any) -> None:
    group, plural = type_
    apply_defaults(group, plural, {"spec": spec, "subsets": spec, "type": spec})
