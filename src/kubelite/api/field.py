"""Field errors: the causes of a 422, worded and quoted as Kubernetes words them.

A ``FieldError`` names a field path (``spec.containers[0].name``), a type, the bad
value and a detail, and renders the way Kubernetes' field errors do: the value
printed as Go prints it (``%q`` quoting, ``[]string{...}``, ``null``), so that a
client comparing messages sees the same text as from a real API server. The
``ErrorList`` that collects them and raises one ``InvalidError`` is in ``errors``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

# -- Go formatting -------------------------------------------------------------
# Kubernetes' messages quote with Go's %q and print bad values with %v or %#v;
# these reproduce the cases that occur in API errors.

_GO_ESCAPES: Final = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    '"': '\\"',
    "\\": "\\\\",
}


def go_quote(text: str) -> str:
    """``text`` as Go's ``%q`` prints it: double quotes, Go escapes."""
    out = ['"']
    for char in text:
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)


def _go_float(value: float) -> str:
    # Go's %v: the shortest digits that round-trip, in exponent form when the
    # exponent is below -4 or at least 6 (fmt.Println(1e6) prints 1e+06; the
    # 21 of encoding/json is another rule).
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    if not isinstance(exponent, int):  # pragma: no cover - finite by now
        return repr(value)
    scientific = len(digits) + exponent - 1
    prefix = "-" if sign else ""
    if -4 <= scientific < 6:
        return prefix + format(abs(Decimal(repr(value))).normalize(), "f")
    mantissa = "".join(map(str, digits))
    if len(mantissa) > 1:
        mantissa = f"{mantissa[0]}.{mantissa[1:]}"
    return f"{prefix}{mantissa}e{'-' if scientific < 0 else '+'}{abs(scientific):02d}"


def go_print(value: object) -> str:
    """Decoded JSON as Go's ``%+v`` prints an ``interface{}`` holding it:
    ``map[spec:map[foo:1]]``, keys sorted, strings bare, ``<nil>`` for null."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{key}:{go_print(value[key])}" for key in sorted(value)) + "]"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[" + " ".join(go_print(item) for item in value) + "]"
    return str(value)


@dataclass(frozen=True, slots=True)
class GoLiteral:
    """A bad value whose Go rendering is given verbatim (``[]string(nil)``)."""

    text: str


def go_value(value: object) -> str:
    """A bad value as ``field.Error`` prints it: ``%v`` for scalars, ``%q`` for
    strings, ``%#v`` for lists and maps of strings, ``null`` for nil."""
    if value is None:
        return "null"
    if isinstance(value, GoLiteral):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return "[]string{" + ", ".join(go_quote(item) for item in value) + "}"
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        pairs = (f"{go_quote(k)}:{go_quote(value[k])}" for k in sorted(value))
        return "map[string]string{" + ", ".join(pairs) + "}"
    return str(value)


# -- field errors ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldPath:
    """A path to a field, rendered as Kubernetes renders it.

    ``FieldPath().child("spec", "containers").index(0).key("x")`` is
    ``spec.containers[0][x]``. Each segment is ``(is_name, text)``: names are
    joined by dots, indices and keys are bracketed.
    """

    segments: tuple[tuple[bool, str], ...] = ()

    @classmethod
    def of(cls, name: str, *more: str) -> FieldPath:
        """A path from the root: ``FieldPath.of("metadata", "name")``."""
        return cls().child(name, *more)

    def child(self, name: str, *more: str) -> FieldPath:
        names = tuple((True, part) for part in (name, *more))
        return FieldPath(self.segments + names)

    def index(self, index: int) -> FieldPath:
        return FieldPath((*self.segments, (False, str(index))))

    def key(self, key: str) -> FieldPath:
        return FieldPath((*self.segments, (False, key)))

    def __str__(self) -> str:
        parts: list[str] = []
        for position, (is_name, text) in enumerate(self.segments):
            if is_name:
                parts.append(f".{text}" if position and text else text)
            else:
                parts.append(f"[{text}]")
        return "".join(parts)


class ErrorType(enum.StrEnum):
    """The type of a field error; its value is the cause type on the wire."""

    NOT_FOUND = "FieldValueNotFound"
    REQUIRED = "FieldValueRequired"
    DUPLICATE = "FieldValueDuplicate"
    INVALID = "FieldValueInvalid"
    NOT_SUPPORTED = "FieldValueNotSupported"
    FORBIDDEN = "FieldValueForbidden"
    TOO_LONG = "FieldValueTooLong"
    TOO_MANY = "FieldValueTooMany"
    INTERNAL = "InternalError"
    TYPE_INVALID = "FieldValueTypeInvalid"

    @property
    def label(self) -> str:
        """The words a message shows for this type (``Required value``)."""
        return _ERROR_TYPE_LABELS[self]


