"""The real kubectl's generator commands, which send their objects as protobuf.

Each command runs twice: with ``--dry-run=client -o json``, which prints the
object kubectl builds without sending it, and for real. The object the server
then returns must hold everything the dry run printed (the server may add
defaults, so it is compared as a superset).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubelite.testing.kubectl import Kubectl

pytestmark = pytest.mark.timeout(120)

# A self-signed P-256 certificate for CN=kubelite-test (valid until 2126) and
# its key, made once with openssl; `kubectl create secret tls` checks the pair.
TLS_CERT = """\
-----BEGIN CERTIFICATE-----
MIIBhzCCAS2gAwIBAgIUMUfquU7MvbeQFgrvN5Vzj1bAbXwwCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNa3ViZWxpdGUtdGVzdDAgFw0yNjEyMDMyMDEyMzBaGA8yMTI2
MTEwOTIwMTIzMFowGDEWMBQGA1UEAwwNa3ViZWxpdGUtdGVzdDBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABPD51e9uKNhM6CRXF7P8KJaWBw584jPZ3B//XxwwJ2gP
enRvq2LJYnGsdHRIgOnefQwUowWhROZ94LP5d0Tsz7CjUzBRMB0GA1UdDgQWBBQ0
DYfWqsqenp5TdljRH8SSmURSATAfBgNVHSMEGDAWgBQ0DYfWqsqenp5TdljRH8SS
mURSATAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIBhHN1EKDCIe
KjLHx2k8KKWBDMq/NrzkfdWxiytueoVQAiEA7DBo4ZzvOvDLgOztRc5I8Wyyb5WA
Rc3QJUdsIAOxIyo=
-----END CERTIFICATE-----
"""
TLS_KEY = """\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgbqtb00vE3JUrA6/i
2omkNmMKntniJ7pRZ8anjKcC+qShRANCAATw+dXvbijYTOgkVxez/CiWlgcOfOIz
2dwf/18cMCdoD3p0b6tiyWJxrHR0SIDp3n0MFKMFoUTmfeCz+XdE7M+w
-----END PRIVATE KEY-----
"""

# The words after `kubectl create`, the type to `kubectl get`, and the name; the
# deployment, the cluster IP service and the files are in tests of their own.
GENERATORS = [
    pytest.param(["namespace", "team-a"], "namespace", "team-a", id="namespace"),
    pytest.param(
        ["configmap", "settings", "--from-literal=mode=fast", "--from-literal=level=3"],
        "configmap",
        "settings",
        id="configmap",
    ),
    pytest.param(
        ["secret", "generic", "creds", "--from-literal=user=admin", "--from-literal=pw=s3"],
        "secret",
        "creds",
        id="secret-generic",
    ),
    pytest.param(
        [
            "secret",
            "docker-registry",
            "regcred",
            "--docker-server=registry.example.com",
            "--docker-username=me",
            "--docker-password=pw",
            "--docker-email=me@example.com",
        ],
        "secret",
        "regcred",
        id="secret-docker-registry",
    ),
    pytest.param(
        ["service", "nodeport", "edge", "--tcp=80:8080"], "service", "edge", id="nodeport"
    ),
    pytest.param(
        ["service", "loadbalancer", "front", "--tcp=443:8443"],
        "service",
        "front",
        id="loadbalancer",
    ),
    pytest.param(
        ["service", "externalname", "search", "--external-name=search.example.com"],
        "service",
        "search",
        id="externalname",
    ),
    pytest.param(["serviceaccount", "builder"], "serviceaccount", "builder", id="serviceaccount"),
]


def without_nulls(value: Any) -> Any:
    """JSON null means unset (``creationTimestamp: null``); drop it before comparing."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def assert_holds(stored: Any, sent: Any, path: str = "") -> None:
    """Every field of ``sent`` is in ``stored`` with the same value."""
    if isinstance(sent, dict):
        assert isinstance(stored, dict), f"{path}: {stored!r} is not an object"
        for key, item in sent.items():
            assert key in stored, f"{path}.{key} is missing from {stored!r}"
            assert_holds(stored[key], item, f"{path}.{key}")
    elif isinstance(sent, list):
        assert isinstance(stored, list), f"{path}: {stored!r} is not a list"
        assert len(stored) == len(sent), f"{path}: {stored!r} != {sent!r}"
        for index, (mine, theirs) in enumerate(zip(stored, sent, strict=True)):
            assert_holds(mine, theirs, f"{path}[{index}]")
    else:
        assert stored == sent, f"{path}: {stored!r} != {sent!r}"


