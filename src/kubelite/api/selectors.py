"""Label and field selectors: parsed once, then matched against many objects.

**Label selectors** come as text in ``?labelSelector=`` and as ``LabelSelector``
objects in ``spec.selector``; both become one ``Selector``, a conjunction of
``Requirement`` values sorted by key. The text syntax is Kubernetes'::

    env=prod, tier!=db         equality (``==`` is the same as ``=``)
    env in (prod,qa), x notin ()   set membership; "()" is the set {""}
    gpu, !spot                 the key exists / does not exist
    replicas>2, age<10         integer comparison (the value must be an integer)

Commas are AND, whitespace between tokens is ignored, ``in`` and ``notin`` are
keywords only where an operator is expected (``in in (in)`` is valid). The
parser reproduces Kubernetes' lexer and recursive descent step by step, so the
same input fails with the same message; ``str(selector)`` is the canonical form
Kubernetes prints, and parsing it gives the same selector back.

**Field selectors** are simpler: ``a=b``, ``a==b``, ``a!=b`` joined by commas,
where ``\\,``, ``\\=`` and ``\\\\`` escape those characters in a value. A missing
field reads as the empty string. Which fields can be selected on depends on the
resource, so parsing accepts any name and ``FieldSelector.unsupported`` tells
the caller which names it must refuse (with BadRequest
``field label not supported: <name>``).

Both parsers raise ``SelectorError``, a ``ValueError`` whose message is the one
Kubernetes gives; the API server wraps it in a 400.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from kubelite.api.field import (
    ErrorType,
    FieldError,
    FieldPath,
    GoLiteral,
    aggregate_message,
    go_quote,
)
from kubelite.api.validation import is_label_value, is_qualified_name


class SelectorError(ValueError):
    """A selector that does not parse, or a requirement that cannot hold."""


class Operator(enum.StrEnum):
    """A label requirement's operator; values are Kubernetes' ``selection`` names."""

    IN = "in"
    NOT_IN = "notin"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    NOT_EQUALS = "!="
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"


_BINARY_OPERATORS: Final = ", ".join(
    op.value
    for op in (
        Operator.IN,
        Operator.NOT_IN,
        Operator.EQUALS,
        Operator.DOUBLE_EQUALS,
        Operator.NOT_EQUALS,
        Operator.GREATER_THAN,
        Operator.LESS_THAN,
    )
)
_INTEGER: Final = re.compile(r"[+-]?[0-9]+")
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


def _parse_int64(text: str) -> int | None:
    if _INTEGER.fullmatch(text) is None:
        return None
    number = int(text)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


@dataclass(frozen=True, slots=True)
class Requirement:
    """One condition on one label; ``values`` sorted. Build with ``Requirement.new``."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    @classmethod
    def new(cls, key: str, operator: Operator, values: Sequence[str] | None = None) -> Requirement:
        """A requirement, checked as Kubernetes checks one.

        ``values=None`` stands for a nil list, which messages print as
        ``[]string(nil)``; an empty sequence prints as ``[]string{}``.
        """
        listed = list(values or ())
        shown: object = GoLiteral("[]string(nil)") if values is None else listed
        root = FieldPath()
        errors: list[FieldError] = []
        key_problems = is_qualified_name(key)
        if key_problems:
            errors.append(FieldError.invalid(root.child("key"), key, "; ".join(key_problems)))
        where = root.child("values")
        if operator in (Operator.IN, Operator.NOT_IN):
            if not listed:
                detail = "for 'in', 'notin' operators, values set can't be empty"
                errors.append(FieldError.invalid(where, shown, detail))
        elif operator in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS):
            if len(listed) != 1:
                detail = "exact-match compatibility requires one single value"
                errors.append(FieldError.invalid(where, shown, detail))
        elif operator in (Operator.EXISTS, Operator.DOES_NOT_EXIST):
            if listed:
                detail = "values set must be empty for exists and does not exist"
                errors.append(FieldError.invalid(where, shown, detail))
        else:
            if len(listed) != 1:
                detail = "for 'Gt', 'Lt' operators, exactly one value is required"
                errors.append(FieldError.invalid(where, shown, detail))
            for index, value in enumerate(listed):
                if _parse_int64(value) is None:
                    detail = "for 'Gt', 'Lt' operators, the value must be an integer"
                    errors.append(FieldError.invalid(where.index(index), value, detail))
        for index, value in enumerate(listed):
            problems = is_label_value(value)
            if problems:
                at = where.index(index).key(key)
                errors.append(FieldError.invalid(at, value, "; ".join(problems)))
        if errors:
            raise SelectorError(aggregate_message(errors))
        # Sorted, so that equal conditions are equal values; Kubernetes sorts
        # them only when printing.
        return cls(key, operator, tuple(sorted(listed)))

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.operator
        if op is Operator.EXISTS:
            return self.key in labels
        if op is Operator.DOES_NOT_EXIST:
            return self.key not in labels
        if op in (Operator.IN, Operator.EQUALS, Operator.DOUBLE_EQUALS):
            return self.key in labels and labels[self.key] in self.values
        if op in (Operator.NOT_IN, Operator.NOT_EQUALS):
            return self.key not in labels or labels[self.key] not in self.values
        # gt and lt: both sides must be integers, else nothing matches.
        if self.key not in labels or len(self.values) != 1:
            return False
        have = _parse_int64(labels[self.key])
        want = _parse_int64(self.values[0])
        if have is None or want is None:
            return False
        return have > want if op is Operator.GREATER_THAN else have < want

    def __str__(self) -> str:
        op = self.operator
        if op is Operator.EXISTS:
            return self.key
        if op is Operator.DOES_NOT_EXIST:
            return f"!{self.key}"
        values = ",".join(self.values)
        if op in (Operator.IN, Operator.NOT_IN):
            return f"{self.key} {op.value} ({values})"
        symbol = {Operator.GREATER_THAN: ">", Operator.LESS_THAN: "<"}.get(op, op.value)
        return f"{self.key}{symbol}{values}"


