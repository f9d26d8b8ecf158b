"""The entries of ``metadata.managedFields``, and the names they are kept under.

Each entry records what one manager owns: its name, whether it applied
(``Apply``) or wrote the object some other way (``Update``), the API version
its field set is written in, when it last changed something, and which
subresource it wrote through. This module reads and writes the entries as
Kubernetes does (``managedfields/internal/managedfields.go``), validates them
as object metadata does (``ValidateManagedFields``), words apply conflicts
(``internal/conflict.go``), and derives and checks field manager names.

Two entries are the same manager when their *identifiers* match: the entry's
JSON without time and fields, and, for an applier, without its API version.
An updater writing through two versions has two entries; an applier, one.
Worked example, three entries and their identifiers::

    kubectl, Apply, apps/v1        {"manager":"kubectl","operation":"Apply"}
    kubectl, Update, apps/v1       {"manager":"kubectl","operation":"Update",
                                    "apiVersion":"apps/v1"}
    kubelet, Update, v1, status    {"manager":"kubelet","operation":"Update",
                                    "apiVersion":"v1","subresource":"status"}

Kubernetes keeps entries in a map by identifier, so a stored list naming one
manager twice loads as the last of them, and writes them sorted: ``Apply``
before ``Update``, then by time (whole seconds), manager, API version and
subresource. Errors::

    ManagedFieldsError    an entry that cannot be decoded (ValueError)
    Conflicts             an apply that would change others' fields (409)
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import orjson

from kubelite.api.errors import ConflictError, GroupKind, InvalidError, StatusDetails, invalid
from kubelite.api.field import FieldError, FieldPath, StatusCause, go_quote
from kubelite.api.patch import JSONValue
from kubelite.api.ssa.errors import FieldPathError
from kubelite.api.ssa.fieldpath import EMPTY, FieldSet, Path
from kubelite.api.ssa.fieldpath import from_fields_v1 as _from_fields_v1
from kubelite.api.ssa.fieldpath import to_fields_v1 as _to_fields_v1

__all__ = [
    "APPLY",
    "FIELD_MANAGER_MAX_LENGTH",
    "UPDATE",
    "Conflict",
    "Conflicts",
    "ManagedFieldsEntry",
    "ManagedFieldsError",
    "conflict_status_details",
    "decode_live_or_new",
    "decode_managed_fields",
    "encode_managed_fields",
    "field_manager_invalid",
    "manager_from_user_agent",
    "set_managed_fields",
    "validate_field_manager",
    "validate_managed_fields",
]

APPLY: Final = "Apply"
UPDATE: Final = "Update"
FIELD_MANAGER_MAX_LENGTH: Final = 128
"""Bytes, as ``validation.FieldManagerMaxLength``."""
_SUBRESOURCE_MAX_LENGTH: Final = 256
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):(\d{2}))"
)


class ManagedFieldsError(ValueError):
    """A ``managedFields`` entry Kubernetes' decoder refuses.

    On create and update Kubernetes then keeps the live object's entries
    (:func:`decode_live_or_new`); apply answers 500, ``failed to decode
    managed fields: <this message>``. The messages are Kubernetes' own,
    except for a bad ``time`` or ``fieldsV1`` (Kubernetes prints the whole
    entry as Go does; its JSON decoder refuses a bad time earlier).
    """


@dataclass(frozen=True, slots=True)
class ManagedFieldsEntry:
    """One entry of ``metadata.managedFields``, decoded.

    ``time`` is RFC 3339 in UTC to the second (``2024-01-15T10:00:00Z``), or
    None when the entry has none: a manager whose first apply changed
    nothing gets no time.
    """

    manager: str
    operation: str
    api_version: str
    time: str | None = None
    fields_type: str = "FieldsV1"
    fields: FieldSet = field(default=EMPTY)
    subresource: str = ""

    @property
    def identifier(self) -> str:
        """The key Kubernetes keeps this manager's entry under."""
        return identifier(self.manager, self.operation, self.api_version, self.subresource)

    def to_dict(self) -> dict[str, JSONValue]:
        """The entry as Kubernetes writes it, keys in Go's field order."""
        out: dict[str, JSONValue] = {}
        for key, value in (
            ("manager", self.manager),
            ("operation", self.operation),
            ("apiVersion", self.api_version),
            ("time", self.time),
            ("fieldsType", self.fields_type),
        ):
            if value:
                out[key] = value
        out["fieldsV1"] = _to_fields_v1(self.fields)
        if self.subresource:
            out["subresource"] = self.subresource
        return out


