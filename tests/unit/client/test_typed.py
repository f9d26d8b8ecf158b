"""Typed views of built-in kinds, through lightkube-models."""

from __future__ import annotations

import pytest

from kubelite.client.typed import typed, untyped


def test_a_pod_reads_as_attributes_and_goes_back_to_a_dict() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
    }
    model = typed(pod)
    assert model.metadata.name == "web"
    assert model.spec.containers[0].image == "nginx:1.27"
    back = untyped(model)
    assert back["spec"]["containers"] == [{"name": "web", "image": "nginx:1.27"}]
    assert back["metadata"]["labels"] == {"app": "web"}


def test_grouped_kinds_and_unknown_ones() -> None:
    template = {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": []}}
    spec = {"replicas": 3, "selector": {"matchLabels": {"a": "b"}}, "template": template}
    deployment = typed({"apiVersion": "apps/v1", "kind": "Deployment", "spec": spec})
    assert deployment.spec.replicas == 3
    lease = typed({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "spec": {}})
    assert type(lease).__name__ == "Lease"
    with pytest.raises(LookupError, match=r"no typed model of example\.com/v1 Widget"):
        typed({"apiVersion": "example.com/v1", "kind": "Widget"})