@dataclass(frozen=True, slots=True)
class Selector:
    """A label selector: every requirement must hold.

    No requirements selects everything. ``matches_nothing`` marks the selector
    of an absent ``LabelSelector`` (Kubernetes' ``Nothing()``), which selects
    no object at all.
    """

    requirements: tuple[Requirement, ...] = ()
    matches_nothing: bool = False

    @classmethod
    def of(cls, requirements: Iterable[Requirement]) -> Selector:
        """Requirements in Kubernetes' order: sorted by key, stable otherwise."""
        return cls(tuple(sorted(requirements, key=lambda r: r.key)))

    @classmethod
    def from_labels(cls, labels: Mapping[str, str]) -> Selector:
        """The selector matching exactly ``labels`` (``key=value`` for each)."""
        return cls.of(Requirement.new(k, Operator.EQUALS, [v]) for k, v in labels.items())

    @property
    def empty(self) -> bool:
        """Selects everything (an absent ``?labelSelector=``)."""
        return not self.requirements and not self.matches_nothing

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.matches_nothing:
            return False
        return all(requirement.matches(labels) for requirement in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(requirement) for requirement in self.requirements)


EVERYTHING: Final = Selector()
NOTHING: Final = Selector(matches_nothing=True)

_LABEL_SELECTOR_OPERATORS: Final = {
    "In": Operator.IN,
    "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS,
    "DoesNotExist": Operator.DOES_NOT_EXIST,
}


