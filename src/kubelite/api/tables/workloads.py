"""Printers for deployments and replica sets.

A Deployment prints READY as ``<status.readyReplicas>/<spec.replicas>``, then
UP-TO-DATE and AVAILABLE as integers. Mid-rollout of 3 replicas, with one new
pod up and the old ones still serving::

    READY "3/3", UP-TO-DATE 1, AVAILABLE 3

A ReplicaSet prints DESIRED, CURRENT and READY as integers. The wide cells of
both are the template's container names and images, comma-joined in order,
and the selector. The two selectors differ in one detail, as in Kubernetes:
an empty selector prints ``""`` for a Deployment and ``<none>`` for a
ReplicaSet; an invalid one ``<invalid>`` and ``<error>``.

``spec.replicas`` is defaulted to 1 when a workload is stored; an object
without it prints as 1 too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from kubelite.api.selectors import SelectorError, selector_from_label_selector
from kubelite.api.tables import _json as j
from kubelite.api.tables.columns import AGE, CONTAINERS, IMAGES, NAME, Cell, Column
from kubelite.api.tables.duration import since
from kubelite.api.tables.table import TablePrinter

DEPLOYMENT_COLUMNS: Final = (
    NAME,
    Column("Ready"),
    Column(
        "Up-to-date",
    ),
    Column(
        "Available",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    Column(
        "Selector",
        priority=1,
    ),
)

REPLICA_SET_COLUMNS: Final = (
    NAME,
    Column(
        "Desired",
        type="integer",
    ),
    Column(
        "Current",
        type="integer",
    ),
    Column(
        "Ready",
        type="integer",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    Column(
        "Selector",
        priority=1,
    ),
)


def container_cells(template: object) -> tuple[str, str]:
    """The names and the images of a pod template's containers, comma-joined."""
    containers = j.objs(j.obj(j.obj(template).get("spec")).get("containers"))
    names = ",".join(j.text(c.get("name")) for c in containers)
    images = ",".join(j.text(c.get("image")) for c in containers)
    return names, images


def _selector(spec: j.JSONObject, *, empty: str, invalid: str) -> str:
    raw = spec.get("selector")
    try:
        text = str(selector_from_label_selector(j.obj(raw) if raw is not None else None))
    except SelectorError:
        return invalid
    return text or empty


def deployment_cells(deployment: j.JSONObject, now: datetime) -> list[Cell]:
    spec = j.obj(deployment.get("spec"))
    status = j.obj(deployment.get("status"))
    names, images = container_cells(spec.get("template"))
    desired = j.integer(spec.get("replicas"), default=1)
    return [
        j.name(deployment),
        f"{j.integer(status.get('readyReplicas'))}/{desired}",
        j.integer(status.get("updatedReplicas")),
        j.integer(status.get("availableReplicas")),
        since(j.metadata(deployment).get("creationTimestamp"), now),
        names,
        images,
        _selector(spec, empty="", invalid="<invalid>"),
    ]


def replica_set_cells(replica_set: j.JSONObject, now: datetime) -> list[Cell]:
    spec = j.obj(replica_set.get("spec"))
    status = j.obj(replica_set.get("status"))
    names, images = container_cells(spec.get("template"))
    return [
        j.name(replica_set),
        j.integer(spec.get("replicas"), default=1),
        j.integer(status.get("replicas")),
        j.integer(status.get("readyReplicas")),
        since(j.metadata(replica_set).get("creationTimestamp"), now),
        names,
        images,
        _selector(spec, empty="<none>", invalid="<error>"),
    ]


DEPLOYMENTS: Final = TablePrinter(DEPLOYMENT_COLUMNS, deployment_cells)
REPLICA_SETS: Final = TablePrinter(REPLICA_SET_COLUMNS, replica_set_cells)
