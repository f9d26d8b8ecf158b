"""The real kubectl's declarative commands against kubelite: apply, diff, dry runs.

``kubectl apply`` computes a strategic merge patch from three documents: the
last applied configuration (an annotation on the object), the live object and
the file. What it patches must keep whatever others set meanwhile, and remove
only what the file used to say and no longer does.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from kubelite.testing.kubectl import Kubectl

pytestmark = pytest.mark.timeout(120)

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: fast
"""

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
      - name: sidecar
        image: busybox:1.36
"""

# A deployment with a bit of everything a later file can take away.
FULL = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: full
  labels: {app: full, stage: beta}
spec:
  replicas: 1
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1}
  selector:
    matchLabels: {app: full}
  template:
    metadata:
      labels: {app: full}
    spec:
      containers:
      - name: main
        image: nginx
        args: ["--one", "--two"]
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
        ports: [{containerPort: 80}, {containerPort: 443}]
      - name: helper
        image: busybox
      volumes:
      - name: scratch
        emptyDir: {}
"""

SMALLER = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: full
  labels: {app: full}
spec:
  replicas: 1
  strategy:
    type: Recreate
  selector:
    matchLabels: {app: full}
  template:
    metadata:
      labels: {app: full}
    spec:
      containers:
      - name: main
        image: nginx
        args: ["--two"]
        env: [{name: B, value: "2"}]
        ports: [{containerPort: 443}]
