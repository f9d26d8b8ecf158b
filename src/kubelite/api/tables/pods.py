"""The pod printer: READY, STATUS and RESTARTS as ``kubectl get pods`` shows them.

STATUS is the hardest cell of any table. It starts as ``status.reason`` or
the phase, and is then overridden by what the containers say, in this order:

1. ``SchedulingGated`` when the PodScheduled condition carries that reason.
2. Init containers, in order. One that exited 0 is done; a started sidecar
   (an init container with ``restartPolicy: Always``) counts toward READY and
   is passed. The first other one decides: ``Init:<reason>`` when it
   terminated (``Init:ExitCode:1`` or ``Init:Signal:9`` without a reason),
   ``Init:<reason>`` when it waits for a reason other than PodInitializing
   (``Init:CrashLoopBackOff``), else ``Init:<i>/<n>``.
3. Unless an init container is still in the way (and the Initialized
   condition is not True), the app containers, read from the last to the
   first so the first one's state wins: a waiting reason
   (``CrashLoopBackOff``), a terminated reason (``Completed``, ``Error``), or
   ``ExitCode:<n>`` / ``Signal:<n>``. A container that is ready and running
   counts toward READY. ``Completed`` while some container still runs turns
   back into ``Running`` (or ``NotReady`` without the Ready condition).
4. A pod being deleted shows ``Terminating`` (``Unknown`` when its node is
   lost), unless it already succeeded or failed.

A worked example, a pod whose second container crashes::

    containers a, b; statuses a: running, ready; b: waiting CrashLoopBackOff,
    restartCount 3, lastState.terminated.finishedAt 2m ago
    -> READY "1/2", STATUS "CrashLoopBackOff", RESTARTS "3 (2m ago)"

RESTARTS counts the app containers and sidecars (and, while initializing,
every init container), and adds ``(<age> ago)`` of the latest
``lastState.terminated.finishedAt`` when there were restarts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from kubelite.api.tables import _json as j
from kubelite.api.tables.columns import AGE, NAME, Cell, Column
from kubelite.api.tables.duration import human_duration, parse_time, since
from kubelite.api.tables.table import TablePrinter

COLUMNS: Final = (
    NAME,
    Column("Ready"),
    Column("Status"),
    Column(
        "Restarts",
    ),
    AGE,
    Column(
        "IP",
        priority=1,
    ),
    Column(
        "Node",
        priority=1,
    ),
    Column(
        "Nominated Node",
        priority=1,
    ),
    Column(
        "Readiness Gates",
        priority=1,
    ),
)

# The status.reason the node lifecycle controller sets on pods of a lost node.
NODE_LOST_REASON: Final = "NodeLost"
_TERMINAL_PHASES: Final = frozenset({"Succeeded", "Failed"})
_NONE: Final = "<none>"


def _condition_true(conditions: list[j.JSONObject], kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in conditions)


class _Restarts:
    """A running restart count and the latest restart seen so far."""

    __slots__ = ("count", "last")

    def __init__(self) -> None:
        self.count = 0
        self.last: datetime | None = None

    def add(self, status: j.JSONObject) -> None:
        self.count += j.integer(status.get("restartCount"))
        terminated = j.obj(j.obj(status.get("lastState")).get("terminated"))
        finished = parse_time(terminated.get("finishedAt"))
        if finished is not None and (self.last is None or finished > self.last):
            self.last = finished

    def cell(self, now: datetime) -> str:
        if self.count != 0 and self.last is not None:
            return f"{self.count} ({human_duration(now - self.last)} ago)"
        return str(self.count)


def _part(state: j.JSONObject, key: str) -> j.JSONObject | None:
    """``state.running``/``waiting``/``terminated``; ``None`` when not set."""
    part = state.get(key)
    return part if isinstance(part, Mapping) else None


def _terminated_reason(terminated: j.JSONObject, prefix: str) -> str:
    reason = j.text(terminated.get("reason"))
    if reason:
        return prefix + reason
    signal = j.integer(terminated.get("signal"))
    if signal != 0:
        return f"{prefix}Signal:{signal}"
    return f"{prefix}ExitCode:{j.integer(terminated.get('exitCode'))}"


def pod_cells(pod: j.JSONObject, now: datetime) -> list[Cell]:
    """One row of the pod table, wide cells included."""
    spec = j.obj(pod.get("spec"))
    status = j.obj(pod.get("status"))
    conditions = j.objs(status.get("conditions"))
    init_specs = j.objs(spec.get("initContainers"))
    sidecars = {j.text(c.get("name")) for c in init_specs if c.get("restartPolicy") == "Always"}

    phase = j.text(status.get("phase"))
    reason = j.text(status.get("reason")) or phase
    for condition in conditions:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == (
            "SchedulingGated"
        ):
            reason = "SchedulingGated"

    total = len(j.objs(spec.get("containers"))) + len(sidecars)
    ready = 0
    restarts = _Restarts()
    sidecar_restarts = _Restarts()

    initializing = False
    for index, container in enumerate(j.objs(status.get("initContainerStatuses"))):
        is_sidecar = j.text(container.get("name")) in sidecars
        restarts.add(container)
        if is_sidecar:
            sidecar_restarts.add(container)
        state = j.obj(container.get("state"))
        terminated = _part(state, "terminated")
        waiting_reason = j.text(j.obj(state.get("waiting")).get("reason"))
        if terminated is not None and j.integer(terminated.get("exitCode")) == 0:
            continue
        if is_sidecar and container.get("started") is True:
            if container.get("ready") is True:
                ready += 1
            continue
        if terminated is not None:
            reason = _terminated_reason(terminated, "Init:")
        elif waiting_reason and waiting_reason != "PodInitializing":
            reason = "Init:" + waiting_reason
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(conditions, "Initialized"):
        restarts = sidecar_restarts
        has_running = False
        for container in reversed(j.objs(status.get("containerStatuses"))):
            restarts.add(container)
            state = j.obj(container.get("state"))
            waiting_reason = j.text(j.obj(state.get("waiting")).get("reason"))
            terminated = _part(state, "terminated")
            if waiting_reason:
                reason = waiting_reason
            elif terminated is not None:
                reason = _terminated_reason(terminated, "")
            elif container.get("ready") is True and _part(state, "running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(conditions, "Ready") else "NotReady"

    metadata = j.metadata(pod)
    if metadata.get("deletionTimestamp"):
        if status.get("reason") == NODE_LOST_REASON:
            reason = "Unknown"
        elif phase not in _TERMINAL_PHASES:
            reason = "Terminating"

    return [
        j.text(metadata.get("name")),
        f"{ready}/{total}",
        reason,
        restarts.cell(now),
        since(metadata.get("creationTimestamp"), now),
        *_wide_cells(spec, status, conditions),
    ]


def _wide_cells(
    spec: j.JSONObject, status: j.JSONObject, conditions: list[j.JSONObject]
) -> list[Cell]:
    pod_ips = j.objs(status.get("podIPs"))
    # A stored pod always has podIPs beside podIP; podIP covers hand-made ones.
    pod_ip = j.text(pod_ips[0].get("ip")) if pod_ips else j.text(status.get("podIP"))
    gates = j.objs(spec.get("readinessGates"))
    readiness = _NONE
    if gates:
        by_type: dict[str, object] = {}
        for condition in conditions:
            by_type.setdefault(j.text(condition.get("type")), condition.get("status"))
        passed = sum(1 for g in gates if by_type.get(j.text(g.get("conditionType"))) == "True")
        readiness = f"{passed}/{len(gates)}"
    return [
        pod_ip or _NONE,
        j.text(spec.get("nodeName")) or _NONE,
        j.text(status.get("nominatedNodeName")) or _NONE,
        readiness,
    ]


_SUCCEEDED: Final = {
    "type": "Completed",
    "status": "True",
    "reason": "Succeeded",
    "message": "The pod has completed successfully.",
}
_FAILED: Final = {
    "type": "Completed",
    "status": "True",
    "reason": "Failed",
    "message": "The pod failed.",
}


def pod_conditions(pod: j.JSONObject) -> list[dict[str, str]]:
    """The row conditions Kubernetes marks finished pods with."""
    phase = j.obj(pod.get("status")).get("phase")
    if phase == "Succeeded":
        return [dict(_SUCCEEDED)]
    if phase == "Failed":
        return [dict(_FAILED)]
    return []


PODS: Final = TablePrinter(COLUMNS, pod_cells, pod_conditions)
