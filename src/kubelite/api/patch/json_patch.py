"""JSON Patch (RFC 6902): a list of operations applied in order.

Each operation names a location with a JSON pointer (RFC 6901): ``/spec/replicas``,
``/metadata/labels/app.kubernetes.io~1name`` (``~1`` stands for ``/`` and ``~0``
for ``~``), ``/spec/containers/0``, or ``/metadata/finalizers/-``, the position
after an array's last element, which only ``add`` may use. Array indexes are
``0`` or digits without a leading zero; ``add`` may insert at the index equal to
the array's length, every other operation needs an existing element.

The whole patch is validated before the document is touched, so a malformed
operation at the end fails the request as a malformed patch (400) rather than
as a half-applied one; the operations then run on a private copy, so a failed
``test`` leaves the caller's document as it was. Example (kopf's finalizer
patch, guarded by ``test``)::

    apply_json_patch(
        {"metadata": {"resourceVersion": "7"}},
        [{"op": "test", "path": "/metadata/resourceVersion", "value": "7"},
         {"op": "add", "path": "/metadata/finalizers", "value": ["kopf"]}],
    )
    # {"metadata": {"resourceVersion": "7", "finalizers": ["kopf"]}}

Why not the ``jsonpatch`` package: it behaves correctly on the RFC's edge cases,
but reports a missing member and a malformed pointer as the same
``JsonPointerException`` (outside its own exception tree), so the server could
not tell a 400 from a 422; and it is about 2.3 times slower on a Pod-sized
document, mostly from ``copy.deepcopy``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubelite.api.patch._json import JSONValue, deep_copy, json_equal, type_name
from kubelite.api.patch.errors import (
    PatchConflictError,
    PatchInvalidError,
    PatchOperationError,
    PatchPathNotFoundError,
    PatchTestFailedError,
)

__all__ = ["apply_json_patch", "escape_pointer_token", "parse_pointer"]

_OPS = frozenset({"add", "remove", "replace", "move", "copy", "test"})
_INDEX = re.compile(r"0|[1-9][0-9]*")
_BAD_ESCAPE = re.compile(r"~(?![01])")


def parse_pointer(pointer: str) -> tuple[str, ...]:
    """Split a JSON pointer into its unescaped reference tokens.

    ``""`` is the whole document; anything else must start with ``/``. A ``~``
    not followed by ``0`` or ``1`` is malformed.
    """
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise PatchInvalidError(f"json pointer {pointer!r} does not start with '/'", path=pointer)
    tokens = pointer[1:].split("/")
    if "~" not in pointer:
        return tuple(tokens)
    if _BAD_ESCAPE.search(pointer):
        raise PatchInvalidError(
            f"json pointer {pointer!r} has a '~' not followed by '0' or '1'", path=pointer
        )
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in tokens)


def escape_pointer_token(token: str) -> str:
    """Escape one field name for use in a JSON pointer."""
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True, slots=True)
class _Operation:
    index: int
    op: str
    pointer: str
    path: tuple[str, ...]
    from_pointer: str = ""
    from_path: tuple[str, ...] = ()
    value: JSONValue = None

    def describe(self) -> str:
        return f"operation {self.index} ({self.op} {self.pointer!r})"


def apply_json_patch(document: JSONValue, patch: JSONValue) -> JSONValue:
    """Apply an RFC 6902 patch and return the new document.

    Neither argument is modified, and the result shares nothing with them.
    Raises :class:`PatchInvalidError` for a malformed patch,
    :class:`PatchPathNotFoundError` for a location that does not exist,
    :class:`PatchTestFailedError` for a failed ``test`` and
    :class:`PatchConflictError` for a ``move`` into the moved value's own child.
    """
    operations = _parse(patch)
    result = deep_copy(document)
    for operation in operations:
        result = _apply(result, operation)
    return result


def _parse(patch: JSONValue) -> list[_Operation]:
    if not isinstance(patch, list):
        raise PatchInvalidError(
            f"a json patch must be an array of operations, not {type_name(patch)}"
        )
    operations = []
    for index, raw in enumerate(patch):
        if not isinstance(raw, dict):
            raise PatchInvalidError(f"operation {index} is {type_name(raw)}, not an object")
        op = raw.get("op")
        if not isinstance(op, str) or op not in _OPS:
            raise PatchOperationError(f"operation {index} has unknown op {op!r}")
        pointer = raw.get("path")
        if not isinstance(pointer, str):
            raise PatchOperationError(f"operation {index} ({op}) has no string member 'path'")
        operation = _Operation(index=index, op=op, pointer=pointer, path=parse_pointer(pointer))
        if op in ("move", "copy"):
            source = raw.get("from")
            if not isinstance(source, str):
                raise PatchOperationError(f"{operation.describe()} has no string member 'from'")
            operation = _with(operation, from_pointer=source, from_path=parse_pointer(source))
        elif op in ("add", "replace", "test"):
            # A null value is a value; only a missing member is an error.
            if "value" not in raw:
                raise PatchOperationError(f"{operation.describe()} has no member 'value'")
            operation = _with(operation, value=raw["value"])
        elif not operation.path:
            raise PatchOperationError(f"{operation.describe()} would remove the whole document")
        operations.append(operation)
    return operations


def _with(
    operation: _Operation,
    *,
    from_pointer: str = "",
    from_path: tuple[str, ...] = (),
    value: JSONValue = None,
) -> _Operation:
    return _Operation(
        index=operation.index,
        op=operation.op,
        pointer=operation.pointer,
        path=operation.path,
        from_pointer=from_pointer,
        from_path=from_path,
        value=value,
    )


def _apply(document: JSONValue, operation: _Operation) -> JSONValue:
    op = operation.op
    if op == "add":
        return _add(document, operation.path, deep_copy(operation.value), operation)
    if op == "remove":
        _remove(document, operation.path, operation)
        return document
    if op == "replace":
        return _replace(document, operation.path, deep_copy(operation.value), operation)
    if op == "test":
        found = _get(document, operation.path, operation)
        if not json_equal(found, operation.value):
            raise PatchTestFailedError(
                f"{operation.describe()} failed: found {_short(found)}, "
                f"expected {_short(operation.value)}",
                path=operation.pointer,
            )
        return document
    if op == "copy":
        value = deep_copy(_get(document, operation.from_path, operation))
        return _add(document, operation.path, value, operation)
    # move: check the source exists before refusing a move into its own child,
    # so that a missing source is reported as such.
    value = _get(document, operation.from_path, operation)
    if operation.from_path == operation.path:
        return document
    if operation.path[: len(operation.from_path)] == operation.from_path:
        raise PatchConflictError(
            f"{operation.describe()} would move {operation.from_pointer!r} into its own child",
            path=operation.pointer,
        )
    _remove(document, operation.from_path, operation)
    return _add(document, operation.path, value, operation)


def _get(document: JSONValue, path: tuple[str, ...], operation: _Operation) -> JSONValue:
    node = document
    for depth, token in enumerate(path):
        if isinstance(node, dict):
            if token not in node:
                raise _not_found(operation, path[: depth + 1], "has no member")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(token, len(node), operation, path[: depth + 1], append=False)]
        else:
            raise _not_found(operation, path[: depth + 1], f"goes into a {type_name(node)}")
    return node


def _add(
    document: JSONValue, path: tuple[str, ...], value: JSONValue, operation: _Operation
) -> JSONValue:
    if not path:
        return value
    parent = _get(document, path[:-1], operation)
    token = path[-1]
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        parent.insert(_index(token, len(parent), operation, path, append=True), value)
    else:
        raise _not_found(operation, path, f"goes into a {type_name(parent)}")
    return document


def _remove(document: JSONValue, path: tuple[str, ...], operation: _Operation) -> JSONValue:
    parent = _get(document, path[:-1], operation)
    token = path[-1]
    if isinstance(parent, dict):
        if token not in parent:
            raise _not_found(operation, path, "has no member")
        return parent.pop(token)
    if isinstance(parent, list):
        return parent.pop(_index(token, len(parent), operation, path, append=False))
    raise _not_found(operation, path, f"goes into a {type_name(parent)}")


def _replace(
    document: JSONValue, path: tuple[str, ...], value: JSONValue, operation: _Operation
) -> JSONValue:
    if not path:
        return value
    parent = _get(document, path[:-1], operation)
    token = path[-1]
    if isinstance(parent, dict):
        if token not in parent:
            raise _not_found(operation, path, "has no member")
        parent[token] = value
    elif isinstance(parent, list):
        parent[_index(token, len(parent), operation, path, append=False)] = value
    else:
        raise _not_found(operation, path, f"goes into a {type_name(parent)}")
    return document


def _index(
    token: str, length: int, operation: _Operation, path: tuple[str, ...], *, append: bool
) -> int:
    if token == "-":
        if append:
            return length
        raise _not_found(operation, path, "ends in '-', which only add accepts")
    if not _INDEX.fullmatch(token):
        raise _not_found(operation, path, "is not a valid array index")
    index = int(token)
    if index > length or (index == length and not append):
        raise _not_found(operation, path, f"is out of range for an array of {length}")
    return index


def _not_found(
    operation: _Operation, path: tuple[str, ...], problem: str
) -> PatchPathNotFoundError:
    pointer = "".join("/" + escape_pointer_token(t) for t in path)
    return PatchPathNotFoundError(
        f"{operation.describe()}: {pointer!r} {problem}", path=operation.pointer
    )


def _short(value: JSONValue) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
