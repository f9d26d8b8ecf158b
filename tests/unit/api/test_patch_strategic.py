"""Strategic merge patch: every directive, the ordering rules, kubectl's patches."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelite.api.patch import (
    DictPatchSchema,
    FieldPatchMeta,
    JSONObject,
    JSONValue,
    PatchConflictError,
    PatchInvalidError,
    apply_merge_patch,
    apply_strategic,
    builtin_patch_schema,
)

_pod_schema = builtin_patch_schema("", "Pod")
_deployment_schema = builtin_patch_schema("apps", "Deployment")
assert _pod_schema is not None
assert _deployment_schema is not None
POD_SCHEMA = _pod_schema
DEPLOYMENT_SCHEMA = _deployment_schema


def container(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, **fields}


def pod(*containers: dict[str, Any], **spec: Any) -> JSONObject:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"containers": list(containers), **spec},
    }


def names(obj: JSONObject, field: str = "containers") -> list[str]:
    spec = obj["spec"]
    assert isinstance(spec, dict)
    items = spec[field]
    assert isinstance(items, list)
    return [i["name"] for i in items if isinstance(i, dict) and isinstance(i["name"], str)]


def spec_of(obj: JSONObject) -> dict[str, Any]:
    spec = obj["spec"]
    assert isinstance(spec, dict)
    return spec


# -- kubectl apply ------------------------------------------------------------


def test_kubectl_apply_changes_an_image() -> None:
    live = pod(
        container(
            "c",
            image="nginx:1.25",
            terminationMessagePath="/dev/termination-log",
            imagePullPolicy="IfNotPresent",
        ),
        restartPolicy="Always",
    )
    # What kubectl 1.37 sends (kubectl-compat.md section 3).
    patch: JSONObject = {
        "metadata": {
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"x":1}\n'}
        },
        "spec": {
            "$setElementOrder/containers": [{"name": "c"}],
            "containers": [{"image": "nginx:1.26", "name": "c"}],
        },
    }
    result = apply_strategic(live, patch, POD_SCHEMA)
    assert result == pod(
        container(
            "c",
            image="nginx:1.26",
            terminationMessagePath="/dev/termination-log",
            imagePullPolicy="IfNotPresent",
        ),
        restartPolicy="Always",
    ) | {
        "metadata": {
            "name": "p",
            "namespace": "default",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"x":1}\n'},
        }
    }
    # Applying the same patch again changes nothing.
    assert apply_strategic(result, patch, POD_SCHEMA) == result


def test_kubectl_apply_adds_a_container_and_removes_a_field() -> None:
    live = pod(container("a", image="a:1", workingDir="/w"), container("b", image="b:1"))
    patch: JSONObject = {
        "spec": {
            "$setElementOrder/containers": [{"name": "a"}, {"name": "new"}, {"name": "b"}],
            "containers": [
                {"name": "a", "workingDir": None},
                {"name": "new", "image": "n:1"},
            ],
        }
    }
    result = apply_strategic(live, patch, POD_SCHEMA)
    assert spec_of(result)["containers"] == [
        container("a", image="a:1"),
        container("new", image="n:1"),
        container("b", image="b:1"),
    ]


def test_kubectl_set_image_and_env_merge_by_name() -> None:
    live = pod(
        container(
            "c",
            image="i:1",
            env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            ports=[{"containerPort": 80, "protocol": "TCP"}],
        )
    )
    patch: JSONObject = {
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
                    "ports": [{"containerPort": 443}],
                }
            ]
        }
    }
    result = apply_strategic(live, patch, POD_SCHEMA)
    (merged,) = spec_of(result)["containers"]
    assert merged["env"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "3"},
        {"name": "C", "value": "4"},
    ]
    # Without a $setElementOrder, a new element goes before the server-only ones
    # that follow the patch's elements; here it has none to follow.
    assert merged["ports"] == [{"containerPort": 443}, {"containerPort": 80, "protocol": "TCP"}]


def test_deployment_template_containers_merge_like_a_pods() -> None:
    live: JSONObject = {
        "spec": {
            "replicas": 1,
            "template": {
                "metadata": {"labels": {"app": "x"}},
                "spec": {"containers": [container("a", image="a:1"), container("b")]},
            },
        }
    }
    patch: JSONObject = {
        "spec": {"template": {"spec": {"containers": [{"name": "b", "image": "b:2"}]}}}
    }
    result = apply_strategic(live, patch, DEPLOYMENT_SCHEMA)
    template = spec_of(result)["template"]
    assert template["spec"]["containers"] == [
        container("a", image="a:1"),
        container("b", image="b:2"),
    ]
    assert template["metadata"] == {"labels": {"app": "x"}}


# -- $patch ---------------------------------------------------------------------


def test_patch_delete_removes_a_container() -> None:
    live = pod(container("a"), container("b"), container("c"))
    patch: JSONObject = {"spec": {"containers": [{"name": "b", "$patch": "delete"}]}}
    assert names(apply_strategic(live, patch, POD_SCHEMA)) == ["a", "c"]


def test_patch_delete_removes_every_duplicate_and_ignores_absent() -> None:
    live = pod(container("a"), container("b", n=1), container("b", n=2))
    patch: JSONObject = {
        "spec": {
            "containers": [
                {"name": "b", "$patch": "delete"},
                {"name": "zzz", "$patch": "delete"},
            ]
        }
    }
    assert names(apply_strategic(live, patch, POD_SCHEMA)) == ["a"]


def test_patch_delete_needs_the_merge_key() -> None:
    patch: JSONObject = {"spec": {"containers": [{"$patch": "delete", "image": "x"}]}}
    with pytest.raises(PatchInvalidError, match="merge key 'name'"):
        apply_strategic(pod(container("a")), patch, POD_SCHEMA)


def test_patch_replace_in_a_list_replaces_the_list() -> None:
    live = pod(container("a", image="a"), container("b", image="b"))
    patch: JSONObject = {
        "spec": {"containers": [{"$patch": "replace"}, {"name": "c", "image": "c"}]}
    }
    assert spec_of(apply_strategic(live, patch, POD_SCHEMA))["containers"] == [
        container("c", image="c")
    ]


def test_patch_replace_in_a_map_replaces_the_map() -> None:
    live = pod(container("a"), nodeSelector={"disk": "ssd", "zone": "a"})
    patch: JSONObject = {"spec": {"nodeSelector": {"$patch": "replace", "zone": "b"}}}
    assert spec_of(apply_strategic(live, patch, POD_SCHEMA))["nodeSelector"] == {"zone": "b"}


def test_patch_replace_at_the_root() -> None:
    patch: JSONObject = {"$patch": "replace", "kind": "Pod", "spec": {"x": None, "y": 1}}
    assert apply_strategic(pod(), patch, POD_SCHEMA) == {"kind": "Pod", "spec": {"y": 1}}


def test_patch_delete_in_a_map_empties_it() -> None:
    live = pod(container("a"), nodeSelector={"disk": "ssd"})
    patch: JSONObject = {"spec": {"nodeSelector": {"$patch": "delete"}}}
    assert spec_of(apply_strategic(live, patch, POD_SCHEMA))["nodeSelector"] == {}
    # Deleting a map the object does not have leaves it absent.
    absent: JSONObject = {"spec": {"affinity": {"$patch": "delete"}}}
    assert "affinity" not in spec_of(apply_strategic(live, absent, POD_SCHEMA))


def test_patch_merge_is_refused_like_kubernetes_does() -> None:
    in_map: JSONObject = {"spec": {"$patch": "merge", "restartPolicy": "Never"}}
    with pytest.raises(PatchInvalidError, match="only replace or delete"):
        apply_strategic(pod(), in_map, POD_SCHEMA)
    in_list: JSONObject = {"spec": {"containers": [{"$patch": "merge"}, {"name": "a"}]}}
    with pytest.raises(PatchInvalidError, match="cannot ask to be merged"):
        apply_strategic(pod(container("a")), in_list, POD_SCHEMA)


@pytest.mark.parametrize("directive", ["bogus", 1, None])
def test_unknown_patch_directive(directive: JSONValue) -> None:
    with pytest.raises(PatchInvalidError):
        apply_strategic(pod(), {"spec": {"$patch": directive}}, POD_SCHEMA)
    with pytest.raises(PatchInvalidError):
        apply_strategic(
            pod(container("a")),
            {"spec": {"containers": [{"name": "a", "$patch": directive}]}},
            POD_SCHEMA,
        )


def test_directives_in_new_values_are_cleaned() -> None:
    live: JSONObject = {"metadata": {"name": "p"}}
    patch: JSONObject = {
        "spec": {
            "$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
            "containers": [
                {"name": "b", "env": [{"name": "X", "value": None}], "args": None},
                {"name": "a"},
                {"name": "gone", "$patch": "delete"},
            ],
            "nodeSelector": {"$patch": "replace", "a": "b"},
            "affinity": {"$patch": "delete"},
        }
    }
    assert apply_strategic(live, patch, POD_SCHEMA) == {
        "metadata": {"name": "p"},
        "spec": {
            "containers": [{"name": "b", "env": [{"name": "X"}]}, {"name": "a"}],
            "nodeSelector": {"a": "b"},
        },
    }


# -- $retainKeys ----------------------------------------------------------------


def test_retain_keys_switches_deployment_strategy_to_recreate() -> None:
    live: JSONObject = {
        "spec": {
            "replicas": 2,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
        }
    }
    patch: JSONObject = {
        "spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": None, "type": "Recreate"}}
    }
    result = apply_strategic(live, patch, DEPLOYMENT_SCHEMA)
    assert result == {"spec": {"replicas": 2, "strategy": {"type": "Recreate"}}}


def test_retain_keys_clears_unlisted_keys_even_without_nulls() -> None:
    live: JSONObject = {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {}}}}
    patch: JSONObject = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    assert apply_strategic(live, patch, DEPLOYMENT_SCHEMA) == {
        "spec": {"strategy": {"type": "Recreate"}}
    }


def test_retain_keys_on_volumes_switches_the_volume_source() -> None:
    live = pod(volumes=[{"name": "v", "emptyDir": {}}, {"name": "w", "emptyDir": {}}])
    patch: JSONObject = {
        "spec": {
            "volumes": [
                {"name": "v", "$retainKeys": ["name", "configMap"], "configMap": {"name": "cm"}}
            ]
        }
    }
    assert spec_of(apply_strategic(live, patch, POD_SCHEMA))["volumes"] == [
        {"name": "v", "configMap": {"name": "cm"}},
        {"name": "w", "emptyDir": {}},
    ]


def test_retain_keys_must_list_every_field_the_patch_sets() -> None:
    patch: JSONObject = {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}}
    with pytest.raises(PatchConflictError, match="missing from \\$retainKeys") as caught:
        apply_strategic({"spec": {}}, patch, DEPLOYMENT_SCHEMA)
    assert caught.value.path == "spec.strategy.rollingUpdate"


@pytest.mark.parametrize("keep", ["type", [1], {"type": 1}])
def test_retain_keys_must_be_a_list_of_names(keep: JSONValue) -> None:
    patch: JSONObject = {"spec": {"strategy": {"$retainKeys": keep}}}
    with pytest.raises(PatchInvalidError):
        apply_strategic({"spec": {}}, patch, DEPLOYMENT_SCHEMA)


# -- $deleteFromPrimitiveList ---------------------------------------------------


def test_delete_from_primitive_list() -> None:
    live: JSONObject = {"metadata": {"finalizers": ["a", "b", "c", "b"]}}
    patch: JSONObject = {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "zzz"]}}
    assert apply_strategic(live, patch, POD_SCHEMA) == {"metadata": {"finalizers": ["a", "c"]}}
    # Nothing to delete from: nothing happens.
    assert apply_strategic({"metadata": {}}, patch, POD_SCHEMA) == {"metadata": {}}


def test_kubectl_apply_replaces_a_finalizer() -> None:
    live: JSONObject = {"metadata": {"finalizers": ["a", "b"]}}
    patch: JSONObject = {
        "metadata": {
            "$setElementOrder/finalizers": ["a", "c"],
            "$deleteFromPrimitiveList/finalizers": ["b"],
            "finalizers": ["c"],
        }
    }
    assert apply_strategic(live, patch, POD_SCHEMA) == {"metadata": {"finalizers": ["a", "c"]}}


def test_delete_from_primitive_list_misuse() -> None:
    not_a_list: JSONObject = {"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}}
    with pytest.raises(PatchInvalidError):
        apply_strategic({"metadata": {}}, not_a_list, POD_SCHEMA)
    not_merged: JSONObject = {"spec": {"$deleteFromPrimitiveList/tolerations": ["a"]}}
    with pytest.raises(PatchInvalidError, match="not a merged list"):
        apply_strategic(pod(), not_merged, POD_SCHEMA)
    no_field: JSONObject = {"metadata": {"$deleteFromPrimitiveList/": ["a"]}}
    with pytest.raises(PatchInvalidError, match="does not name one field"):
        apply_strategic({"metadata": {}}, no_field, POD_SCHEMA)


# -- primitive lists ------------------------------------------------------------


def test_primitive_list_with_merge_strategy_is_a_set() -> None:
    live: JSONObject = {"metadata": {"finalizers": ["a", "b"]}}
    patch: JSONObject = {"metadata": {"finalizers": ["c", "a"]}}
    # Patch items in patch order: c (new) then a; b, server-only, came after a.
    result = apply_strategic(live, patch, POD_SCHEMA)
    assert result == {"metadata": {"finalizers": ["c", "a", "b"]}}


def test_primitive_list_without_strategy_is_replaced() -> None:
    live = pod(container("c", args=["a", "b"], command=["x"]))
    patch: JSONObject = {"spec": {"containers": [{"name": "c", "args": ["z"]}]}}
    assert spec_of(apply_strategic(live, patch, POD_SCHEMA))["containers"] == [
        container("c", args=["z"], command=["x"])
    ]


def test_tolerations_are_atomic() -> None:
    live = pod(tolerations=[{"key": "a", "operator": "Exists"}])
    patch: JSONObject = {"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}}
    assert spec_of(apply_strategic(live, patch, POD_SCHEMA))["tolerations"] == [
        {"key": "b", "operator": "Exists"}
    ]


def test_primitive_set_keeps_true_apart_from_one() -> None:
    schema = DictPatchSchema({"xs": FieldPatchMeta.parse("merge", primitive_list=True)})
    result = apply_strategic({"xs": [1, True, "1"]}, {"xs": [1.0, True, False]}, schema)
    assert result == {"xs": [1, True, False, "1"]}


# -- $setElementOrder -----------------------------------------------------------


def test_set_element_order_reorders_primitives() -> None:
    live: JSONObject = {"metadata": {"finalizers": ["a", "b", "c"]}}
    patch: JSONObject = {"metadata": {"$setElementOrder/finalizers": ["b", "c", "a"]}}
    assert apply_strategic(live, patch, POD_SCHEMA) == {"metadata": {"finalizers": ["b", "c", "a"]}}


def test_set_element_order_reorders_maps() -> None:
    live = pod(container("a", image="1"), container("b", image="2"), container("c", image="3"))
    patch: JSONObject = {
        "spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "c"}, {"name": "a"}]}
    }
    assert spec_of(apply_strategic(live, patch, POD_SCHEMA))["containers"] == [
        container("b", image="2"),
        container("c", image="3"),
        container("a", image="1"),
    ]


def test_set_element_order_interleaves_server_only_elements() -> None:
    # The worked example in kubelite.api.patch.strategic's docstring.
    live = pod(container("a", image="1"), container("b", sidecar=True), container("c"))
    patch: JSONObject = {
        "spec": {
            "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}],
            "containers": [{"name": "a", "image": "v2"}],
        }
    }
    result = apply_strategic(live, patch, POD_SCHEMA)
    assert spec_of(result)["containers"] == [
        container("b", sidecar=True),
        container("c"),
        container("a", image="v2"),
    ]


def test_new_elements_go_before_later_server_only_ones() -> None:
    live = pod(container("a"), container("s"))
    patch: JSONObject = {
        "spec": {
            "$setElementOrder/containers": [{"name": "a"}, {"name": "n"}],
            "containers": [{"name": "n"}],
        }
    }
    assert names(apply_strategic(live, patch, POD_SCHEMA)) == ["a", "n", "s"]


def test_set_element_order_must_agree_with_the_patch_list() -> None:
    patch: JSONObject = {
        "spec": {
            "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
            "containers": [{"name": "b"}, {"name": "a"}],
        }
    }
    with pytest.raises(PatchConflictError, match="do not follow"):
        apply_strategic(pod(container("a"), container("b")), patch, POD_SCHEMA)
    missing: JSONObject = {
        "spec": {
            "$setElementOrder/containers": [{"name": "a"}],
            "containers": [{"name": "z"}],
        }
    }
    with pytest.raises(PatchConflictError):
        apply_strategic(pod(container("a")), missing, POD_SCHEMA)


def test_set_element_order_ignores_deletions_in_the_patch_list() -> None:
    live = pod(container("a"), container("b"), container("c"))
    patch: JSONObject = {
        "spec": {
            "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}],
            "containers": [{"name": "b", "$patch": "delete"}],
        }
    }
    assert names(apply_strategic(live, patch, POD_SCHEMA)) == ["c", "a"]


@pytest.mark.parametrize(
    "order",
    ["a", [{"image": "x"}], ["a"], [{"name": "a"}, 1]],
)
def test_set_element_order_malformed(order: JSONValue) -> None:
    patch: JSONObject = {"spec": {"$setElementOrder/containers": order}}
    with pytest.raises(PatchInvalidError):
        apply_strategic(pod(container("a")), patch, POD_SCHEMA)


def test_set_element_order_of_a_deleted_list_is_moot() -> None:
    patch: JSONObject = {
        "spec": {"$setElementOrder/initContainers": [{"name": "i"}], "initContainers": None}
    }
    result = apply_strategic(pod(initContainers=[container("i")]), patch, POD_SCHEMA)
    assert "initContainers" not in spec_of(result)


def test_set_element_order_on_a_list_absent_everywhere_does_nothing() -> None:
    patch: JSONObject = {"spec": {"$setElementOrder/initContainers": [{"name": "i"}]}}
    assert apply_strategic(pod(), patch, POD_SCHEMA) == pod()


def test_merge_order_without_set_element_order() -> None:
    live = pod(container("a"), container("b"), container("c"))
    patch: JSONObject = {"spec": {"containers": [{"name": "c"}, {"name": "a"}]}}
    # c, a as the patch says; b was before c, so it stays first.
    assert names(apply_strategic(live, patch, POD_SCHEMA)) == ["b", "c", "a"]


# -- nulls, types and errors ----------------------------------------------------


def test_null_deletes_a_field_and_absent_null_is_dropped() -> None:
    live = pod(container("a"), nodeName="n1", hostname="h")
    patch: JSONObject = {"spec": {"nodeName": None, "subdomain": None}}
    spec = spec_of(apply_strategic(live, patch, POD_SCHEMA))
    assert "nodeName" not in spec
    assert "subdomain" not in spec
    assert spec["hostname"] == "h"


def test_a_value_of_another_type_replaces() -> None:
    live: JSONObject = {"a": {"b": 1}, "c": [1], "d": "x"}
    patch: JSONObject = {"a": [1], "c": {"e": None, "f": 2}, "d": {"g": 1}}
    assert apply_strategic(live, patch, DictPatchSchema()) == {
        "a": [1],
        "c": {"f": 2},
        "d": {"g": 1},
    }


def test_replace_strategy_on_a_map() -> None:
    schema = DictPatchSchema({"spec.selector": FieldPatchMeta.parse("replace")})
    live: JSONObject = {"spec": {"selector": {"a": "1", "b": "2"}}}
    patch: JSONObject = {"spec": {"selector": {"c": "3"}}}
    assert apply_strategic(live, patch, schema) == {"spec": {"selector": {"c": "3"}}}


def test_elements_need_their_merge_key() -> None:
    patch: JSONObject = {"spec": {"containers": [{"image": "x"}]}}
    with pytest.raises(PatchInvalidError, match="merge key 'name'"):
        apply_strategic(pod(container("a")), patch, POD_SCHEMA)


def test_a_merged_list_of_objects_needs_a_merge_key_in_the_schema() -> None:
    schema = DictPatchSchema({"items": FieldPatchMeta.parse("merge")})
    with pytest.raises(PatchInvalidError, match="no merge key"):
        apply_strategic({"items": [{"a": 1}]}, {"items": [{"a": 2}]}, schema)


def test_lists_of_lists_cannot_merge() -> None:
    schema = DictPatchSchema({"xs": FieldPatchMeta.parse("merge", primitive_list=True)})
    with pytest.raises(PatchConflictError, match="list of lists"):
        apply_strategic({"xs": [[1]]}, {"xs": [[2]]}, schema)


def test_mixed_lists_cannot_merge() -> None:
    with pytest.raises(PatchConflictError, match="mixes"):
        apply_strategic(
            {"metadata": {"finalizers": ["a"]}}, {"metadata": {"finalizers": [{}]}}, POD_SCHEMA
        )


def test_unknown_directive_key() -> None:
    with pytest.raises(PatchInvalidError, match="unknown directive"):
        apply_strategic(pod(), {"spec": {"$bogus": 1}}, POD_SCHEMA)


def test_patch_must_be_an_object() -> None:
    bad: Any = [1]
    with pytest.raises(PatchInvalidError):
        apply_strategic(pod(), bad, POD_SCHEMA)


def test_inputs_are_not_modified_and_results_share_nothing() -> None:
    live = pod(container("a", env=[{"name": "X", "value": "1"}]), container("b"))
    patch: JSONObject = {
        "spec": {
            "$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
            "containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}]}],
            "volumes": [{"name": "v", "emptyDir": {}}],
        }
    }
    before_live, before_patch = copy.deepcopy(live), copy.deepcopy(patch)
    result = apply_strategic(live, patch, POD_SCHEMA)
    spec_of(result)["volumes"][0]["emptyDir"]["medium"] = "Memory"
    spec_of(result)["containers"][1]["env"].append({"name": "Z"})
    assert live == before_live
    assert patch == before_patch


# -- properties -----------------------------------------------------------------

_leaf = st.booleans() | st.integers(-3, 3) | st.text("ab", max_size=2)
_values = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text("abc", min_size=1, max_size=2), inner, max_size=3)
    ),
    max_leaves=8,
)
_objects = st.dictionaries(st.text("abc", min_size=1, max_size=2), _values, max_size=4)
_patches = st.dictionaries(st.text("abc", min_size=1, max_size=2), _values | st.none(), max_size=4)


@given(original=_objects, patch=_patches)
def test_without_metadata_it_is_a_json_merge_patch(original: JSONObject, patch: JSONObject) -> None:
    assert apply_strategic(original, patch, DictPatchSchema()) == apply_merge_patch(original, patch)


_container_names = st.sampled_from(["a", "b", "c", "d", "e"])
_containers = st.lists(_container_names, unique=True, max_size=5).map(
    lambda ns: [{"name": n, "image": f"{n}:1", "ports": [{"containerPort": 80}]} for n in ns]
)


@given(live=_containers, changed=st.lists(_container_names, unique=True, max_size=5))
def test_kubectl_apply_shaped_patches_are_idempotent_and_ordered(
    live: list[JSONValue], changed: list[str]
) -> None:
    patch: JSONObject = {
        "spec": {
            "$setElementOrder/containers": [{"name": n} for n in changed],
            "containers": [{"name": n, "image": f"{n}:2"} for n in changed],
        }
    }
    original: JSONObject = {"spec": {"containers": live}}
    once = apply_strategic(original, patch, POD_SCHEMA)
    assert apply_strategic(once, patch, POD_SCHEMA) == once
    result = spec_of(once)["containers"]
    by_name = {c["name"]: c for c in result}
    assert len(by_name) == len(result)
    assert set(by_name) == {c["name"] for c in live if isinstance(c, dict)} | set(changed)
    for n in changed:
        assert by_name[n]["image"] == f"{n}:2"
    # The patched containers come in the order kubectl asked for.
    assert [c["name"] for c in result if c["name"] in changed] == changed