def selector_from_label_selector(label_selector: Mapping[str, object] | None) -> Selector:
    """The ``Selector`` of a ``LabelSelector`` object such as ``spec.selector``.

    An absent one (``None``) selects nothing; an empty one selects everything.
    Shape and value errors raise ``SelectorError``; check the object first with
    ``validation.validate_label_selector`` for field-by-field errors.
    """
    if label_selector is None:
        return NOTHING
    match_labels = label_selector.get("matchLabels") or {}
    expressions = label_selector.get("matchExpressions") or []
    if not isinstance(match_labels, Mapping) or not isinstance(expressions, Sequence):
        raise SelectorError("matchLabels must be a map and matchExpressions a list")
    requirements = [
        Requirement.new(str(key), Operator.EQUALS, [str(value)])
        for key, value in match_labels.items()
    ]
    for expression in expressions:
        if not isinstance(expression, Mapping):
            raise SelectorError("each of matchExpressions must be an object")
        operator = expression.get("operator", "")
        if operator not in _LABEL_SELECTOR_OPERATORS:
            raise SelectorError(f"{go_quote(str(operator))} is not a valid label selector operator")
        values = expression.get("values")
        if values is not None and not isinstance(values, Sequence):
            raise SelectorError("matchExpressions values must be a list")
        requirements.append(
            Requirement.new(
                str(expression.get("key", "")),
                _LABEL_SELECTOR_OPERATORS[str(operator)],
                None if not values else [str(value) for value in values],
            )
        )
    return Selector.of(requirements)


# -- the label selector parser --------------------------------------------------------
# A faithful port of the structure of Kubernetes' labels parser: a lexer that
# splits identifiers at whitespace and special symbols, and a parser that looks
# one token ahead. Where Kubernetes' messages are odd (no comma in "found 'x'
# expected: '('"; the first value named in a missing ')'), they are kept.


class _Token(enum.Enum):
    ERROR = enum.auto()
    END = enum.auto()
    CLOSE_PAREN = enum.auto()
    COMMA = enum.auto()
    DOES_NOT_EXIST = enum.auto()
    DOUBLE_EQUALS = enum.auto()
    EQUALS = enum.auto()
    GREATER_THAN = enum.auto()
    IDENTIFIER = enum.auto()
    IN = enum.auto()
    LESS_THAN = enum.auto()
    NOT_EQUALS = enum.auto()
    NOT_IN = enum.auto()
    OPEN_PAREN = enum.auto()


_LITERALS: Final = {
    ")": _Token.CLOSE_PAREN,
    ",": _Token.COMMA,
    "!": _Token.DOES_NOT_EXIST,
    "==": _Token.DOUBLE_EQUALS,
    "=": _Token.EQUALS,
    ">": _Token.GREATER_THAN,
    "in": _Token.IN,
    "<": _Token.LESS_THAN,
    "!=": _Token.NOT_EQUALS,
    "notin": _Token.NOT_IN,
    "(": _Token.OPEN_PAREN,
}
_SPECIAL: Final = frozenset("=!(),><")
_WHITESPACE: Final = frozenset(" \t\r\n")
_OPERATOR_TOKENS: Final = {
    _Token.IN: Operator.IN,
    _Token.EQUALS: Operator.EQUALS,
    _Token.DOUBLE_EQUALS: Operator.DOUBLE_EQUALS,
    _Token.GREATER_THAN: Operator.GREATER_THAN,
    _Token.LESS_THAN: Operator.LESS_THAN,
    _Token.NOT_IN: Operator.NOT_IN,
    _Token.NOT_EQUALS: Operator.NOT_EQUALS,
}


def _lex(text: str) -> list[tuple[_Token, str]]:
    tokens: list[tuple[_Token, str]] = []
    position = 0
    while True:
        while position < len(text) and text[position] in _WHITESPACE:
            position += 1
        if position == len(text):
            tokens.append((_Token.END, ""))
            return tokens
        start = position
        if text[position] in _SPECIAL:
            # The longest run of special symbols that is still a literal.
            token, literal = _Token.ERROR, ""
            while position < len(text) and text[position] in _SPECIAL:
                candidate = text[start : position + 1]
                if candidate in _LITERALS:
                    token, literal = _LITERALS[candidate], candidate
                elif token is not _Token.ERROR:
                    break
                position += 1
            tokens.append((token, literal))
        else:
            while (
                position < len(text)
                and text[position] not in _SPECIAL
                and text[position] not in _WHITESPACE
            ):
                position += 1
            word = text[start:position]
            tokens.append((_LITERALS.get(word, _Token.IDENTIFIER), word))


