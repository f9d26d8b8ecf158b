"""Credentials for each request: bearer tokens, basic auth, exec plugins, TLS.

A :class:`Credentials` gives the ``Authorization`` header a request needs now.
A token file is read again when it changes (a service account's token is
rotated under a running pod). An exec plugin runs when a credential is first
needed and again once the one it gave expires, or when the server answered 401
with it (:meth:`Credentials.invalidate`); it gets ``KUBERNETES_EXEC_INFO``, and
its ``ExecCredential`` may hold a token or a client certificate.

:func:`ssl_context` builds the TLS settings of a ``ClusterConfig``: its CA (else
the system's), its client certificate, its server name, or no verification when
the kubeconfig says ``insecure-skip-tls-verify``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from kubelite.client.config import ClusterConfig, ConfigError, ExecConfig

__all__ = ["Credentials", "ExecCredential", "run_exec_plugin", "ssl_context"]

# An exec credential is used until this long before it expires.
_EXPIRY_MARGIN_SECONDS: Final = 10.0
_EXEC_TIMEOUT_SECONDS: Final = 60.0


@dataclass(frozen=True, slots=True)
class ExecCredential:
    """What an exec plugin answered: a token, or a client certificate and key."""

    token: str = ""
    client_cert: bytes | None = None
    client_key: bytes | None = None
    expires: datetime | None = None

    def fresh(self, now: datetime) -> bool:
        if self.expires is None:
            return True
        return (self.expires - now).total_seconds() > _EXPIRY_MARGIN_SECONDS


class Credentials:
    """The credentials of one ``ClusterConfig``, kept fresh."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self._token_stamp: tuple[float, int] | None = None
        self._token = ""
        self._exec: ExecCredential | None = None
        self._exec_lock = asyncio.Lock()

    async def headers(self) -> dict[str, str]:
        """The ``Authorization`` header for a request now (none if anonymous)."""
        config = self.config
        if config.exec is not None:
            credential = await self.exec_credential()
            if credential.token:
                return {"Authorization": f"Bearer {credential.token}"}
            return {}
        token = config.token or self._file_token()
        if token:
            return {"Authorization": f"Bearer {token}"}
        if config.username:
            pair = f"{config.username}:{config.password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        return {}

    async def exec_credential(self) -> ExecCredential:
        """The exec plugin's credential, run again when the last one expired."""
        plugin = self.config.exec
        if plugin is None:
            raise ConfigError("this configuration has no exec plugin")
        async with self._exec_lock:
            if self._exec is None or not self._exec.fresh(datetime.now(UTC)):
                self._exec = await run_exec_plugin(plugin, self.config)
            return self._exec

    def invalidate(self) -> None:
        """The server refused the credential (401): get a new one next time."""
        self._exec = None
        self._token_stamp = None

    def _file_token(self) -> str:
        path = self.config.token_file
        if path is None:
            return ""
        try:
            stat = path.stat()
        except OSError as err:
            raise ConfigError(f"cannot read the token file {path}: {err}") from err
        stamp = (stat.st_mtime, stat.st_size)
        if stamp != self._token_stamp:
            self._token = path.read_text().strip()
            self._token_stamp = stamp
        return self._token


async def run_exec_plugin(plugin: ExecConfig, config: ClusterConfig) -> ExecCredential:
    """Run ``plugin`` and read the ``ExecCredential`` it prints."""
    command = _command(plugin)
    info: dict[str, Any] = {"interactive": False}
    if plugin.provide_cluster_info:
        cluster: dict[str, Any] = {"server": config.server}
        if config.ca_data:
            cluster["certificate-authority-data"] = base64.b64encode(config.ca_data).decode()
        if config.insecure:
            cluster["insecure-skip-tls-verify"] = True
        info["cluster"] = cluster
    env = {
        **os.environ,
        **dict(plugin.env),
        "KUBERNETES_EXEC_INFO": json.dumps(
            {"apiVersion": plugin.api_version, "kind": "ExecCredential", "spec": info}
        ),
    }
    process = await asyncio.create_subprocess_exec(
        command,
        *plugin.args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), _EXEC_TIMEOUT_SECONDS)
    except TimeoutError:
        process.kill()
        raise ConfigError(f"exec plugin {command!r} did not answer in time") from None
    if process.returncode != 0:
        detail = err.decode(errors="replace").strip()
        raise ConfigError(f"exec plugin {command!r} exited {process.returncode}: {detail}")
    return _parse_credential(out, plugin)


def _command(plugin: ExecConfig) -> str:
    # As client-go: a relative path with a separator is relative to the
    # kubeconfig's folder; a bare name is looked up on PATH.
    command = plugin.command
    if os.sep in command and not os.path.isabs(command) and plugin.base is not None:
        return str(plugin.base / command)
    if shutil.which(command) is None and not os.path.exists(command):
        hint = f": {plugin.install_hint}" if plugin.install_hint else ""
        raise ConfigError(f"exec plugin {command!r} is not installed{hint}")
    return command


def _parse_credential(out: bytes, plugin: ExecConfig) -> ExecCredential:
    try:
        answer = json.loads(out)
    except ValueError as err:
        raise ConfigError(f"exec plugin {plugin.command!r} printed no JSON: {err}") from err
    if not isinstance(answer, dict) or answer.get("kind") != "ExecCredential":
        raise ConfigError(f"exec plugin {plugin.command!r} printed no ExecCredential")
    if answer.get("apiVersion") != plugin.api_version:
        raise ConfigError(
            f"exec plugin {plugin.command!r} answered {answer.get('apiVersion')!r}, "
            f"not {plugin.api_version!r}"
        )
    status = answer.get("status") or {}
    expires = None
    stamp = status.get("expirationTimestamp")
    if stamp:
        expires = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
    credential = ExecCredential(
        token=str(status.get("token") or ""),
        client_cert=str(cert).encode() if cert else None,
        client_key=str(key).encode() if key else None,
        expires=expires,
    )
    if not credential.token and credential.client_cert is None:
        raise ConfigError(f"exec plugin {plugin.command!r} gave neither a token nor a certificate")
    return credential


def ssl_context(
    config: ClusterConfig, *, client_cert: bytes | None = None, client_key: bytes | None = None
) -> ssl.SSLContext | None:
    """TLS for an ``https`` server (None for ``http``): the CA, the client
    certificate (``client_cert`` overrides the config's, as an exec plugin's
    does), or no verification at all."""
    if not config.server.startswith("https://"):
        return None
    context = ssl.create_default_context()
    if config.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif config.ca_data:
        context.load_verify_locations(cadata=config.ca_data.decode())
    cert = client_cert or config.client_cert
    key = client_key or config.client_key
    if cert is not None:
        _load_cert_chain(context, cert, key)
    return context


def _load_cert_chain(context: ssl.SSLContext, cert: bytes, key: bytes | None) -> None:
    # Python's ssl reads a certificate chain from files only: they live in a
    # private folder for the call, and go with it.
    with tempfile.TemporaryDirectory(prefix="kubelite-tls-") as folder:
        cert_path = Path(folder) / "client.crt"
        cert_path.write_bytes(cert)
        key_path = None
        if key is not None:
            key_path = Path(folder) / "client.key"
            key_path.touch(mode=0o600)
            key_path.write_bytes(key)
        context.load_cert_chain(cert_path, key_path)
