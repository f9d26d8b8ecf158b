"""Decoding a protobuf body: the envelope, the wire format, the messages of the tables.

See :mod:`kubelite.api.protobuf` for what is read and how it maps to JSON.
"""

from __future__ import annotations

import base64
import enum
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from kubelite.api.protobuf import tables

PROTOBUF: Final = "application/vnd.kubernetes.protobuf"

_MAGIC: Final = b"k8s\x00"


class ProtobufError(ValueError):
    """A protobuf body that cannot be decoded; the message names the problem."""


class UnsupportedProtobufError(ProtobufError):
    """A well-formed body naming a kind, field or encoding outside the tables."""


# -- the compiled tables -----------------------------------------------------------


class _Kind(enum.Enum):
    STRING = "string"
    BYTES = "bytes"
    INT32 = "int32"
    INT64 = "int64"
    BOOL = "bool"
    MESSAGE = "message"


_VARINT_KINDS: Final = frozenset({_Kind.INT32, _Kind.INT64, _Kind.BOOL})


@dataclass(frozen=True, slots=True)
class _Field:
    """One field of a message; ``message`` is set only for ``_Kind.MESSAGE``."""

    name: str
    kind: _Kind
    message: str = ""
    repeated: bool = False
    mapped: bool = False
    # A Go pointer: present on the wire means set, so zero values are kept.
    optional: bool = False
    # A Go embedded struct: its fields land in the parent's JSON object.
    inline: bool = False


@dataclass(frozen=True, slots=True)
class _Message:
    short: str
    full_name: str
    fields: Mapping[int, _Field]


def _parse_field(spec: str) -> _Field:
    name, _, type_ = spec.partition(" ")
    type_ = type_ or "string"
    repeated = type_.startswith("[]")
    mapped = type_.startswith("map<") and type_.endswith(">")
    optional = type_.startswith("?")
    inline = type_.startswith("^")
    if repeated:
        type_ = type_[2:]
    elif mapped:
        type_ = type_[4:-1]
    elif optional or inline:
        type_ = type_[1:]
    try:
        kind = _Kind(type_)
    except ValueError:
        kind = _Kind.MESSAGE
    message = type_ if kind is _Kind.MESSAGE else ""
    return _Field(name, kind, message, repeated, mapped, optional, inline)


def _parse_table(package: str, text: str) -> Iterator[_Message]:
    """The messages of one table: a name at the start of a line, then its fields."""
    short, fields = "", dict[int, _Field]()
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line[0].isspace():
            if short:
                yield _Message(short, f"{package}.{short}", fields)
            short, _, line = line.partition(" ")
            fields = {}
        for entry in filter(None, (part.strip() for part in line.split(";"))):
            number, _, spec = entry.partition(" ")
            if int(number) in fields:
                raise RuntimeError(f"{short}: field {number} twice")
            fields[int(number)] = _parse_field(spec)
    if short:
        yield _Message(short, f"{package}.{short}", fields)


def _compile() -> dict[str, _Message]:
    """Every table parsed, and checked to name only messages that exist."""
    texts = [
        ("io.k8s.apimachinery.pkg.apis.meta.v1", tables.META),
        ("io.k8s.api.core.v1", tables.CORE),
        ("io.k8s.api.apps.v1", tables.APPS),
        *tables.WRAPPERS.items(),
    ]
    messages: dict[str, _Message] = {}
    for package, text in texts:
        for message in _parse_table(package, text):
            if message.short in messages:
                raise RuntimeError(f"message {message.short} twice")
            messages[message.short] = message
    for message in messages.values():
        for field in message.fields.values():
            if field.kind is _Kind.MESSAGE and field.message not in messages:
                raise RuntimeError(f"{message.full_name}: no message {field.message!r}")
    return messages


_MESSAGES: Final = _compile()


# -- the wire format ---------------------------------------------------------------

_VARINT, _FIXED64, _LEN, _FIXED32 = 0, 1, 2, 5
_WIRE_NAMES: Final = {
    _VARINT: "varint",
    _FIXED64: "fixed64",
    _LEN: "length-delimited",
    _FIXED32: "fixed32",
}


@dataclass(frozen=True, slots=True)
class _Wire:
    """One field as read off the wire: a number for varint and fixed, else bytes."""

    number: int
    wire: int
    value: int = 0
    data: bytes = b""


def _varint(data: bytes, pos: int, where: str) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError(f"truncated varint in {where}")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result & 0xFFFF_FFFF_FFFF_FFFF, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError(f"varint longer than 10 bytes in {where}")


