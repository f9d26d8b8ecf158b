"""Patch metadata: parsing the OpenAPI strings, composing tables, the built-ins."""

from __future__ import annotations

import pytest

from kubelite.api.patch import (
    DEFAULT_META,
    DictPatchSchema,
    FieldPatchMeta,
    PatchStrategy,
    builtin_patch_schema,
)


def test_parse_strategies() -> None:
    assert FieldPatchMeta.parse() == DEFAULT_META
    merged = FieldPatchMeta.parse("merge", "name")
    assert (merged.strategy, merged.merge_key, merged.retain_keys) == (
        PatchStrategy.MERGE,
        "name",
        False,
    )
    both = FieldPatchMeta.parse("merge,retainKeys", "name")
    assert both.strategy is PatchStrategy.MERGE
    assert both.retain_keys
    retain = FieldPatchMeta.parse("retainKeys")
    assert (retain.strategy, retain.retain_keys) == (PatchStrategy.DEFAULT, True)
    assert FieldPatchMeta.parse("replace").strategy is PatchStrategy.REPLACE


@pytest.mark.parametrize("strategy", ["merge,replace", "bogus", "merge,sideways"])
def test_parse_rejects_broken_strategies(strategy: str) -> None:
    with pytest.raises(ValueError, match="strategy"):
        FieldPatchMeta.parse(strategy)


def test_merge_key_and_primitive_list_exclude_each_other() -> None:
    with pytest.raises(ValueError, match="primitives"):
        FieldPatchMeta.parse("merge", "name", primitive_list=True)


def test_dict_schema_paths_and_composition() -> None:
    ports = FieldPatchMeta.parse("merge", "containerPort")
    base = DictPatchSchema({"ports": ports})
    moved = base.prefixed("spec.containers")
    assert moved.field_meta(("spec", "containers", "ports")) == ports
    assert moved.field_meta(("ports",)) == DEFAULT_META
    env = FieldPatchMeta.parse("merge", "name")
    union = moved | DictPatchSchema({("spec", "containers", "env"): env})
    assert union.field_meta(("spec", "containers", "env")) == env
    assert len(union) == 2
    with pytest.raises(ValueError, match="empty field name"):
        DictPatchSchema({"spec..x": DEFAULT_META})


@pytest.mark.parametrize(
    ("group", "kind", "path", "merge_key"),
    [
        ("", "Pod", "spec.containers", "name"),
        ("", "Pod", "spec.initContainers", "name"),
        ("", "Pod", "spec.containers.ports", "containerPort"),
        ("", "Pod", "spec.containers.env", "name"),
        ("", "Pod", "spec.containers.volumeMounts", "mountPath"),
        ("", "Pod", "spec.volumes", "name"),
        ("", "Pod", "spec.imagePullSecrets", "name"),
        ("", "Pod", "metadata.ownerReferences", "uid"),
        ("", "Pod", "status.conditions", "type"),
        ("", "Service", "spec.ports", "port"),
        ("apps", "Deployment", "spec.template.spec.containers", "name"),
        ("apps", "Deployment", "spec.template.spec.initContainers.env", "name"),
        ("apps", "ReplicaSet", "spec.template.spec.containers.ports", "containerPort"),
        ("batch", "CronJob", "spec.jobTemplate.spec.template.spec.containers", "name"),
    ],
)
def test_builtin_merge_keys(group: str, kind: str, path: str, merge_key: str) -> None:
    schema = builtin_patch_schema(group, kind)
    assert schema is not None
    meta = schema.field_meta(tuple(path.split(".")))
    assert meta.strategy is PatchStrategy.MERGE
    assert meta.merge_key == merge_key


def test_builtin_special_fields() -> None:
    pod = builtin_patch_schema("", "Pod")
    deployment = builtin_patch_schema("apps", "Deployment")
    assert pod is not None
    assert deployment is not None
    finalizers = pod.field_meta(("metadata", "finalizers"))
    assert (finalizers.strategy, finalizers.primitive_list) == (PatchStrategy.MERGE, True)
    assert pod.field_meta(("spec", "tolerations")).strategy is PatchStrategy.DEFAULT
    assert pod.field_meta(("spec", "volumes")).retain_keys
    assert deployment.field_meta(("spec", "strategy")).retain_keys
    assert builtin_patch_schema("example.com", "Redis") is None
