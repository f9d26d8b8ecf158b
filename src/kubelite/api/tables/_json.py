"""Typed reads of decoded JSON objects, forgiving of absent or odd fields.

Printers read objects the store hands them as plain ``dict`` trees. A field a
printer needs may be absent (an object not yet defaulted, a status not yet
written) or, in a hand-made object, of the wrong shape. Go's printers read
typed structs, where an absent field is the zero value; these helpers give the
same zero values (``{}``, ``[]``, ``""``, ``0``) so that every cell rule can be
written once, without a check at every step.

They run dozens of times for every row of a Table, so each first tests for the
exact types decoded JSON holds (``dict``, ``list``, and ``None`` for an absent
field) and only then asks ``Mapping`` or ``Sequence``, whose checks cost ten
times as much. The fast tests change no answer, they only reach it sooner: a
``MappingProxyType`` or a tuple in a hand-made object still reads as an object
or a list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeGuard

JSONObject = Mapping[str, Any]

_EMPTY: Final[Mapping[str, Any]] = {}


def is_obj(value: object) -> TypeGuard[JSONObject]:
    """Whether ``value`` is a JSON object: a ``dict`` or another ``Mapping``."""
    return type(value) is dict or (value is not None and isinstance(value, Mapping))


def is_list(value: object) -> TypeGuard[Sequence[Any]]:
    """Whether ``value`` is a JSON list: any sequence but a string."""
    if type(value) is list:
        return True
    if value is None or isinstance(value, str):
        return False
    return isinstance(value, Sequence)


def obj(value: object) -> JSONObject:
    """``value`` if it is a JSON object, else an empty one."""
    if type(value) is dict or (value is not None and isinstance(value, Mapping)):
        return value
    return _EMPTY


def objs(value: object) -> list[JSONObject]:
    """The JSON objects of a list; other items and a non-list give nothing."""
    if is_list(value):
        return [item for item in value if type(item) is dict or isinstance(item, Mapping)]
    return []


def strs(value: object) -> list[str]:
    """The strings of a list; other items and a non-list give nothing."""
    if is_list(value):
        return [item for item in value if isinstance(item, str)]
    return []


def text(value: object) -> str:
    """``value`` if it is a string, else ``""`` (Go's zero value)."""
    return value if isinstance(value, str) else ""


def integer(value: object, default: int = 0) -> int:
    """``value`` if it is an integer (not a boolean), else ``default``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return default


def size(value: object) -> int:
    """How many entries a JSON object or list has; 0 for anything else."""
    if is_obj(value) or is_list(value):
        return len(value)
    return 0


def metadata(value: JSONObject) -> JSONObject:
    return obj(value.get("metadata"))


def name(value: JSONObject) -> str:
    return text(metadata(value).get("name"))