@functools.lru_cache(maxsize=1024)
def identifier(manager: str, operation: str, api_version: str, subresource: str = "") -> str:
    """``BuildManagerIdentifier``: the entry as Go's JSON without time and
    fields, and without the API version of an applier."""
    parts = []
    if manager:
        parts.append('"manager":' + go_json(manager))
    if operation:
        parts.append('"operation":' + go_json(operation))
    if api_version and operation != APPLY:
        parts.append('"apiVersion":' + go_json(api_version))
    if subresource:
        parts.append('"subresource":' + go_json(subresource))
    return "{" + ",".join(parts) + "}"


# -- decoding and encoding -------------------------------------------------------


def decode_managed_fields(raw: object) -> list[ManagedFieldsEntry]:
    """The entries of a ``managedFields`` value (None when absent), one per
    identifier, the last winning; raises :class:`ManagedFieldsError`.

    Times are re-written as Kubernetes re-writes them: in UTC, whole seconds.
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ManagedFieldsError("managedFields must be a list")
    entries: dict[str, ManagedFieldsEntry] = {}
    for index, item in enumerate(raw):
        entry = _decode_entry(index, item)
        entries[entry.identifier] = entry
    return list(entries.values())


def _decode_entry(index: int, item: object) -> ManagedFieldsEntry:
    if not isinstance(item, dict):
        raise ManagedFieldsError(f"managed fields entry {index} is not an object")
    text = {key: _string(index, item, key) for key in _STRING_KEYS}
    if text["operation"] not in (APPLY, UPDATE):
        raise ManagedFieldsError("operation must be `Apply` or `Update`")
    if not text["apiVersion"]:
        raise ManagedFieldsError("apiVersion must not be empty")
    if not text["fieldsType"]:
        raise ManagedFieldsError(f"missing fieldsType in managed fields entry {index}")
    if text["fieldsType"] != "FieldsV1":
        kind = go_quote(text["fieldsType"])
        raise ManagedFieldsError(f"invalid fieldsType {kind} in managed fields entry {index}")
    moment = item.get("time")
    if moment is not None and not isinstance(moment, str):
        raise ManagedFieldsError(f"managed fields entry {index}: time must be a string")
    try:
        time = None if moment is None else canonical_time(moment)
        fields = _decode_fields(item.get("fieldsV1"))
    except (ValueError, FieldPathError) as err:
        raise ManagedFieldsError(f"error decoding managed fields entry {index}: {err}") from err
    return ManagedFieldsEntry(
        manager=text["manager"],
        operation=text["operation"],
        api_version=text["apiVersion"],
        time=time,
        fields_type=text["fieldsType"],
        fields=fields,
        subresource=text["subresource"],
    )


def _decode_fields(document: object) -> FieldSet:
    # Every write decodes the live object's entries, which rarely change: the
    # sets (immutable) are kept by their document's JSON.
    try:
        key = orjson.dumps(document)
    except TypeError:
        return _from_fields_v1(document)
    return _decode_fields_of(key)


@functools.lru_cache(maxsize=4096)
def _decode_fields_of(key: bytes) -> FieldSet:
    return _from_fields_v1(orjson.loads(key))


_STRING_KEYS: Final = ("manager", "operation", "apiVersion", "fieldsType", "subresource")


def _string(index: int, item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if value is None:  # Go leaves a string it reads null from empty
        return ""
    if not isinstance(value, str):
        raise ManagedFieldsError(f"managed fields entry {index}: {key} must be a string")
    return value


def encode_managed_fields(entries: Iterable[ManagedFieldsEntry]) -> list[dict[str, JSONValue]]:
    """The entries as Kubernetes stores them, in its order (see the module
    docstring); ``[]`` stands for a ``managedFields`` left out."""
    return [entry.to_dict() for entry in sort_entries(entries)]


def sort_entries(entries: Iterable[ManagedFieldsEntry]) -> list[ManagedFieldsEntry]:
    """``sortEncodedManagedFields``' order."""

    def key(entry: ManagedFieldsEntry) -> tuple[str, int, str, str, str]:
        seconds = unix_seconds(entry.time)
        return entry.operation, seconds, entry.manager, entry.api_version, entry.subresource

    return sorted(entries, key=key)


def set_managed_fields(
    obj: dict[str, Any], entries: Iterable[ManagedFieldsEntry]
) -> dict[str, Any]:
    """``obj`` with these entries as its ``metadata.managedFields``, left out
    when there are none; a copy of the object and its metadata only."""
    encoded = encode_managed_fields(entries)
    metadata = dict(obj.get("metadata") or {})
    if encoded:
        metadata["managedFields"] = encoded
    else:
        metadata.pop("managedFields", None)
    return {**obj, "metadata": metadata}


