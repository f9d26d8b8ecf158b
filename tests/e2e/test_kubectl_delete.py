"""The real kubectl delete against kubelite: its options, selectors, and
finalizers.

kubectl sends the options in a DeleteOptions body and then, unless told
``--wait=false``, waits for the object to be gone with a streaming watch
(``sendInitialEvents=true``). An object with finalizers only gets a
``deletionTimestamp``; it goes when its last finalizer is removed.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from kubelite.testing.kubectl import Kubectl

pytestmark = pytest.mark.timeout(120)

CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  foo: bar
"""

HELD = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: held
  finalizers:
  - example.com/hold
data:
  foo: bar
"""

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx:1.27
"""


def configmap(name: str, labels: dict[str, str] | None = None) -> str:
    metadata: dict[str, Any] = {"name": name}
    if labels:
        metadata["labels"] = labels
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata})


def delete_body(log: str) -> Any:
    """The body of the DELETE request in a ``-v=8`` log."""
    bodies = re.findall(r'"Request Body" body=<\n\t(.*)\n >\n.*verb="DELETE"', log)
    assert len(bodies) == 1, log
    return json.loads(bodies[0])


def names(kubectl: Kubectl, *args: str) -> list[str]:
    return kubectl("get", "configmaps", *args, "-o", "name").stdout.splitlines()


def assert_gone(kubectl: Kubectl, kind: str, name: str) -> None:
    gone = kubectl("get", kind, name, check=False)
    assert gone.returncode == 1
    assert gone.stderr.strip() == f'Error from server (NotFound): {kind}s "{name}" not found'


def test_delete_cascade_background_sends_the_propagation_policy(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=CONFIGMAP)
    deleted = kubectl("delete", "configmap", "settings", "--cascade=background", "-v=8")
    assert deleted.stdout.strip() == (
        f'configmap "settings" deleted from {kubectl.namespace} namespace'
    )
    assert delete_body(deleted.stderr) == {"propagationPolicy": "Background"}
    assert_gone(kubectl, "configmap", "settings")


@pytest.mark.parametrize(
    ("cascade", "policy", "finalizer"),
    [("foreground", "Foreground", "foregroundDeletion"), ("orphan", "Orphan", "orphan")],
)
def test_delete_cascade_leaves_the_object_to_the_garbage_collector(
    kubectl_ns: Kubectl, cascade: str, policy: str, finalizer: str
) -> None:
    """The server marks the object with the policy's finalizer, which the
    garbage collector removes once it has dealt with the dependents.

    There is no garbage collector yet (#7), so the test does not wait for it
    (kubectl would, without --wait=false) and checks the mark instead.
    """
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=CONFIGMAP)
    deleted = kubectl(
        "delete", "configmap", "settings", f"--cascade={cascade}", "--wait=false", "-v=8"
    )
    assert deleted.stdout.strip() == (
        f'configmap "settings" deleted from {kubectl.namespace} namespace'
    )
    assert delete_body(deleted.stderr) == {"propagationPolicy": policy}
    marked = json.loads(kubectl("get", "configmap", "settings", "-o", "json").stdout)
    assert marked["metadata"]["finalizers"] == [finalizer]
    assert marked["metadata"]["deletionTimestamp"]


def test_delete_with_no_grace_period_forced(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=POD)
    deleted = kubectl("delete", "pod", "web", "--grace-period=0", "--force", "-v=8")
    assert deleted.stdout.strip() == f'pod "web" force deleted from {kubectl.namespace} namespace'
    assert delete_body(deleted.stderr) == {
        "gracePeriodSeconds": 0,
        "propagationPolicy": "Background",
    }
    assert (
        "Warning: Immediate deletion does not wait for confirmation that the running "
        "resource has been terminated." in deleted.stderr
    )
    assert_gone(kubectl, "pod", "web")


