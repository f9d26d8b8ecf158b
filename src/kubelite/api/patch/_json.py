"""JSON values as decoded by the standard library, and the few helpers on them
that every patch type needs: a fast deep copy, JSON equality, and a hashable
key for a scalar.

JSON equality is not Python's ``==``: ``true`` is not ``1``, while ``1`` and
``1.0`` are the same number (RFC 6902 section 4.6 and RFC 8259 compare numbers
by value). Python's ``True == 1`` would blur the first rule, so every
comparison here checks for ``bool`` before numbers.
"""

from __future__ import annotations

from typing import TypeAlias

JSONValue: TypeAlias = "dict[str, JSONValue] | list[JSONValue] | str | int | float | bool | None"
"""A decoded JSON document: what ``json.loads`` returns."""

JSONObject: TypeAlias = "dict[str, JSONValue]"

ScalarKey: TypeAlias = tuple[str, object]
"""A hashable stand-in for a JSON value that equals another key exactly when the
two values are JSON-equal (see :func:`scalar_key`)."""


def deep_copy(value: JSONValue) -> JSONValue:
    """Copy a JSON value; about 1.5 times faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) for v in value]
    return value


def json_equal(a: JSONValue, b: JSONValue) -> bool:
    """Whether two JSON values are equal by RFC 6902's rules (section 4.6)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict):
        if not isinstance(b, dict) or a.keys() != b.keys():
            return False
        return all(json_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            return False
        return all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float):
        return isinstance(b, int | float) and not isinstance(b, bool) and a == b
    if isinstance(b, dict | list):
        return False
    return type(a) is type(b) and a == b


def scalar_key(value: JSONValue) -> ScalarKey:
    """A hashable key for a JSON value, equal for JSON-equal values.

    Scalars (merge-key values, entries of primitive lists) get a cheap tagged
    key; objects and arrays, which never appear there in valid objects, fall back
    to a canonical rendering so that they still compare correctly.
    """
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        # 1 and 1.0 hash alike and compare equal, as JSON numbers should.
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    if value is None:
        return ("z", None)
    return ("j", _canonical(value))


def _canonical(value: JSONValue) -> object:
    if isinstance(value, dict):
        return tuple(sorted((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("[", *(_canonical(v) for v in value))
    return scalar_key(value)


def type_name(value: JSONValue) -> str:
    """The JSON name of a value's type, for error messages."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null"
