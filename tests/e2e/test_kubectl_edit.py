"""The real kubectl's imperative updates against kubelite: edit (with a scripted
editor), label, annotate, patch of each type, and replace.

kubectl edit, label and patch read the object, change it on the client and
send a patch: strategic merge for edit and (by default) patch, merge patch for
label and annotate. replace sends the whole object back with the
resourceVersion it carries, which the server checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kubelite.testing.kubectl import Kubectl

pytestmark = pytest.mark.timeout(120)

CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {app: web}
data:
  foo: bar
"""

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
      - name: sidecar
        image: busybox:1.36
"""

CONFLICT = (
    "the object has been modified; please apply your changes to the latest version and try again"
)
INVALID_LABEL = (
    'metadata.labels: Invalid value: "-bad-": a valid label must be an empty string or '
    "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def get_json(kubectl: Kubectl, *args: str) -> Any:
    return json.loads(kubectl("get", *args, "-o", "json").stdout)


def editor(tmp_path: Path, sed: str) -> str:
    """An editor for KUBE_EDITOR: ``sed -i SED`` on the file, after keeping a
    copy of what kubectl showed (``shown-N.yaml``) in ``tmp_path``."""
    script = tmp_path / "editor.sh"
    script.write_text(
        "#!/bin/sh\n"
        f"n=$(ls {tmp_path}/shown-*.yaml 2>/dev/null | wc -l)\n"
        f'cp "$1" {tmp_path}/shown-$n.yaml\n'
        f"sed -i '{sed}' \"$1\"\n"
    )
    script.chmod(0o755)
    return str(script)


def test_edit_with_a_scripted_editor(
    kubectl_ns: Kubectl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=CONFIGMAP)
    monkeypatch.setenv("KUBE_EDITOR", editor(tmp_path, "s/foo: bar/foo: baz/"))
    edited = kubectl("edit", "configmap", "settings")
    assert edited.stdout.strip() == "configmap/settings edited"
    assert get_json(kubectl, "configmap", "settings")["data"] == {"foo": "baz"}
    shown = (tmp_path / "shown-0.yaml").read_text()
    assert shown.startswith("# Please edit the object below.")
    assert "  foo: bar\n" in shown

    # The same script now finds nothing to change.
    unchanged = kubectl("edit", "configmap", "settings")
    assert unchanged.stderr.strip() == "Edit cancelled, no changes made."


def test_edit_that_makes_the_object_invalid_reports_the_error(
    kubectl_ns: Kubectl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=CONFIGMAP)
    before = get_json(kubectl, "configmap", "settings")
    # The editor swaps the labels for an invalid one; kubectl then reopens the
    # file with the error, which the script leaves alone (the labels line is
    # gone), and kubectl gives up.
    monkeypatch.setenv("KUBE_EDITOR", editor(tmp_path, "s/^    app: web$/    app: -bad-/"))
    refused = kubectl("edit", "configmap", "settings", check=False)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert lines[0] == 'error: configmaps "settings" is invalid'
    assert lines[1].startswith("A copy of your changes has been stored to ")
    assert lines[2] == "error: Edit cancelled, no valid changes were saved."
    reopened = (tmp_path / "shown-1.yaml").read_text()
    assert f'# configmaps "settings" was not valid:\n# * {INVALID_LABEL}\n' in reopened
    assert get_json(kubectl, "configmap", "settings") == before


def test_label_add_overwrite_and_remove(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=CONFIGMAP)
    assert kubectl("label", "configmap", "settings", "tier=front").stdout.strip() == (
        "configmap/settings labeled"
    )
    refused = kubectl("label", "configmap", "settings", "app=db", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "error: 'app' already has a value (web), and --overwrite is false"
    )
    kubectl("label", "configmap", "settings", "app=db", "--overwrite")
    labels = get_json(kubectl, "configmap", "settings")["metadata"]["labels"]
    assert labels == {"app": "db", "tier": "front"}

    assert kubectl("label", "configmap", "settings", "app-").stdout.strip() == (
        "configmap/settings unlabeled"
    )
    labels = get_json(kubectl, "configmap", "settings")["metadata"]["labels"]
    assert labels == {"tier": "front"}
    selected = kubectl("get", "configmaps", "-l", "tier=front", "-o", "name")
    assert selected.stdout == "configmap/settings\n"


def test_removing_the_last_label_removes_the_labels(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=CONFIGMAP)
    kubectl("label", "configmap", "settings", "app-")
    assert "labels" not in get_json(kubectl, "configmap", "settings")["metadata"]


def test_annotate_add_overwrite_and_remove(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=CONFIGMAP)
    assert kubectl("annotate", "configmap", "settings", "note=hi").stdout.strip() == (
        "configmap/settings annotated"
    )
    refused = kubectl("annotate", "configmap", "settings", "note=ho", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "error: --overwrite is false but found the following declared annotation(s): "
        "'note' already has a value (hi)"
    )
    kubectl("annotate", "configmap", "settings", "note=ho", "--overwrite")
    metadata = get_json(kubectl, "configmap", "settings")["metadata"]
    assert metadata["annotations"] == {"note": "ho"}
    kubectl("annotate", "configmap", "settings", "note-")
    metadata = get_json(kubectl, "configmap", "settings")["metadata"]
    assert not metadata.get("annotations")


def containers(kubectl: Kubectl) -> list[tuple[str, str]]:
    deployment = get_json(kubectl, "deployment", "web")
    return [(c["name"], c["image"]) for c in deployment["spec"]["template"]["spec"]["containers"]]


def template_patch(*containers: dict[str, Any]) -> str:
    return json.dumps({"spec": {"template": {"spec": {"containers": list(containers)}}}})


def test_strategic_patch_merges_containers_by_name(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=DEPLOYMENT)
    patch = template_patch({"name": "sidecar", "image": "busybox:1.37"})
    patched = kubectl("patch", "deployment", "web", "--type=strategic", "-p", patch)
    assert patched.stdout.strip() == "deployment.apps/web patched"
    assert containers(kubectl) == [("web", "nginx:1.27"), ("sidecar", "busybox:1.37")]

    kubectl("patch", "deployment", "web", "-p", template_patch({"name": "log", "image": "fluent"}))
    # Without $setElementOrder, a name the list lacks goes first (Kubernetes'
    # mergeSortedSlice puts patch items before live ones it cannot order).
    assert [name for name, _ in containers(kubectl)] == ["log", "web", "sidecar"]

    delete = template_patch({"name": "sidecar", "$patch": "delete"})
    kubectl("patch", "deployment", "web", "-p", delete)
    assert [name for name, _ in containers(kubectl)] == ["log", "web"]


def test_a_patch_that_changes_nothing_is_not_written(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=CONFIGMAP)
    before = get_json(kubectl, "configmap", "settings")["metadata"]["resourceVersion"]
    same = kubectl("patch", "configmap", "settings", "--type=merge", "-p", '{"data":{"foo":"bar"}}')
    assert same.stdout.strip() == "configmap/settings patched (no change)"
    after = get_json(kubectl, "configmap", "settings")["metadata"]["resourceVersion"]
    assert after == before


def test_merge_patch_replaces_lists_whole(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=DEPLOYMENT)
    patch = template_patch({"name": "only", "image": "nginx:1.28"})
    patched = kubectl("patch", "deployment", "web", "--type=merge", "-p", patch)
    assert patched.stdout.strip() == "deployment.apps/web patched"
    assert containers(kubectl) == [("only", "nginx:1.28")]

    kubectl("create", "-f", "-", stdin=CONFIGMAP)
    kubectl("patch", "configmap", "settings", "--type=merge", "-p", '{"data":{"foo":null,"x":"1"}}')
    assert get_json(kubectl, "configmap", "settings")["data"] == {"x": "1"}


def test_json_patch_and_a_failing_test_op(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=CONFIGMAP)
    ops = [
        {"op": "test", "path": "/data/foo", "value": "bar"},
        {"op": "add", "path": "/data/x", "value": "1"},
        {"op": "replace", "path": "/data/foo", "value": "baz"},
        {"op": "remove", "path": "/metadata/labels/app"},
    ]
    patched = kubectl("patch", "configmap", "settings", "--type=json", "-p", json.dumps(ops))
    assert patched.stdout.strip() == "configmap/settings patched"
    after = get_json(kubectl, "configmap", "settings")
    assert after["data"] == {"foo": "baz", "x": "1"}
    assert not after["metadata"].get("labels")

    failing = [
        {"op": "test", "path": "/data/foo", "value": "bar"},
        {"op": "replace", "path": "/data/foo", "value": "qux"},
    ]
    refused = kubectl(
        "patch", "configmap", "settings", "--type=json", "-p", json.dumps(failing), check=False
    )
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "The request is invalid: the server rejected our request due to an error in our request"
    )
    assert get_json(kubectl, "configmap", "settings") == after


def test_patch_into_an_invalid_object_is_refused(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=CONFIGMAP)
    patch = '{"metadata":{"labels":{"app":"-bad-"}}}'
    refused = kubectl("patch", "configmap", "settings", "--type=merge", "-p", patch, check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == f'The ConfigMap "settings" is invalid: {INVALID_LABEL}'


@pytest.mark.parametrize("kind", ["strategic", "merge", "json"])
def test_patch_a_missing_object_is_not_found(kubectl_ns: Kubectl, kind: str) -> None:
    patch = '[{"op":"add","path":"/data","value":{}}]' if kind == "json" else '{"data":{}}'
    missing = kubectl_ns("patch", "configmap", "nope", f"--type={kind}", "-p", patch, check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): configmaps "nope" not found'


def test_replace_with_a_stale_resource_version_conflicts(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=CONFIGMAP)
    stale = kubectl("get", "configmap", "settings", "-o", "yaml").stdout
    kubectl("label", "configmap", "settings", "moved=yes")

    refused = kubectl(
        "replace", "-f", "-", stdin=stale.replace("foo: bar", "foo: new"), check=False
    )
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        'Error from server (Conflict): error when replacing "STDIN": Operation cannot be '
        f'fulfilled on configmaps "settings": {CONFLICT}'
    )
    assert get_json(kubectl, "configmap", "settings")["data"] == {"foo": "bar"}

    # Without a resourceVersion the replace is unconditional.
    fresh = CONFIGMAP.replace("foo: bar", "foo: new")
    assert kubectl("replace", "-f", "-", stdin=fresh).stdout.strip() == (
        "configmap/settings replaced"
    )
    after = get_json(kubectl, "configmap", "settings")
    assert after["data"] == {"foo": "new"}
    assert after["metadata"]["labels"] == {"app": "web"}


def test_replace_force_deletes_and_recreates(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=CONFIGMAP)
    before = get_json(kubectl, "configmap", "settings")
    stale = kubectl("get", "configmap", "settings", "-o", "yaml").stdout
    kubectl("label", "configmap", "settings", "moved=yes")

    forced = kubectl("replace", "--force", "-f", "-", stdin=stale.replace("foo: bar", "foo: new"))
    assert forced.stdout.splitlines() == [
        f'configmap "settings" deleted from {kubectl.namespace} namespace',
        "configmap/settings replaced",
    ]
    after = get_json(kubectl, "configmap", "settings")
    assert after["data"] == {"foo": "new"}
    assert after["metadata"]["uid"] != before["metadata"]["uid"]
    assert after["metadata"]["labels"] == {"app": "web"}