def create_and_compare(kubectl: Kubectl, args: list[str], kind: str, name: str) -> Any:
    """Create for real, then check the server kept what the dry run shows was sent."""
    dry = json.loads(kubectl("create", *args, "--dry-run=client", "-o", "json").stdout)
    created = kubectl("create", *args)
    assert created.stdout.strip().endswith(f"/{name} created")
    stored = json.loads(kubectl("get", kind, name, "-o", "json").stdout)
    assert stored["metadata"]["uid"]
    assert_holds(stored, without_nulls(dry))
    return stored


@pytest.mark.parametrize(("args", "kind", "name"), GENERATORS)
def test_generator_command_creates_what_it_sent(
    kubectl: Kubectl, args: list[str], kind: str, name: str
) -> None:
    create_and_compare(kubectl, args, kind, name)


def test_deployment_fields(kubectl: Kubectl) -> None:
    args = ["deployment", "web", "--image=nginx:1.27", "--port=8080", "--replicas=3"]
    stored = create_and_compare(kubectl, args, "deployment", "web")
    assert stored["spec"]["replicas"] == 3
    assert stored["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    container = stored["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.27"
    assert container["ports"][0]["containerPort"] == 8080


def test_service_fields(kubectl: Kubectl) -> None:
    args = ["service", "clusterip", "api", "--tcp=80:8080"]
    stored = create_and_compare(kubectl, args, "service", "api")
    port = stored["spec"]["ports"][0]
    assert (port["port"], port["targetPort"], port["protocol"]) == (80, 8080, "TCP")
    assert stored["spec"]["selector"] == {"app": "api"}


def test_configmap_from_files_text_and_binary(kubectl: Kubectl, tmp_path: Path) -> None:
    (tmp_path / "app.properties").write_text("color=blue\nsize=9\n")
    (tmp_path / "logo.bin").write_bytes(bytes(range(256)))
    args = [
        "configmap",
        "files",
        f"--from-file={tmp_path / 'app.properties'}",
        f"--from-file={tmp_path / 'logo.bin'}",
    ]
    stored = create_and_compare(kubectl, args, "configmap", "files")
    assert stored["data"] == {"app.properties": "color=blue\nsize=9\n"}
    assert set(stored["binaryData"]) == {"logo.bin"}


def test_secret_tls(kubectl: Kubectl, tmp_path: Path) -> None:
    (tmp_path / "tls.crt").write_text(TLS_CERT)
    (tmp_path / "tls.key").write_text(TLS_KEY)
    args = ["secret", "tls", "site", f"--cert={tmp_path / 'tls.crt'}"]
    args.append(f"--key={tmp_path / 'tls.key'}")
    stored = create_and_compare(kubectl, args, "secret", "site")
    assert stored["type"] == "kubernetes.io/tls"
    assert set(stored["data"]) == {"tls.crt", "tls.key"}


def test_second_namespace_create_already_exists(kubectl: Kubectl) -> None:
    assert kubectl("create", "namespace", "x").stdout.strip() == "namespace/x created"
    again = kubectl("create", "namespace", "x", check=False)
    assert again.returncode == 1
    assert again.stderr.strip() == (
        'Error from server (AlreadyExists): namespaces "x" already exists'
    )


# -- what the server answers to protobuf it cannot read -------------------------------


def post_protobuf(kubectl: Kubectl, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
    config = yaml.safe_load(kubectl.kubeconfig.read_text())
    server = config["clusters"][0]["cluster"]["server"]
    request = urllib.request.Request(
        server + path,
        data=body,
        method="POST",
        headers={"Content-Type": "application/vnd.kubernetes.protobuf"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


def length_delimited(number: int, data: bytes) -> bytes:
    assert len(data) < 0x80
    return bytes([number << 3 | 2, len(data)]) + data


def test_unsupported_kind_is_415_with_the_reason(kubectl: Kubectl) -> None:
    type_meta = length_delimited(1, b"batch/v1") + length_delimited(2, b"Job")
    body = b"k8s\x00" + length_delimited(1, type_meta) + length_delimited(2, b"")
    code, status = post_protobuf(kubectl, "/api/v1/namespaces", body)
    assert code == 415
    assert status["reason"] == "UnsupportedMediaType"
    assert status["message"] == 'kind "Job" is not accepted as protobuf; send JSON'


def test_malformed_protobuf_is_400(kubectl: Kubectl) -> None:
    code, status = post_protobuf(kubectl, "/api/v1/namespaces", b"k8s\x00\x0a\x80")
    assert code == 400
    assert status["reason"] == "BadRequest"
    assert "truncated varint" in status["message"]
