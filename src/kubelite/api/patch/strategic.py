"""Strategic merge patch: JSON merge patch that knows how each list merges.

kubectl sends it for built-in kinds on ``apply``, ``edit``, ``patch``,
``set image`` and ``rollout restart``. It works like RFC 7386 (maps merge key by
key, ``null`` deletes a key) except where the :class:`PatchSchema` says a list
merges (by merge key for objects, as a set for primitives) or a map is
replaced, and except for directives, keys that start with ``$``:

``$patch: replace``
    in a map: the map becomes the patch's map; as an element of a merged
    list: the list becomes the patch's other elements.
``$patch: delete``
    in a map: the map becomes empty; as an element of a merged list of objects:
    the elements with that merge key are removed.
``$patch: merge``
    the default, but refused wherever it is written, as Kubernetes refuses it.
``$retainKeys: [k, ...]``
    in a map: keys of the object not listed are dropped before merging, so that
    a union (a Deployment's ``strategy``) switches member cleanly.
``$deleteFromPrimitiveList/<f>: [v, ...]``
    removes those values from the merged primitive list ``f``.
``$setElementOrder/<f>: [...]``
    the order the list ``f`` must have after merging, given as merge-key
    objects (``[{"name": "a"}]``) or as primitives.

Order of a merged list: elements named by the patch (or by its
``$setElementOrder``) come in the patch's order; elements only the server has
keep their place relative to each other and go before a patch element only if
they came before it in the original list. Worked example, containers by name::

    original:    [a, b, c]          (b is a sidecar only the server knows of)
    patch:       {"$setElementOrder/containers": [{name: c}, {name: a}],
                  "containers": [{name: a, image: v2}]}
    merge:       a gets image v2; nothing is added or removed
    partition:   named by the order list, in its order: [c, a]; server-only: [b]
    interleave:  b came before c in the original, so it goes first: [b, c, a]

Applying the same patch twice gives the same result, which is what lets a
second ``kubectl apply`` change nothing.

Where this deliberately departs from Kubernetes (each is an input kubectl never
sends): a value the original lacks is cleaned of directives and nulls rather
than stored as sent; a map that is replaced is cleaned the same way;
``$deleteFromPrimitiveList`` on a list that does not merge, and a ``$`` key that
is no directive, are refused as malformed instead of being stored.
"""

from __future__ import annotations

from typing import Final

from kubelite.api.patch._json import JSONObject, JSONValue, ScalarKey, deep_copy, scalar_key
from kubelite.api.patch.errors import PatchConflictError, PatchInvalidError
from kubelite.api.patch.schema import FieldPatchMeta, FieldPath, PatchSchema, PatchStrategy

__all__ = ["apply_strategic"]

_PATCH: Final = "$patch"
_RETAIN_KEYS: Final = "$retainKeys"
_SET_ORDER: Final = "$setElementOrder/"
_DELETE_PRIMITIVE: Final = "$deleteFromPrimitiveList/"

_NO_KEY: Final[ScalarKey] = ("absent", None)
"""The key of a list element that lacks the merge key; matches no patch element."""


class _Omit:
    """The value of a map deleted by ``$patch: delete`` where there was none."""


_OMIT: Final = _Omit()


def apply_strategic(original: JSONObject, patch: JSONObject, schema: PatchSchema) -> JSONObject:
    """Apply a strategic merge patch to an object and return the new object.

    Neither argument is modified, and the result shares nothing with them.
    Raises :class:`PatchInvalidError` for a malformed patch (an unknown or
    misplaced directive, an element without its merge key) and
    :class:`PatchConflictError` where the patch contradicts itself or the object
    (a list out of its ``$setElementOrder``, a key missing from
    ``$retainKeys``, lists of lists).
    """
    if not isinstance(patch, dict):
        raise PatchInvalidError("a strategic merge patch must be a JSON object")
    merger = _Merger(schema)
    return merger.merge_map(_own(original), patch, ())


def _own(value: JSONObject) -> JSONObject:
    copied = deep_copy(value)
    if not isinstance(copied, dict):
        raise PatchConflictError("the object to patch is not a JSON object")
    return copied


def _dotted(path: FieldPath) -> str:
    return ".".join(path) or "<root>"


def _item_key(item: JSONValue, merge_key: str | None) -> ScalarKey:
    if merge_key is None:
        return scalar_key(item)
    if isinstance(item, dict) and merge_key in item:
        return scalar_key(item[merge_key])
    return _NO_KEY


