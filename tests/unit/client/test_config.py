"""Reading kubeconfig files and the in-cluster configuration as kubectl does."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubelite.client.config import (
    ConfigError,
    in_cluster_config,
    kubeconfig_paths,
    load_config,
    load_kubeconfig,
)


def write(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document))
    return path


def kubeconfig(
    *,
    current: str = "",
    clusters: dict[str, dict[str, Any]] | None = None,
    users: dict[str, dict[str, Any]] | None = None,
    contexts: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    def entries(kind: str, named: dict[str, dict[str, Any]] | None) -> list[dict[str, Any]]:
        return [{"name": name, kind: body} for name, body in (named or {}).items()]

    document: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": entries("cluster", clusters),
        "users": entries("user", users),
        "contexts": entries("context", contexts),
    }
    if current:
        document["current-context"] = current
    return document


def test_the_current_context_gives_server_namespace_and_token(tmp_path: Path) -> None:
    path = write(
        tmp_path / "config",
        kubeconfig(
            current="dev",
            clusters={"dev": {"server": "https://dev.example:6443/"}},
            users={"me": {"token": "secret"}},
            contexts={"dev": {"cluster": "dev", "user": "me", "namespace": "shop"}},
        ),
    )
    config = load_kubeconfig(path)
    assert (config.server, config.namespace, config.context, config.token) == (
        "https://dev.example:6443",
        "shop",
        "dev",
        "secret",
    )


def test_files_merge_the_first_name_and_current_context_winning(tmp_path: Path) -> None:
    first = write(
        tmp_path / "a" / "config",
        kubeconfig(
            current="dev",
            contexts={"dev": {"cluster": "dev", "user": "me"}},
            users={"me": {"token": "from-a"}},
        ),
    )
    second = write(
        tmp_path / "b" / "config",
        kubeconfig(
            current="prod",
            clusters={
                "dev": {"server": "https://dev.example", "certificate-authority": "ca.pem"},
                "prod": {"server": "https://prod.example"},
            },
            users={"me": {"token": "from-b"}},
            contexts={"prod": {"cluster": "prod"}},
        ),
    )
    (tmp_path / "b" / "ca.pem").write_bytes(b"THE CA")
    config = load_kubeconfig([first, second])
    assert (config.context, config.server, config.token) == ("dev", "https://dev.example", "from-a")
    # A path is relative to the file that names it.
    assert config.ca_data == b"THE CA"
    other = load_kubeconfig([first, second], context="prod")
    assert (other.server, other.token, other.namespace) == ("https://prod.example", "", "default")


def test_inline_data_wins_over_files_and_is_decoded(tmp_path: Path) -> None:
    cert = base64.b64encode(b"CERT").decode()
    path = write(
        tmp_path / "config",
        kubeconfig(
            current="c",
            clusters={
                "c": {
                    "server": "https://c",
                    "certificate-authority-data": base64.b64encode(b"CA").decode(),
                    "certificate-authority": "missing.pem",
                    "tls-server-name": "api.internal",
                }
            },
            users={"u": {"client-certificate-data": cert, "client-key": "key.pem"}},
            contexts={"c": {"cluster": "c", "user": "u"}},
        ),
    )
    (tmp_path / "key.pem").write_bytes(b"KEY")
    config = load_kubeconfig(path)
    assert (config.ca_data, config.client_cert, config.client_key) == (b"CA", b"CERT", b"KEY")
    assert config.tls_server_name == "api.internal"


def test_an_exec_plugin_is_read_with_its_arguments_and_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path / "config",
        kubeconfig(
            current="c",
            clusters={"c": {"server": "https://c"}},
            users={
                "u": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": "./plugin",
                        "args": ["token", "--fresh"],
                        "env": [{"name": "REGION", "value": "eu"}],
                        "installHint": "install the plugin",
                        "provideClusterInfo": True,
                    }
                }
            },
            contexts={"c": {"cluster": "c", "user": "u"}},
        ),
    )
    plugin = load_kubeconfig(path).exec
    assert plugin is not None
    assert (plugin.command, plugin.args, plugin.env) == (
        "./plugin",
        ("token", "--fresh"),
        (("REGION", "eu"),),
    )
    assert (plugin.provide_cluster_info, plugin.base) == (True, tmp_path)


@pytest.mark.parametrize(
    ("document", "context", "message"),
    [
        (kubeconfig(), None, "the kubeconfig has no current-context; name a context"),
        (kubeconfig(current="x"), None, 'context "x" does not exist'),
        (
            kubeconfig(current="x", contexts={"x": {"cluster": "gone"}}),
            None,
            'context "x": cluster "gone" does not exist',
        ),
        (
            kubeconfig(
                current="x",
                clusters={"c": {"server": "https://c"}},
                contexts={"x": {"cluster": "c", "user": "nobody"}},
            ),
            None,
            'context "x": user "nobody" does not exist',
        ),
        (
            kubeconfig(
                current="x",
                clusters={"c": {"server": "https://c"}},
                users={"u": {"auth-provider": {"name": "gcp"}}},
                contexts={"x": {"cluster": "c", "user": "u"}},
            ),
            None,
            'user "u": auth-provider is not supported (kubectl dropped it too); use an exec plugin',
        ),
        (
            kubeconfig(clusters={"c": {}}, contexts={"x": {"cluster": "c"}}),
            "x",
            'cluster "c" has no server',
        ),
    ],
)
def test_a_kubeconfig_that_cannot_reach_a_cluster_says_why(
    tmp_path: Path, document: dict[str, Any], context: str | None, message: str
) -> None:
    path = write(tmp_path / "config", document)
    with pytest.raises(ConfigError) as caught:
        load_kubeconfig(path, context=context)
    assert str(caught.value) == message


def test_kubeconfig_paths_follow_kubeconfig_then_home(tmp_path: Path) -> None:
    listed = os.pathsep.join(["/a/config", "", "/b/config"])
    assert kubeconfig_paths({"KUBECONFIG": listed}) == [Path("/a/config"), Path("/b/config")]
    assert kubeconfig_paths({"HOME": str(tmp_path)}) == [tmp_path / ".kube" / "config"]


def service_account(folder: Path, namespace: str = "team") -> Path:
    folder.mkdir(parents=True)
    (folder / "token").write_text("sa-token\n")
    (folder / "ca.crt").write_bytes(b"CLUSTER CA")
    (folder / "namespace").write_text(namespace)
    return folder


def test_in_cluster_reads_the_service_account(tmp_path: Path) -> None:
    account = service_account(tmp_path / "sa")
    env = {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}
    config = in_cluster_config(environ=env, account=account)
    assert (config.server, config.namespace, config.ca_data) == (
        "https://[fd00::1]:443",
        "team",
        b"CLUSTER CA",
    )
    assert config.token_file == account / "token"


def test_in_cluster_without_its_environment_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT"):
        in_cluster_config(environ={}, account=service_account(tmp_path / "sa"))


def test_load_config_prefers_a_kubeconfig_and_says_where_it_looked(tmp_path: Path) -> None:
    path = write(
        tmp_path / "config",
        kubeconfig(
            current="c", clusters={"c": {"server": "http://c"}}, contexts={"c": {"cluster": "c"}}
        ),
    )
    assert load_config(environ={"KUBECONFIG": str(path)}).server == "http://c"
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"KUBECONFIG": str(tmp_path / "none")})
    assert str(caught.value) == (
        f"no configuration: no kubeconfig file at {tmp_path / 'none'} and not in a cluster "
        "(KUBERNETES_SERVICE_HOST is not set)"
    )
