"""Which printer prints which resource: ``table_for(group, resource)``.

Every built-in type of ``kubelite.api.resources`` has its printer here, keyed
by group and plural as the URL names them. Anything else (a type added later,
or a custom resource whose CRD printer the caller did not build) gets the
default printer, Name and Created At, as Kubernetes gives it.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from kubelite.api.tables import core, events, pods, services, workloads
from kubelite.api.tables.custom import DEFAULT
from kubelite.api.tables.table import TablePrinter

BUILT_IN_PRINTERS: Final = MappingProxyType(
    {
        ("", "namespaces"): core.NAMESPACES,
        ("", "pods"): pods.PODS,
        ("", "services"): services.SERVICES,
        ("", "endpoints"): services.ENDPOINTS,
        ("", "configmaps"): core.CONFIGMAPS,
        ("", "secrets"): core.SECRETS,
        ("", "serviceaccounts"): core.SERVICE_ACCOUNTS,
        ("", "nodes"): core.NODES,
        ("", "resourcequotas"): core.RESOURCE_QUOTAS,
        ("", "limitranges"): core.LIMIT_RANGES,
        ("", "events"): events.EVENTS,
        ("apps", "deployments"): workloads.DEPLOYMENTS,
        ("apps", "replicasets"): workloads.REPLICA_SETS,
        ("coordination.k8s.io", "leases"): core.LEASES,
        ("apiextensions.k8s.io", "customresourcedefinitions"): core.CUSTOM_RESOURCE_DEFINITIONS,
        ("events.k8s.io", "events"): events.EVENTS,
    }
)


def table_for(group: str, resource: str) -> TablePrinter:
    """The printer of ``resource`` (a plural) in ``group`` (``""`` for core)."""
    return BUILT_IN_PRINTERS.get((group, resource), DEFAULT)
