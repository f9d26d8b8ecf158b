"""The client over TLS: the cluster's CA trusted, a client certificate shown,
a wrong CA refused, verification skipped only when the kubeconfig says so."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import aiohttp
import pytest
import trustme
from aiohttp import web

from kubelite.client import Client, ClusterConfig

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def tls_server() -> AsyncIterator[tuple[str, trustme.CA, trustme.CA]]:
    """An HTTPS server that wants a client certificate from ``clients``' CA and
    answers with the subject it saw."""
    server_ca, clients = trustme.CA(), trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ca.issue_cert("127.0.0.1", "api.internal").configure_cert(context)
    clients.configure_trust(context)
    context.verify_mode = ssl.CERT_OPTIONAL

    async def version(request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peercert") if request.transport else None
        subject = dict(item[0] for item in (peer or {}).get("subject", ()))
        return web.json_response({"kind": "APIVersions", "client": subject.get("commonName", "")})

    app = web.Application()
    app.router.add_get("/api", version)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"https://127.0.0.1:{port}", server_ca, clients
    finally:
        await runner.cleanup()


async def test_the_cluster_ca_is_trusted_and_the_client_certificate_shown(
    tls_server: tuple[str, trustme.CA, trustme.CA],
) -> None:
    url, server_ca, clients = tls_server
    identity = clients.issue_cert("operator@example.com", common_name="operator")
    config = ClusterConfig(
        url,
        ca_data=server_ca.cert_pem.bytes(),
        client_cert=b"".join(blob.bytes() for blob in identity.cert_chain_pems),
        client_key=identity.private_key_pem.bytes(),
    )
    async with Client(config) as client:
        answer = await client.request("GET", "/api")
    assert answer == {"kind": "APIVersions", "client": "operator"}


async def test_another_ca_is_refused_unless_verification_is_off(
    tls_server: tuple[str, trustme.CA, trustme.CA],
) -> None:
    url, _, _ = tls_server
    stranger = trustme.CA()
    async with Client(ClusterConfig(url, ca_data=stranger.cert_pem.bytes())) as client:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await client.request("GET", "/api")
    async with Client(ClusterConfig(url, insecure=True)) as client:
        assert (await client.request("GET", "/api"))["client"] == ""


async def test_the_server_name_checked_is_the_kubeconfigs_tls_server_name(
    tls_server: tuple[str, trustme.CA, trustme.CA],
) -> None:
    url, server_ca, _ = tls_server
    by_name = url.replace("127.0.0.1", "localhost")  # not a name the certificate holds
    config = ClusterConfig(by_name, ca_data=server_ca.cert_pem.bytes())
    async with Client(config) as client:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await client.request("GET", "/api")
    named = ClusterConfig(
        by_name, ca_data=server_ca.cert_pem.bytes(), tls_server_name="api.internal"
    )
    async with Client(named) as client:
        assert (await client.request("GET", "/api"))["kind"] == "APIVersions"
