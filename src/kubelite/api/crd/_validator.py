"""The validation walk: kube-openapi's validator and two later passes.

``Check.check`` runs, for one value, the validators in kube-openapi's order:
type, junctors (``allOf``, ``anyOf``, ``oneOf``, ``not``), string, format,
number, array, enum, object; children are visited in the order of the
object's keys (Go's map order is random, so Kubernetes has none). The
embedded-resource and list-type checks, separate passes over the same tree in
Kubernetes, collect on the way into lists of their own that come last.

Paths are a stack of ``Segment`` values and become text only for an error.
On an update ``_ratchet.RatchetCheck`` repeats the walk, dropping the errors
of nodes whose values the update left unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from kubelite.api.crd._compiled import (
    KINDS,
    META,
    MISSING,
    Node,
    Segment,
    bad_value,
    canon,
    json_integer,
    kind_of,
)
from kubelite.api.field import ErrorType, FieldError, FieldPath, go_quote, go_value
from kubelite.api.validation import (
    NameRule,
    is_dns1035_label,
    validate_annotations,
    validate_labels,
    validate_name,
)


def _ratio(value: float, factor: float) -> float:
    return value / factor if factor else math.inf


def _composite(field: str, detail: str) -> FieldError:
    # Kubernetes reports a failed junctor against the base path, which is nil
    # for a custom resource, hence "<nil>" as the field.
    return FieldError(ErrorType.INVALID, field or "<nil>", "", detail)


class Check:
    """One validation walk: the path so far and the error list of each pass.

    ``errors`` holds the validator's errors; the embedded-resource and
    list-type passes of Kubernetes, which walk the same tree, collect into
    ``embedded`` and ``lists`` and come after them.
    """

    __slots__ = ("base", "embedded", "errors", "lists", "root", "stack")

    def __init__(self, root: Node, base: FieldPath) -> None:
        self.root = root
        self.base = base
        self.stack: list[Segment] = []
        self.errors: list[FieldError] = []
        self.embedded: list[FieldError] = []
        self.lists: list[FieldError] = []

    # -- paths and errors, built only when something is wrong

    def _segments(
        self, more: Iterable[Segment], keys_as_names: bool
    ) -> tuple[tuple[bool, str], ...]:
        if keys_as_names:
            return tuple((is_name is not False, text) for is_name, text in (*self.stack, *more))
        return tuple((bool(is_name), text) for is_name, text in (*self.stack, *more))

    def _name(self, *more: Segment) -> str:
        """The path as the validator names it in messages: ``spec.labels.key``."""
        return str(FieldPath(self._segments(more, True)))

    def _at(self, *more: Segment) -> FieldPath:
        return FieldPath(self.base.segments + self._segments(more, True))

    def _field_at(self, *more: Segment) -> FieldPath:
        """The path as ``field.Path`` prints it: ``spec.labels[key]``."""
        return FieldPath(self.base.segments + self._segments(more, False))

    def _add(self, error: FieldError) -> None:
        if not error.field:
            error = FieldError(error.type, "<nil>", error.bad_value, error.detail)
        self.errors.append(error)

    def _invalid(self, value: object, detail: str) -> None:
        self._add(FieldError.invalid(self._at(), value, detail))

    def _type_error(self, type_name: str, got: str) -> None:
        detail = f"{self._name()} in body must be of type {type_name}: {go_quote(got)}"
        self._add(FieldError.type_invalid(self._at(), got, detail))

    # -- the validator

    def check(self, node: Node, value: Any) -> None:
        if value is None:
            if node.types and not node.nullable:
                self._type_error(node.type_label, "null")
            if node.enum is not None:
                self._add(FieldError.not_supported(self._at(), None, node.enum_labels))
            return
        kind = KINDS.get(type(value)) or kind_of(value)
        if (
            node.type_checked
            and kind not in node.type_ok
            and not (kind == "number" and node.int_type and json_integer(value))
        ):
            self._type_mismatch(node, kind)
        if node.junctors:
            self._junctors(node, value)
        if kind == "string":
            self._string(node, value)
        elif kind == "array":
            self._array(node, value)
        elif node.number_checks and (kind == "integer" or kind == "number"):
            self._number(node, value)
        if node.enum is not None and not self._in_enum(node, value):
            self._add(FieldError.not_supported(self._at(), bad_value(value), node.enum_labels))
        if kind == "object":
            self._object(node, value)

    def _type_mismatch(self, node: Node, kind: str) -> None:
        if node.fmt and kind not in ("string", "array"):
            # The Go validator names the format and the Go format of the value.
            self._type_error(node.fmt, {"integer": "int64", "number": "float64"}.get(kind, ""))
        elif node.fmt and not (node.int_type or "number" in node.types):
            return  # a formatted non-numeric node takes any string or array
        else:
            self._type_error(node.type_label, kind)

    def _junctors(self, node: Node, value: object) -> None:
        outer = self.errors
        field, quoted = str(self.base), go_quote(self._name())

        def run(sub: Node) -> list[FieldError]:
            self.errors = []
            self.check(sub, value)
            return self.errors

        if node.any_of:
            # Go keeps the errors of the branch with the most checks passed;
            # the branch with the fewest errors stands in for it.
            best: list[FieldError] | None = None
            for sub in node.any_of:
                found = run(sub)
                if not found:
                    best = None
                    break
                if best is None or len(found) < len(best):
                    best = found
            else:
                outer.append(
                    _composite(field, f"{quoted} must validate at least one schema (anyOf)")
                )
            outer.extend(best or ())
        if node.one_of:
            valid, best = 0, None
            for sub in node.one_of:
                found = run(sub)
                if not found:
                    valid, best = valid + 1, None
                elif valid == 0 and (best is None or len(found) < len(best)):
                    best = found
            if valid != 1:
                more = "Found none valid" if valid == 0 else f"Found {valid} valid alternatives"
                detail = f"{quoted} must validate one and only one schema (oneOf). {more}"
                outer.append(_composite(field, detail))
                outer.extend(best or ())
        if node.all_of:
            valid = 0
            for sub in node.all_of:
                found = run(sub)
                valid += not found
                outer.extend(found)
            if valid != len(node.all_of):
                more = ". None validated" if valid == 0 else ""
                outer.append(
                    _composite(field, f"{quoted} must validate all the schemas (allOf){more}")
                )
        if node.not_ is not None and not run(node.not_):
            outer.append(_composite(field, f"{quoted} must not validate the schema (not)"))
        self.errors = outer

    def _string(self, node: Node, value: str) -> None:
        if node.max_length is not None and len(value) > node.max_length:
            self._add(FieldError.too_long(self._at(), node.max_length))
        elif node.min_length is not None and len(value) < node.min_length:
            self._invalid(
                value, f"{self._name()} in body should be at least {node.min_length} chars long"
            )
        elif node.pattern is not None and node.pattern.search(value) is None:
            self._invalid(value, f"{self._name()} in body should match '{node.pattern_text}'")
        elif node.pattern_error:
            pattern = f"{node.pattern_text}, but pattern is invalid: {node.pattern_error}"
            self._invalid(value, f"{self._name()} in body should match '{pattern}'")
        if node.fmt_check is not None and not node.fmt_check(value):
            detail = f"{self._name()} in body must be of type {node.fmt}: {go_quote(value)}"
            self._add(FieldError.type_invalid(self._at(), value, detail))

    def _number(self, node: Node, value: float) -> None:
        # An integer is checked against bounds truncated to integers, as Go does.
        is_int = type(value) is int
        factor = node.multiple_of
        if factor is not None:
            whole = int(factor) if is_int else 0  # 0: the factor is checked as a float
            shown: float = whole or factor
            if shown < 0:
                detail = f"factor MultipleOf declared for {self._name()} must be positive"
                self._invalid(shown, f"{detail}: {go_value(shown)}")
            elif whole:
                if value % whole:
                    self._invalid(value, f"{self._name()} in body should be a multiple of {whole}")
            elif not json_integer(1 / factor * value if 0 < factor < 1 else _ratio(value, factor)):
                detail = f"{self._name()} in body should be a multiple of {go_value(factor)}"
                self._invalid(value, detail)
        for bound, exclusive, below in (
            (node.minimum, node.excl_min, True),
            (node.maximum, node.excl_max, False),
        ):
            if bound is None:
                continue
            limit: float = int(bound) if is_int else bound
            if below:
                failed = value <= limit if exclusive else value < limit
                words = "greater than" if exclusive else "greater than or equal to"
            else:
                failed = value >= limit if exclusive else value > limit
                words = "less than" if exclusive else "less than or equal to"
            if failed:
                self._invalid(value, f"{self._name()} in body should be {words} {go_value(limit)}")

    def _array(self, node: Node, value: list[Any]) -> None:
        items = node.items
        if items is not None:
            stack, simple, fast = self.stack, items.simple, items.fast
            for index, item in enumerate(value):
                if simple and type(item) in fast:
                    continue
                stack.append((False, str(index)))
                self.check(items, item)
                stack.pop()
        size = len(value)
        if node.min_items is not None and size < node.min_items:
            self._invalid(
                size, f"{self._name()} in body should have at least {node.min_items} items"
            )
        if node.max_items is not None and size > node.max_items:
            self._add(FieldError.too_many(self._at(), size, node.max_items))
        if node.unique and len({canon(item, True) for item in value}) != size:
            self._invalid("", f"{self._name()} in body shouldn't contain duplicates")
        if node.list_type is not None and size > 1:
            self._list_type(node, value)

    @staticmethod
    def _in_enum(node: Node, value: object) -> bool:
        if node.enum is not None and canon(value, True) in node.enum:
            return True
        return type(value) in (int, float) and value in node.enum_numbers

    def _object(self, node: Node, value: Mapping[str, Any]) -> None:
        size, outer = len(value), self.errors
        if node.min_props is not None and size < node.min_props:
            detail = f"{self._name()} in body should have at least {node.min_props} properties"
            self._invalid(size, detail)
            self.errors = []  # the validator stops here, the other passes go on
        elif node.max_props is not None and size > node.max_props:
            self._add(FieldError.too_many(self._at(), size, node.max_props))
            self.errors = []
        props, add = node.props, node.add
        if node.add_false:
            for key in value:
                if key not in props:
                    self._invalid(key, f"{self._name()}.{key} in body is a forbidden property")
        skip = "metadata" if node is self.root else None  # validated with the object meta
        stack = self.stack
        for key, child in value.items():
            sub = props.get(key)
            if sub is not None:
                if (sub.simple and type(child) in sub.fast) or key == skip:
                    continue
                stack.append((True, key))
            elif add is not None:
                if (add.simple and type(child) in add.fast) or key == skip:
                    continue
                sub = add
                stack.append((None, key))
            else:
                continue
            self.check(sub, child)
            stack.pop()
        for key in node.required:
            if key not in value:
                self._add(FieldError.required(self._at((True, key))))
        self.errors = outer
        if node.embedded:
            self._embedded(value)

    # -- the other passes

    def _list_type(self, node: Node, value: list[Any]) -> None:
        # Each item or key is reported where it first repeats, and only once.
        shown: list[Any] = value
        keys: list[Any] = value
        if node.list_type == "map":
            for index, item in enumerate(value):
                if item is not None and not isinstance(item, dict):
                    detail = "must be an object for an array of list-type map"
                    at = self._field_at((False, str(index)))
                    self.lists.append(FieldError.invalid(at, bad_value(item), detail))
                    return
            names = node.map_keys
            shown = keys = [
                {k: item[k] for k in names if k in item} if item else {} for item in value
            ]
            if len(names) == 1:
                keys = [entry.get(names[0], MISSING) for entry in shown]
        seen: dict[object, int] = {}
        for index, key in enumerate(keys):
            # Go compares scalars by type and value, objects by their JSON.
            same = key if key is MISSING else canon(key, not isinstance(key, (dict, list)))
            times = seen[same] = seen.get(same, 0) + 1
            if times == 2:
                at = self._field_at((False, str(index)))
                self.lists.append(FieldError.duplicate(at, bad_value(shown[index])))

    def _embedded(self, value: Mapping[str, Any]) -> None:
        at, errors = self._field_at, self.embedded
        for name in ("apiVersion", "kind"):
            if name not in value:
                errors.append(FieldError.required(at((True, name))))
        for key, item in value.items():
            if key not in META:
                continue
            where = at((True, key))
            if key == "metadata":
                errors.extend(_embedded_meta(item, where))
            elif not isinstance(item, str):
                errors.append(FieldError.invalid(where, bad_value(item), "must be a string"))
            elif not item:
                errors.append(FieldError.invalid(where, item, "must not be empty"))
            elif key == "apiVersion" and item.count("/") > 1:
                errors.append(
                    FieldError.invalid(where, item, f"unexpected GroupVersion string: {item}")
                )
            elif key == "kind" and (problems := is_dns1035_label(item.lower())):
                detail = "may have mixed case, but should otherwise match: " + ",".join(problems)
                errors.append(FieldError.invalid(where, item, detail))


def _embedded_meta(meta: object, path: FieldPath) -> list[FieldError]:
    """The metadata of an embedded object, lightly: its name, labels and
    annotations."""
    # TODO(#4): Kubernetes runs the full ObjectMeta validation here (namespace,
    # generateName, owner references, finalizers) and words a non-object
    # metadata as its accessor error.
    if not isinstance(meta, Mapping):
        return [FieldError.invalid(path, bad_value(meta), "must be of type object")]
    errors: list[FieldError] = []
    name = meta.get("name")
    if isinstance(name, str) and name:
        errors.extend(validate_name(name, path.child("name"), rule=NameRule.PATH_SEGMENT))
    if "labels" in meta:
        errors.extend(validate_labels(meta["labels"], path.child("labels")))
    if "annotations" in meta:
        errors.extend(validate_annotations(meta["annotations"], path.child("annotations")))
    return errors