_ERROR_TYPE_LABELS: Final = {
    ErrorType.NOT_FOUND: "Not found",
    ErrorType.REQUIRED: "Required value",
    ErrorType.DUPLICATE: "Duplicate value",
    ErrorType.INVALID: "Invalid value",
    ErrorType.NOT_SUPPORTED: "Unsupported value",
    ErrorType.FORBIDDEN: "Forbidden",
    ErrorType.TOO_LONG: "Too long",
    ErrorType.TOO_MANY: "Too many",
    ErrorType.INTERNAL: "Internal error",
    ErrorType.TYPE_INVALID: "Invalid value",
}
# Types whose message never shows the bad value.
_VALUE_HIDDEN: Final = frozenset(
    {ErrorType.REQUIRED, ErrorType.FORBIDDEN, ErrorType.TOO_LONG, ErrorType.INTERNAL}
)


class _Omitted(enum.Enum):
    OMITTED = "<value omitted>"


# A bad value that the message leaves out (``Too many: must have ...``).
OMITTED: Final = _Omitted.OMITTED


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field: ``spec.replicas: Invalid value: -1: must be ...``.

    Build them with the class methods, which word the detail as Kubernetes does.
    ``str(error)`` is the full line; ``body`` is the part after the path, which
    is what ``details.causes[].message`` carries.
    """

    type: ErrorType
    field: str
    bad_value: object = ""
    detail: str = ""

    @property
    def body(self) -> str:
        if self.type in _VALUE_HIDDEN or self.bad_value is OMITTED:
            text = self.type.label
        else:
            text = f"{self.type.label}: {go_value(self.bad_value)}"
        return f"{text}: {self.detail}" if self.detail else text

    def __str__(self) -> str:
        return f"{self.field}: {self.body}"

    def cause(self) -> StatusCause:
        return StatusCause(reason=self.type.value, message=self.body, field=self.field)

    @classmethod
    def required(cls, path: FieldPath, detail: str = "") -> FieldError:
        return cls(ErrorType.REQUIRED, str(path), "", detail)

    @classmethod
    def invalid(cls, path: FieldPath, value: object, detail: str = "") -> FieldError:
        return cls(ErrorType.INVALID, str(path), value, detail)

    @classmethod
    def not_supported(cls, path: FieldPath, value: object, supported: Iterable[str]) -> FieldError:
        quoted = [go_quote(str(item)) for item in supported]
        detail = "supported values: " + ", ".join(quoted) if quoted else ""
        return cls(ErrorType.NOT_SUPPORTED, str(path), value, detail)

    @classmethod
    def duplicate(cls, path: FieldPath, value: object) -> FieldError:
        return cls(ErrorType.DUPLICATE, str(path), value)

    @classmethod
    def forbidden(cls, path: FieldPath, detail: str) -> FieldError:
        return cls(ErrorType.FORBIDDEN, str(path), "", detail)

    @classmethod
    def too_long(cls, path: FieldPath, max_length: int) -> FieldError:
        """The value is longer than ``max_length`` bytes (negative: no limit named)."""
        if max_length >= 0:
            unit = "byte" if max_length == 1 else "bytes"
            detail = f"may not be more than {max_length} {unit}"
        else:
            detail = "value is too long"
        return cls(ErrorType.TOO_LONG, str(path), OMITTED, detail)

    @classmethod
    def too_many(cls, path: FieldPath, actual: int, maximum: int) -> FieldError:
        if maximum >= 0:
            detail = f"must have at most {maximum} {'item' if maximum == 1 else 'items'}"
        else:
            detail = "has too many items"
        value: object = actual if actual >= 0 else OMITTED
        return cls(ErrorType.TOO_MANY, str(path), value, detail)

    @classmethod
    def not_found(cls, path: FieldPath, value: object) -> FieldError:
        return cls(ErrorType.NOT_FOUND, str(path), value)

    @classmethod
    def type_invalid(cls, path: FieldPath, value: object, detail: str) -> FieldError:
        return cls(ErrorType.TYPE_INVALID, str(path), value, detail)

    @classmethod
    def internal(cls, path: FieldPath, detail: str) -> FieldError:
        return cls(ErrorType.INTERNAL, str(path), None, detail)


def aggregate_message(errors: Iterable[object]) -> str:
    """Errors joined as Kubernetes' aggregate joins them.

    Duplicates (by text) are dropped; one error is shown alone, several as
    ``[first, second]``; none is the empty string.
    """
    seen: list[str] = []
    for error in errors:
        text = str(error)
        if text not in seen:
            seen.append(text)
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]" if seen else ""


@dataclass(frozen=True, slots=True)
class StatusCause:
    """One entry of ``details.causes``; ``reason`` is a ``CauseType`` value."""

    reason: str = ""
    message: str = ""
    field: str = ""

    def to_dict(self) -> dict[str, str]:
        items = (("reason", self.reason), ("message", self.message), ("field", self.field))
        return {key: value for key, value in items if value}
