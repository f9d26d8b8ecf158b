"""Printers for the small core types, nodes, leases and resource quotas.

Most of these are a count and an age: a ConfigMap's DATA counts ``data`` and
``binaryData`` keys, a Secret's counts ``data`` (``stringData`` is merged into
``data`` on write and never stored), a ServiceAccount's SECRETS counts
``secrets``. Counts go on the wire as integers even where the column's type
says ``string``, exactly as Kubernetes sends them.

A node's STATUS is ``Ready``, ``NotReady`` or ``Unknown`` (no Ready
condition), with ``,SchedulingDisabled`` when it is cordoned. ROLES are the
suffixes of ``node-role.kubernetes.io/<role>`` labels plus the value of a
``kubernetes.io/role`` label, sorted and de-duplicated; ``<none>`` without
any::

    labels {"node-role.kubernetes.io/control-plane": ""}  -> "control-plane"
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from kubelite.api.tables import _json as j
from kubelite.api.tables.columns import AGE, NAME, Cell, Column
from kubelite.api.tables.custom import DEFAULT
from kubelite.api.tables.duration import since
from kubelite.api.tables.table import TablePrinter

_NONE: Final = "<none>"
_UNKNOWN: Final = "<unknown>"


def _age(obj: j.JSONObject, now: datetime) -> str:
    return since(j.metadata(obj).get("creationTimestamp"), now)


# -- namespaces ----------------------------------------------------------------------

NAMESPACE_COLUMNS: Final = (NAME, Column("Status"), AGE)


def namespace_cells(namespace: j.JSONObject, now: datetime) -> list[Cell]:
    phase = j.text(j.obj(namespace.get("status")).get("phase"))
    return [j.name(namespace), phase, _age(namespace, now)]


# -- configmaps, secrets, service accounts -------------------------------------------

CONFIGMAP_COLUMNS: Final = (
    NAME,
    Column(
        "Data",
    ),
    AGE,
)


def configmap_cells(configmap: j.JSONObject, now: datetime) -> list[Cell]:
    count = j.size(configmap.get("data")) + j.size(configmap.get("binaryData"))
    return [j.name(configmap), count, _age(configmap, now)]


SECRET_COLUMNS: Final = (
    NAME,
    Column(
        "Type",
    ),
    Column(
        "Data",
    ),
    AGE,
)


def secret_cells(secret: j.JSONObject, now: datetime) -> list[Cell]:
    return [
        j.name(secret),
        j.text(secret.get("type")),
        j.size(secret.get("data")),
        _age(secret, now),
    ]


SERVICE_ACCOUNT_COLUMNS: Final = (
    NAME,
    Column(
        "Secrets",
    ),
    AGE,
)


def service_account_cells(account: j.JSONObject, now: datetime) -> list[Cell]:
    return [j.name(account), j.size(account.get("secrets")), _age(account, now)]


# -- nodes ---------------------------------------------------------------------------


NODE_COLUMNS: Final = (
    NAME,
    Column("Status"),
    Column("Roles"),
    AGE,
    Column("Version"),
    Column("Internal-IP", priority=1),
    Column("External-IP", priority=1),
    Column(
        "OS-Image",
        priority=1,
    ),
    Column(
        "Kernel-Version",
        priority=1,
    ),
    Column(
        "Container-Runtime",
        priority=1,
    ),
)

NODE_ROLE_PREFIX: Final = "node-role.kubernetes.io/"
NODE_ROLE_LABEL: Final = "kubernetes.io/role"


def node_roles(node: j.JSONObject) -> list[str]:
    """The node's roles from its labels, sorted (see the module doc)."""
    roles: set[str] = set()
    for key, value in j.obj(j.metadata(node).get("labels")).items():
        if key.startswith(NODE_ROLE_PREFIX) and len(key) > len(NODE_ROLE_PREFIX):
            roles.add(key[len(NODE_ROLE_PREFIX) :])
        elif key == NODE_ROLE_LABEL and value:
            roles.add(str(value))
    return sorted(roles)