class _Merger:
    """One patch application; every map it is handed is its own to modify."""

    __slots__ = ("_schema",)

    def __init__(self, schema: PatchSchema) -> None:
        self._schema = schema

    def meta(self, path: FieldPath) -> FieldPatchMeta:
        return self._schema.field_meta(path)

    # -- maps ---------------------------------------------------------------

    def merge_map(self, original: JSONObject, patch: JSONObject, path: FieldPath) -> JSONObject:
        if _PATCH in patch:
            directive = patch[_PATCH]
            if directive == "replace":
                body = {k: v for k, v in patch.items() if k != _PATCH}
                return self.merge_map({}, body, path)
            if directive == "delete":
                return {}
            raise PatchInvalidError(
                f"$patch: {directive!r} in the map at {_dotted(path)}: "
                "a map accepts only replace or delete",
                path=_dotted(path),
            )
        if _RETAIN_KEYS in patch:
            self._retain_keys(original, patch, path)

        # $setElementOrder merges its list itself; the plain key is then done.
        done: set[str] = set()
        for key, value in patch.items():
            if key.startswith(_SET_ORDER):
                field = self._directive_field(key, _SET_ORDER, path)
                if self._set_element_order(original, patch, field, value, path):
                    done.add(field)

        for key, value in patch.items():
            if key in done or key == _RETAIN_KEYS:
                continue
            if key.startswith("$"):
                if key.startswith((_SET_ORDER, _DELETE_PRIMITIVE)):
                    continue
                raise PatchInvalidError(
                    f"unknown directive {key!r} in the map at {_dotted(path)}",
                    path=_dotted(path),
                )
            self._merge_field(original, key, value, path)

        # Deletions run after the merges, so that they win over an addition.
        for key, value in patch.items():
            if key.startswith(_DELETE_PRIMITIVE):
                field = self._directive_field(key, _DELETE_PRIMITIVE, path)
                self._delete_from_primitive_list(original, field, value, (*path, field))
        return original

    def _merge_field(
        self, original: JSONObject, key: str, value: JSONValue, path: FieldPath
    ) -> None:
        if value is None:
            original.pop(key, None)
            return
        child = (*path, key)
        current = original.get(key)
        if key not in original:
            merged = self.new_value(value, child)
        elif isinstance(current, dict) and isinstance(value, dict):
            if self.meta(child).strategy is PatchStrategy.REPLACE:
                merged = self.new_value(value, child)
            else:
                merged = self.merge_map(current, value, child)
        elif isinstance(current, list) and isinstance(value, list):
            meta = self.meta(child)
            if meta.strategy is PatchStrategy.MERGE:
                merged = self.merge_list(current, value, meta, child)
            else:
                merged = self.new_list(value, child)
        else:
            merged = self.new_value(value, child)
        if isinstance(merged, _Omit):
            original.pop(key, None)
        else:
            original[key] = merged

    def new_value(self, value: JSONValue, path: FieldPath) -> JSONValue | _Omit:
        """A patch value with nothing to merge into, cleaned of directives."""
        if isinstance(value, dict):
            if value.get(_PATCH) == "delete":
                return _OMIT
            return self.merge_map({}, value, path)
        if isinstance(value, list):
            return self.new_list(value, path)
        return value

    def new_list(self, values: list[JSONValue], path: FieldPath) -> list[JSONValue]:
        """A list from the patch that replaces the object's, less directive elements."""
        result: list[JSONValue] = []
        for item in values:
            if isinstance(item, dict) and _PATCH in item:
                self._check_list_directive(item[_PATCH], path)
                continue
            cleaned = self.new_value(item, path)
            if not isinstance(cleaned, _Omit):
                result.append(cleaned)
        return result

    def _retain_keys(self, original: JSONObject, patch: JSONObject, path: FieldPath) -> None:
        keep = patch[_RETAIN_KEYS]
        if not isinstance(keep, list) or not all(isinstance(k, str) for k in keep):
            raise PatchInvalidError(
                f"$retainKeys in the map at {_dotted(path)} must be a list of field names",
                path=_dotted(path),
            )
        retained = set(keep)
        for key, value in patch.items():
            if value is None or key.startswith("$") or key in retained:
                continue
            raise PatchConflictError(
                f"field {key!r} is set by the patch but missing from $retainKeys "
                f"at {_dotted(path)}",
                path=_dotted((*path, key)),
            )
        for key in [k for k in original if k not in retained]:
            del original[key]

    @staticmethod
    def _directive_field(key: str, prefix: str, path: FieldPath) -> str:
        field = key[len(prefix) :]
        if not field or "/" in field:
            raise PatchInvalidError(
                f"directive {key!r} at {_dotted(path)} does not name one field",
                path=_dotted(path),
            )
        return field

    # -- lists --------------------------------------------------------------

    def merge_list(
        self,
        original: list[JSONValue],
        patch: list[JSONValue],
        meta: FieldPatchMeta,
        path: FieldPath,
    ) -> list[JSONValue]:
        """Merge a list whose strategy is merge; ``original`` is ours to reuse."""
        if not original and not patch:
            return []
        if self._holds_maps(original, patch, meta, path):
            merge_key = meta.merge_key
            if merge_key is None:
                raise PatchInvalidError(
                    f"the list {_dotted(path)} merges but its schema has no merge key",
                    path=_dotted(path),
                )
            return self._merge_map_list(original, patch, merge_key, path)
        merged: list[JSONValue] = []
        seen: set[ScalarKey] = set()
        for item in original + patch:
            key = scalar_key(item)
            if key not in seen:
                seen.add(key)
                merged.append(item)
        return _order(merged, patch, original, None)

    def _merge_map_list(
        self,
        original: list[JSONValue],
        patch: list[JSONValue],
        merge_key: str,
        path: FieldPath,
    ) -> list[JSONValue]:
        plain: list[JSONObject] = []
        replace = False
        for item in patch:
            if not isinstance(item, dict):
                continue  # _holds_maps has ruled this out
            if _PATCH not in item:
                plain.append(item)
                continue
            directive = item[_PATCH]
            self._check_list_directive(directive, path)
            if directive == "replace":
                replace = True
                continue
            if merge_key not in item:
                raise self._no_merge_key(item, merge_key, path)
            doomed = scalar_key(item[merge_key])
            original = [e for e in original if _item_key(e, merge_key) != doomed]
        if replace:
            return self.new_list(list(plain), path)

        merged = list(original)
        for item in plain:
            if merge_key not in item:
                raise self._no_merge_key(item, merge_key, path)
            wanted = scalar_key(item[merge_key])
            for index, current in enumerate(merged):
                if isinstance(current, dict) and _item_key(current, merge_key) == wanted:
                    merged[index] = self.merge_map(current, item, path)
                    break
            else:
                cleaned = self.new_value(item, path)
                if not isinstance(cleaned, _Omit):
                    merged.append(cleaned)
        return _order(merged, list(plain), original, merge_key)

    def _set_element_order(
        self,
        original: JSONObject,
        patch: JSONObject,
        field: str,
        order: JSONValue,
        path: FieldPath,
    ) -> bool:
        """Merge the list ``field`` and put it in ``order``; False if left to others."""
        child = (*path, field)
        if not isinstance(order, list):
            raise PatchInvalidError(
                f"$setElementOrder/{field} at {_dotted(path)} must be a list",
                path=_dotted(child),
            )
        patch_list = patch.get(field)
        if field in patch and patch_list is None:
            return False  # the list is deleted; its order does not matter
        if patch_list is not None and not isinstance(patch_list, list):
            raise PatchInvalidError(
                f"{_dotted(child)} must be a list to go with its $setElementOrder",
                path=_dotted(child),
            )
        meta = self.meta(child)
        merge_key = meta.merge_key
        for entry in order:
            malformed = (
                not isinstance(entry, dict) or merge_key not in entry
                if merge_key is not None
                else isinstance(entry, dict | list)
            )
            if malformed:
                wanted = f"objects with {merge_key!r}" if merge_key else "primitives"
                raise PatchInvalidError(
                    f"$setElementOrder/{field} at {_dotted(path)} must list {wanted}",
                    path=_dotted(child),
                )
        _check_follows_order(patch_list or [], order, merge_key, child)

        current = original.get(field)
        if field in original and not isinstance(current, list):
            raise PatchConflictError(
                f"{_dotted(child)} has a $setElementOrder but is not a list in the object",
                path=_dotted(child),
            )
        server = current if isinstance(current, list) else []
        if patch_list is None:
            if field not in original:
                return True
            merged = server
        elif field not in original:
            merged = self.new_list(patch_list, child)
        elif meta.strategy is PatchStrategy.MERGE:
            merged = self.merge_list(list(server), patch_list, meta, child)
        else:
            merged = self.new_list(patch_list, child)
        original[field] = _order(merged, order, server, merge_key)
        return True

    def _delete_from_primitive_list(
        self, original: JSONObject, field: str, values: JSONValue, path: FieldPath
    ) -> None:
        if not isinstance(values, list) or any(isinstance(v, dict | list) for v in values):
            raise PatchInvalidError(
                f"$deleteFromPrimitiveList/{field} must be a list of primitives",
                path=_dotted(path),
            )
        if self.meta(path).strategy is not PatchStrategy.MERGE:
            raise PatchInvalidError(
                f"$deleteFromPrimitiveList/{field}: {_dotted(path)} is not a merged list",
                path=_dotted(path),
            )
        current = original.get(field)
        if not isinstance(current, list):
            return  # nothing to delete from, as in Kubernetes
        doomed = {scalar_key(v) for v in values}
        original[field] = [v for v in current if scalar_key(v) not in doomed]

    @staticmethod
    def _holds_maps(
        original: list[JSONValue], patch: list[JSONValue], meta: FieldPatchMeta, path: FieldPath
    ) -> bool:
        kinds = {
            "map" if isinstance(v, dict) else "list" if isinstance(v, list) else "primitive"
            for v in (*original, *patch)
        }
        if "list" in kinds:
            raise PatchConflictError(
                f"{_dotted(path)} is a list of lists, which cannot be merged",
                path=_dotted(path),
            )
        if len(kinds) > 1:
            raise PatchConflictError(
                f"{_dotted(path)} mixes objects and primitives in the object or the patch",
                path=_dotted(path),
            )
        if kinds == {"map"} and meta.primitive_list:
            raise PatchConflictError(
                f"{_dotted(path)} is a list of primitives but holds objects",
                path=_dotted(path),
            )
        return kinds == {"map"}

    @staticmethod
    def _check_list_directive(directive: JSONValue, path: FieldPath) -> None:
        if directive in ("replace", "delete"):
            return
        if directive == "merge":
            raise PatchInvalidError(
                f"$patch: merge in the list {_dotted(path)}: a list cannot ask to be merged",
                path=_dotted(path),
            )
        raise PatchInvalidError(
            f"unknown $patch directive {directive!r} in the list {_dotted(path)}",
            path=_dotted(path),
        )

    @staticmethod
    def _no_merge_key(item: JSONObject, merge_key: str, path: FieldPath) -> PatchInvalidError:
        shown = sorted(k for k in item if not k.startswith("$"))
        return PatchInvalidError(
            f"an element of {_dotted(path)} has no merge key {merge_key!r} (it has {shown})",
            path=_dotted(path),
        )


