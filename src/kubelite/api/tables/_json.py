"""Typed reads of decoded JSON objects, forgiving of absent or odd fields.

Printers read objects the store hands them as plain ``dict`` trees. A field a
printer needs may be absent (an object not yet defaulted, a status not yet
written) or, in a hand-made object, of the wrong shape. Go's printers read
typed structs, where an absent field is the zero value; these helpers give the
same zero values (``{}``, ``[]``, ``""``, ``0``) so that every cell rule can be
written once, without a check at every step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

JSONObject = Mapping[str, Any]

_EMPTY: Final[Mapping[str, Any]] = {}


def obj(value: object) -> JSONObject:
    """``value`` if it is a JSON object, else an empty one."""
    # dict first: decoded JSON holds dicts, and only the ABC check is slow.
    if isinstance(value, (dict, Mapping)):
        return value
    return _EMPTY


def objs(value: object) -> list[JSONObject]:
    """The JSON objects of a list; other items and a non-list give nothing."""
    if isinstance(value, list) or (isinstance(value, Sequence) and not isinstance(value, str)):
        return [item for item in value if isinstance(item, (dict, Mapping))]
    return []


def strs(value: object) -> list[str]:
    """The strings of a list; other items and a non-list give nothing."""
    if isinstance(value, Sequence) and not isinstance(value, str):
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
    if isinstance(value, Mapping) or (isinstance(value, Sequence) and not isinstance(value, str)):
        return len(value)
    return 0


def metadata(value: JSONObject) -> JSONObject:
    return obj(value.get("metadata"))


def name(value: JSONObject) -> str:
    return text(metadata(value).get("name"))
