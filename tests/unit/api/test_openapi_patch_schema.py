"""Strategic merge metadata read from the schemas, and how it compares with the
stopgap table of kubelite.api.patch.builtin."""

from __future__ import annotations

from typing import Any

import pytest

from kubelite.api.openapi import OpenAPIPatchSchema, builtin_definitions, patch_schema_for
from kubelite.api.patch import (
    DEFAULT_META,
    FieldPatchMeta,
    JSONObject,
    PatchSchema,
    PatchStrategy,
    apply_strategic,
)
from kubelite.api.patch.builtin import BUILTIN_PATCH_SCHEMAS


def _schema(group: str, kind: str) -> PatchSchema:
    schema = patch_schema_for(group, "v1", kind)
    assert schema is not None
    return schema


def _meta(group: str, kind: str, path: str) -> FieldPatchMeta:
    return _schema(group, kind).field_meta(tuple(path.split(".")))


@pytest.mark.parametrize(
    ("group", "kind", "path", "strategy", "merge_key"),
    [
        ("", "Pod", "spec.containers", "merge", "name"),
        ("", "Pod", "spec.containers.ports", "merge", "containerPort"),
        ("", "Pod", "spec.volumes", "merge,retainKeys", "name"),
        ("", "Pod", "metadata.ownerReferences", "merge", "uid"),
        ("apps", "Deployment", "spec.template.spec.containers", "merge", "name"),
        ("apps", "Deployment", "spec.template.spec.containers.ports", "merge", "containerPort"),
        ("apps", "Deployment", "spec.template.spec.volumes", "merge,retainKeys", "name"),
        ("apps", "Deployment", "metadata.ownerReferences", "merge", "uid"),
        ("apps", "Deployment", "spec.template.metadata.ownerReferences", "merge", "uid"),
    ],
)
def test_merge_keys(group: str, kind: str, path: str, strategy: str, merge_key: str) -> None:
    assert _meta(group, kind, path) == FieldPatchMeta.parse(strategy, merge_key)


def test_special_fields() -> None:
    finalizers = _meta("", "Pod", "metadata.finalizers")
    assert (finalizers.strategy, finalizers.primitive_list) == (PatchStrategy.MERGE, True)
    strategy = _meta("apps", "Deployment", "spec.strategy")
    assert (strategy.strategy, strategy.retain_keys) == (PatchStrategy.DEFAULT, True)
    assert _meta("", "Pod", "spec.tolerations") == DEFAULT_META
    assert _meta("", "Pod", "spec.containers.command") == DEFAULT_META
    assert _meta("", "Pod", "metadata.labels.app") == DEFAULT_META, "map key"
    assert _meta("", "Pod", "spec.noSuchField") == DEFAULT_META
    assert _meta("", "Pod", "spec.containers.name.deeper") == DEFAULT_META
    assert _schema("", "Pod").field_meta(()) == DEFAULT_META


def test_custom_kinds_have_no_schema() -> None:
    assert patch_schema_for("example.com", "v1", "Redis") is None
    assert patch_schema_for("", "v1", "Pod") is patch_schema_for("", "v1", "Pod")
    with pytest.raises(KeyError, match="NoSuchKind"):
        OpenAPIPatchSchema(builtin_definitions(), "io.k8s.api.core.v1.NoSuchKind")


def test_strategic_merge_with_the_schema() -> None:
    deployment: JSONObject = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "a", "image": "nginx:1.25", "ports": [{"containerPort": 80}]},
                        {"name": "b", "image": "redis:7"},
                    ]
                }
            }
        }
    }
    patch: JSONObject = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "a", "image": "nginx:1.26", "ports": [{"containerPort": 443}]}
                    ]
                }
            }
        }
    }
    merged: Any = apply_strategic(deployment, patch, _schema("apps", "Deployment"))
    pod_spec = merged["spec"]["template"]["spec"]
    first, second = pod_spec["containers"]
    assert second == {"name": "b", "image": "redis:7"}, "merged by name, not replaced"
    assert first["image"] == "nginx:1.26"
    ports = sorted(port["containerPort"] for port in first["ports"])
    assert ports == [80, 443], "ports merged by containerPort"


TABLE_FIELDS = [
    pytest.param(group, kind, ".".join(path), meta, id=f"{group or 'core'}/{kind}/{'.'.join(path)}")
    for (group, kind), table in BUILTIN_PATCH_SCHEMAS.items()
    for path, meta in table.items()
]


@pytest.mark.parametrize(("group", "kind", "path", "meta"), TABLE_FIELDS)
def test_agrees_with_the_stopgap_table(
    group: str, kind: str, path: str, meta: FieldPatchMeta
) -> None:
    assert _meta(group, kind, path) == meta