class _Parser:
    def __init__(self, text: str) -> None:
        self._tokens = _lex(text)
        self._position = 0

    def _lookahead(self, values: bool) -> tuple[_Token, str]:
        return self._as_context(self._tokens[self._position], values)

    def _consume(self, values: bool) -> tuple[_Token, str]:
        item = self._tokens[self._position]
        self._position += 1
        return self._as_context(item, values)

    @staticmethod
    def _as_context(item: tuple[_Token, str], values: bool) -> tuple[_Token, str]:
        # Where a value is expected, "in" and "notin" are plain identifiers.
        token, literal = item
        if values and token in (_Token.IN, _Token.NOT_IN):
            return _Token.IDENTIFIER, literal
        return token, literal

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            token, literal = self._lookahead(values=True)
            if token is _Token.END:
                return requirements
            if token not in (_Token.IDENTIFIER, _Token.DOES_NOT_EXIST):
                raise SelectorError(
                    f"found '{literal}', expected: !, identifier, or 'end of string'"
                )
            try:
                requirements.append(self._requirement())
            except SelectorError as err:
                raise SelectorError(f"unable to parse requirement: {err}") from err
            token, literal = self._consume(values=True)
            if token is _Token.END:
                return requirements
            if token is not _Token.COMMA:
                raise SelectorError(f"found '{literal}', expected: ',' or 'end of string'")
            after, after_literal = self._lookahead(values=True)
            if after not in (_Token.IDENTIFIER, _Token.DOES_NOT_EXIST):
                raise SelectorError(f"found '{after_literal}', expected: identifier after ','")

    def _requirement(self) -> Requirement:
        token, key = self._consume(values=True)
        negated = token is _Token.DOES_NOT_EXIST
        if negated:
            token, key = self._consume(values=True)
        if token is not _Token.IDENTIFIER:
            raise SelectorError(f"found '{key}', expected: identifier")
        problems = is_qualified_name(key)
        if problems:
            # Kubernetes names no path here, and prints its nil path as "<nil>".
            error = FieldError(ErrorType.INVALID, "<nil>", key, "; ".join(problems))
            raise SelectorError(str(error))
        if negated:
            return Requirement.new(key, Operator.DOES_NOT_EXIST, [])
        if self._lookahead(values=True)[0] in (_Token.END, _Token.COMMA):
            return Requirement.new(key, Operator.EXISTS, [])
        operator = self._operator()
        if operator in (Operator.IN, Operator.NOT_IN):
            values = self._set_values()
        else:
            values = self._exact_value()
        return Requirement.new(key, operator, list(values))

    def _operator(self) -> Operator:
        token, literal = self._consume(values=False)
        if token in _OPERATOR_TOKENS:
            return _OPERATOR_TOKENS[token]
        raise SelectorError(f"found '{literal}', expected: {_BINARY_OPERATORS}")

    def _set_values(self) -> set[str]:
        token, literal = self._consume(values=True)
        if token is not _Token.OPEN_PAREN:
            raise SelectorError(f"found '{literal}' expected: '('")
        token, literal = self._lookahead(values=True)
        if token is _Token.CLOSE_PAREN:
            self._consume(values=True)
            return {""}
        if token not in (_Token.IDENTIFIER, _Token.COMMA):
            raise SelectorError(f"found '{literal}', expected: ',', ')' or identifier")
        values = self._identifiers()
        if self._consume(values=True)[0] is not _Token.CLOSE_PAREN:
            raise SelectorError(f"found '{literal}', expected: ')'")
        return values

    def _identifiers(self) -> set[str]:
        values: set[str] = set()
        while True:
            token, literal = self._consume(values=True)
            if token is _Token.IDENTIFIER:
                values.add(literal)
                after, after_literal = self._lookahead(values=True)
                if after is _Token.CLOSE_PAREN:
                    return values
                if after is not _Token.COMMA:
                    raise SelectorError(f"found '{after_literal}', expected: ',' or ')'")
            elif token is _Token.COMMA:
                # An empty item: "(,a)", "(a,)" and "(a,,b)" all hold "".
                if not values:
                    values.add("")
                after = self._lookahead(values=True)[0]
                if after is _Token.CLOSE_PAREN:
                    values.add("")
                    return values
                if after is _Token.COMMA:
                    self._consume(values=True)
                    values.add("")
            else:
                raise SelectorError(f"found '{literal}', expected: ',', or identifier")

    def _exact_value(self) -> set[str]:
        if self._lookahead(values=True)[0] in (_Token.END, _Token.COMMA):
            return {""}
        token, literal = self._consume(values=True)
        if token is _Token.IDENTIFIER:
            return {literal}
        raise SelectorError(f"found '{literal}', expected: identifier")


