"""Printers for custom resources and for any type without a printer of its own.

**CRD columns.** A CRD version's ``additionalPrinterColumns`` become a printer
whose first column is Name, followed by one column per entry, in order. With
no entries the version gets one column, Age (type ``date``, the age of
``.metadata.creationTimestamp``), as Kubernetes serves it. Each cell is the
*first* value the column's JSONPath selects (``.spec.containers[*].name``
shows only the first name), converted by the column's type:

    integer   an integer (a float is truncated); otherwise null
    number    a float; otherwise null
    boolean   a boolean; otherwise null
    date      an RFC 3339 string, printed as its age ("5m"); "<invalid>" if it
              does not parse, "<unknown>" if empty
    string    the value printed as Go's JSONPath printer prints it: strings
              as they are, numbers and booleans in Go's %v form (1e+06, true),
              objects and lists as compact JSON
    other     null

A path that selects nothing, or that fails to evaluate, gives a null cell
(``kubectl`` prints ``<none>``).

**The default printer** is what Kubernetes gives a type with no printer:
Name and ``Created At``, the creation time in RFC 3339 (type ``date``, but
printed as a timestamp, not an age).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from kubelite.api.tables import _json as j
from kubelite.api.tables.columns import NAME, Cell, Column
from kubelite.api.tables.duration import INVALID, UNKNOWN, human_duration, parse_time, rfc3339
from kubelite.api.tables.jsonpath import (
    JSONPath,
    JSONPathError,
    JSONPathEvalError,
    parse_jsonpath,
)
from kubelite.api.tables.table import TableError, TablePrinter

# -- the default printer -------------------------------------------------------------

CREATED_AT: Final = Column("Created At", type="date")


def default_cells(obj: j.JSONObject, now: datetime) -> list[Cell]:
    metadata = j.metadata(obj)
    return [j.text(metadata.get("name")), rfc3339(metadata.get("creationTimestamp"))]


DEFAULT: Final = TablePrinter((NAME, CREATED_AT), default_cells)

# -- Go's printing of JSON values ---------------------------------------------------


def _shortest(value: float) -> tuple[str, str, int]:
    """Sign, shortest round-trip digits, and the decimal point's place in them.

    ``1234.5`` gives ``("", "12345", 4)``; ``0.001`` gives ``("", "1", -2)``.
    """
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(str(d) for d in digits)
    return ("-" if sign else ""), text, len(text) + int(exponent)


def _fixed(sign: str, text: str, point: int) -> str:
    if point <= 0:
        return f"{sign}0.{'0' * -point}{text}"
    if point >= len(text):
        return sign + text + "0" * (point - len(text))
    return f"{sign}{text[:point]}.{text[point:]}"


def _scientific(sign: str, text: str, point: int, *, min_digits: int) -> str:
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    exponent = point - 1
    mark = "-" if exponent < 0 else "+"
    return f"{sign}{mantissa}e{mark}{abs(exponent):0{min_digits}d}"


def go_float(value: float) -> str:
    """``value`` as Go's ``%v`` prints a float64.

    Shortest round-trip digits; the exponent form when the decimal exponent
    is below -4 or at least 6, with two exponent digits or more: ``1.5``,
    ``100000``, ``1e+06``, ``1.073741824e+09``, ``0.0001``, ``1e-05``.
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, text, point = _shortest(value)
    if point - 1 < -4 or point - 1 >= 6:
        return _scientific(sign, text, point, min_digits=2)
    return _fixed(sign, text, point)


def _go_json_float(value: float) -> str:
    # encoding/json: fixed notation unless tiny or huge; "1e-07" becomes "1e-7".
    if value == 0 or not math.isfinite(value):
        return "0"
    sign, text, point = _shortest(value)
    if abs(value) < 1e-6 or abs(value) >= 1e21:
        return _scientific(sign, text, point, min_digits=1)
    return _fixed(sign, text, point)


_HTML_ESCAPES: Final = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))


def _go_json(value: object) -> str:
    """Compact JSON as Go's ``encoding/json`` writes it: sorted keys, <>& escaped."""
    if isinstance(value, Mapping):
        items = sorted((str(k), v) for k, v in value.items())
        return "{" + ",".join(f"{_go_json(k)}:{_go_json(v)}" for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_go_json(item) for item in value) + "]"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        for char, escape in _HTML_ESCAPES:
            text = text.replace(char, escape)
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if isinstance(value, float):
        return _go_json_float(value)
    return json.dumps(value)


def go_text(value: object) -> str | None:
    """A selected value as a ``string`` column prints it (see the module doc)."""
    if value is None:
        # An explicit null selects a value Go cannot print; the cell is left empty.
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    return _go_json(value)


def typed_cell(column_type: str, value: object, now: datetime) -> Cell:
    """The cell of a non-string column for ``value`` (see the module doc)."""
    if value is None:
        return None
    if column_type == "integer":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and math.isfinite(value):
            return int(value)
    elif column_type == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif column_type == "boolean":
        if isinstance(value, bool):
            return value
    elif column_type == "date" and isinstance(value, str):
        if value in ("", "null"):
            return UNKNOWN
        moment = parse_time(value)
        return INVALID if moment is None else human_duration(now - moment)
    return None


# -- CRD columns --------------------------------------------------------------------

_AGE_COLUMN: Final = {
    "name": "Age",
    "type": "date",
    "description": "when the object was created",
    "jsonPath": ".metadata.creationTimestamp",
}


def _column(definition: Mapping[str, Any]) -> tuple[Column, JSONPath]:
    path_text = j.text(definition.get("jsonPath"))
    try:
        path = parse_jsonpath(path_text)
    except JSONPathError as err:
        raise TableError(f"unrecognized column definition {path_text!r}") from err
    description = j.text(definition.get("description")) or f"the value at {path_text}"
    column = Column(
        j.text(definition.get("name")),
        description=description,
        type=j.text(definition.get("type")),
        format=j.text(definition.get("format")),
        priority=j.integer(definition.get("priority")),
    )
    return column, path


def crd_printer(additional_printer_columns: Iterable[Mapping[str, Any]] | None) -> TablePrinter:
    """The printer of a CRD version from its ``additionalPrinterColumns``.

    Raises ``TableError`` for a ``jsonPath`` that does not parse; the CRD's
    validation should have refused it first.
    """
    definitions = list(additional_printer_columns or ()) or [_AGE_COLUMN]
    compiled = [_column(definition) for definition in definitions]
    columns = (NAME, *(column for column, _ in compiled))

    def cells(obj: j.JSONObject, now: datetime) -> list[Cell]:
        row: list[Cell] = [j.name(obj)]
        for column, path in compiled:
            try:
                found = path.find(obj)
            except JSONPathEvalError:
                found = []
            if not found:
                row.append(None)
            elif column.type == "string":
                row.append(go_text(found[0]))
            else:
                row.append(typed_cell(column.type, found[0], now))
        return row

    return TablePrinter(columns, cells)
