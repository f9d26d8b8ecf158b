"""Addresses a Service gets on create: a cluster IP and, for NodePort and
LoadBalancer services, a node port per port.

Kubernetes allocates both in the API server, from the service CIDR
(``10.96.0.0/12`` by default) and the node port range (30000-32767), and
refuses a requested one that is taken. kubelite does the same, with the
services it already has as the record of what is taken::

    spec.clusterIP ""/absent  -> a free address, also in spec.clusterIPs
    spec.clusterIP "None"     -> headless: no address
    spec.clusterIP "10.96.3.7" -> kept, unless another service has it (422)
    type ExternalName         -> no address, no node ports

Allocation is decided against what the caller lists as taken; two creates at
the same moment could pick the same free address, a gap kept small by drawing
at random from a range of a million addresses.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterable
from typing import Any

from kubelite.api.field import FieldError, FieldPath

SERVICE_CIDR = ipaddress.IPv4Network("10.96.0.0/12")
NODE_PORTS = range(30000, 32768)
# The first address is the API server's own service, "kubernetes" in "default".
API_SERVICE_IP = str(SERVICE_CIDR.network_address + 1)
_ATTEMPTS = 64


def taken(services: Iterable[dict[str, Any]]) -> tuple[set[str], set[int]]:
    """The cluster IPs and node ports that ``services`` hold."""
    ips: set[str] = set()
    ports: set[int] = set()
    for service in services:
        spec = service.get("spec")
        if not isinstance(spec, dict):
            continue
        for ip in spec.get("clusterIPs") or [spec.get("clusterIP")]:
            if isinstance(ip, str) and ip not in ("", "None"):
                ips.add(ip)
        for port in spec.get("ports") or []:
            if isinstance(port, dict) and isinstance(port.get("nodePort"), int):
                ports.add(port["nodePort"])
    return ips, ports


def allocate(
    service: dict[str, Any],
    used_ips: set[str],
    used_ports: set[int],
    *,
    rng: random.Random | None = None,
) -> list[FieldError]:
    """Fill ``service``'s cluster IP and node ports in place; the problems with
    what was asked for, if any."""
    spec = service.get("spec")
    if not isinstance(spec, dict) or spec.get("type") == "ExternalName":
        return []
    draw = rng or random.Random()
    problems: list[FieldError] = []
    path = FieldPath.of("spec")
    wanted = spec.get("clusterIP")
    if wanted in (None, ""):
        ip = _free_ip(used_ips, draw)
        spec["clusterIP"] = ip
        spec["clusterIPs"] = [ip]
    elif wanted == "None":
        spec.setdefault("clusterIPs", ["None"])
    elif isinstance(wanted, str):
        problems.extend(_check_ip(wanted, used_ips, path.child("clusterIPs").index(0)))
        spec.setdefault("clusterIPs", [wanted])
    if spec.get("type") in ("NodePort", "LoadBalancer"):
        for index, port in enumerate(spec.get("ports") or []):
            if not isinstance(port, dict):
                continue
            node_port = port.get("nodePort")
            at = path.child("ports").index(index).child("nodePort")
            if node_port in (None, 0):
                port["nodePort"] = _free_port(used_ports, draw)
            elif isinstance(node_port, int):
                if node_port not in NODE_PORTS:
                    problems.append(
                        FieldError.invalid(
                            at,
                            node_port,
                            f"provided port is not in the valid range. The range of valid "
                            f"ports is {NODE_PORTS.start}-{NODE_PORTS.stop - 1}",
                        )
                    )
                elif node_port in used_ports:
                    problems.append(
                        FieldError.invalid(at, node_port, "provided port is already allocated")
                    )
            if isinstance(port.get("nodePort"), int):
                used_ports.add(port["nodePort"])
    return problems


def _check_ip(wanted: str, used: set[str], at: FieldPath) -> list[FieldError]:
    try:
        address = ipaddress.ip_address(wanted)
    except ValueError:
        return [
            FieldError.invalid(
                at, wanted, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
            )
        ]
    if address not in SERVICE_CIDR:
        return [
            FieldError.invalid(
                at,
                wanted,
                f"failed to allocate IP {wanted}: the provided network does not match the "
                f"current range",
            )
        ]
    if wanted in used:
        return [
            FieldError.invalid(
                at, wanted, f"failed to allocate IP {wanted}: provided IP is already allocated"
            )
        ]
    return []


def _free_ip(used: set[str], draw: random.Random) -> str:
    first = int(SERVICE_CIDR.network_address) + 2  # after the API server's own
    last = int(SERVICE_CIDR.broadcast_address) - 1
    for _ in range(_ATTEMPTS):
        ip = str(ipaddress.IPv4Address(draw.randint(first, last)))
        if ip not in used:
            used.add(ip)
            return ip
    for number in range(first, last + 1):  # nearly full: look in order
        ip = str(ipaddress.IPv4Address(number))
        if ip not in used:
            used.add(ip)
            return ip
    raise RuntimeError("the service address range is exhausted")


def _free_port(used: set[int], draw: random.Random) -> int:
    free = [p for p in NODE_PORTS if p not in used] if len(used) > len(NODE_PORTS) // 2 else []
    for _ in range(_ATTEMPTS):
        port = draw.choice(free) if free else draw.choice(NODE_PORTS)
        if port not in used:
            used.add(port)
            return port
    raise RuntimeError("the node port range is exhausted")


def keep_allocated(current: dict[str, Any], updated: dict[str, Any]) -> None:
    """Carry the cluster IP and node ports into an update that leaves them out,
    as Kubernetes does (``kubectl apply`` and ``replace`` rarely send them)."""
    old, new = current.get("spec"), updated.get("spec")
    if not isinstance(old, dict) or not isinstance(new, dict):
        return
    if new.get("type") == "ExternalName":
        return
    if new.get("clusterIP") in (None, "") and old.get("clusterIP"):
        new["clusterIP"] = old["clusterIP"]
        if old.get("clusterIPs"):
            new["clusterIPs"] = old["clusterIPs"]
    if new.get("type") not in ("NodePort", "LoadBalancer"):
        return
    allocated = {
        (p.get("port"), p.get("protocol", "TCP")): p["nodePort"]
        for p in old.get("ports") or []
        if isinstance(p, dict) and isinstance(p.get("nodePort"), int)
    }
    for port in new.get("ports") or []:
        if isinstance(port, dict) and port.get("nodePort") in (None, 0):
            found = allocated.get((port.get("port"), port.get("protocol", "TCP")))
            if found is not None:
                port["nodePort"] = found
