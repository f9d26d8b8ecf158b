"""The JSONPath subset of ``additionalPrinterColumns``, evaluated like Kubernetes.

A CRD column's ``jsonPath`` is a Kubernetes JSONPath expression (``kubectl``'s
``-o jsonpath`` dialect, not RFC 9535), which the server wraps in ``{...}``
and evaluates with missing keys allowed. This module parses one expression
once and evaluates it against many objects. Supported::

    .spec.replicas                  fields; ``\\.`` escapes a dot in a name
    .metadata.labels['app.k8s/x']   bracketed names, also ["..."]
    .items[0]  .items[-1]           indexes, negative from the end
    .items[1:3]  .items[::2]        slices (start:end:step)
    .items[0,2]  ['a','b']          unions
    .items[*]  .spec.*              wildcards over lists and objects
    ..name                          recursive descent
    [?(@.type=="Ready")]            filters: ==, !=, <, >, <=, >= against a
    [?(@.port>=8000)]               quoted string, number, true/false or
    [?(@.status)]                   another @-path; a bare path tests existence

The outer ``{}`` are optional and ``$`` or ``@`` may start the path. Text
around an action, several actions, and ``range``/``end`` are not column
paths and fail to parse with ``JSONPathError``.

Evaluation gives a list of values. A missing key contributes nothing, as
with ``allowMissingKeys``; what Kubernetes treats as an error (an index out of
range, filtering something that is not a list, comparing a string with a
number, a second value where a filter compares one) raises
``JSONPathEvalError``, and a printer column turns either into an empty cell.
Filters compare like Go templates: integers with integers, floats with
floats, strings with strings; booleans only for (in)equality.

Why not a library: ``jsonpath-ng`` and ``python-jsonpath`` implement other
dialects (their filters are ``[?type == "Ready"]`` or RFC 9535, with
different missing-key and error rules), and the subset here is small.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final


class JSONPathError(ValueError):
    """A ``jsonPath`` that does not parse."""


class JSONPathEvalError(ValueError):
    """Evaluation failed where Kubernetes' evaluator fails (see the module doc)."""


# -- the parsed form ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Field:
    name: str


@dataclass(frozen=True, slots=True)
class _Wildcard:
    pass


@dataclass(frozen=True, slots=True)
class _Recursive:
    pass


@dataclass(frozen=True, slots=True)
class _Slice:
    start: int | None
    end: int | None
    step: int | None
    single: bool  # [i], as opposed to [i:j]


@dataclass(frozen=True, slots=True)
class _Union:
    parts: tuple[_Field | _Slice, ...]


@dataclass(frozen=True, slots=True)
class _Literal:
    value: str | int | float | bool


@dataclass(frozen=True, slots=True)
class _Filter:
    left: tuple[_Step, ...] | _Literal
    operator: str  # "exists" for a bare path
    right: tuple[_Step, ...] | _Literal | None


_Step = _Field | _Wildcard | _Recursive | _Union | _Filter

# -- parsing ---------------------------------------------------------------------------

