"""What the server writes into objects it stores: pod QoS, statuses, secrets, namespaces."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from kubelite.api import quantity
from kubelite.api.defaults import apply_defaults
from kubelite.api.strategy import prepare_for_create, prepare_for_update, qos_class


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", Fraction(1)),
        ("500m", Fraction(1, 2)),
        ("0.5", Fraction(1, 2)),
        (".5", Fraction(1, 2)),
        ("1Gi", Fraction(1 << 30)),
        ("1G", Fraction(10**9)),
        ("2e3", Fraction(2000)),
        ("1E", Fraction(10**18)),
        ("-1k", Fraction(-1000)),
        ("100n", Fraction(1, 10**7)),
        (2, Fraction(2)),
        (0.25, Fraction(1, 4)),
    ],
)
def test_quantities_are_read_exactly(text: object, value: Fraction) -> None:
    assert quantity.parse(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1Qi", "1e", "--1", None, True, [], "1.2.3"])
def test_what_is_not_a_quantity_reads_as_none(text: object) -> None:
    assert quantity.parse(text) is None


def _pod(*resources: dict[str, Any], init: dict[str, Any] | None = None) -> dict[str, Any]:
    containers = [{"name": f"c{i}", "image": "x", "resources": r} for i, r in enumerate(resources)]
    spec: dict[str, Any] = {"containers": containers}
    if init is not None:
        spec["initContainers"] = [{"name": "i", "image": "x", "resources": init}]
    pod = {"metadata": {"name": "p"}, "spec": spec}
    apply_defaults("", "pods", pod)
    return pod


both = {"cpu": "1", "memory": "1Gi"}


@pytest.mark.parametrize(
    ("pod", "qos"),
    [
        (_pod({}), "BestEffort"),
        (_pod({"requests": {"cpu": "0"}}), "BestEffort"),
        (_pod({"requests": {"ephemeral-storage": "1Gi"}}), "BestEffort"),
        (_pod({"requests": {"cpu": "100m"}}), "Burstable"),
        (_pod({"limits": both}), "Guaranteed"),
        (_pod({"limits": both, "requests": {"cpu": "1000m", "memory": "1024Mi"}}), "Guaranteed"),
        (_pod({"limits": both, "requests": {"cpu": "500m"}}), "Burstable"),
        (_pod({"limits": {"cpu": "1"}}), "Burstable"),
        (_pod({"limits": both}, {}), "Burstable"),
        (_pod({"limits": both}, init={"limits": both}), "Guaranteed"),
        (_pod({"limits": both}, init={"requests": {"cpu": "1"}}), "Burstable"),
    ],
)
def test_qos_class_as_the_kubelet_ranks_pods(pod: dict[str, Any], qos: str) -> None:
    assert qos_class(pod) == qos


def test_a_new_pod_is_pending_whatever_status_it_was_sent_with() -> None:
    pod = _pod({"limits": both})
    pod["status"] = {"phase": "Running", "podIP": "10.0.0.1"}
    prepare_for_create("", "pods", pod)
    assert pod["status"] == {"phase": "Pending", "qosClass": "Guaranteed"}


@pytest.mark.parametrize(
    ("group", "plural", "status"),
    [
        ("apps", "deployments", {}),
        ("apps", "replicasets", {"replicas": 0}),
        ("", "services", {"loadBalancer": {}}),
    ],
)
def test_new_workloads_start_with_an_empty_status(
    group: str, plural: str, status: dict[str, Any]
) -> None:
    obj = {"metadata": {"name": "x"}, "spec": {}, "status": {"replicas": 3, "readyReplicas": 3}}
    prepare_for_create(group, plural, obj)
    assert obj["status"] == status


def test_namespaces_are_active_keep_the_kubernetes_finalizer_and_carry_their_name() -> None:
    namespace: dict[str, Any] = {
        "metadata": {"name": "team", "labels": {"a": "b", "kubernetes.io/metadata.name": "x"}},
        "spec": {"finalizers": ["example.com/keep"]},
        "status": {"phase": "Terminating"},
    }
    prepare_for_create("", "namespaces", namespace)
    assert namespace["status"] == {"phase": "Active"}
    assert namespace["spec"]["finalizers"] == ["example.com/keep", "kubernetes"]
    assert namespace["metadata"]["labels"] == {"a": "b", "kubernetes.io/metadata.name": "team"}
    updated: dict[str, Any] = {"metadata": {"name": "team", "labels": {}}}
    prepare_for_update("", "namespaces", updated)
    assert updated["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team"}


def test_secret_string_data_is_folded_into_data() -> None:
    secret: dict[str, Any] = {
        "metadata": {"name": "s"},
        "data": {"user": "b2xk", "keep": "eA=="},
        "stringData": {"user": "admin", "pass": "s3cr3t"},
    }
    prepare_for_update("", "secrets", secret)
    assert "stringData" not in secret
    assert secret["data"] == {"user": "YWRtaW4=", "keep": "eA==", "pass": "czNjcjN0"}


def test_empty_metadata_maps_and_lists_are_left_out() -> None:
    obj: dict[str, Any] = {
        "metadata": {"name": "c", "labels": {}, "annotations": {}, "finalizers": []},
        "data": {},
    }
    prepare_for_create("", "configmaps", obj)
    assert obj == {"metadata": {"name": "c"}, "data": {}}


@pytest.mark.parametrize(
    ("text", "billionths"),
    [
        ("1", 10**9),
        ("500m", 5 * 10**8),
        ("1Ki", 1024 * 10**9),
        ("1n", 1),
        ("0.1n", 1),
        (3, 3 * 10**9),
    ],
)
def test_quantities_in_billionths_round_up(text: object, billionths: int) -> None:
    assert quantity.nano(text) == billionths
    assert quantity.nano("x") is None