def decode_live_or_new(
    live: dict[str, Any] | None, new: dict[str, Any], *, subresource: str = ""
) -> list[ManagedFieldsEntry]:
    """The entries a create, update or patch starts from (``decodeLiveOrNew``).

    A write through a subresource keeps the live object's. Otherwise the
    written object's own entries win, so that a client can replace them
    (kubectl's migration from client-side apply does); ``[]`` or ``[{}]``
    resets them to none, after which updates record nothing until the next
    apply. Entries that are absent or do not decode fall back to the live
    object's, and live entries that do not decode count as none.
    """
    if not subresource:
        sent = _metadata(new).get("managedFields")
        if _is_reset(sent):
            return []
        try:
            entries = decode_managed_fields(sent)
        except ManagedFieldsError:
            entries = []
        if entries:
            return entries
    try:
        return decode_managed_fields(_metadata(live).get("managedFields"))
    except ManagedFieldsError:
        return []


def _metadata(obj: object) -> dict[str, Any]:
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def _is_reset(sent: object) -> bool:
    # An empty list, or a list of one entry with every field unset.
    if not isinstance(sent, list) or len(sent) > 1:
        return False
    if not sent:
        return True
    entry = sent[0]
    return isinstance(entry, dict) and all(
        entry.get(key) in (None, "") for key in (*_STRING_KEYS, "time", "fieldsV1")
    )


# -- validation (422) ------------------------------------------------------------


def validate_managed_fields(raw: object, path: FieldPath | None = None) -> list[FieldError]:
    """``ValidateManagedFields``, as object metadata validation runs it on
    the entries an object is stored with (``metadata.managedFields[0]...``)."""
    path = path if path is not None else FieldPath.of("metadata", "managedFields")
    errors: list[FieldError] = []
    for index, entry in enumerate(raw if isinstance(raw, list) else ()):
        if not isinstance(entry, dict):
            continue
        at = path.index(index)
        operation = entry.get("operation") or ""
        if operation not in (APPLY, UPDATE):
            errors.append(FieldError.invalid(at.child("operation"), operation, _OPERATIONS))
        fields_type = entry.get("fieldsType") or ""
        if fields_type and fields_type != "FieldsV1":
            errors.append(FieldError.invalid(at.child("fieldsType"), fields_type, _FIELDS_TYPE))
        errors.extend(validate_field_manager(str(entry.get("manager") or ""), at.child("manager")))
        subresource = str(entry.get("subresource") or "")
        if len(subresource.encode()) > _SUBRESOURCE_MAX_LENGTH:
            errors.append(FieldError.too_long(at.child("subresource"), _SUBRESOURCE_MAX_LENGTH))
    return errors


_OPERATIONS: Final = "must be `Apply` or `Update`"
_FIELDS_TYPE: Final = "must be `FieldsV1`"


def validate_field_manager(
    field_manager: str, path: FieldPath | None = None, *, apply: bool = False
) -> list[FieldError]:
    """``ValidateFieldManager``: at most 128 bytes, printable characters only;
    with ``apply``, also required, as ``ValidatePatchOptions`` has it. Example:
    ``fieldManager: Required value: is required for apply patch``."""
    path = path if path is not None else FieldPath.of("fieldManager")
    errors: list[FieldError] = []
    if apply and not field_manager:
        errors.append(FieldError.required(path, "is required for apply patch"))
    if len(field_manager.encode()) > FIELD_MANAGER_MAX_LENGTH:
        errors.append(FieldError.too_long(path, FIELD_MANAGER_MAX_LENGTH))
    position = 0  # Go reports the byte offset of each bad character
    for char in field_manager:
        if not _printable(char):
            detail = f"invalid character U+{ord(char):04X} (at position {position})"
            errors.append(FieldError.invalid(path, field_manager, detail))
        position += len(char.encode("utf-8", "surrogatepass"))
    return errors


def field_manager_invalid(options_kind: str, errors: Sequence[FieldError]) -> InvalidError:
    """The 422 of bad request options: ``options_kind`` is ``PatchOptions``,
    ``CreateOptions`` or ``UpdateOptions``, and the message reads
    ``PatchOptions.meta.k8s.io "" is invalid: fieldManager: ...``."""
    return invalid(GroupKind(options_kind, "meta.k8s.io"), "", errors)


def manager_from_user_agent(user_agent: str) -> str:
    """The manager of a write that names none (``prefixFromUserAgent``): the
    User-Agent up to its first ``/``, without unprintable characters, cut
    before the character that would pass 128 bytes.
    ``kubectl/v1.37.0 (linux/amd64) kubernetes/abc`` gives ``kubectl``."""
    out: list[str] = []
    size = 0
    for char in user_agent.split("/", 1)[0]:
        if not _printable(char):
            continue
        width = len(char.encode("utf-8", "surrogatepass"))
        if size + width > FIELD_MANAGER_MAX_LENGTH:
            break
        out.append(char)
        size += width
    return "".join(out)


