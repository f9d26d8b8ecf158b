"""Where a client connects and as whom, read as kubectl reads it.

Two sources, tried in kubectl's order: the kubeconfig files (``$KUBECONFIG``,
a list separated by ``os.pathsep``, else ``~/.kube/config``), and, when there
is none, the in-cluster configuration a pod gets (``KUBERNETES_SERVICE_HOST``
and the service account's token, CA and namespace).

Several kubeconfig files merge as client-go merges them: of the clusters,
users and contexts with one name, the first file's wins, and so does the first
``current-context`` set. A path in a file (a certificate, a token file) is
relative to that file. Worked example::

    KUBECONFIG=a.yaml:b.yaml
    a.yaml: current-context: dev; contexts: dev -> cluster dev, user me
    b.yaml: current-context: prod; clusters: dev, prod; users: me
    -> context dev, from a.yaml; its cluster and user from b.yaml

What a user may authenticate with: a bearer token (inline or a file, read
again when it changes, as a service account's is), a client certificate and
key (inline or files), a user name and password, or an exec plugin (run when a
credential is needed, its answer kept until it expires; see :mod:`~kubelite.
client.auth`). The result, :class:`ClusterConfig`, holds everything as bytes
and strings, so that nothing is written to temporary files.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

__all__ = [
    "DEFAULT_NAMESPACE",
    "ClusterConfig",
    "ConfigError",
    "ExecConfig",
    "in_cluster_config",
    "kubeconfig_paths",
    "load_config",
    "load_kubeconfig",
]

DEFAULT_NAMESPACE: Final = "default"
SERVICE_ACCOUNT: Final = Path("/var/run/secrets/kubernetes.io/serviceaccount")


class ConfigError(Exception):
    """A kubeconfig that does not say how to reach a cluster, or no configuration at all."""


@dataclass(frozen=True, slots=True)
class ExecConfig:
    """A kubeconfig user's ``exec`` plugin: a command that prints an ``ExecCredential``."""

    api_version: str
    command: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    install_hint: str = ""
    provide_cluster_info: bool = False
    # Where relative commands are looked for: the kubeconfig file's folder.
    base: Path | None = None


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """One context, resolved: the server, how to trust it, and the credentials."""

    server: str
    namespace: str = DEFAULT_NAMESPACE
    context: str = ""
    ca_data: bytes | None = None
    insecure: bool = False
    tls_server_name: str = ""
    client_cert: bytes | None = None
    client_key: bytes | None = None
    token: str = ""
    token_file: Path | None = None
    username: str = ""
    password: str = field(default="", repr=False)
    exec: ExecConfig | None = None


