"""The real kubectl's server-side apply against kubelite.

``kubectl apply --server-side`` sends the file as it is, with
``fieldManager=kubectl``; the server merges it, records the fields kubectl
owns and refuses to take fields other managers own unless kubectl is run with
``--force-conflicts``. kubectl also moves an object from client-side to
server-side apply: after its first server-side apply it rewrites the object's
``managedFields`` (a JSON patch guarded by ``resourceVersion``) so that the
fields client-side apply set become the server-side applier's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from kubelite.testing.kubectl import Kubectl, KubectlError

pytestmark = pytest.mark.timeout(120)

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}
                ]
            },
        },
    },
}


def deployment(**changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = json.loads(json.dumps(DEPLOYMENT))
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = obj
        for part in parents:
            node = node[part]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return obj


def server_side(kubectl: Kubectl, obj: dict[str, Any], *flags: str) -> str:
    return kubectl("apply", "--server-side", *flags, "-f", "-", stdin=yaml.safe_dump(obj)).stdout


def get_json(kubectl: Kubectl, *args: str) -> Any:
    return json.loads(kubectl("get", *args, "-o", "json", "--show-managed-fields").stdout)


def managers(obj: Any) -> dict[str, Any]:
    """The fields of each manager's entry, by "manager/operation[/subresource]"."""
    found = {}
    for entry in obj["metadata"].get("managedFields") or []:
        key = "/".join(
            part
            for part in (entry["manager"], entry["operation"], entry.get("subresource"))
            if part
        )
        found[key] = entry["fieldsV1"]
    return found


def test_apply_creates_reapplies_changes_and_removes(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    assert server_side(kubectl, DEPLOYMENT).strip() == "deployment.apps/web serverside-applied"
    created = get_json(kubectl, "deployment", "web")
    assert list(managers(created)) == ["kubectl/Apply"]
    assert managers(created)["kubectl/Apply"]["f:spec"]["f:replicas"] == {}

    # The same file again changes nothing, not even the entry's time.
    server_side(kubectl, DEPLOYMENT)
    again = get_json(kubectl, "deployment", "web")
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert again["metadata"]["managedFields"] == created["metadata"]["managedFields"]

    # A new image is applied; a label the file no longer sets is removed.
    changed = deployment(metadata__labels={"app": "web"})
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    server_side(kubectl, changed)
    live = get_json(kubectl, "deployment", "web")
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert live["metadata"]["labels"] == {"app": "web"}
    assert live["metadata"]["generation"] == 2
    assert "f:tier" not in managers(live)["kubectl/Apply"]["f:metadata"]["f:labels"]


def test_a_conflict_with_another_manager_and_then_forcing_it(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    server_side(kubectl, DEPLOYMENT)
    with pytest.raises(KubectlError) as refused:
        server_side(kubectl, deployment(spec__replicas=4), "--field-manager=autoscaler")
    assert (
        'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas'
        in refused.value.result.stderr
    )
    assert get_json(kubectl, "deployment", "web")["spec"]["replicas"] == 2

    server_side(
        kubectl, deployment(spec__replicas=4), "--field-manager=autoscaler", "--force-conflicts"
    )
    live = get_json(kubectl, "deployment", "web")
    assert live["spec"]["replicas"] == 4
    owned = managers(live)
    assert "f:replicas" in owned["autoscaler/Apply"]["f:spec"]
    assert "f:replicas" not in owned["kubectl/Apply"]["f:spec"]


def test_kubectl_scale_owns_replicas_through_the_scale_subresource(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    server_side(kubectl, DEPLOYMENT)
    kubectl("scale", "deployment", "web", "--replicas=5")
    with pytest.raises(KubectlError) as refused:
        server_side(kubectl, DEPLOYMENT)
    assert (
        'conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas'
        in refused.value.result.stderr
    )
    assert managers(get_json(kubectl, "deployment", "web"))["kubectl/Update/scale"] == {
        "f:spec": {"f:replicas": {}}
    }


def test_client_side_apply_then_server_side_apply_takes_its_fields_over(
    kubectl_ns: Kubectl,
) -> None:
    kubectl = kubectl_ns
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "moving"},
        "data": {"kept": "1", "dropped": "2"},
    }
    kubectl("apply", "-f", "-", stdin=yaml.safe_dump(config))
    before = get_json(kubectl, "configmap", "moving")
    assert "kubectl-client-side-apply/Update" in managers(before)

    config["data"] = {"kept": "1", "added": "3"}
    assert server_side(kubectl, config).strip() == "configmap/moving serverside-applied"
    after = get_json(kubectl, "configmap", "moving")
    # kubectl rewrote the entries: client-side apply's fields are the applier's
    # now, so the field the file dropped went with them.
    assert after["data"] == {"kept": "1", "added": "3"}
    assert "kubectl-client-side-apply/Update" not in managers(after)
    assert set(managers(after)["kubectl/Apply"]["f:data"]) == {"f:kept", "f:added"}


def test_diff_server_side_shows_the_change_and_writes_nothing(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    server_side(kubectl, DEPLOYMENT)
    before = get_json(kubectl, "deployment", "web")
    result = kubectl(
        "diff",
        "--server-side",
        "-f",
        "-",
        stdin=yaml.safe_dump(deployment(spec__replicas=3)),
        check=False,
    )
    assert result.returncode == 1, result.stderr
    changed = [line for line in result.stdout.splitlines() if line[:1] in "+-" and line[1:2] == " "]
    assert [line.replace(" ", "") for line in changed] == [
        "-generation:1",
        "+generation:2",
        "-replicas:2",
        "+replicas:3",
    ], result.stdout
    after = get_json(kubectl, "deployment", "web")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["spec"]["replicas"] == 2
