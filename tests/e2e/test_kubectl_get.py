"""The real kubectl's reads against kubelite: get in every output format, the
server's Tables, chunked lists, and the commands that only read discovery,
OpenAPI and the health endpoints (api-resources, explain, version, get --raw).
"""

from __future__ import annotations

import ipaddress
import json
import re

import pytest
import yaml

from kubelite.testing.columns import header
from kubelite.testing.columns import rows as table
from kubelite.testing.kubectl import Kubectl

pytestmark = pytest.mark.timeout(120)

PODS = """
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web, tier: front}
spec:
  containers:
  - name: web
    image: nginx:1.27
---
apiVersion: v1
kind: Pod
metadata:
  name: worker
  labels: {app: worker}
spec:
  containers:
  - name: worker
    image: busybox:1.36
  - name: helper
    image: busybox:1.36
"""

# One object of each type whose default columns are checked.
OBJECTS = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
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
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-1
spec:
  replicas: 3
  selector:
    matchLabels: {app: web-1}
  template:
    metadata:
      labels: {app: web-1}
    spec:
      containers:
      - name: web
        image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data: {mode: fast, level: "3"}
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
type: Opaque
data: {user: YWRtaW4=}
"""


def test_get_one_object_in_every_output_format(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=PODS)

    as_json = json.loads(kubectl("get", "pod", "web", "-o", "json").stdout)
    assert (as_json["kind"], as_json["apiVersion"]) == ("Pod", "v1")
    assert as_json["metadata"]["name"] == "web"
    as_yaml = yaml.safe_load(kubectl("get", "pod", "web", "-o", "yaml").stdout)
    assert as_yaml == as_json

    assert kubectl("get", "pod", "web", "-o", "name").stdout == "pod/web\n"
    assert kubectl("get", "pod", "web", "-o", "jsonpath={.metadata.name}").stdout == "web"
    template = "go-template={{.metadata.name}}:{{range .spec.containers}}{{.image}}{{end}}"
    assert kubectl("get", "pod", "web", "-o", template).stdout == "web:nginx:1.27"
    columns = "custom-columns=NAME:.metadata.name,IMAGES:.spec.containers[*].image"
    custom = kubectl("get", "pods", "-o", columns).stdout
    assert table(custom) == [
        {"NAME": "web", "IMAGES": "nginx:1.27"},
        {"NAME": "worker", "IMAGES": "busybox:1.36,busybox:1.36"},
    ]

    wide = kubectl("get", "pod", "worker", "-o", "wide").stdout
    assert header(wide) == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED NODE",
        "READINESS GATES",
    ]
    row = table(wide)[0]
    assert (row["NAME"], row["READY"], row["RESTARTS"]) == ("worker", "0/2", "0")
    assert (row["IP"], row["NODE"], row["NOMINATED NODE"]) == ("<none>", "<none>", "<none>")


def test_get_a_list_in_every_output_format(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=PODS)

    listed = json.loads(kubectl("get", "pods", "-o", "json").stdout)
    assert (listed["kind"], listed["apiVersion"]) == ("List", "v1")
    assert [(i["kind"], i["metadata"]["name"]) for i in listed["items"]] == [
        ("Pod", "web"),
        ("Pod", "worker"),
    ]
    assert yaml.safe_load(kubectl("get", "pods", "-o", "yaml").stdout) == listed
    assert kubectl("get", "pods", "-o", "name").stdout == "pod/web\npod/worker\n"
    names = kubectl("get", "pods", "-o", "jsonpath={.items[*].metadata.name}").stdout
    assert names == "web worker"
    ranged = "jsonpath={range .items[*]}{.metadata.name}={.spec.containers[0].image}{'\\n'}{end}"
    assert kubectl("get", "pods", "-o", ranged).stdout == "web=nginx:1.27\nworker=busybox:1.36\n"
    selected = kubectl(
        "get", "pods", "-l", "app=worker", "-o", "jsonpath={.items[*].metadata.name}"
    )
    assert selected.stdout == "worker"
    by_field = kubectl("get", "pods", "--field-selector", "metadata.name=web", "-o", "name")
    assert by_field.stdout == "pod/web\n"
    by_image = kubectl("get", "pods", "--sort-by=.spec.containers[0].image", "-o", "name")
    assert by_image.stdout == "pod/worker\npod/web\n"


def test_get_with_an_unsupported_field_selector_is_refused(kubectl_ns: Kubectl) -> None:
    refused = kubectl_ns("get", "pods", "--field-selector", "spec.foo=x", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match '
        'label selector "", field selector "spec.foo=x": field label not supported: spec.foo'
    )


def test_get_an_empty_list_says_so(kubectl_ns: Kubectl) -> None:
    empty = kubectl_ns("get", "pods")
    assert empty.stdout == ""
    assert empty.stderr.strip() == f"No resources found in {kubectl_ns.namespace} namespace."


def test_pods_table(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=PODS)
    out = kubectl("get", "pods").stdout
    assert header(out) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    rows = table(out)
    assert [(r["NAME"], r["READY"], r["RESTARTS"]) for r in rows] == [
        ("web", "0/1", "0"),
        ("worker", "0/2", "0"),
    ]
    assert all(re.fullmatch(r"\d+s", r["AGE"]) for r in rows)


def test_a_new_pod_is_pending(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=PODS)
    assert [r["STATUS"] for r in table(kubectl("get", "pods").stdout)] == ["Pending", "Pending"]
    pending = kubectl("get", "pods", "--field-selector", "status.phase=Pending", "-o", "name")
    assert pending.stdout == "pod/web\npod/worker\n"
    pod = json.loads(kubectl("get", "pod", "web", "-o", "json").stdout)
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_workload_tables(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=OBJECTS)

    deployments = kubectl("get", "deployments").stdout
    assert header(deployments) == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    row = table(deployments)[0]
    assert (row["NAME"], row["READY"], row["UP-TO-DATE"], row["AVAILABLE"]) == (
        "web",
        "0/2",
        "0",
        "0",
    )
    wide = table(kubectl("get", "deployment", "web", "-o", "wide").stdout)[0]
    assert (wide["CONTAINERS"], wide["IMAGES"], wide["SELECTOR"]) == (
        "web",
        "nginx:1.27",
        "app=web",
    )

    replicasets = kubectl("get", "replicasets").stdout
    assert header(replicasets) == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    row = table(replicasets)[0]
    assert (row["NAME"], row["DESIRED"], row["CURRENT"], row["READY"]) == ("web-1", "3", "0", "0")


def test_service_configmap_and_secret_tables(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=OBJECTS)

    services = kubectl("get", "services").stdout
    assert header(services) == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    row = table(services)[0]
    assert (row["NAME"], row["TYPE"], row["EXTERNAL-IP"], row["PORT(S)"]) == (
        "web",
        "ClusterIP",
        "<none>",
        "80/TCP",
    )
    assert ipaddress.ip_address(row["CLUSTER-IP"]) in ipaddress.ip_network("10.96.0.0/12")

    configmaps = kubectl("get", "configmaps").stdout
    assert header(configmaps) == ["NAME", "DATA", "AGE"]
    assert [(r["NAME"], r["DATA"]) for r in table(configmaps)] == [("settings", "2")]

    secrets = kubectl("get", "secrets").stdout
    assert header(secrets) == ["NAME", "TYPE", "DATA", "AGE"]
    assert [(r["NAME"], r["TYPE"], r["DATA"]) for r in table(secrets)] == [("creds", "Opaque", "1")]


def test_namespaces_table(kubectl_ns: Kubectl) -> None:
    out = kubectl_ns("get", "namespaces").stdout
    assert header(out) == ["NAME", "STATUS", "AGE"]
    rows = {r["NAME"]: r["STATUS"] for r in table(out)}
    assert rows[kubectl_ns.namespace] == "Active"
    assert rows["default"] == "Active"


def test_namespaces_carry_their_name_as_a_label(kubectl_ns: Kubectl) -> None:
    out = kubectl_ns("get", "namespace", kubectl_ns.namespace, "-o", "json").stdout
    labels = json.loads(out)["metadata"].get("labels")
    assert labels == {"kubernetes.io/metadata.name": kubectl_ns.namespace}


SECRET = """
apiVersion: v1
kind: Secret
metadata:
  name: creds
