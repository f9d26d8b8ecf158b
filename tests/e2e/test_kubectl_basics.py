"""The real kubectl against a kubelite server: the first commands a user types."""

from __future__ import annotations

import json
import subprocess

import pytest

from kubelite.testing.kubectl import Kubectl

pytestmark = pytest.mark.timeout(120)

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: web
    image: nginx:1.27
"""


def test_get_namespaces_lists_the_system_namespaces(kubectl: Kubectl) -> None:
    out = kubectl("get", "namespaces").stdout
    lines = [line.split() for line in out.strip().splitlines()]
    assert lines[0] == ["NAME", "STATUS", "AGE"]
    names = {line[0]: line[1] for line in lines[1:]}
    assert names == {
        "default": "Active",
        "kube-node-lease": "Active",
        "kube-public": "Active",
        "kube-system": "Active",
    }


def test_create_twice_fails_with_already_exists(kubectl: Kubectl) -> None:
    assert kubectl("create", "-f", "-", stdin=POD).stdout.strip() == "pod/web created"
    again = kubectl("create", "-f", "-", stdin=POD, check=False)
    assert again.returncode == 1
    assert again.stderr.strip() == (
        'Error from server (AlreadyExists): error when creating "STDIN": pods "web" already exists'
    )


def test_get_shows_what_was_created(kubectl: Kubectl) -> None:
    kubectl("create", "-f", "-", stdin=POD)
    table = kubectl("get", "pods").stdout.strip().splitlines()
    assert table[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert table[1].split()[0] == "web"
    pod = json.loads(kubectl("get", "pod", "web", "-o", "json").stdout)
    assert pod["metadata"]["namespace"] == "default"
    assert pod["metadata"]["uid"]
    assert int(pod["metadata"]["resourceVersion"]) > 0
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.27"
    listed = json.loads(kubectl("get", "pods", "-l", "app=web", "-o", "json").stdout)
    assert [item["metadata"]["name"] for item in listed["items"]] == ["web"]
    assert json.loads(kubectl("get", "pods", "-l", "app=db", "-o", "json").stdout)["items"] == []


def test_delete_then_get_is_not_found(kubectl: Kubectl) -> None:
    kubectl("create", "-f", "-", stdin=POD)
    deleted = kubectl("delete", "pod", "web").stdout.strip()
    assert deleted == 'pod "web" deleted from default namespace'
    gone = kubectl("get", "pod", "web", check=False)
    assert gone.returncode == 1
    assert gone.stderr.strip() == 'Error from server (NotFound): pods "web" not found'


def test_apply_twice_is_unchanged_the_second_time(kubectl: Kubectl) -> None:
    assert kubectl("apply", "-f", "-", stdin=POD).stdout.strip() == "pod/web created"
    assert kubectl("apply", "-f", "-", stdin=POD).stdout.strip() == "pod/web unchanged"
    changed = POD.replace("nginx:1.27", "nginx:1.28")
    assert kubectl("apply", "-f", "-", stdin=changed).stdout.strip() == "pod/web configured"
    pod = json.loads(kubectl("get", "pod", "web", "-o", "json").stdout)
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert "kubectl.kubernetes.io/last-applied-configuration" in pod["metadata"]["annotations"]


def test_get_watch_prints_the_list_then_each_change(kubectl: Kubectl) -> None:
    kubectl("create", "-f", "-", stdin=POD)
    command = [
        kubectl.binary,
        "--kubeconfig",
        str(kubectl.kubeconfig),
        "--cache-dir",
        str(kubectl.cache_dir),
        "get",
        "pods",
        "-w",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as watcher:
        try:
            assert watcher.stdout is not None
            assert watcher.stdout.readline().split()[:2] == ["NAME", "READY"]
            assert watcher.stdout.readline().split()[0] == "web"
            kubectl("label", "pod", "web", "changed=yes")
            assert watcher.stdout.readline().split()[0] == "web"
        finally:
            watcher.kill()


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
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
"""


def test_scale_a_deployment(kubectl: Kubectl) -> None:
    kubectl("apply", "-f", "-", stdin=DEPLOYMENT)
    scaled = kubectl("scale", "deployment", "web", "--replicas=3").stdout.strip()
    assert scaled == "deployment.apps/web scaled"
    deployment = json.loads(kubectl("get", "deployment", "web", "-o", "json").stdout)
    assert deployment["spec"]["replicas"] == 3
    header = kubectl("get", "deployments").stdout.splitlines()[0].split()
    assert header == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]


def test_create_with_an_unknown_field_is_refused(kubectl: Kubectl) -> None:
    typo = POD.replace("    image: nginx:1.27", "    image: nginx:1.27\n    imagee: typo")
    refused = kubectl("create", "-f", "-", stdin=typo, check=False)
    assert refused.returncode == 1
    assert 'unknown field "spec.containers[0].imagee"' in refused.stderr
    assert kubectl("get", "pods", "-o", "name").stdout.strip() == ""
