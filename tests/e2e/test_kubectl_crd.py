"""The real kubectl with a custom kind: a ``Redis`` CRD applied, then used like a pod.

One module server; the ``Redis`` CRD (namespaced, two versions, printer columns,
status and scale subresources, a CEL rule, a category) is applied once, and each
test works in a namespace of its own. The test of CRD deletion uses a CRD of its
own, so that the others keep theirs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubelite.testing.columns import header
from kubelite.testing.columns import rows as table
from kubelite.testing.kubectl import Kubectl, KubeliteServer

pytestmark = pytest.mark.timeout(120)

GROUP = "cache.example.com"
CRD = f"redises.{GROUP}"


def redis_crd(group: str = GROUP, plural: str = "redises", kind: str = "Redis") -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "required": ["replicas"],
                "x-kubernetes-validations": [
                    {
                        "rule": "self.replicas <= self.maxReplicas",
                        "message": "replicas must not exceed maxReplicas",
                    }
                ],
                "properties": {
                    "replicas": {"type": "integer", "minimum": 0},
                    "maxReplicas": {"type": "integer", "default": 10},
                    "version": {"type": "string", "enum": ["6", "7"]},
                    "memory": {"type": "string", "pattern": "^[0-9]+(Mi|Gi)$"},
                },
            },
            "status": {
                "type": "object",
                "properties": {
                    "replicas": {"type": "integer"},
                    "phase": {"type": "string"},
                },
            },
        },
    }
    columns = [
        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]

    def version(name: str, *, storage: bool) -> dict[str, Any]:
        return {
            "name": name,
            "served": True,
            "storage": storage,
            "schema": {"openAPIV3Schema": schema},
            "subresources": {
                "status": {},
                "scale": {
                    "specReplicasPath": ".spec.replicas",
                    "statusReplicasPath": ".status.replicas",
                },
            },
            "additionalPrinterColumns": columns,
        }

    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {
                "plural": plural,
                "singular": kind.lower(),
                "kind": kind,
                "shortNames": ["rd"] if kind == "Redis" else [],
                "categories": ["all"],
            },
            "versions": [version("v1", storage=True), version("v1beta1", storage=False)],
        },
    }


def redis(name: str, replicas: int = 3, **spec: Any) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": "Redis",
            "metadata": {"name": name},
            "spec": {"replicas": replicas, **spec},
        }
    )


def get_json(kubectl: Kubectl, *args: str) -> Any:
    return json.loads(kubectl("get", *args, "-o", "json").stdout)


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.fixture(scope="module", autouse=True)
def crd(module_server: KubeliteServer, module_cache: Path) -> None:
    admin = module_server.kubectl(module_cache)
    applied = admin("apply", "-f", "-", stdin=json.dumps(redis_crd()))
    assert applied.stdout.strip() == f"customresourcedefinition.apiextensions.k8s.io/{CRD} created"
    admin("wait", "--for=condition=Established", f"crd/{CRD}", "--timeout=10s")


def test_the_crd_is_established_with_its_names_accepted(kubectl_ns: Kubectl) -> None:
    found = get_json(kubectl_ns, "crd", CRD)
    conditions = {c["type"]: c for c in found["status"]["conditions"]}
    assert conditions["NamesAccepted"]["status"] == "True"
    assert conditions["NamesAccepted"]["reason"] == "NoConflicts"
    assert conditions["Established"]["status"] == "True"
    assert found["status"]["acceptedNames"]["kind"] == "Redis"
    assert found["status"]["storedVersions"] == ["v1"]
    assert "customresourcecleanup.apiextensions.k8s.io" in found["metadata"]["finalizers"]


def test_api_resources_lists_the_kind(kubectl_ns: Kubectl) -> None:
    out = kubectl_ns("api-resources", f"--api-group={GROUP}").stdout
    rows = table(out)
    assert [
        (r["NAME"], r["SHORTNAMES"], r["APIVERSION"], r["NAMESPACED"], r["KIND"]) for r in rows
    ] == [("redises", "rd", f"{GROUP}/v1", "true", "Redis")]


def test_apply_get_and_describe(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    created = kubectl("apply", "-f", "-", stdin=redis("cache"))
    assert created.stdout.strip() == f"redis.{GROUP}/cache created"
    again = kubectl("apply", "-f", "-", stdin=redis("cache"))
    assert again.stdout.strip() == f"redis.{GROUP}/cache unchanged"

    out = kubectl("get", "redis").stdout
    assert header(out) == ["NAME", "REPLICAS", "PHASE", "AGE"]
    assert [(r["NAME"], r["REPLICAS"], r["PHASE"]) for r in table(out)] == [("cache", "3", "")]
    assert [r["NAME"] for r in table(kubectl("get", "rd").stdout)] == ["cache"]

    stored = get_json(kubectl, "redis", "cache")
    assert stored["spec"] == {"replicas": 3, "maxReplicas": 10}, "the default is applied"
    assert stored["metadata"]["generation"] == 1

    described = kubectl("describe", "redis", "cache").stdout
    assert "Name:         cache" in described
    assert f"API Version:  {GROUP}/v1" in described
    assert "Replicas:      3" in described


def test_invalid_objects_are_refused_with_every_field_path(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    bad = redis("bad", replicas=-1, version="5", memory="lots")
    refused = kubectl("apply", "-f", "-", stdin=bad, check=False)
    assert refused.returncode != 0
    message = refused.stderr
    assert 'The Redis "bad" is invalid' in message
    assert "spec.replicas: Invalid value: -1" in message
    assert 'spec.version: Unsupported value: "5"' in message
    assert 'spec.memory: Invalid value: "lots"' in message

    too_many = kubectl("apply", "-f", "-", stdin=redis("over", replicas=20), check=False)
    assert too_many.returncode != 0
    assert "replicas must not exceed maxReplicas" in too_many.stderr
    assert "NotFound" in kubectl("get", "redis", "bad", check=False).stderr


def test_unknown_fields_are_pruned_with_a_warning(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    created = kubectl("create", "--validate=warn", "-f", "-", stdin=redis("typo", colour="red"))
    assert 'unknown field "spec.colour"' in created.stderr
    assert "colour" not in get_json(kubectl, "redis", "typo")["spec"]
    strict = kubectl(
        "create", "--validate=strict", "-f", "-", stdin=redis("typo2", colour="red"), check=False
    )
    assert strict.returncode != 0
    assert 'unknown field "spec.colour"' in strict.stderr


def test_status_scale_and_patches(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=redis("cache"))
    status = json.dumps({"status": {"phase": "Ready", "replicas": 3}})
    kubectl("patch", "redis", "cache", "--subresource=status", "--type=merge", "-p", status)
    rows = table(kubectl("get", "redis", "cache").stdout)
    assert (rows[0]["REPLICAS"], rows[0]["PHASE"]) == ("3", "Ready")
    assert get_json(kubectl, "redis", "cache")["metadata"]["generation"] == 1

    scaled = kubectl("scale", "redis", "cache", "--replicas=5")
    assert scaled.stdout.strip() == f"redis.{GROUP}/cache scaled"
    after = get_json(kubectl, "redis", "cache")
    assert after["spec"]["replicas"] == 5
    assert after["metadata"]["generation"] == 2
    assert after["status"]["phase"] == "Ready", "the main endpoint keeps the status"

    kubectl("patch", "redis", "cache", "--type=merge", "-p", '{"spec": {"version": "7"}}')
    kubectl(
        "patch",
        "redis",
        "cache",
        "--type=json",
        "-p",
        '[{"op": "remove", "path": "/spec/version"}]',
    )
    assert "version" not in get_json(kubectl, "redis", "cache")["spec"]
    strategic = kubectl("patch", "redis", "cache", "-p", '{"spec": {"replicas": 1}}', check=False)
    assert strategic.returncode != 0
    assert "application/strategic-merge-patch+json" in strategic.stderr


def test_edit_with_a_scripted_editor(
    kubectl_ns: Kubectl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=redis("cache"))
    script = tmp_path / "editor.sh"
    script.write_text("#!/bin/sh\nsed -i 's/replicas: 3/replicas: 4/' \"$1\"\n")
    script.chmod(0o755)
    monkeypatch.setenv("KUBE_EDITOR", str(script))
    edited = kubectl("edit", "redis", "cache")
    assert edited.stdout.strip() == f"redis.{GROUP}/cache edited"
    assert get_json(kubectl, "redis", "cache")["spec"]["replicas"] == 4


def test_explain_reads_the_schema(kubectl_ns: Kubectl) -> None:
    out = kubectl_ns("explain", "redis.spec").stdout
    assert "KIND:       Redis" in out
    for field in ("replicas", "maxReplicas", "version", "memory"):
        assert f"  {field}\t" in out


def test_get_all_includes_the_kind_through_its_category(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=redis("cache"))
    out = kubectl("get", "all").stdout
    assert f"redis.{GROUP}/cache" in out


def test_a_second_version_is_served_relabelled(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=redis("cache"))
    beta = get_json(kubectl, f"redises.v1beta1.{GROUP}", "cache")
    assert beta["apiVersion"] == f"{GROUP}/v1beta1"
    assert beta["spec"]["replicas"] == 3
    assert get_json(kubectl, f"redises.v1.{GROUP}", "cache")["apiVersion"] == f"{GROUP}/v1"


def test_deleting_the_crd_deletes_its_objects(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    group = "widgets.example.com"
    crd = redis_crd(group=group, plural="widgets", kind="Widget")
    crd["spec"]["names"]["categories"] = []
    kubectl("create", "-f", "-", stdin=json.dumps(crd))
    kubectl("wait", "--for=condition=Established", f"crd/widgets.{group}", "--timeout=10s")
    for name in ("a", "b"):
        manifest = {
            "apiVersion": f"{group}/v1",
            "kind": "Widget",
            "metadata": {"name": name},
            "spec": {"replicas": 1},
        }
        kubectl("create", "-f", "-", stdin=json.dumps(manifest))
    assert len(get_json(kubectl, "widgets")["items"]) == 2

    deleted = kubectl("delete", "crd", f"widgets.{group}", "--timeout=20s")
    assert (
        deleted.stdout.strip()
        == f'customresourcedefinition.apiextensions.k8s.io "widgets.{group}" deleted'
    )
    gone = kubectl("get", "crd", f"widgets.{group}", check=False)
    assert "NotFound" in gone.stderr

    def unserved() -> bool:
        return kubectl("get", "--raw", f"/apis/{group}/v1", check=False).returncode != 0

    wait_for(unserved)