type: Opaque
stringData: {user: admin}
"""


def test_secret_string_data_is_stored_as_data(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=SECRET)
    secret = json.loads(kubectl("get", "secret", "creds", "-o", "json").stdout)
    assert secret["data"] == {"user": "YWRtaW4="}
    assert "stringData" not in secret
    assert table(kubectl("get", "secrets").stdout)[0]["DATA"] == "1"


def test_generation_only_on_types_that_have_a_spec(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=OBJECTS)
    configmap = json.loads(kubectl("get", "configmap", "settings", "-o", "json").stdout)
    assert "generation" not in configmap["metadata"]
    deployment = json.loads(kubectl("get", "deployment", "web", "-o", "json").stdout)
    assert deployment["metadata"]["generation"] == 1


def test_show_labels_adds_a_labels_column(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=PODS)
    out = kubectl("get", "pods", "--show-labels").stdout
    assert header(out) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"]
    assert [(r["NAME"], r["LABELS"]) for r in table(out)] == [
        ("web", "app=web,tier=front"),
        ("worker", "app=worker"),
    ]


def test_all_namespaces_adds_a_namespace_column(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    other = f"{kubectl.namespace}-b"
    kubectl(
        "create", "-f", "-", stdin=f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {other}\n"
    )
    kubectl("create", "-f", "-", stdin=PODS)
    kubectl("create", "-n", other, "-f", "-", stdin=PODS.split("---")[0])

    out = kubectl("get", "pods", "-A").stdout
    assert header(out) == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    mine = [
        (r["NAMESPACE"], r["NAME"])
        for r in table(out)
        if r["NAMESPACE"] in (kubectl.namespace, other)
    ]
    # Sorted as the store keys are: namespace, then name.
    assert mine == [(other, "web"), (kubectl.namespace, "web"), (kubectl.namespace, "worker")]
    names = kubectl("get", "pods", "--all-namespaces", "-o", "name").stdout.splitlines()
    assert names.count("pod/web") >= 2


MANY = 25


def many_configmaps() -> str:
    return "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:02}\n" for i in range(MANY)
    )


def list_requests(log: str) -> list[str]:
    """The URLs of the configmap lists in a ``-v=6`` log."""
    return re.findall(r'url="(\S*/configmaps(?:\?[^"]*)?)"', log)


def test_chunked_lists_return_everything_once(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    kubectl("create", "-f", "-", stdin=many_configmaps())
    expected = [f"configmap/cm-{i:02}" for i in range(MANY)]

    chunked = kubectl("get", "configmaps", "--chunk-size=5", "-o", "name", "-v=6")
    assert chunked.stdout.splitlines() == expected
    urls = list_requests(chunked.stderr)
    assert len(urls) == MANY // 5
    assert all("limit=5" in url for url in urls)
    assert ["continue=" in url for url in urls] == [False] + [True] * (len(urls) - 1)

    whole = kubectl("get", "configmaps", "--chunk-size=0", "-o", "name", "-v=6")
    assert whole.stdout.splitlines() == expected
    assert [("limit=" in url) for url in list_requests(whole.stderr)] == [False]

    rows = table(kubectl("get", "configmaps", "--chunk-size=7").stdout)
    assert [r["NAME"] for r in rows] == [f"cm-{i:02}" for i in range(MANY)]


def test_get_raw_health_and_version(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    assert kubectl("get", "--raw", "/readyz").stdout == "ok"
    assert kubectl("get", "--raw", "/livez").stdout == "ok"
    assert kubectl("get", "--raw", "/healthz").stdout == "ok"
    verbose = kubectl("get", "--raw", "/readyz?verbose").stdout
    assert verbose.splitlines() == ["[+]ping ok", "readyz check passed"]
    assert kubectl("get", "--raw", "/livez/ping").stdout == "ok"
    missing = kubectl("get", "--raw", "/readyz/nonsense", check=False)
    assert missing.returncode != 0
    assert "NotFound" in missing.stderr or "not found" in missing.stderr
    version = json.loads(kubectl("get", "--raw", "/version").stdout)
    assert (version["major"], version["minor"]) == ("1", "37")
    assert version["gitVersion"].startswith("v1.37.")
    missing = kubectl("get", "--raw", "/no/such/path", check=False)
    assert missing.returncode == 1
    assert missing.stderr.startswith("Error from server (NotFound)")


def test_version_shows_the_server_version(kubectl_ns: Kubectl) -> None:
    out = kubectl_ns("version").stdout
    assert re.search(r"^Server Version: v1\.37\.\S+$", out, re.MULTILINE)
    both = json.loads(kubectl_ns("version", "-o", "json").stdout)
    assert both["serverVersion"]["major"] == "1"
    assert both["serverVersion"]["gitVersion"].startswith("v1.37.")


def api_resources(out: str) -> dict[str, list[str]]:
    """``kubectl api-resources`` rows by NAME and APIVERSION; SHORTNAMES may be empty."""
    rows = table(out)
    return {
        f"{r['NAME']} {r['APIVERSION']}": [
            r["SHORTNAMES"],
            r["APIVERSION"],
            r["NAMESPACED"],
            r["KIND"],
        ]
        for r in rows
    }


def test_api_resources_and_versions(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    out = kubectl("api-resources").stdout
    assert header(out) == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    resources = api_resources(out)
    assert resources["pods v1"] == ["po", "v1", "true", "Pod"]
    assert resources["namespaces v1"] == ["ns", "v1", "false", "Namespace"]
    assert resources["deployments apps/v1"] == ["deploy", "apps/v1", "true", "Deployment"]
    assert resources["replicasets apps/v1"] == ["rs", "apps/v1", "true", "ReplicaSet"]
    assert resources["secrets v1"] == ["", "v1", "true", "Secret"]

    cluster = api_resources(kubectl("api-resources", "--namespaced=false").stdout)
    assert "namespaces v1" in cluster
    assert "pods v1" not in cluster
    apps = api_resources(kubectl("api-resources", "--api-group=apps").stdout)
    assert {"deployments apps/v1", "replicasets apps/v1"} <= set(apps)
    assert all(key.endswith(" apps/v1") for key in apps)

    versions = kubectl("api-versions").stdout.splitlines()
    assert {"v1", "apps/v1"} <= set(versions)
    assert versions == sorted(versions)


def fields(out: str) -> dict[str, str]:
    """The ``name <type>`` lines of ``kubectl explain``, as name -> type."""
    found: dict[str, str] = {}
    for line in out.splitlines():
        match = re.fullmatch(r"\s*([A-Za-z$][\w$-]*)\t(<[^>]+>)(?: -required-)?", line)
        if match:
            found.setdefault(match[1], match[2])
    return found


def test_explain_shows_the_fields_of_a_type(kubectl_ns: Kubectl) -> None:
    kubectl = kubectl_ns
    pods = kubectl("explain", "pods").stdout
    assert pods.startswith("KIND:       Pod\nVERSION:    v1\n")
    assert "Pod is a collection of containers that can run on a host." in pods
    assert fields(pods) == {
        "apiVersion": "<string>",
        "kind": "<string>",
        "metadata": "<ObjectMeta>",
        "spec": "<PodSpec>",
        "status": "<PodStatus>",
    }

    strategy = kubectl("explain", "deployment.spec.strategy").stdout
    assert strategy.startswith("GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n")
    assert "FIELD: strategy <DeploymentStrategy>" in strategy
    assert fields(strategy) == {"rollingUpdate": "<RollingUpdateDeployment>", "type": "<string>"}


def test_explain_recursive_walks_the_whole_schema(kubectl_ns: Kubectl) -> None:
    out = kubectl_ns("explain", "pods.spec.containers", "--recursive").stdout
    assert "FIELD: containers <[]Container>" in out
    lines = {line.strip() for line in out.splitlines()}
    for expected in (
        "image\t<string>",
        "name\t<string> -required-",
        "env\t<[]EnvVar>",
        "valueFrom\t<EnvVarSource>",
        "configMapKeyRef\t<ConfigMapKeySelector>",
        "livenessProbe\t<Probe>",
        "containerPort\t<integer> -required-",
    ):
        assert expected in lines


def test_explain_a_field_that_does_not_exist(kubectl_ns: Kubectl) -> None:
    missing = kubectl_ns("explain", "deployment.spec.nope", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'error: field "nope" does not exist'
