"""``TablePrinter`` and ``build_table``: objects in, a ``meta.k8s.io/v1`` Table out.

A printer is data plus one function: the columns it declares, and ``cells``,
which turns one object into one row, given the time it is now. Printers never
read a clock, so a test (or a watch that must print the same AGE twice) passes
the time in. ``build_table`` wraps rows into the Table that ``kubectl get``
asks for with ``Accept: application/json;as=Table;v=v1;g=meta.k8s.io``::

    {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
     "metadata": {"resourceVersion": "42", "continue": "..."},
     "columnDefinitions": [{"name": "Name", "type": "string", ...}, ...],
     "rows": [{"cells": ["web-0", "1/1", "Running", "0", "5m"],
               "object": {"kind": "PartialObjectMetadata",
                          "apiVersion": "meta.k8s.io/v1",
                          "metadata": {...the object's metadata...}}}]}

The same call serves the three places Tables appear:

* a list: pass the items and the list's metadata (``resourceVersion``,
  ``continue``, ``remainingItemCount`` are copied when present);
* a GET of one object: pass ``[obj]`` and no list metadata; the Table then
  carries the object's ``resourceVersion``, as Kubernetes' does;
* a watch event: one object per Table, with ``no_headers=True`` on every
  event after the first (the API server sends column definitions once per
  watch, and ``null`` after that).

Like Kubernetes' API server, the server-side printers always produce the wide
cells: ``-o wide`` is ``kubectl`` choosing to show the ``priority`` 1 columns.

``includeObject`` picks what ``rows[].object`` holds: ``Metadata`` (the
default, also for ``""``) a ``PartialObjectMetadata``, ``Object`` the object
itself, ``None`` nothing (``null``). Rows share structure with the objects
given: the metadata or the object is referenced, not copied, because a Table
of ten thousand pods must be cheap. Callers serialize the result; they must
not mutate it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from kubelite.api.field import go_quote
from kubelite.api.tables._json import JSONObject, metadata
from kubelite.api.tables.columns import Cell, Column

TABLE_GROUP: Final = "meta.k8s.io"
# The Table versions the server can answer; kubectl asks for v1 first.
TABLE_VERSIONS: Final = ("v1", "v1beta1")


class TableError(ValueError):
    """A Table request that cannot be answered; the message is Kubernetes' own.

    The API server answers it with 400 BadRequest (or 406 for a Table version
    it does not serve, see ``build_table``).
    """


class IncludeObject(enum.StrEnum):
    """The ``includeObject`` query parameter of a Table request."""

    NONE = "None"
    METADATA = "Metadata"
    OBJECT = "Object"

    @classmethod
    def parse(cls, value: str | IncludeObject) -> IncludeObject:
        """The mode named by ``value``; ``""`` means ``Metadata``."""
        if value == "":
            return cls.METADATA
        try:
            return cls(value)
        except ValueError:
            raise TableError(f"unrecognized includeObject value: {go_quote(value)}") from None


RowFunction = Callable[[JSONObject, datetime], list[Cell]]
ConditionFunction = Callable[[JSONObject], list[dict[str, str]]]


def _no_conditions(obj: JSONObject) -> list[dict[str, str]]:
    return []


@dataclass(frozen=True, slots=True)
class TablePrinter:
    """How one resource type prints: its columns and its row function.

    Invariant: ``cells(obj, now)`` returns exactly one cell per column, in the
    order of ``columns``.
    """

    columns: tuple[Column, ...]
    cells: RowFunction
    # Row conditions (``rows[].conditions``); only pods have any.
    conditions: ConditionFunction = _no_conditions

    def column_names(self, *, wide: bool = True) -> list[str]:
        """The column names ``kubectl`` shows, without ``-o wide`` if not ``wide``."""
        return [c.name for c in self.columns if wide or c.priority == 0]


def _list_metadata(
    objects: Sequence[JSONObject], list_metadata: Mapping[str, Any] | None
) -> dict[str, Any]:
    if list_metadata is not None:
        keys = ("resourceVersion", "continue", "remainingItemCount")
        # Every ListMeta field is omitempty: an empty continue token is left out.
        present = (key for key in keys if list_metadata.get(key) not in (None, ""))
        return {key: list_metadata[key] for key in present}
    if len(objects) == 1:
        version = metadata(objects[0]).get("resourceVersion")
        if version:
            return {"resourceVersion": version}
    return {}


def build_table(
    printer: TablePrinter,
    objects: Iterable[JSONObject],
    *,
    now: datetime,
    include_object: str | IncludeObject = IncludeObject.METADATA,
    list_metadata: Mapping[str, Any] | None = None,
    no_headers: bool = False,
    version: str = "v1",
) -> dict[str, Any]:
    """The Table of ``objects`` as ``printer`` prints them (see the module doc).

    ``version`` is the Table version the client accepted (``v1`` or
    ``v1beta1``); another one raises ``TableError``, which the server answers
    with 406 NotAcceptable. A bad ``include_object`` raises ``TableError``
    too, answered with 400 BadRequest.
    """
    if version not in TABLE_VERSIONS:
        raise TableError(f"no Table version {go_quote(version)} of {TABLE_GROUP}")
    mode = IncludeObject.parse(include_object)
    api_version = f"{TABLE_GROUP}/{version}"
    items = objects if isinstance(objects, Sequence) else list(objects)

    rows: list[dict[str, Any]] = []
    for item in items:
        row: dict[str, Any] = {"cells": printer.cells(item, now)}
        conditions = printer.conditions(item)
        if conditions:
            row["conditions"] = conditions
        if mode is IncludeObject.METADATA:
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": api_version,
                "metadata": metadata(item),
            }
        elif mode is IncludeObject.OBJECT:
            row["object"] = item
        else:
            row["object"] = None
        rows.append(row)

    return {
        "kind": "Table",
        "apiVersion": api_version,
        "metadata": _list_metadata(items, list_metadata),
        "columnDefinitions": None if no_headers else [c.to_json() for c in printer.columns],
        "rows": rows,
    }
