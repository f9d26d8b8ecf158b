"""The real kubectl describe against kubelite.

describe reads the object, then lists the events about it with field
selectors on ``involvedObject`` (uid, name, namespace, and kind for most
types), so an event posted with ``kubectl create -f`` must show under the
object it names, and only there.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
import yaml

from kubelite.testing.columns import rows
from kubelite.testing.kubectl import Kubectl

pytestmark = pytest.mark.timeout(120)

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    env: [{name: MODE, value: fast}]
"""

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
"""


def fields(out: str) -> dict[str, str]:
    """The top-level ``Key:  value`` lines of a describe, as key -> value."""
    found: dict[str, str] = {}
    for line in out.splitlines():
        match = re.fullmatch(r"([A-Z][\w -]*):\s*(.*)", line)
        if match:
            found.setdefault(match[1], match[2].strip())
    return found


def events(out: str) -> list[dict[str, str]]:
    """The table under ``Events:``, without its ``----`` line."""
    section = out.split("\nEvents:\n", 1)[1]
    table = rows(section)
    return [row for row in table if not row["Type"].startswith("-")]


def event(kubectl: Kubectl, name: str, about: dict[str, str], reason: str, message: str) -> str:
    """A core/v1 Event manifest about the object ``about`` (its involvedObject)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name},
            "involvedObject": {"namespace": kubectl.namespace, **about},
            "reason": reason,
            "message": message,
            "type": "Normal",
            "source": {"component": "default-scheduler"},
            "count": 1,
            "firstTimestamp": now,
            "lastTimestamp": now,
        }
    )


def about(kubectl: Kubectl, kind: str, name: str, api_version: str = "v1") -> dict[str, str]:
    uid = kubectl("get", kind, name, "-o", "jsonpath={.metadata.uid}").stdout
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": uid}


def test_describe_pod(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=POD)
    out = kubectl("describe", "pod", "web").stdout
    described = fields(out)
    assert described["Name"] == "web"
    assert described["Namespace"] == kubectl.namespace
    assert described["Labels"] == "app=web"
    assert described["Node"] == "<none>"
    assert described["Events"] == "<none>"
    assert re.search(r"^Containers:\n  web:\n    Image:\s+nginx:1\.27$", out, re.MULTILINE)
    assert re.search(r"^    Environment:\n      MODE:\s+fast$", out, re.MULTILINE)


def test_describe_pod_shows_its_events(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=POD)
    other = POD.replace("name: web\n", "name: db\n", 1)
    kubectl("create", "-f", "-", stdin=other)
    message = f"Successfully assigned {kubectl.namespace}/web to node-1"
    manifest = event(kubectl, "web.1", about(kubectl, "Pod", "web"), "Scheduled", message)
    assert kubectl("create", "-f", "-", stdin=manifest).stdout.strip() == "event/web.1 created"
    elsewhere = event(kubectl, "db.1", about(kubectl, "Pod", "db"), "Pulled", "not about web")
    kubectl("create", "-f", "-", stdin=elsewhere)

    out = kubectl("describe", "pod", "web").stdout
    table = events(out)
    assert [(e["Type"], e["Reason"], e["From"], e["Message"]) for e in table] == [
        ("Normal", "Scheduled", "default-scheduler", message)
    ]
    assert re.fullmatch(r"\d+s", table[0]["Age"])
    assert [e["Reason"] for e in events(kubectl("describe", "pod", "db").stdout)] == ["Pulled"]


def test_describe_deployment(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=DEPLOYMENT)
    about_it = about(kubectl, "Deployment", "web", "apps/v1")
    scaled = event(kubectl, "web.2", about_it, "ScalingReplicaSet", "Scaled up to 2")
    kubectl("create", "-f", "-", stdin=scaled)

    out = kubectl("describe", "deployment", "web").stdout
    described = fields(out)
    assert described["Name"] == "web"
    assert described["Namespace"] == kubectl.namespace
    assert described["Selector"] == "app=web"
    assert described["Replicas"] == (
        "2 desired | 0 updated | 0 total | 0 available | 0 unavailable"
    )
    assert described["StrategyType"] == "RollingUpdate"
    assert described["RollingUpdateStrategy"] == "25% max unavailable, 25% max surge"
    assert "Pod Template:\n  Labels:  app=web\n  Containers:\n   web:\n" in out
    assert re.search(r"^    Port:\s+80/TCP$", out, re.MULTILINE)
    assert [(e["Reason"], e["Message"]) for e in events(out)] == [
        ("ScalingReplicaSet", "Scaled up to 2")
    ]


def test_describe_namespace(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    described = fields(kubectl("describe", "namespace", "default").stdout)
    assert (described["Name"], described["Status"]) == ("default", "Active")
    own = fields(kubectl("describe", "namespace", kubectl.namespace).stdout)
    assert (own["Name"], own["Status"]) == (kubectl.namespace, "Active")


def test_describe_namespace_lists_quotas_and_limit_ranges(kubectl_ns: Kubectl) -> None:
    described = kubectl_ns("describe", "namespace", kubectl_ns.namespace, check=False)
    assert described.stderr == ""
    assert described.stdout.endswith("\n\nNo resource quota.\n\nNo LimitRange resource.\n")


def test_describe_configmap(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings"},
        "data": {"mode": "fast"},
    }
    kubectl("create", "-f", "-", stdin=json.dumps(manifest))
    out = kubectl("describe", "configmap", "settings").stdout
    assert fields(out)["Name"] == "settings"
    assert "Data\n====\nmode:\n----\nfast\n" in out


def test_describe_a_missing_object(kubectl_ns: Kubectl) -> None:
    missing = kubectl_ns("describe", "pod", "nope", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): pods "nope" not found'
