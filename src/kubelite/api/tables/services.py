"""Printers for services and endpoints: where traffic goes.

Services print TYPE, CLUSTER-IP, EXTERNAL-IP and PORT(S)::

    ClusterIP    10.96.0.10   <none>          53/UDP,53/TCP,9153/TCP
    NodePort     10.96.3.4    <none>          80:30080/TCP
    LoadBalancer 10.96.7.1    <pending>       443:31443/TCP
    ExternalName <none>       db.example.com  <none>

EXTERNAL-IP is ``spec.externalIPs`` for ClusterIP and NodePort services, the
load balancer's ingress IPs or hostnames (sorted, de-duplicated) followed by
``spec.externalIPs`` for LoadBalancer ones (``<pending>`` while there are
none), and ``spec.externalName`` for ExternalName ones. A stored service
always has ``spec.type`` and each port's ``protocol`` (Kubernetes defaults
them); an object without them prints as ClusterIP and TCP.

Endpoints print at most three ``ip:port`` pairs (IPv6 in brackets), then
`` + N more...``, or ``<none>`` without subsets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from kubelite.api.tables import _json as j
from kubelite.api.tables.columns import AGE, NAME, Cell, Column
from kubelite.api.tables.duration import since
from kubelite.api.tables.table import TablePrinter

_NONE: Final = "<none>"

SERVICE_COLUMNS: Final = (
    NAME,
    Column(
        "Type",
    ),
    Column(
        "Cluster-IP",
    ),
    Column(
        "External-IP",
    ),
    Column(
        "Port(s)",
    ),
    AGE,
    Column(
        "Selector",
        priority=1,
    ),
)


def format_labels(labels: object) -> str:
    """A label map as ``k=v,k2=v2`` in key order, ``<none>`` when empty."""
    pairs = sorted((str(k), str(v)) for k, v in j.obj(labels).items())
    return ",".join(f"{k}={v}" for k, v in pairs) or _NONE


def _external_ip(spec: j.JSONObject, status: j.JSONObject) -> str:
    kind = j.text(spec.get("type")) or "ClusterIP"
    external = j.strs(spec.get("externalIPs"))
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or _NONE
    if kind == "LoadBalancer":
        ingress = j.objs(j.obj(status.get("loadBalancer")).get("ingress"))
        addresses = {j.text(i.get("ip")) or j.text(i.get("hostname")) for i in ingress}
        found = sorted(addresses - {""})
        return ",".join(found + external) or "<pending>"
    if kind == "ExternalName":
        return j.text(spec.get("externalName"))
    return "<unknown>"


def _ports(spec: j.JSONObject) -> str:
    pieces = []
    for port in j.objs(spec.get("ports")):
        number = j.integer(port.get("port"))
        protocol = j.text(port.get("protocol")) or "TCP"
        node_port = j.integer(port.get("nodePort"))
        if node_port > 0:
            pieces.append(f"{number}:{node_port}/{protocol}")
        else:
            pieces.append(f"{number}/{protocol}")
    return ",".join(pieces) or _NONE


def service_cells(service: j.JSONObject, now: datetime) -> list[Cell]:
    spec = j.obj(service.get("spec"))
    status = j.obj(service.get("status"))
    cluster_ips = j.strs(spec.get("clusterIPs"))
    cluster_ip = cluster_ips[0] if cluster_ips else j.text(spec.get("clusterIP"))
    metadata = j.metadata(service)
    return [
        j.text(metadata.get("name")),
        j.text(spec.get("type")) or "ClusterIP",
        cluster_ip or _NONE,
        _external_ip(spec, status),
        _ports(spec),
        since(metadata.get("creationTimestamp"), now),
        format_labels(spec.get("selector")),
    ]


ENDPOINTS_COLUMNS: Final = (
    NAME,
    Column(
        "Endpoints",
    ),
    AGE,
)

_MAX_ENDPOINTS: Final = 3


def _host_port(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def format_endpoints(endpoints: j.JSONObject) -> str:
    """Up to three ready addresses with their ports, then how many more."""
    subsets = j.objs(endpoints.get("subsets"))
    if not subsets:
        return _NONE
    shown: list[str] = []
    count = 0
    for subset in subsets:
        ips = [j.text(a.get("ip")) for a in j.objs(subset.get("addresses"))]
        ports = j.objs(subset.get("ports"))
        # A headless service may have addresses and no ports at all.
        groups = (
            [ips]
            if not ports
            else [[_host_port(ip, j.integer(p.get("port"))) for ip in ips] for p in ports]
        )
        for group in groups:
            count += len(group)
            shown.extend(group[: _MAX_ENDPOINTS - len(shown)])
    listed = ",".join(shown)
    if count > _MAX_ENDPOINTS:
        return f"{listed} + {count - _MAX_ENDPOINTS} more..."
    return listed


def endpoints_cells(endpoints: j.JSONObject, now: datetime) -> list[Cell]:
    metadata = j.metadata(endpoints)
    return [
        j.text(metadata.get("name")),
        format_endpoints(endpoints),
        since(metadata.get("creationTimestamp"), now),
    ]


SERVICES: Final = TablePrinter(SERVICE_COLUMNS, service_cells)
ENDPOINTS: Final = TablePrinter(ENDPOINTS_COLUMNS, endpoints_cells)