_NAME_STOP: Final = frozenset(".[](){}=!<>,'\" \t\r\n$@")
# Kubernetes splits a filter at the first run of comparison characters.
_FILTER_SPLIT: Final = re.compile(r"^([^!<>=]+)([!<>=]+)(.+?)$")
_NUMBER: Final = re.compile(r"[-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, why: str) -> JSONPathError:
        return JSONPathError(f"invalid jsonpath {self.text!r} at {self.pos}: {why}")

    def peek(self, offset: int = 0) -> str:
        at = self.pos + offset
        return self.text[at] if at < len(self.text) else ""

    def path(self) -> tuple[_Step, ...]:
        """Steps up to the end of the text; a leading ``$`` or ``@`` is dropped."""
        if self.peek() in ("$", "@"):
            self.pos += 1
        steps: list[_Step] = []
        while self.pos < len(self.text):
            char = self.peek()
            if char == "." and self.peek(1) == ".":
                self.pos += 2
                steps.append(_Recursive())
                if self.peek() != "[":
                    steps.append(self.member())
            elif char == ".":
                self.pos += 1
                steps.append(self.member())
            elif char == "[":
                steps.append(self.bracket())
            elif char.isspace():
                self.pos += 1
            else:
                raise self.fail(f"unexpected {char!r}")
        return tuple(steps)

    def member(self) -> _Field | _Wildcard:
        if self.peek() == "*":
            self.pos += 1
            return _Wildcard()
        out: list[str] = []
        while self.pos < len(self.text) and self.peek() not in _NAME_STOP:
            if self.peek() == "\\" and self.pos + 1 < len(self.text):
                self.pos += 1
            out.append(self.peek())
            self.pos += 1
        if not out:
            raise self.fail("expected a field name")
        return _Field("".join(out))

    def bracket(self) -> _Step:
        close = self._closing_bracket()
        inside = self.text[self.pos + 1 : close].strip()
        self.pos = close + 1
        if inside == "*":
            return _Wildcard()
        if inside.startswith("?(") and inside.endswith(")"):
            return self._filter(inside[2:-1])
        parts: list[_Field | _Slice] = []
        for item in _split_union(inside):
            if item[:1] in ("'", '"'):
                parts.append(_Field(_unquote(item, self)))
            else:
                parts.append(self._slice(item))
        if not parts:
            raise self.fail("empty brackets")
        return _Union(tuple(parts))

    def _closing_bracket(self) -> int:
        quote = ""
        depth = 0
        for at in range(self.pos, len(self.text)):
            char = self.text[at]
            if quote:
                if char == quote and self.text[at - 1] != "\\":
                    quote = ""
            elif char in ("'", '"'):
                quote = char
            elif char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
                if depth == 0:
                    return at
        raise self.fail("unclosed [")

    def _slice(self, item: str) -> _Slice:
        pieces = [p.strip() for p in item.split(":")]
        if len(pieces) > 3:
            raise self.fail(f"bad slice {item!r}")
        numbers: list[int | None] = []
        for piece in pieces:
            if piece == "":
                numbers.append(None)
            elif re.fullmatch(r"[-+]?[0-9]+", piece):
                numbers.append(int(piece))
            else:
                raise self.fail(f"bad index {piece!r}")
        if len(pieces) == 1:
            if numbers[0] is None:
                raise self.fail("empty index")
            return _Slice(numbers[0], None, None, single=True)
        numbers += [None] * (3 - len(numbers))
        return _Slice(numbers[0], numbers[1], numbers[2], single=False)

    def _filter(self, text: str) -> _Filter:
        match = _FILTER_SPLIT.match(text)
        if match is None:
            return _Filter(self._operand(text), "exists", None)
        left, operator, right = match.groups()
        return _Filter(self._operand(left), operator, self._operand(right))

    def _operand(self, text: str) -> tuple[_Step, ...] | _Literal:
        text = text.strip()
        if text[:1] in ("'", '"'):
            return _Literal(_unquote(text, self))
        if text in ("true", "false"):
            return _Literal(text == "true")
        if _NUMBER.fullmatch(text):
            is_float = any(c in text for c in ".eE")
            return _Literal(float(text) if is_float else int(text))
        if text[:1] in ("@", "$", ".", "["):
            return _Parser(text).path()
        raise self.fail(f"bad filter operand {text!r}")


def _split_union(inside: str) -> list[str]:
    items: list[str] = []
    current: list[str] = []
    quote = ""
    for char in inside:
        if quote:
            current.append(char)
            if char == quote and (len(current) < 2 or current[-2] != "\\"):
                quote = ""
        elif char in ("'", '"'):
            quote = char
            current.append(char)
        elif char == ",":
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


_ESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}


def _unquote(text: str, parser: _Parser) -> str:
    if len(text) < 2 or text[-1] != text[0]:
        raise parser.fail(f"unterminated string {text!r}")
    out: list[str] = []
    body = iter(text[1:-1])
    for char in body:
        if char == "\\":
            escaped = next(body, "\\")
            out.append(_ESCAPES.get(escaped, "\\" + escaped))
        else:
            out.append(char)
    return "".join(out)


# -- evaluation ------------------------------------------------------------------------


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _children(value: object) -> list[Any]:
    if isinstance(value, Mapping):
        return list(value.values())
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return []