def test_delete_without_waiting(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=CONFIGMAP)
    deleted = kubectl("delete", "configmap", "settings", "--wait=false", "-v=6")
    assert deleted.stdout.strip() == (
        f'configmap "settings" deleted from {kubectl.namespace} namespace'
    )
    assert "watch=true" not in deleted.stderr
    assert_gone(kubectl, "configmap", "settings")


def test_delete_a_missing_object(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    missing = kubectl("delete", "configmap", "nope", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): configmaps "nope" not found'
    ignored = kubectl("delete", "configmap", "nope", "--ignore-not-found")
    assert (ignored.stdout, ignored.stderr) == ("", "")


def test_an_object_with_a_finalizer_waits_for_it(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=HELD)
    deleted = kubectl("delete", "configmap", "held", "--wait=false")
    assert deleted.stdout.strip() == f'configmap "held" deleted from {kubectl.namespace} namespace'
    held = json.loads(kubectl("get", "configmap", "held", "-o", "json").stdout)
    assert held["metadata"]["deletionTimestamp"]
    assert held["metadata"]["finalizers"] == ["example.com/hold"]
    assert names(kubectl) == ["configmap/held"]

    # Waiting (the default) watches until the object is gone, which it is not.
    waited = kubectl("delete", "configmap", "held", "--timeout=1s", check=False)
    assert waited.returncode == 1
    # (client-go may first warn that the watch it cut short was short.)
    last = waited.stderr.strip().splitlines()[-1]
    assert last == "error: timed out waiting for the condition on configmaps/held"

    patch = '{"metadata":{"finalizers":null}}'
    released = kubectl("patch", "configmap", "held", "--type=merge", "-p", patch)
    assert released.stdout.strip() == "configmap/held patched"
    assert_gone(kubectl, "configmap", "held")


def test_no_finalizer_can_be_added_to_an_object_being_deleted(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=HELD)
    kubectl("delete", "configmap", "held", "--wait=false")
    add = '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/other"}]'
    refused = kubectl("patch", "configmap", "held", "--type=json", "-p", add, check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        'The ConfigMap "held" is invalid: metadata.finalizers: Forbidden: no new finalizers '
        "can be added if the object is being deleted, found new finalizers "
        '[]string{"example.com/other"}'
    )


def test_delete_by_label(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    for name, group in (("a1", "a"), ("b1", "b"), ("a2", "a")):
        kubectl("create", "-f", "-", stdin=configmap(name, {"group": group}))
    deleted = kubectl("delete", "configmaps", "-l", "group=a")
    assert deleted.stdout.splitlines() == [
        f'configmap "{name}" deleted from {kubectl.namespace} namespace' for name in ("a1", "a2")
    ]
    assert names(kubectl) == ["configmap/b1"]
    nothing = kubectl("delete", "configmaps", "-l", "group=c")
    assert nothing.stdout.strip() == "No resources found"


def test_delete_all_stays_in_the_namespace(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    other = f"{kubectl.namespace}-b"
    kubectl(
        "create", "-f", "-", stdin=f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {other}"
    )
    for name in ("one", "two"):
        kubectl("create", "-f", "-", stdin=configmap(name))
    kubectl("create", "-n", other, "-f", "-", stdin=configmap("three"))

    deleted = kubectl("delete", "configmaps", "--all")
    assert deleted.stdout.splitlines() == [
        f'configmap "{name}" deleted from {kubectl.namespace} namespace' for name in ("one", "two")
    ]
    assert names(kubectl) == []
    assert names(kubectl, "-n", other) == ["configmap/three"]


def test_delete_from_a_file(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    both = CONFIGMAP + "---\n" + POD
    kubectl("create", "-f", "-", stdin=both)
    deleted = kubectl("delete", "-f", "-", stdin=both)
    assert deleted.stdout.splitlines() == [
        f'configmap "settings" deleted from {kubectl.namespace} namespace',
        f'pod "web" deleted from {kubectl.namespace} namespace',
    ]
    assert_gone(kubectl, "configmap", "settings")
    assert_gone(kubectl, "pod", "web")