def parse_label_selector(text: str) -> Selector:
    """Parse ``?labelSelector=`` text; the empty string selects everything."""
    return Selector.of(_Parser(text).parse())


# -- field selectors -----------------------------------------------------------------


class FieldOperator(enum.StrEnum):
    EQUALS = "="
    NOT_EQUALS = "!="


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    """``field=value`` or ``field!=value``; ``value`` unescaped."""

    field: str
    operator: FieldOperator
    value: str

    def matches(self, fields: Mapping[str, str]) -> bool:
        have = fields.get(self.field, "")
        return have == self.value if self.operator is FieldOperator.EQUALS else have != self.value

    def __str__(self) -> str:
        return f"{self.field}{self.operator.value}{escape_field_value(self.value)}"


@dataclass(frozen=True, slots=True)
class FieldSelector:
    """A field selector: every requirement must hold; none selects everything."""

    requirements: tuple[FieldRequirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all(requirement.matches(fields) for requirement in self.requirements)

    def unsupported(self, supported: Collection[str]) -> tuple[str, ...]:
        """The field names used that are not in ``supported``, in selector order.

        The API server answers the first with BadRequest
        ``field label not supported: <name>``.
        """
        names = (r.field for r in self.requirements if r.field not in supported)
        return tuple(dict.fromkeys(names))

    def exact_value(self, field: str) -> str | None:
        """The value ``field`` must equal, when the selector pins it (so a list
        of ``metadata.name=x`` can read one key instead of scanning)."""
        for requirement in self.requirements:
            if requirement.field == field and requirement.operator is FieldOperator.EQUALS:
                return requirement.value
        return None

    def __str__(self) -> str:
        return ",".join(str(requirement) for requirement in self.requirements)


def escape_field_value(value: str) -> str:
    """``\\``, ``,`` and ``=`` escaped with a backslash, for use in a selector."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_field_value(value: str) -> str:
    """The inverse of ``escape_field_value``; raises ``SelectorError`` on an
    unknown escape or a bare ``,`` or ``=``."""
    if not any(char in value for char in "\\,="):
        return value
    out: list[str] = []
    escaped = False
    for char in value:
        if escaped:
            if char not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{char}")
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",=":
            # Go prints the rune with %v, which is its code point.
            raise SelectorError(
                f"invalid field selector: unescaped character in value: {ord(char)}"
            )
        else:
            out.append(char)
    if escaped:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    # Split at commas that are not escaped.
    if not text:
        return []
    terms: list[str] = []
    start = 0
    escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            terms.append(text[start:index])
            start = index + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    # The first operator from the left, "!=" before "==" before "=".
    for index in range(len(term)):
        for operator in ("!=", "==", "="):
            if term.startswith(operator, index):
                return term[:index], operator, term[index + len(operator) :]
    return None


def parse_field_selector(text: str) -> FieldSelector:
    """Parse ``?fieldSelector=`` text; the empty string selects everything.

    Terms are sorted before parsing, as Kubernetes sorts them, so the first
    bad term reported is the first in that order.
    """
    requirements: list[FieldRequirement] = []
    for term in sorted(_split_terms(text)):
        if not term:
            continue
        split = _split_term(term)
        if split is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        field, operator, raw_value = split
        value = unescape_field_value(raw_value)
        op = FieldOperator.NOT_EQUALS if operator == "!=" else FieldOperator.EQUALS
        requirements.append(FieldRequirement(field, op, value))
    return FieldSelector(tuple(requirements))