def kubeconfig_paths(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The kubeconfig files kubectl would read, existing or not."""
    env = os.environ if environ is None else environ
    listed = env.get("KUBECONFIG", "")
    if listed:
        return [Path(p).expanduser() for p in listed.split(os.pathsep) if p]
    return [Path(env.get("HOME", "~")).expanduser() / ".kube" / "config"]


def load_config(
    context: str | None = None, *, environ: Mapping[str, str] | None = None
) -> ClusterConfig:
    """The kubeconfig's context (``context``, else its current one) if there is
    a kubeconfig file, else the in-cluster configuration."""
    paths = [p for p in kubeconfig_paths(environ) if p.is_file()]
    if paths:
        return load_kubeconfig(paths, context=context)
    env = os.environ if environ is None else environ
    if env.get("KUBERNETES_SERVICE_HOST"):
        return in_cluster_config(environ=env)
    raise ConfigError(
        "no configuration: no kubeconfig file at "
        + ", ".join(str(p) for p in kubeconfig_paths(environ))
        + " and not in a cluster (KUBERNETES_SERVICE_HOST is not set)"
    )


def load_kubeconfig(paths: Path | Sequence[Path], *, context: str | None = None) -> ClusterConfig:
    """The context ``context`` (else the current one) of these kubeconfig files, merged."""
    files = [paths] if isinstance(paths, Path) else list(paths)
    merged = _merge(files)
    name = context or merged.current
    if not name:
        raise ConfigError("the kubeconfig has no current-context; name a context")
    found = merged.contexts.get(name)
    if found is None:
        raise ConfigError(f'context "{name}" does not exist')
    ctx, _ = found
    cluster_name = str(ctx.get("cluster") or "")
    cluster_entry = merged.clusters.get(cluster_name)
    if cluster_entry is None:
        raise ConfigError(f'context "{name}": cluster "{cluster_name}" does not exist')
    cluster, cluster_file = cluster_entry
    server = str(cluster.get("server") or "")
    if not server:
        raise ConfigError(f'cluster "{cluster_name}" has no server')
    user_name = str(ctx.get("user") or "")
    user: Mapping[str, Any] = {}
    user_file = cluster_file
    if user_name:
        user_entry = merged.users.get(user_name)
        if user_entry is None:
            raise ConfigError(f'context "{name}": user "{user_name}" does not exist')
        user, user_file = user_entry
    if user.get("auth-provider"):
        raise ConfigError(
            f'user "{user_name}": auth-provider is not supported (kubectl dropped it '
            "too); use an exec plugin"
        )
    return ClusterConfig(
        server=server.rstrip("/"),
        namespace=str(ctx.get("namespace") or DEFAULT_NAMESPACE),
        context=name,
        ca_data=_data(cluster, "certificate-authority", cluster_file),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=str(cluster.get("tls-server-name") or ""),
        client_cert=_data(user, "client-certificate", user_file),
        client_key=_data(user, "client-key", user_file),
        token=str(user.get("token") or ""),
        token_file=_path(user.get("tokenFile"), user_file),
        username=str(user.get("username") or ""),
        password=str(user.get("password") or ""),
        exec=_exec(user.get("exec"), user_name, user_file),
    )


def in_cluster_config(
    *, environ: Mapping[str, str] | None = None, account: Path = SERVICE_ACCOUNT
) -> ClusterConfig:
    """A pod's own configuration: the API server's service address from the
    environment, the service account's token (read again as it rotates), CA
    and namespace."""
    env = os.environ if environ is None else environ
    host, port = env.get("KUBERNETES_SERVICE_HOST", ""), env.get("KUBERNETES_SERVICE_PORT", "")
    if not host or not port:
        raise ConfigError(
            "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set"
        )
    token_file = account / "token"
    if not token_file.is_file():
        raise ConfigError(f"not in a cluster: no service account token at {token_file}")
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    namespace_file = account / "namespace"
    namespace = (
        namespace_file.read_text().strip() if namespace_file.is_file() else DEFAULT_NAMESPACE
    )
    ca = account / "ca.crt"
    return ClusterConfig(
        server=f"https://{host}:{port}",
        namespace=namespace or DEFAULT_NAMESPACE,
        context="in-cluster",
        ca_data=ca.read_bytes() if ca.is_file() else None,
        token_file=token_file,
    )


# -- reading the files -------------------------------------------------------------


@dataclass
class _Merged:
    current: str = ""
    # name -> (entry, the file it came from)
    clusters: dict[str, tuple[Mapping[str, Any], Path]] = field(default_factory=dict)
    users: dict[str, tuple[Mapping[str, Any], Path]] = field(default_factory=dict)
    contexts: dict[str, tuple[Mapping[str, Any], Path]] = field(default_factory=dict)


def _merge(files: Sequence[Path]) -> _Merged:
    merged = _Merged()
    for path in files:
        try:
            document = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as err:
            raise ConfigError(f"cannot read kubeconfig {path}: {err}") from err
        if not isinstance(document, dict):
            raise ConfigError(f"kubeconfig {path} is not a mapping")
        merged.current = merged.current or str(document.get("current-context") or "")
        for section, key, into in (
            ("clusters", "cluster", merged.clusters),
            ("users", "user", merged.users),
            ("contexts", "context", merged.contexts),
        ):
            for item in document.get(section) or []:
                if not isinstance(item, dict) or not item.get("name"):
                    raise ConfigError(f"kubeconfig {path}: an entry of {section} has no name")
                body = item.get(key) or {}
                if not isinstance(body, dict):
                    raise ConfigError(f'kubeconfig {path}: {key} "{item["name"]}" is not a mapping')
                into.setdefault(str(item["name"]), (body, path))
    return merged


def _path(value: object, origin: Path) -> Path | None:
    if not value:
        return None
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else origin.parent / path


def _data(entry: Mapping[str, Any], key: str, origin: Path) -> bytes | None:
    # "<key>-data" (base64) wins over "<key>" (a file), as in client-go.
    inline = entry.get(f"{key}-data")
    if inline:
        try:
            return base64.b64decode(str(inline), validate=True)
        except ValueError as err:
            raise ConfigError(f"{key}-data is not base64: {err}") from err
    path = _path(entry.get(key), origin)
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as err:
        raise ConfigError(f"cannot read {key} {path}: {err}") from err


def _exec(raw: object, user: str, origin: Path) -> ExecConfig | None:
    if not raw:
        return None
    if not isinstance(raw, dict) or not raw.get("command"):
        raise ConfigError(f'user "{user}": exec needs a command')
    env = tuple(
        (str(item.get("name")), str(item.get("value") or ""))
        for item in raw.get("env") or []
        if isinstance(item, dict)
    )
    return ExecConfig(
        api_version=str(raw.get("apiVersion") or "client.authentication.k8s.io/v1"),
        command=str(raw["command"]),
        args=tuple(str(a) for a in raw.get("args") or []),
        env=env,
        install_hint=str(raw.get("installHint") or ""),
        provide_cluster_info=bool(raw.get("provideClusterInfo")),
        base=origin.parent,
    )
