"""CEL validation rules: the ``x-kubernetes-validations`` of a structural schema.

A rule is a CEL expression on a node of the schema. It runs with ``self`` bound
to the value at that node, wherever the node occurs in an object: a rule on
``items`` runs once per item, one on ``additionalProperties`` once per map
value. A *transition rule* also names ``oldSelf``, the value at the same place
in the object being replaced; it runs only on an update, only where that old
value exists, unless ``optionalOldSelf`` makes ``oldSelf`` an optional.

**Compiled once.** ``compile_rules(schema)`` compiles every rule and
``messageExpression`` into a tree that keeps only the branches holding rules;
the caller keeps it with the schema, and ``Rules.validate(obj, old)`` walks it
beside the object, evaluating without parsing. For example::

    spec          {A: self.min <= self.max}
    └ ports       (x-kubernetes-list-type: map, keys [name])
      └ items     {B: self.port > 0,  C: self.port == oldSelf.port}

    spec.ports = [{name: a, port: 1}, {name: b, port: 0}], old [{name: a, ...}]
    A runs once (self = spec); B twice, failing at spec.ports[1]; C on update,
    for item a only, with oldSelf the old item of the same keys.

The rules of one node share one ``Activation``: converting the value to CEL is
most of the cost, running a compiled rule a microsecond or two.

**Ratcheting.** On an update, a failing rule that does not use ``oldSelf`` is
forgiven where the value it ran on is unchanged from the old value correlated
with it (by field, map key, map-list keys, or index in a list of no type; see
``_correlation``), as Kubernetes' ``CRDValidationRatcheting`` does: the
failure is given back as a warning, not an error. Evaluation errors never are.

**Runtime.** Google's cel-cpp through ``cel-expr-python``, with the strings,
math, encoders, optional and ``cel.bind`` extensions, and Kubernetes' lists
and regex libraries (``cel_library``). ``self`` is declared from
the schema (``int``, ``double``, ``string``, ``bool``, ``list(T)``, a map's
``map(string, T)``; an object with properties is ``map(string, dyn)``), so
``self.startsWith(1)`` on a string fails to compile, as in Kubernetes. JSON
integers are CEL ints, and a ``number`` field's values doubles even when
written ``1``, as Kubernetes converts them.

**Errors** read as the API server's, the bad value being the node's schema
type: ``spec: Invalid value: "object": failed rule: self.min <= self.max``.
cel-cpp's runtime errors are put in cel-go's words where they differ (``no such
key: x``, ``no such overload``, ``division by zero``). ``compile_errors`` finds
what Kubernetes refuses when a CRD is written, the rule printed as Go prints
the struct (a set pointer shows its value where Go would show an address).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from cel_expr_python import cel

from kubelite.api.crd._correlation import (
    UNRATCHETED,
    Correlated,
    Ratchet,
    field_ratchet,
    forgives,
    item_ratchet,
    list_key,
    map_list,
)
from kubelite.api.crd.cel_library import environments
from kubelite.api.field import ErrorType, FieldError, FieldPath, GoLiteral, go_quote, go_value

__all__ = ["Rules", "compile_errors", "compile_rules"]

log = logging.getLogger(__name__)

_T: Final = cel.Type
_SCALARS: Final = {"integer": _T.INT, "number": _T.DOUBLE, "string": _T.STRING, "boolean": _T.BOOL}
_REASONS: Final = {
    kind.value: kind
    for kind in (ErrorType.DUPLICATE, ErrorType.FORBIDDEN, ErrorType.INVALID, ErrorType.REQUIRED)
}
_NO_RULE: Final = "rule is not specified"
# The result types a rule and a messageExpression may have: dyn can be either.
_BOOLS: Final = (_T.BOOL, _T.DYN)
_STRINGS: Final = (_T.STRING, _T.DYN)
_MAX_MESSAGE_BYTES: Final = 5 * 1024
# With optionalOldSelf, oldSelf is an optional, which the binding cannot declare:
# the rule is compiled inside a cel.bind that makes one (the newline keeps a
# trailing comment in the rule from hiding the closing parenthesis).
_OPTIONAL_OLD_SELF: Final = (
    "cel.bind(oldSelf, _hasOldSelf ? optional.of(oldSelf) : optional.none(), {rule}\n)"
)
_ROOT: Final = FieldPath()

Convert = Callable[[Any], Any]


# -- compiling -------------------------------------------------------------------


def _decl(schema: Mapping[str, Any]) -> Any:
    """The CEL type of a schema node's values (``dyn`` where it may vary)."""
    # TODO(#4): an object is map(string, dyn), not a type with its fields, so a
    # misspelt field fails at run time rather than at compile time; and field
    # names are not escaped (``__dash__``), nor string formats made timestamps,
    # durations or bytes, as Kubernetes' declared types would do.
    kind = schema.get("type")
    if schema.get("x-kubernetes-int-or-string") or schema.get("nullable"):
        return _T.DYN
    if kind in _SCALARS:
        return _SCALARS[kind]
    items, values = schema.get("items"), schema.get("additionalProperties")
    if kind == "array":
        return _T.List(_decl(items) if isinstance(items, Mapping) else _T.DYN)
    if kind == "object" and isinstance(values, Mapping) and not schema.get("properties"):
        return _T.Map(_T.STRING, _decl(values))
    return _T.Map(_T.STRING, _T.DYN) if kind == "object" else _T.DYN