def _printable(char: str) -> bool:
    # Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and
    # the ASCII space.
    return char == " " or unicodedata.category(char)[0] in "LMNPS"


# -- conflicts -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conflict:
    """A field ``path`` that another manager owns and an apply would change.
    ``operation``, ``api_version`` and ``subresource`` say which of the
    manager's entries owns it."""

    manager: str
    path: Path
    operation: str = APPLY
    api_version: str = ""
    subresource: str = ""

    @property
    def identifier(self) -> str:
        return identifier(self.manager, self.operation, self.api_version, self.subresource)

    def owner(self) -> str:
        """The owner as conflict messages name it (``printManager``):
        ``"kubectl"``, ``"kube-controller-manager" using apps/v1``, ``"kubelet"
        with subresource "status" using v1``. Identifiers hold no time, so
        the ``at <time>`` Kubernetes could add never shows."""
        text = go_quote(self.manager)
        if self.subresource:
            text += f" with subresource {go_quote(self.subresource)}"
        if self.operation == UPDATE:
            text += f" using {self.api_version}"
        return text


class Conflicts(ConflictError):
    """An apply refused because it would change fields other managers own:
    a 409 worded as Kubernetes words it, one cause per field; apply again
    with ``force`` to take the fields over. ``conflicts`` are in order of
    owner identifier, then path."""

    def __init__(self, conflicts: Iterable[Conflict]) -> None:
        self.conflicts = sorted(conflicts, key=lambda c: (c.identifier, c.path))
        message, causes = conflict_status_details(self.conflicts)
        super().__init__(message, details=StatusDetails(causes=tuple(causes)))


def conflict_status_details(conflicts: Sequence[Conflict]) -> tuple[str, list[StatusCause]]:
    """The message and ``details.causes`` of an apply conflict.

    One conflict: ``Apply failed with 1 conflict: conflict with "x" using
    apps/v1: .spec.replicas``. More: ``Apply failed with 2 conflicts:
    conflicts with "x":`` and a line ``- <path>`` per field, owners in order
    of identifier. Kubernetes leaves the details' name, group and kind empty.
    """
    causes = [
        StatusCause("FieldManagerConflict", f"conflict with {c.owner()}", str(c.path))
        for c in conflicts
    ]
    if len(conflicts) == 1:
        only = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {only.owner()}: {only.path}", causes
    by_owner: dict[str, list[Conflict]] = {}
    for conflict in conflicts:
        by_owner.setdefault(conflict.identifier, []).append(conflict)
    lines: list[str] = []
    for key in sorted(by_owner):
        group = by_owner[key]
        lines.append(f"conflicts with {group[0].owner()}:")
        lines.extend(f"- {c.path}" for c in group)
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines), causes


# -- Go's JSON and time ----------------------------------------------------------


def go_json(value: object) -> str:
    """Compact JSON as Go's ``encoding/json`` writes it: keys sorted, ``<``,
    ``>``, ``&`` escaped, floats in Go's shortest form (``1.0`` as ``1``)."""
    if isinstance(value, str):
        text = orjson.dumps(value).decode()
        for char, escape in _ESCAPES:
            text = text.replace(char, escape)
        return text
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(go_json(k) + ":" + go_json(v) for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(go_json, value)) + "]"
    if isinstance(value, float):
        return _go_float(value)
    return orjson.dumps(value).decode()


_ESCAPES: Final = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def _go_float(value: float) -> str:
    # Python's repr has Go's shortest digits. Go writes fixed notation from
    # 1e-6 up to 1e21 (1e+16 as 10000000000000000), else an exponent with
    # no leading zero when negative (1e-7, 1.5e+21).
    text = repr(value)
    if "e" not in text:
        return text.removesuffix(".0")
    if 1e-6 <= abs(value) < 1e21:
        return format(Decimal(text).normalize(), "f")
    mantissa, exponent = text.split("e")
    if exponent.startswith("-0"):
        exponent = "-" + exponent[2:]
    return f"{mantissa}e{exponent}"


@functools.lru_cache(maxsize=256)
def canonical_time(text: str) -> str:
    """An RFC 3339 time as Kubernetes re-writes it: UTC, whole seconds;
    raises ValueError for anything else."""
    return format_time(parse_time(text))


def parse_time(text: str) -> datetime:
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"time {go_quote(text)} is not in RFC 3339 form")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    if match[7] != "Z":
        offset = timedelta(hours=int(match[9]), minutes=int(match[10]))
        moment -= offset if match[8] == "+" else -offset
    return moment


def format_time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


@functools.lru_cache(maxsize=256)
def unix_seconds(time: str | None) -> int:
    """Seconds since 1970 (negative before), 0 for no time, as Go's ``Unix``."""
    if time is None:
        return 0
    return (parse_time(time) - _EPOCH) // timedelta(seconds=1)