def _scan(data: bytes, where: str) -> Iterator[_Wire]:
    """The fields of one message, in wire order."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos, where)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError(f"protobuf field number 0 in {where}")
        if wire == _VARINT:
            value, pos = _varint(data, pos, where)
            yield _Wire(number, wire, value=value)
        elif wire in (_FIXED64, _FIXED32):
            size = 8 if wire == _FIXED64 else 4
            if pos + size > len(data):
                raise ProtobufError(f"truncated protobuf field {number} in {where}")
            value = int.from_bytes(data[pos : pos + size], "little")
            yield _Wire(number, wire, value=value)
            pos += size
        elif wire == _LEN:
            length, pos = _varint(data, pos, where)
            if pos + length > len(data):
                raise ProtobufError(f"truncated protobuf field {number} in {where}")
            yield _Wire(number, wire, data=data[pos : pos + length])
            pos += length
        else:
            raise ProtobufError(f"unsupported wire type {wire} for field {number} in {where}")


def _expect(item: _Wire, wire: int, name: str, where: str) -> None:
    if item.wire != wire:
        raise ProtobufError(
            f"protobuf field {item.number} ({name}) in {where} has wire type "
            f"{_WIRE_NAMES[item.wire]}, not {_WIRE_NAMES[wire]}"
        )


def _number(value: int, kind: _Kind) -> int | bool:
    """A varint as Go reads it into a bool, an int32 or an int64."""
    if kind is _Kind.BOOL:
        return value != 0
    bits = 32 if kind is _Kind.INT32 else 64
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _text(data: bytes, name: str, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ProtobufError(f"{name} in {where} is not valid UTF-8") from err


# -- decoding ----------------------------------------------------------------------

# Returned by ``_value`` for a zero that JSON's omitempty would leave out.
_OMIT: Final = object()


def _decode(data: bytes, message: _Message) -> dict[str, Any]:
    where = message.full_name
    out: dict[str, Any] = {}
    for item in _scan(data, where):
        field = message.fields.get(item.number)
        if field is None:
            raise UnsupportedProtobufError(f"unsupported protobuf field {item.number} in {where}")
        if field.mapped:
            _expect(item, _LEN, field.name, where)
            key, value = _map_entry(item.data, field, where)
            out.setdefault(field.name, {})[key] = value
        elif field.inline:
            _expect(item, _LEN, field.name, where)
            out.update(_decode(item.data, _MESSAGES[field.message]))
        elif field.repeated:
            out.setdefault(field.name, []).extend(_repeated(item, field, where))
        else:
            value = _value(item, field, where)
            if value is _OMIT:
                out.pop(field.name, None)
            elif isinstance(value, dict) and isinstance(out.get(field.name), dict):
                out[field.name].update(value)  # a message sent in parts merges
            else:
                out[field.name] = value
    return out


def _repeated(item: _Wire, field: _Field, where: str) -> list[Any]:
    if field.kind not in _VARINT_KINDS or item.wire != _LEN:
        value = _value(item, field, where, keep_zero=True)
        return [] if value is _OMIT else [value]
    # A packed run of varints, which proto2 writers may also send.
    packed: list[Any] = []
    pos = 0
    while pos < len(item.data):
        value, pos = _varint(item.data, pos, f"{field.name} in {where}")
        packed.append(_number(value, field.kind))
    return packed


def _map_entry(data: bytes, field: _Field, where: str) -> tuple[str, Any]:
    entry = f"an entry of {field.name} in {where}"
    key, value = "", _Wire(2, _LEN)  # an absent value is the type's zero
    for item in _scan(data, entry):
        if item.number == 1:
            _expect(item, _LEN, "key", entry)
            key = _text(item.data, "key", entry)
        elif item.number == 2:
            value = item
        else:
            raise ProtobufError(f"protobuf field {item.number} in {entry}")
    return key, _value(value, field, entry, keep_zero=True)


def _value(item: _Wire, field: _Field, where: str, *, keep_zero: bool = False) -> Any:
    """One value as JSON has it, or ``_OMIT`` for a zero JSON would leave out."""
    keep_zero = keep_zero or field.optional
    if field.kind in _VARINT_KINDS:
        _expect(item, _VARINT, field.name, where)
        number = _number(item.value, field.kind)
        return number if number or keep_zero else _OMIT
    _expect(item, _LEN, field.name, where)
    if field.kind is _Kind.STRING:
        text = _text(item.data, field.name, where)
        return text if text or keep_zero else _OMIT
    if field.kind is _Kind.BYTES:
        return base64.b64encode(item.data).decode("ascii")
    message = _MESSAGES[field.message]
    decoded = _decode(item.data, message)
    to_json = _SCALAR_MESSAGES.get(message.short)
    if to_json is None:
        return decoded
    value = to_json(decoded, where)
    return _OMIT if value is None else value


def _quantity(value: dict[str, Any], where: str) -> str:
    return str(value.get("string", "0"))


def _int_or_string(value: dict[str, Any], where: str) -> int | str:
    if value.get("type", 0) == 1:
        return str(value.get("strVal", ""))
    return int(value.get("intVal", 0))


# Go's zero time, which metav1.Time sends as an empty message and JSON as null.
_GO_ZERO_SECONDS: Final = -62_135_596_800
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _time(value: dict[str, Any], where: str) -> str | None:
    """RFC 3339 in whole seconds and UTC, as metav1.Time writes JSON; None if zero."""
    seconds = value.get("seconds")
    if seconds is None or seconds == _GO_ZERO_SECONDS:
        return None
    try:
        moment = _EPOCH + timedelta(seconds=seconds)
    except OverflowError as err:
        raise ProtobufError(f"timestamp {seconds} out of range in {where}") from err
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _fields_v1(value: dict[str, Any], where: str) -> Any:
    raw = base64.b64decode(value.get("Raw", ""))
    try:
        return json.loads(raw) if raw else {}
    except ValueError as err:
        raise ProtobufError(f"fieldsV1 in {where} is not JSON: {err}") from err


_SCALAR_MESSAGES: Final[dict[str, Callable[[dict[str, Any], str], Any]]] = {
    "Quantity": _quantity,
    "IntOrString": _int_or_string,
    "Time": _time,
    "FieldsV1": _fields_v1,
}


# -- the envelope ------------------------------------------------------------------

_ENVELOPE_FIELDS: Final = {
    1: "typeMeta",
    2: "raw",
    3: "contentEncoding",
    4: "contentType",
}


def decode_object(body: bytes) -> dict[str, Any]:
    """The JSON-shaped object a Kubernetes protobuf body carries.

    ``apiVersion`` and ``kind`` come from the envelope, the rest from the
    object's own message. Raises ``ProtobufError`` for a malformed body and
    ``UnsupportedProtobufError`` for a kind or field outside the tables.
    """
    if not body.startswith(_MAGIC):
        raise ProtobufError("protobuf body does not start with the magic bytes k8s\\x00")
    envelope = "the protobuf envelope (runtime.Unknown)"
    api_version = kind = encoding = content_type = ""
    raw = b""
    for item in _scan(body[len(_MAGIC) :], envelope):
        name = _ENVELOPE_FIELDS.get(item.number)
        if name is None:
            raise ProtobufError(f"protobuf field {item.number} in {envelope}")
        _expect(item, _LEN, name, envelope)
        if item.number == 1:
            api_version, kind = _type_meta(item.data)
        elif item.number == 2:
            raw = item.data
        elif item.number == 3:
            encoding = _text(item.data, name, envelope)
        else:
            content_type = _text(item.data, name, envelope)
    if encoding:
        raise UnsupportedProtobufError(f"protobuf content encoding {encoding!r} is not supported")
    if content_type not in ("", PROTOBUF):
        raise UnsupportedProtobufError(f"protobuf content type {content_type!r} is not supported")
    if not kind or not api_version:
        raise ProtobufError("protobuf body does not name its apiVersion and kind")
    message = _message_for(api_version, kind)
    return {"kind": kind, "apiVersion": api_version, **_decode(raw, message)}


def _type_meta(data: bytes) -> tuple[str, str]:
    where = "the protobuf type meta"
    found = {1: "", 2: ""}
    for item in _scan(data, where):
        if item.number not in found:
            raise ProtobufError(f"protobuf field {item.number} in {where}")
        name = "apiVersion" if item.number == 1 else "kind"
        _expect(item, _LEN, name, where)
        found[item.number] = _text(item.data, name, where)
    return found[1], found[2]


def _message_for(api_version: str, kind: str) -> _Message:
    short = tables.KINDS.get((api_version, kind))
    if short is not None:
        return _MESSAGES[short]
    served = [version for version, known in tables.KINDS if known == kind]
    if served:
        raise UnsupportedProtobufError(
            f'kind "{kind}" is accepted as protobuf only in {served[0]}, '
            f"not {api_version}; send JSON"
        )
    raise UnsupportedProtobufError(f'kind "{kind}" is not accepted as protobuf; send JSON')
