"""The event printer, for ``core/v1`` and ``events.k8s.io/v1`` events alike.

Kubernetes stores both API versions of Event as one type and prints them with
one printer, so both print the same columns::

    Last Seen  Type  Reason  Object  Subobject*  Source*  Message
    First Seen*  Count*  Name*                         (* priority 1)

The two versions name the fields differently; ``_EventView`` reads either::

    core/v1                   events.k8s.io/v1
    involvedObject            regarding
    message                   note
    source                    deprecatedSource
    firstTimestamp            deprecatedFirstTimestamp
    lastTimestamp             deprecatedLastTimestamp
    count                     deprecatedCount
    reportingComponent        reportingController

FIRST SEEN is the age of ``firstTimestamp``, else of ``eventTime``. LAST SEEN
is the age of ``series.lastObservedTime`` for a series, else of
``lastTimestamp``, else the FIRST SEEN text. COUNT is the series count, else
``count``, else 1 (events of the new API are singletons without a count).
OBJECT is ``<kind in lower case>/<name>``, for example ``pod/web-0``. SOURCE
is ``component, host`` (from ``source``, falling back to the reporting
controller and instance), without the host when there is none.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from kubelite.api.tables import _json as j
from kubelite.api.tables.columns import NAME, Cell, Column
from kubelite.api.tables.duration import since
from kubelite.api.tables.table import TablePrinter

COLUMNS: Final = (
    Column(
        "Last Seen",
    ),
    Column(
        "Type",
    ),
    Column(
        "Reason",
    ),
    Column("Object"),
    Column(
        "Subobject",
        priority=1,
    ),
    Column(
        "Source",
        priority=1,
    ),
    Column("Message"),
    Column(
        "First Seen",
        priority=1,
    ),
    Column("Count", priority=1),
    Column(NAME.name, format=NAME.format, priority=1),
)


class _EventView:
    """The fields the printer needs, from either API version of an Event."""

    __slots__ = ("_event", "_new")

    def __init__(self, event: j.JSONObject) -> None:
        self._event = event
        self._new = str(event.get("apiVersion", "")).startswith("events.k8s.io/") or (
            "regarding" in event or "note" in event
        )

    def get(self, core: str, new: str) -> object:
        return self._event.get(new if self._new else core)


def event_cells(event: j.JSONObject, now: datetime) -> list[Cell]:
    view = _EventView(event)
    first_time = view.get("firstTimestamp", "deprecatedFirstTimestamp")
    first_seen = since(first_time if first_time else event.get("eventTime"), now)
    last_time = view.get("lastTimestamp", "deprecatedLastTimestamp")
    last_seen = since(last_time, now) if last_time else first_seen

    count = j.integer(view.get("count", "deprecatedCount"))
    series = event.get("series")
    if isinstance(series, Mapping):
        last_seen = since(series.get("lastObservedTime"), now)
        count = j.integer(series.get("count"))
    elif count == 0:
        count = 1

    involved = j.obj(view.get("involvedObject", "regarding"))
    kind = j.text(involved.get("kind")).lower()
    target_name = j.text(involved.get("name"))
    target = f"{kind}/{target_name}" if target_name else kind

    source = j.obj(view.get("source", "deprecatedSource"))
    component = j.text(source.get("component")) or j.text(
        view.get("reportingComponent", "reportingController")
    )
    host = j.text(source.get("host")) or j.text(event.get("reportingInstance"))

    return [
        last_seen,
        j.text(event.get("type")),
        j.text(event.get("reason")),
        target,
        j.text(involved.get("fieldPath")),
        f"{component}, {host}" if host else component,
        j.text(view.get("message", "note")).strip(),
        first_seen,
        count,
        j.name(event),
    ]


EVENTS: Final = TablePrinter(COLUMNS, event_cells)