def _converter(schema: Mapping[str, Any]) -> Convert | None:
    """What turns a value's ``number`` fields into doubles; None if it has none."""
    kind = schema.get("type")
    if kind == "number":
        return lambda value: float(value) if type(value) is int else value
    items, values = schema.get("items"), schema.get("additionalProperties")
    if kind == "array" and isinstance(items, Mapping) and (item := _converter(items)):
        return lambda value: [item(v) for v in value] if type(value) is list else value
    if kind != "object":
        return None
    fields = {k: c for k, s in _children(schema.get("properties")) if (c := _converter(s))}
    if not fields and isinstance(values, Mapping) and (each := _converter(values)):
        return lambda value: (
            {k: each(v) for k, v in value.items()} if type(value) is dict else value
        )
    if not fields:
        return None
    return lambda value: (
        {k: fields[k](v) if k in fields else v for k, v in value.items()}
        if type(value) is dict
        else value
    )


def _children(properties: object) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(properties, Mapping):
        for name, sub in properties.items():
            if isinstance(sub, Mapping):
                yield str(name), sub


def _issues(err: Exception) -> str:
    # cel-cpp wraps cel-go's issue text in a status: "INVALID_ARGUMENT: ... [INVALID_ARGUMENT]".
    return str(err).removeprefix("INVALID_ARGUMENT: ").removesuffix(" [INVALID_ARGUMENT]")


@dataclass(frozen=True, slots=True)
class _Rule:
    """One compiled rule; ``program`` is None when ``error`` says why."""

    name: str  # the message, else the rule: how Kubernetes names a rule in errors
    detail: str  # the message, else "failed rule: <rule>"
    program: Any
    error: str
    message_program: Any
    message_error: str
    reason: ErrorType
    field_path: str  # normalized (``.a['b']`` is ``a[b]``); "" for none
    uses_old_self: bool
    optional_old_self: bool


def _compile_rule(raw: Mapping[str, Any], schema: Mapping[str, Any], decl: Any) -> _Rule:
    plain, with_old = environments(decl)
    source = str(raw.get("rule") or "")
    message = str(raw.get("message") or "").strip()
    optional = raw.get("optionalOldSelf") is True
    program: Any = None
    error, uses_old = "" if source.strip() else _NO_RULE, False
    if not error:
        try:
            program = plain.compile(source)
        except RuntimeError:
            text = _OPTIONAL_OLD_SELF.format(rule=source) if optional else source
            try:
                program, uses_old = with_old.compile(text), True
            except RuntimeError as err:
                program, error = None, f"compilation failed: {_issues(err)}"
    if program is not None and program.return_type() not in _BOOLS:
        program, error = None, "cel expression must evaluate to a bool"

    message_program: Any = None
    message_error = ""
    if expression := str(raw.get("messageExpression") or "").strip():
        try:
            message_program = with_old.compile(expression)
        except RuntimeError as err:
            message_error = f"messageExpression compilation failed: {_issues(err)}"
        if message_program is not None and message_program.return_type() not in _STRINGS:
            message_program, message_error = None, "must evaluate to a string"

    return _Rule(
        name=message or source.strip(),
        detail=message or f"failed rule: {source.strip()}",
        program=program,
        error=error,
        message_program=message_program,
        message_error=message_error,
        reason=_REASONS.get(str(raw.get("reason")), ErrorType.INVALID),
        field_path=_field_path(str(raw.get("fieldPath") or ""), schema)[0],
        uses_old_self=uses_old,
        optional_old_self=optional,
    )


