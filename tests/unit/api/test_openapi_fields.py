"""Unknown fields of built-in types are found and dropped along the schema."""

from __future__ import annotations

from typing import Any

from kubelite.api.openapi.definitions import BuiltinDefinitions, builtin_definitions
from kubelite.api.openapi.types import decode


def prune_unknown(definitions: BuiltinDefinitions, root: str, obj: dict[str, Any]) -> list[str]:
    decoded = decode(definitions, root, obj)
    assert decoded.wrong is None
    return decoded.dropped


def test_unknown_fields_are_dropped_with_kubernetes_paths() -> None:
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "a", "labels": {"any-key": "kept"}, "colour": "red"},
        "spec": {
            "containers": [{"name": "c", "image": "x", "imagee": "typo"}],
            "foo": 1,
            "overhead": {"cpu": "1"},
        },
    }
    definitions = builtin_definitions()
    dropped = prune_unknown(definitions, "io.k8s.api.core.v1.Pod", pod)
    assert dropped == ["metadata.colour", "spec.containers[0].imagee", "spec.foo"]
    assert pod["metadata"] == {"name": "a", "labels": {"any-key": "kept"}}
    assert pod["spec"] == {"containers": [{"name": "c", "image": "x"}], "overhead": {"cpu": "1"}}


def test_a_valid_object_is_left_alone() -> None:
    deployment: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "w", "image": "nginx", "ports": [{"containerPort": 80}]}
                    ]
                },
            },
        },
    }
    before = repr(deployment)
    assert prune_unknown(builtin_definitions(), "io.k8s.api.apps.v1.Deployment", deployment) == []
    assert repr(deployment) == before


def test_dropped_in_the_order_of_the_keys_with_map_keys_in_brackets() -> None:
    deployment: dict[str, Any] = {
        "spec": {
            "zzz": 1,
            "template": {
                "spec": {
                    "containers": [{"name": "c", "resources": {"limits": {"cpu": "1"}}}],
                    "nodeSelectorr": {"a": "b"},
                }
            },
        },
        "metadata": {"annotations": {"k": "v"}},
    }
    root = "io.k8s.api.apps.v1.Deployment"
    assert prune_unknown(builtin_definitions(), root, deployment) == [
        "spec.zzz",
        "spec.template.spec.nodeSelectorr",
    ]
    assert deployment["metadata"] == {"annotations": {"k": "v"}}


def test_free_form_fields_keep_what_they_hold() -> None:
    pod: dict[str, Any] = {
        "metadata": {"name": "a", "managedFields": [{"fieldsV1": {"f:spec": {"x": {}}}}]},
    }
    before = repr(pod)
    assert prune_unknown(builtin_definitions(), "io.k8s.api.core.v1.Pod", pod) == []
    assert repr(pod) == before


def test_a_wrong_type_stops_the_walk_and_is_named() -> None:
    pod: dict[str, Any] = {"spec": {"containers": [{"name": "c", "ports": "80"}], "foo": 1}}
    decoded = decode(builtin_definitions(), "io.k8s.api.core.v1.Pod", pod)
    wrong = decoded.wrong
    assert wrong is not None
    assert (wrong.path, wrong.struct, wrong.go_type) == (
        "spec.containers[0].ports",
        "Container",
        "[]v1.ContainerPort",
    )
    assert decoded.dropped == []


def test_an_integer_out_of_range_is_a_wrong_type() -> None:
    deployment: dict[str, Any] = {"spec": {"replicas": 2**31}}
    wrong = decode(builtin_definitions(), "io.k8s.api.apps.v1.Deployment", deployment).wrong
    assert wrong is not None
    assert wrong.message == (
        "json: cannot unmarshal number 2147483648 into Go struct field "
        "DeploymentSpec.spec.replicas of type int32"
    )


def test_required_fields_are_found_in_the_same_walk_but_not_in_status() -> None:
    pod: dict[str, Any] = {
        "spec": {"containers": [{"image": "x", "ports": [{}]}], "foo": 1},
        "status": {"containerStatuses": [{}]},
    }
    decoded = decode(builtin_definitions(), "io.k8s.api.core.v1.Pod", pod, required=True)
    assert [str(error) for error in decoded.missing] == [
        "spec.containers[0].name: Required value",
        "spec.containers[0].ports[0].containerPort: Required value",
    ]
    assert decoded.dropped == ["spec.foo"]
    assert decode(builtin_definitions(), "io.k8s.api.core.v1.Pod", pod).missing == []
