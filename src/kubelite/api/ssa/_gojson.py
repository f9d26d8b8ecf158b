"""Values as Go writes them, in field paths: JSON, order and ``%v``.

Element texts are JSON as Go's encoding/json/v2 writes it, which is orjson's
form except for floats; conflict messages print values with Go's ``%v`` and
``%q``; structured-merge-diff orders values numbers first, null last.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import orjson

from kubelite.api.field import go_quote
from kubelite.api.patch import JSONValue
from kubelite.api.ssa.errors import FieldPathError

__all__ = ["encode", "go_float", "print_value", "value_order"]


def encode(value: JSONValue) -> str:
    if isinstance(value, str):
        try:
            return orjson.dumps(value).decode()
        except TypeError as err:  # a lone surrogate: not Unicode text
            raise FieldPathError(f"{value!r} is not valid Unicode") from err
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value, json=True)
    if isinstance(value, list):
        return "[" + ",".join(map(encode, value)) + "]"
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(encode(n) + ":" + encode(v) for n, v in items) + "}"
    raise FieldPathError(f"{type(value).__name__} is not a JSON value")


def value_order(value: JSONValue) -> tuple[Any, ...]:
    # structured-merge-diff's value order: numbers (ints and floats compared as
    # numbers), strings, booleans, lists, maps, null.
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, list):
        return (3, tuple(map(value_order, value)))
    if isinstance(value, dict):
        return (4, tuple((n, value_order(v)) for n, v in sorted(value.items())))
    return (5,)


def go_float(value: float, *, json: bool) -> str:
    # Go's JSON numbers are in fixed notation from 1e-6 to 1e21, with a bare
    # exponent outside (1e-7, 1e+21); %v's from 1e-4 to 1e6 (1e-05, 1e+06).
    if not math.isfinite(value):
        raise FieldPathError(f"{value} is not a JSON number")
    if value == 0:  # Go writes -0, yet compares it equal to 0: one text
        return "0"
    # The shortest digits that read back as the value: 1500.0 -> 15, exp 3.
    sign, digits, last = Decimal(repr(value)).normalize().as_tuple()
    text, exp = "".join(map(str, digits)), len(digits) + int(last) - 1
    if (-7 < exp < 21) if json else (-5 < exp < 6):
        return format(Decimal(repr(value)).normalize(), "f")
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    width = 1 if json else 2
    return f"{'-' if sign else ''}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):0{width}d}"


def print_value(value: JSONValue) -> str:
    # structured-merge-diff's value.ToString.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return go_float(float(value), json=False)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, list):
        return "[" + ",".join(map(print_value, value)) + "]"
    return "".join(f"{name}={print_value(value[name])}" for name in sorted(value))