# -- fieldPath: fields and map keys from the rule's node, ``.limits['cpu']`` -------

_TOKENS: Final = re.compile(r"'(?:\\.|[^\\'])*'|'.*|[.\[\]]|[^.\[\]]+", re.DOTALL)
_ESCAPES: Final = dict(zip("abfnrtv'\\", "\a\b\f\n\r\t\v'\\", strict=True))


def _unquote(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if match[1] not in _ESCAPES:
            raise ValueError(f"invalid string literal: invalid escape char {match[0]}")
        return _ESCAPES[match[1]]

    return re.sub(r"\\(.)", replace, text, flags=re.DOTALL)


def _field_path(text: str, schema: Mapping[str, Any]) -> tuple[str, str]:
    """``text`` as Kubernetes normalizes it; or "" and why it names no field."""
    segments: list[tuple[bool, str]] = []
    tokens = iter(_TOKENS.findall(text))
    node = schema
    try:
        for token in tokens:
            if token not in (".", "["):
                raise ValueError(f"expected [ or . but got: {token}")
            if (name := next(tokens, None)) is None:
                raise ValueError("unexpected end of JSON path")
            if token == "[":
                if len(name) < 2 or name[0] != "'" or name[-1] != "'":
                    raise ValueError(f"expected single quoted string but got {name}")
                name = _unquote(name[1:-1])
                if (close := next(tokens, None)) != "]":
                    raise ValueError(
                        f"expected ] but got {close}" if close else "unexpected end of JSON path"
                    )
            properties, values = node.get("properties"), node.get("additionalProperties")
            if isinstance(properties, Mapping) and isinstance(properties.get(name), Mapping):
                segments.append((True, name))
                node = properties[name]
            elif properties is None and values is not None:
                segments.append((False, name))
                node = values if isinstance(values, Mapping) else {}
            else:
                raise ValueError("does not refer to a valid field")
    except ValueError as err:
        return "", str(err)
    return str(FieldPath(tuple(segments))), ""


# -- evaluating ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Node:
    """A schema node holding rules, or above one that does."""

    type_name: str  # the schema's type: the bad value Kubernetes prints
    schema: Mapping[str, Any]  # what ratcheting correlates and compares by
    rules: tuple[_Rule, ...]
    env: Any  # makes the node's Activation; None without rules
    convert: Convert | None
    # The only fields of an object that the rules read (``self.a``, ``oldSelf.b``);
    # None when they may read more. Converting values to CEL is most of a rule's
    # cost, so only these are converted.
    used: frozenset[str] | None
    transition: bool  # some rule uses oldSelf
    properties: tuple[tuple[str, _Node], ...]
    items: _Node | None
    values: _Node | None
    list_keys: tuple[str, ...] | None  # a list-type map's keys, which correlate old items


def _build(schema: Mapping[str, Any]) -> _Node | None:
    properties = tuple(
        (name, node) for name, sub in _children(schema.get("properties")) if (node := _build(sub))
    )
    items, values = schema.get("items"), schema.get("additionalProperties")
    item_node = _build(items) if isinstance(items, Mapping) else None
    value_node = _build(values) if isinstance(values, Mapping) else None
    # Rules under allOf are not compiled, as no CRD can hold them: Kubernetes'
    # CEL validator runs them (since 1.31, for its own types' schemas), but its
    # structural check refuses x-kubernetes-validations under allOf, anyOf,
    # oneOf and not in a CRD ("must be empty to be structural"), as does ours.
    raws = [r for r in schema.get("x-kubernetes-validations") or () if isinstance(r, Mapping)]
    if not (raws or properties or item_node or value_node):
        return None
    decl = _decl(schema)
    rules = tuple(_compile_rule(raw, schema, decl) for raw in raws)
    keys = schema.get("x-kubernetes-list-map-keys")
    if schema.get("x-kubernetes-list-type") != "map" or not isinstance(keys, list) or not keys:
        keys = None
    return _Node(
        type_name=str(schema.get("type") or ""),
        schema=schema,
        rules=rules,
        env=environments(decl)[1] if rules else None,
        convert=_converter(schema) if rules else None,
        used=_fields_used(raws, schema) if rules else None,
        transition=any(rule.uses_old_self for rule in rules),
        properties=properties,
        items=item_node,
        values=value_node,
        list_keys=None if keys is None else tuple(map(str, keys)),
    )


# ``self`` or ``oldSelf``, and the field it selects, if any; a call after the
# name (``self.size()``, ``self.all(...)``) is a method, not a field.
_SELF_USE: Final = re.compile(r"\b(?:self|oldSelf)\b(?:\s*\.\s*([A-Za-z_]\w*)(\s*\()?)?")


def _fields_used(raws: list[Mapping[str, Any]], schema: Mapping[str, Any]) -> frozenset[str] | None:
    """The declared fields of an object node that its rules and message
    expressions read, when each use of ``self`` and ``oldSelf`` selects one;
    None when a rule may see the whole object (``self.size()``, ``self['a']``,
    ``self == oldSelf``), or the node is no object with properties."""
    declared = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(declared, Mapping):
        return None
    used: set[str] = set()
    for raw in raws:
        for key in ("rule", "messageExpression"):
            for match in _SELF_USE.finditer(str(raw.get(key) or "")):
                name, call = match[1], match[2]
                if name is None or call is not None or name not in declared:
                    return None
                used.add(name)
    return frozenset(used)


def _error(kind: ErrorType, path: FieldPath, type_name: str, detail: str) -> FieldError:
    # Kubernetes prints a nil field.Path as "<nil>": the root's errors have that field.
    field = str(path) or "<nil>"
    if kind is ErrorType.DUPLICATE:
        return FieldError(kind, field, type_name)
    if kind in (ErrorType.REQUIRED, ErrorType.FORBIDDEN):
        return FieldError(kind, field, "", detail)
    return FieldError(ErrorType.INVALID, field, type_name, detail)


def _eval_error(text: str, rule: _Rule) -> str:
    """A runtime error as Kubernetes words it, in cel-go's words."""
    text = re.sub(r"^[A-Z_]+: ", "", text)
    if match := re.fullmatch(r'Key not found in map : "(.*)"', text, re.DOTALL):
        text = f"no such key: {match[1]}"
    elif text.startswith("No matching overloads found") or text == "no such overload":
        return (
            "'no such overload': call arguments did not match a supported operator, "
            f"function or macro signature for rule: {rule.name}"
        )
    elif text == "divide by zero":
        text = "division by zero"
    return f"{text} evaluating rule: {rule.name}"


def _message(rule: _Rule, activation: Any) -> str:
    """The evaluated messageExpression; "" to fall back to the message."""
    result = rule.message_program.eval(activation)
    if result.type() != _T.STRING:
        log.debug("messageExpression evaluation failed", extra={"result": str(result.value())})
        return ""
    text = str(result.plain_value()).strip()
    return "" if "\n" in text or len(text.encode()) > _MAX_MESSAGE_BYTES else text


class _Found:
    """What a walk finds: the errors, and the failures ratcheting forgives
    (None to drop them)."""

    __slots__ = ("errors", "forgiven")

    def __init__(self, forgiven: list[FieldError] | None) -> None:
        self.errors: list[FieldError] = []
        self.forgiven = forgiven


def _evaluate(
    node: _Node, value: object, old: object, at: FieldPath, found: _Found, ratchet: Ratchet
) -> None:
    convert = node.convert or (lambda v: v)
    if node.used is not None:
        fields = node.used
        value = _only(value, fields)
        old = _only(old, fields)
    has_old = old is not None and node.transition
    data = {"self": convert(value), "_hasOldSelf": has_old}
    if has_old:
        data["oldSelf"] = convert(old)
    activation = node.env.Activation(data)
    # TODO(#4): no cost budget (estimated at compile, counted at run time).
    for rule in node.rules:
        if rule.program is None:
            detail = f"rule compile error: {rule.error}"
            found.errors.append(_error(ErrorType.INVALID, at, node.type_name, detail))
            continue
        if rule.uses_old_self and old is None and not rule.optional_old_self:
            continue
        result = rule.program.eval(activation)
        kind = result.type()
        if kind == _T.BOOL and result.plain_value() is True:
            continue
        if kind == _T.ERROR:
            # An evaluation error is never ratcheted, as in Kubernetes.
            detail = _eval_error(str(result.plain_value()), rule)
            found.errors.append(_error(ErrorType.INVALID, at, node.type_name, detail))
            continue
        # False, or anything but true: the rule failed.
        detail = (_message(rule, activation) if rule.message_program else "") or rule.detail
        path = at.child(rule.field_path) if rule.field_path else at
        error = _error(rule.reason, path, node.type_name, detail)
        if rule.uses_old_self or not forgives(ratchet):
            found.errors.append(error)
        elif found.forgiven is not None:
            found.forgiven.append(error)


def _only(value: object, fields: frozenset[str]) -> object:
    if type(value) is not dict:
        return value
    return {key: value[key] for key in fields if key in value}


def _walk(
    node: _Node, value: object, old: object, at: FieldPath, found: _Found, ratchet: Ratchet
) -> None:
    # Only non-null values are validated: a null is for its parent's rules to see.
    if value is None:
        return
    if node.rules:
        _evaluate(node, value, old, at, found, ratchet)
    if isinstance(value, dict):
        olds = old if isinstance(old, dict) else {}
        for name, child in node.properties:
            if name in value:
                below = ratchet if ratchet[0] is None else field_ratchet(ratchet, name)
                _walk(child, value[name], olds.get(name), at.child(name), found, below)
        if node.values is not None:
            for key, item in value.items():
                below = ratchet if ratchet[0] is None else field_ratchet(ratchet, key)
                _walk(node.values, item, olds.get(key), at.key(str(key)), found, below)
    elif isinstance(value, list) and node.items is not None:
        # oldSelf of an item is only found in a map list, by the item's keys.
        keys = node.list_keys
        by_key = map_list(old, keys) if keys is not None and isinstance(old, list) else {}
        for index, item in enumerate(value):
            key = list_key(item, keys) if by_key and keys is not None else None
            old_item = by_key.get(key) if key is not None else None
            below = ratchet if ratchet[0] is None else item_ratchet(ratchet, index)
            _walk(node.items, item, old_item, at.index(index), found, below)


class Rules:
    """The compiled rules of one schema; falsy when it has none."""

    __slots__ = ("_root",)

    def __init__(self, root: _Node | None) -> None:
        self._root = root

    def __bool__(self) -> bool:
        return self._root is not None

    def validate(
        self,
        obj: object,
        old: object = None,
        *,
        path: FieldPath = _ROOT,
        warnings: list[FieldError] | None = None,
    ) -> list[FieldError]:
        """The errors of every rule on ``obj`` (``old``: the object it replaces,
        on an update), in the order of the schema's walk. On an update, the
        failures ratcheting forgives go to ``warnings`` instead, which the API
        server sends as ``Warning`` headers."""
        found = _Found(warnings)
        if self._root is not None:
            root = self._root
            ratchet = UNRATCHETED if old is None else (Correlated(obj, old, root.schema), None)
            _walk(root, obj, old, path, found, ratchet)
        return found.errors


def compile_rules(schema: Mapping[str, Any]) -> Rules:
    """Every rule of ``schema`` compiled. A rule that fails to compile (which
    ``compile_errors`` refuses earlier) fails on every object it would see."""
    return Rules(_build(schema))


# -- checking a CRD's rules --------------------------------------------------------


def _go_rule(raw: Mapping[str, Any]) -> GoLiteral:
    """The rule as Go's %#v prints an ``apiextensions.ValidationRule``."""

    def text(key: str) -> str:
        return go_quote(str(raw.get(key) or ""))

    def pointer(key: str, go_type: str) -> str:
        value = raw.get(key)
        return f"(*{go_type})({'nil' if value is None else go_value(value)})"

    return GoLiteral(
        f"apiextensions.ValidationRule{{Rule:{text('rule')}, Message:{text('message')}, "
        f"MessageExpression:{text('messageExpression')}, "
        f"Reason:{pointer('reason', 'apiextensions.FieldValueErrorReason')}, "
        f"FieldPath:{text('fieldPath')}, OptionalOldSelf:{pointer('optionalOldSelf', 'bool')}}}"
    )


def _check(
    schema: Mapping[str, Any],
    path: FieldPath,
    uncorrelatable: FieldPath | None,
    found: tuple[list[FieldError], list[FieldError]],
) -> None:
    schema_errors, cel_errors = found
    before = len(schema_errors)
    for name, sub in _children(schema.get("properties")):
        _check(sub, path.child("properties").key(name), uncorrelatable, found)
    items, values = schema.get("items"), schema.get("additionalProperties")
    if isinstance(items, Mapping):
        # Only a list-type map's items have old values (found by their keys).
        below = uncorrelatable
        if below is None and schema.get("x-kubernetes-list-type") != "map":
            below = path.child("items")
        _check(items, path.child("items"), below, found)
    if isinstance(values, Mapping):
        _check(values, path.child("additionalProperties"), uncorrelatable, found)

    raws = [r for r in schema.get("x-kubernetes-validations") or () if isinstance(r, Mapping)]
    for index, raw in enumerate(raws):
        at = path.child("x-kubernetes-validations").index(index)
        if not str(raw.get("rule") or "").strip():
            schema_errors.append(FieldError.required(at.child("rule"), _NO_RULE))
        if (reason := raw.get("reason")) is not None and str(reason) not in _REASONS:
            schema_errors.append(FieldError.not_supported(at.child("reason"), reason, _REASONS))
        field_path = str(raw.get("fieldPath") or "")
        if field_path and (error := _field_path(field_path, schema)[1]):
            detail = f"fieldPath must be a valid path: {error}"
            schema_errors.append(FieldError.invalid(at.child("fieldPath"), field_path, detail))
    # As in Kubernetes, the rules compile only if the schema is right to here.
    if len(schema_errors) > before or not raws:
        return
    decl = _decl(schema)
    for index, raw in enumerate(raws):
        at = path.child("x-kubernetes-validations").index(index)
        rule = _compile_rule(raw, schema, decl)
        if rule.error:
            cel_errors.append(FieldError.invalid(at.child("rule"), _go_rule(raw), rule.error))
        if rule.message_error:
            at_message = at.child("messageExpression")
            cel_errors.append(FieldError.invalid(at_message, _go_rule(raw), rule.message_error))
        if rule.uses_old_self and uncorrelatable is not None:
            detail = (
                "oldSelf cannot be used on the uncorrelatable portion of the schema "
                f"within {uncorrelatable}"
            )
            cel_errors.append(FieldError.invalid(at.child("rule"), raw.get("rule"), detail))


def compile_errors(schema: Mapping[str, Any], base_path: FieldPath) -> list[FieldError]:
    """What Kubernetes refuses in the rules of a CRD version's schema, at paths
    below ``base_path`` (``spec.versions[0].schema.openAPIV3Schema``): a bad
    ``reason`` or ``fieldPath``, then, where there is none, what fails to
    compile and ``oldSelf`` where no old value can be found."""
    found: tuple[list[FieldError], list[FieldError]] = ([], [])
    _check(schema, base_path, None, found)
    return found[0] + found[1]