def _node_status(node: j.JSONObject) -> str:
    ready = None
    for condition in j.objs(j.obj(node.get("status")).get("conditions")):
        if condition.get("type") == "Ready":
            ready = condition  # the last one of a type wins, as in a Go map
    states = [
        "Unknown" if ready is None else "Ready" if ready.get("status") == "True" else "NotReady"
    ]
    if j.obj(node.get("spec")).get("unschedulable") is True:
        states.append("SchedulingDisabled")
    return ",".join(states)


def _address(node: j.JSONObject, kind: str) -> str:
    for address in j.objs(j.obj(node.get("status")).get("addresses")):
        if address.get("type") == kind:
            return j.text(address.get("address"))
    return _NONE


def node_cells(node: j.JSONObject, now: datetime) -> list[Cell]:
    info = j.obj(j.obj(node.get("status")).get("nodeInfo"))
    return [
        j.name(node),
        _node_status(node),
        ",".join(node_roles(node)) or _NONE,
        _age(node, now),
        j.text(info.get("kubeletVersion")),
        _address(node, "InternalIP"),
        _address(node, "ExternalIP"),
        j.text(info.get("osImage")) or _UNKNOWN,
        j.text(info.get("kernelVersion")) or _UNKNOWN,
        j.text(info.get("containerRuntimeVersion")) or _UNKNOWN,
    ]


# -- leases --------------------------------------------------------------------------

LEASE_COLUMNS: Final = (
    NAME,
    Column(
        "Holder",
    ),
    AGE,
)


def lease_cells(lease: j.JSONObject, now: datetime) -> list[Cell]:
    holder = j.text(j.obj(lease.get("spec")).get("holderIdentity"))
    return [j.name(lease), holder, _age(lease, now)]


# -- resource quotas -----------------------------------------------------------------


def _quantity(value: object) -> str:
    """A quantity as written, "0" when absent; a JSON number counts too."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return j.text(value) or "0"


RESOURCE_QUOTA_COLUMNS: Final = (NAME, AGE, Column("Request"), Column("Limit"))


def resource_quota_cells(quota: j.JSONObject, now: datetime) -> list[Cell]:
    """``used/hard`` per resource the quota's status enforces, sorted by name;
    the ``limits.*`` ones in LIMIT, the rest in REQUEST."""
    status = j.obj(quota.get("status"))
    hard, used = j.obj(status.get("hard")), j.obj(status.get("used"))
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        column = limits if resource.split(".")[0] == "limits" and "." in resource else requests
        column.append(f"{resource}: {_quantity(used.get(resource))}/{_quantity(hard[resource])}")
    return [j.name(quota), _age(quota, now), ", ".join(requests), ", ".join(limits)]


NAMESPACES: Final = TablePrinter(NAMESPACE_COLUMNS, namespace_cells)
CONFIGMAPS: Final = TablePrinter(CONFIGMAP_COLUMNS, configmap_cells)
SECRETS: Final = TablePrinter(SECRET_COLUMNS, secret_cells)
SERVICE_ACCOUNTS: Final = TablePrinter(SERVICE_ACCOUNT_COLUMNS, service_account_cells)
NODES: Final = TablePrinter(NODE_COLUMNS, node_cells)
LEASES: Final = TablePrinter(LEASE_COLUMNS, lease_cells)
RESOURCE_QUOTAS: Final = TablePrinter(RESOURCE_QUOTA_COLUMNS, resource_quota_cells)
# A LimitRange and a CRD print as any type without a printer (NAME, CREATED AT), but
# they are Kubernetes' own types.
LIMIT_RANGES: Final = TablePrinter(DEFAULT.columns, DEFAULT.cells)
CUSTOM_RESOURCE_DEFINITIONS: Final = TablePrinter(DEFAULT.columns, DEFAULT.cells)