def _check_follows_order(
    patch_list: list[JSONValue], order: list[JSONValue], merge_key: str | None, path: FieldPath
) -> None:
    """The patch's own elements must appear in ``order``, in the same sequence."""
    position = 0
    keys = [_item_key(entry, merge_key) for entry in order]
    for item in patch_list:
        if isinstance(item, dict) and _PATCH in item:
            continue
        key = _item_key(item, merge_key)
        if key == _NO_KEY:
            raise PatchInvalidError(
                f"an element of {_dotted(path)} has no merge key {merge_key!r}",
                path=_dotted(path),
            )
        while position < len(keys) and keys[position] != key:
            position += 1
        if position == len(keys):
            raise PatchConflictError(
                f"the elements of {_dotted(path)} in the patch do not follow its $setElementOrder",
                path=_dotted(path),
            )
        position += 1


def _order(
    merged: list[JSONValue],
    order: list[JSONValue],
    server: list[JSONValue],
    merge_key: str | None,
) -> list[JSONValue]:
    """Put ``merged`` in the order of ``order``, interleaving server-only items.

    Items named in ``order`` come in its sequence; the others keep the sequence
    they had in ``server`` and go before a named item only if they preceded it
    there (see the module docstring). Items found in neither keep their relative
    place at the end of their group.
    """

    def key_of(item: JSONValue) -> ScalarKey:
        return _item_key(item, merge_key)

    wanted: dict[ScalarKey, int] = {}
    for index, item in enumerate(order):
        wanted.setdefault(key_of(item), index)
    was: dict[ScalarKey, int] = {}
    for index, item in enumerate(server):
        was.setdefault(key_of(item), index)

    named: list[tuple[int, int | None, JSONValue]] = []
    others: list[tuple[int, int | None, JSONValue]] = []
    for item in merged:
        key = key_of(item)
        if key != _NO_KEY and key in wanted:
            named.append((wanted[key], was.get(key), item))
        else:
            position = was.get(key)
            others.append((len(server) if position is None else position, position, item))
    named.sort(key=lambda entry: entry[0])
    others.sort(key=lambda entry: entry[0])

    result: list[JSONValue] = []
    i = j = 0
    while i < len(others) and j < len(named):
        left, right = others[i][1], named[j][1]
        if left is not None and right is not None and left < right:
            result.append(others[i][2])
            i += 1
        else:
            result.append(named[j][2])
            j += 1
    result.extend(entry[2] for entry in others[i:])
    result.extend(entry[2] for entry in named[j:])
    return result