def _descendants(value: object, out: list[Any]) -> None:
    children = _children(value)
    if children:
        out.append(value)
        for child in children:
            if child is not None:
                _descendants(child, out)


def _index(values: Sequence[Any], part: _Slice) -> list[Any]:
    length = len(values)
    start = 0 if part.start is None else part.start
    if start < 0:
        start += length
    if part.single:
        end = start + 1
    else:
        end = length if part.end is None else part.end
        if end < 0:
            end += length
    if start == end:
        return []
    if start < 0 or start >= length or end < 0 or end > length:
        raise JSONPathEvalError(f"array index out of bounds: index {start}, length {length}")
    if start > end:
        raise JSONPathEvalError(f"starting index {start} is greater than ending index {end}")
    step = 1 if part.step is None else part.step
    if step <= 0:
        raise JSONPathEvalError(f"step must be > 0, got {step}")
    return list(values[start:end:step])


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


_ORDERINGS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _compare(left: object, operator: str, right: object) -> bool:
    kind = _kind(left)
    if kind != _kind(right) or kind not in ("bool", "int", "float", "string"):
        comparison = f"{left!r} {operator} {right!r}"
        raise JSONPathEvalError(f"incompatible types for comparison: {comparison}")
    if operator == "==":
        return left == right
    if operator == "!=":
        return left != right
    if operator in _ORDERINGS and kind != "bool":
        return _ORDERINGS[operator](left, right)
    raise JSONPathEvalError(f"unrecognized filter operator {operator}")


def _operand_value(operand: tuple[_Step, ...] | _Literal, item: object) -> list[Any]:
    if isinstance(operand, _Literal):
        return [operand.value]
    return _evaluate(operand, [item])


def _single(values: list[Any]) -> Any:
    if len(values) > 1:
        raise JSONPathEvalError("can only compare one element at a time")
    return values[0]


def _filter(values: list[Any], step: _Filter) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if not _is_list(value):
            raise JSONPathEvalError("value is not array or slice and cannot be filtered")
        for item in value:
            lefts = _operand_value(step.left, item)
            if not lefts:
                continue
            if step.operator == "exists" or step.right is None:
                out.append(item)
                continue
            left = _single(lefts)
            rights = _operand_value(step.right, item)
            if not rights:
                continue
            if _compare(left, step.operator, _single(rights)):
                out.append(item)
    return out


def _apply(step: _Step, values: list[Any]) -> list[Any]:
    values = [v for v in values if v is not None]
    if isinstance(step, _Field):
        return [v[step.name] for v in values if isinstance(v, Mapping) and step.name in v]
    if isinstance(step, _Wildcard):
        return [child for v in values for child in _children(v)]
    if isinstance(step, _Recursive):
        found: list[Any] = []
        for value in values:
            _descendants(value, found)
        return found
    if isinstance(step, _Union):
        out: list[Any] = []
        for part in step.parts:
            if isinstance(part, _Field):
                out.extend(_apply(part, values))
                continue
            for value in values:
                if not _is_list(value):
                    raise JSONPathEvalError(f"{_kind(value)} is not array or slice")
                out.extend(_index(value, part))
        return out
    return _filter(values, step)


def _evaluate(steps: tuple[_Step, ...], values: list[Any]) -> list[Any]:
    for step in steps:
        values = _apply(step, values)
        if not values:
            return []
    return values


@dataclass(frozen=True, slots=True)
class JSONPath:
    """A parsed column path; ``find`` evaluates it against one object."""

    source: str
    steps: tuple[_Step, ...]

    def find(self, data: object) -> list[Any]:
        """Every value the path selects, in order; raises ``JSONPathEvalError``."""
        return _evaluate(self.steps, [data])


def parse_jsonpath(text: str) -> JSONPath:
    """Parse a column ``jsonPath``, with or without its outer ``{}``."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1].strip()
    if not body:
        raise JSONPathError(f"invalid jsonpath {text!r}: empty")
    parser = _Parser(body)
    if parser.peek() not in (".", "[", "$", "@"):
        raise JSONPathError(f"invalid jsonpath {text!r}: must start with '.'")
    if "{" in body or "}" in body:
        raise JSONPathError(f"invalid jsonpath {text!r}: one expression only")
    return JSONPath(text, parser.path())