"""


def get_json(kubectl: Kubectl, *args: str) -> Any:
    return json.loads(kubectl("get", *args, "-o", "json").stdout)


def container(deployment: Any, name: str) -> Any:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == name)


def test_apply_twice_keeps_the_last_applied_configuration(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    assert kubectl("apply", "-f", "-", stdin=CONFIGMAP).stdout.strip() == (
        "configmap/settings created"
    )
    first = get_json(kubectl, "configmap", "settings")
    applied = json.loads(first["metadata"]["annotations"][LAST_APPLIED])
    assert applied == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"annotations": {}, "name": "settings", "namespace": kubectl.namespace},
        "data": {"mode": "fast"},
    }

    again = kubectl("apply", "-f", "-", stdin=CONFIGMAP)
    assert again.stdout.strip() == "configmap/settings unchanged"
    second = get_json(kubectl, "configmap", "settings")
    assert second["metadata"]["annotations"] == first["metadata"]["annotations"]
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    shown = kubectl("apply", "view-last-applied", "configmap/settings", "-o", "json").stdout
    assert json.loads(shown) == applied


def test_apply_a_new_image_keeps_what_label_and_patch_set(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("apply", "-f", "-", stdin=DEPLOYMENT)
    labeled = kubectl("label", "deployment", "web", "tier=front").stdout.strip()
    assert labeled == "deployment.apps/web labeled"
    env = json.dumps(
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "sidecar", "env": [{"name": "MODE", "value": "debug"}]}
                        ]
                    }
                }
            }
        }
    )
    assert kubectl("patch", "deployment", "web", "-p", env).stdout.strip() == (
        "deployment.apps/web patched"
    )

    changed = DEPLOYMENT.replace("nginx:1.27", "nginx:1.28")
    assert kubectl("apply", "-f", "-", stdin=changed).stdout.strip() == (
        "deployment.apps/web configured"
    )
    deployment = get_json(kubectl, "deployment", "web")
    assert container(deployment, "web")["image"] == "nginx:1.28"
    assert container(deployment, "web")["ports"][0]["containerPort"] == 80
    assert container(deployment, "sidecar")["image"] == "busybox:1.36"
    assert container(deployment, "sidecar")["env"] == [{"name": "MODE", "value": "debug"}]
    assert deployment["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert deployment["metadata"]["generation"] == 3
    applied = json.loads(deployment["metadata"]["annotations"][LAST_APPLIED])
    assert applied["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"


def test_apply_removes_what_the_file_no_longer_says(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("apply", "-f", "-", stdin=FULL)
    assert kubectl("apply", "-f", "-", stdin=SMALLER).stdout.strip() == (
        "deployment.apps/full configured"
    )
    deployment = get_json(kubectl, "deployment", "full")
    assert deployment["metadata"]["labels"] == {"app": "full"}
    # $retainKeys: a Recreate strategy drops the rolling update parameters.
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    pod = deployment["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["main"]
    assert "volumes" not in pod
    main = pod["containers"][0]
    assert main["args"] == ["--two"]
    assert main["env"] == [{"name": "B", "value": "2"}]
    assert [p["containerPort"] for p in main["ports"]] == [443]


def test_apply_dry_run_stores_nothing(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    server = kubectl("apply", "-f", "-", "--dry-run=server", stdin=CONFIGMAP)
    assert server.stdout.strip() == "configmap/settings created (server dry run)"
    client = kubectl("apply", "-f", "-", "--dry-run=client", stdin=CONFIGMAP)
    assert client.stdout.strip() == "configmap/settings created (dry run)"
    missing = kubectl("get", "configmap", "settings", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): configmaps "settings" not found'

    kubectl("apply", "-f", "-", stdin=CONFIGMAP)
    before = get_json(kubectl, "configmap", "settings")
    changed = CONFIGMAP.replace("mode: fast", "mode: slow")
    server = kubectl("apply", "-f", "-", "--dry-run=server", stdin=changed)
    assert server.stdout.strip() == "configmap/settings configured (server dry run)"
    client = kubectl("apply", "-f", "-", "--dry-run=client", stdin=changed)
    assert client.stdout.strip() == "configmap/settings configured (dry run)"
    assert get_json(kubectl, "configmap", "settings") == before


def test_apply_dry_run_server_answers_the_object_it_would_store(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("apply", "-f", "-", stdin=CONFIGMAP)
    changed = CONFIGMAP.replace("mode: fast", "mode: slow")
    would = json.loads(
        kubectl("apply", "-f", "-", "--dry-run=server", "-o", "json", stdin=changed).stdout
    )
    assert would["data"] == {"mode": "slow"}
    assert json.loads(would["metadata"]["annotations"][LAST_APPLIED])["data"] == {"mode": "slow"}


def test_apply_dry_run_server_keeps_the_resource_version(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("apply", "-f", "-", stdin=CONFIGMAP)
    stored = get_json(kubectl, "configmap", "settings")["metadata"]["resourceVersion"]
    changed = CONFIGMAP.replace("mode: fast", "mode: slow")
    would = json.loads(
        kubectl("apply", "-f", "-", "--dry-run=server", "-o", "json", stdin=changed).stdout
    )
    assert would["metadata"].get("resourceVersion") == stored


def diff_lines(output: str, sign: str) -> list[str]:
    """The changed lines of a unified diff that start with ``sign``, stripped."""
    return [
        line[1:].strip()
        for line in output.splitlines()
        if line.startswith(sign) and not line.startswith(sign * 3)
    ]


def test_diff_shows_the_change_and_exits_1(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("apply", "-f", "-", stdin=DEPLOYMENT)
    changed = DEPLOYMENT.replace("nginx:1.27", "nginx:1.28")
    diff = kubectl("diff", "-f", "-", stdin=changed, check=False)
    assert diff.returncode == 1, diff.stderr
    assert "- image: nginx:1.27" in diff_lines(diff.stdout, "-")
    assert "- image: nginx:1.28" in diff_lines(diff.stdout, "+")
    # kubectl diff asks the server with dryRun=All: nothing changed.
    deployment = get_json(kubectl, "deployment", "web")
    assert container(deployment, "web")["image"] == "nginx:1.27"

    same = kubectl("diff", "-f", "-", stdin=DEPLOYMENT, check=False)
    assert (same.returncode, same.stdout, same.stderr) == (0, "", "")


def test_diff_shows_only_the_change(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("apply", "-f", "-", stdin=DEPLOYMENT)
    changed = DEPLOYMENT.replace("nginx:1.27", "nginx:1.28")
    diff = kubectl("diff", "-f", "-", stdin=changed, check=False)
    # The generation moves in the dry run too, as the spec changed.
    assert diff_lines(diff.stdout, "-") == ["generation: 1", "- image: nginx:1.27"]
    assert diff_lines(diff.stdout, "+") == ["generation: 2", "- image: nginx:1.28"]


def test_create_dry_run_server_stores_nothing(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    created = kubectl("create", "-f", "-", "--dry-run=server", stdin=CONFIGMAP)
    assert created.stdout.strip() == "configmap/settings created (server dry run)"
    would = json.loads(
        kubectl("create", "-f", "-", "--dry-run=server", "-o", "json", stdin=CONFIGMAP).stdout
    )
    assert would["metadata"]["name"] == "settings"
    assert would["metadata"]["namespace"] == kubectl.namespace
    assert would["metadata"]["uid"]
    assert would["metadata"]["creationTimestamp"]
    assert "resourceVersion" not in would["metadata"]
    assert kubectl("get", "configmaps", "-o", "name").stdout == ""


def test_run_dry_run_server_prints_the_pod(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    out = kubectl("run", "p", "--image=nginx", "--dry-run=server", "-o", "json").stdout
    pod = json.loads(out)
    assert pod["kind"] == "Pod"
    assert pod["metadata"]["name"] == "p"
    assert pod["metadata"]["labels"] == {"run": "p"}
    assert pod["spec"]["containers"][0]["name"] == "p"
    assert pod["spec"]["containers"][0]["image"] == "nginx"
    missing = kubectl("get", "pod", "p", check=False)
    assert missing.stderr.strip() == 'Error from server (NotFound): pods "p" not found'
    yaml_out = kubectl("run", "p", "--image=nginx", "--dry-run=server", "-o", "yaml").stdout
    assert "kind: Pod\n" in yaml_out
    assert "  name: p\n" in yaml_out
