"""Unknown fields of built-in types are found and dropped along the schema."""

from __future__ import annotations

from typing import Any

from kubelite.api.openapi.definitions import builtin_definitions
from kubelite.api.openapi.fields import prune_unknown


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
