"""The CEL environment of ``x-kubernetes-validations``: cel-cpp's extensions and
Kubernetes' own libraries, written in Python.

Rules compile with the cel-cpp extensions Kubernetes' base environment also has
(strings, including ``format``; math; encoders; optionals; ``cel.bind``) and
with these of Kubernetes' libraries, in its words and semantics (the gaps
marked ``TODO(#4)``):

- **lists**: ``isSorted()``, ``sum()``, ``min()``, ``max()`` on lists of
  comparable (summable) elements, ``indexOf(x)`` and ``lastIndexOf(x)`` on any
  list; ``min`` of an empty list fails with ``min called on empty list``;
- **regex**: ``find(re)`` (the first match, or ``""``) and ``findAll(re)``,
  ``findAll(re, n)`` (at most ``n`` matches when ``n >= 0``), with Go's rules
  for empty matches; a bad pattern fails with ``Illegal regex: ...``.

Kubernetes' other libraries (url, quantity, ip, cidr, semver, authz, sets)
are not here yet.

**How the functions are bound.** cel-cpp picks a function's implementation by
the *kinds* of its arguments (a list is a list, whatever its elements) and
converts the result to the return type of the overload it was registered
under. So ``sum`` on ``list(int)`` and on ``list(double)`` can have only one
implementation, and it must not be bound to either typed overload. Each such
function is declared with its typed overloads, for the type checker alone, and
one more that takes a list of a type no value has (``_RUNTIME``) and returns
``dyn``: the checker never picks it, and the runtime finds it for every list.
``indexOf`` shares its name with the strings extension's, so it is declared in
an extension loaded after that one (a Python extension merges its overloads
into a function already declared), one overload per kind of argument.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any, Final

from cel_expr_python import cel
from cel_expr_python.ext import ext_bindings, ext_encoders, ext_math, ext_optional, ext_strings

__all__ = ["environments"]

# TODO(#4): url, quantity, ip, cidr, semver, authz and sets. Their opaque
# types (URL, Quantity, IP, CIDR) can be proto messages named as Kubernetes
# names them (kubernetes.URL), declared in a descriptor pool given to NewEnv,
# which the binding passes to and from Python functions.

_T: Final = cel.Type
_COMPARABLE: Final = {
    "bool": _T.BOOL,
    "int": _T.INT,
    "uint": _T.UINT,
    "double": _T.DOUBLE,
    "duration": _T.DURATION,
    "timestamp": _T.TIMESTAMP,
    "string": _T.STRING,
    "bytes": _T.BYTES,
}
_SUMMABLE: Final = {name: _COMPARABLE[name] for name in ("int", "uint", "double", "duration")}
# indexOf's element type is any type; one overload per kind a value can have.
_EQUATABLE: Final = {**_COMPARABLE, "list": _T.List(_T.DYN), "map": _T.Map(_T.DYN, _T.DYN)}
_RUNTIME: Final = _T.AbstractType("kubelite.runtime")
_INT64: Final = range(-(2**63), 2**63)
_NO_OVERLOAD: Final = "no such overload"


class _Failed(Exception):
    """A function's error, its message the CEL error's text."""


# -- comparing as CEL does ------------------------------------------------------------
# Values arrive converted to Python: an int (or uint) is int, a double float,
# bytes a bytearray, a duration timedelta, a timestamp datetime.


def _numeric(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _less(a: object, b: object) -> bool:
    """``a < b`` for values CEL can order: numbers of any kind, or two of one
    kind of bool, string, bytes, duration or timestamp."""
    if not (_numeric(a) and _numeric(b)) and type(a) is not type(b):
        raise _Failed(_NO_OVERLOAD)
    if not isinstance(a, int | float | str | bytearray | datetime.timedelta | datetime.datetime):
        raise _Failed(_NO_OVERLOAD)
    return bool(a < b)  # type: ignore[operator]  # both of one orderable kind


def _equal(a: object, b: object) -> bool:
    """CEL's ``==``: numbers equal across kinds, nothing else does."""
    if _numeric(a) and _numeric(b):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return len(a) == len(b) and all(k in b and _equal(v, b[k]) for k, v in a.items())
    return a == b


def _result(name: str, value: object) -> object:
    # A function's result is converted from its Python type (its overload
    # returns dyn), and the binding has no conversion for these two.
    if isinstance(value, datetime.timedelta | datetime.datetime):
        # TODO(#4): sum, min and max of durations and timestamps wait for the
        # binding to convert a dyn result of those types (and a uint result
        # comes back an int).
        raise _Failed(f"{name} of durations or timestamps is not supported by kubelite")
    return value


# -- lists --------------------------------------------------------------------------


def _is_sorted(items: list[Any]) -> bool:
    return not any(_less(b, a) for a, b in itertools.pairwise(items))


def _sum(items: list[Any]) -> object:
    # Kubernetes sums an empty list to int 0, whatever its element type, when
    # dispatching at run time (as here); a typed empty list gives 0.0 there.
    # TODO(#4): an empty list(double)'s sum is int 0, not 0.0.
    if not items:
        return 0
    total = items[0]
    if not (_numeric(total) or isinstance(total, datetime.timedelta)):
        raise _Failed(_NO_OVERLOAD)
    for item in items[1:]:
        if type(item) is not type(total):
            raise _Failed(_NO_OVERLOAD)
        total = total + item
    if type(total) is int and total not in _INT64:
        raise _Failed("integer overflow")
    return _result("sum", total)


def _extreme(name: str, better: Callable[[object, object], bool]) -> Callable[[list[Any]], object]:
    def pick(items: list[Any]) -> object:
        if not items:
            raise _Failed(f"{name} called on empty list")
        found = items[0]
        for item in items[1:]:
            if better(item, found):
                found = item
        _less(found, found)  # an element CEL cannot order fails, as in Kubernetes
        return _result(name, found)

    return pick


def _index_of(items: list[Any], value: object) -> int:
    return next((i for i, item in enumerate(items) if _equal(item, value)), -1)


def _last_index_of(items: list[Any], value: object) -> int:
    at = (i for i in range(len(items) - 1, -1, -1) if _equal(items[i], value))
    return next(at, -1)


# -- regex ---------------------------------------------------------------------------

# What Python's re accepts and RE2 (Go's regexp) refuses, in Go's words.
_UNSUPPORTED: Final = re.compile(r"\\\\|\\([1-9Z])|\(\?(<?[=!]|P=)")
# Python's messages for the mistakes of most patterns, as Go words them.
_GO_ERRORS: Final = {
    "unterminated character set": "missing closing ]: `{rest}`",
    "missing ), unterminated subpattern": "missing closing ): `{whole}`",
    "unbalanced parenthesis": "unexpected ): `{whole}`",
    "nothing to repeat": "missing argument to repetition operator: `{char}`",
    "multiple repeat": "invalid nested repetition operator: `{pair}`",
}


def _to_python(pattern: str) -> str:
    """An RE2 pattern for Python's re: ``$`` and ``\\z`` are the end of the text
    (Python's ``$`` also matches before a final newline) unless ``(?m)`` is
    set, and ``(?<name>`` names a group."""
    multiline = re.search(r"\(\?[a-zA-Z]*m", pattern) is not None
    out: list[str] = []
    in_class, at = False, 0
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            escaped = pattern[at + 1 : at + 2]
            out.append("\\Z" if escaped == "z" else char + escaped)
            at += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        if not in_class and re.match(r"\(\?<[A-Za-z_]", pattern[at : at + 4]):
            out.append("(?P<")
            at += 3
            continue
        out.append("\\Z" if char == "$" and not in_class and not multiline else char)
        at += 1
    return "".join(out)


@functools.lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    # TODO(#4): Python's re stands in for RE2: character classes such as \pL
    # and [[:alpha:]] are refused, and \d, \w, \s match only ASCII as in RE2.
    for match in _UNSUPPORTED.finditer(pattern):
        if match[1]:
            raise _Failed(
                f"Illegal regex: error parsing regexp: invalid escape sequence: `{match[0]}`"
            )
        if match[2] is not None:
            found = match[0]
            detail = f"invalid or unsupported Perl syntax: `{found}`"
            raise _Failed(f"Illegal regex: error parsing regexp: {detail}")
    try:
        return re.compile(_to_python(pattern), re.ASCII)
    except re.error as err:
        raise _Failed(f"Illegal regex: error parsing regexp: {_go_error(err, pattern)}") from err


def _go_error(err: re.error, pattern: str) -> str:
    at = err.pos or 0
    words = _GO_ERRORS.get(err.msg.split(" at position")[0])
    if words is None:
        return err.msg
    char = pattern[at : at + 1]
    return words.format(rest=pattern[at:], whole=pattern, char=char, pair=pattern[at - 1 : at + 1])


def _matches(text: str, pattern: re.Pattern[str], limit: int) -> Iterator[str]:
    """Go's FindAllString: after a match, an empty match where it ended is
    skipped, and the search moves on by one character after an empty match."""
    position, previous_end, found = 0, -1, 0
    while position <= len(text) and (limit < 0 or found < limit):
        match = pattern.search(text, position)
        if match is None:
            return
        start, end = match.span()
        accept = not (end == position and start == previous_end)
        position = position + 1 if end == position else end
        previous_end = end
        if accept:
            found += 1
            yield match[0]


def _find(text: str, pattern: str) -> str:
    match = _regex(pattern).search(text)
    return "" if match is None else match[0]


def _find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    return list(_matches(text, _regex(pattern), limit))


# -- declarations ------------------------------------------------------------------


def _member(
    name: str, overloads: dict[str, Any], result: Callable[[Any], Any], impl: Any
) -> tuple[Any, dict[str, Callable[..., Any]]]:
    """A member function on lists: its typed overloads, and the one ``impl``."""
    typed = [
        cel.Overload(f"list_{kind}_{name}", result(t), [_T.List(t)], is_member=True)
        for kind, t in overloads.items()
    ]
    runtime = cel.Overload(f"list_{name}_kubelite", _T.DYN, [_T.List(_RUNTIME)], is_member=True)
    return cel.FunctionDecl(name, [*typed, runtime]), {f"list_{name}_kubelite": impl}


def _declarations() -> tuple[list[Any], dict[str, Callable[..., Any]]]:
    functions, impls = [], {}
    for name, kinds, result, impl in (
        ("isSorted", _COMPARABLE, lambda _: _T.BOOL, _is_sorted),
        ("sum", _SUMMABLE, lambda t: t, _sum),
        ("min", _COMPARABLE, lambda t: t, _extreme("min", _less)),
        ("max", _COMPARABLE, lambda t: t, _extreme("max", lambda a, b: _less(b, a))),
    ):
        declaration, binding = _member(name, kinds, result, impl)
        functions.append(declaration)
        impls.update(binding)
    return functions, impls


def _extension() -> Any:
    def each_kind(name: str, impl: Callable[..., Any]) -> Any:
        return cel.FunctionDecl(
            name,
            [
                cel.Overload(f"list_{kind}_{name}", _T.INT, [_T.List(t), t], True, impl)
                for kind, t in _EQUATABLE.items()
            ],
        )

    s, strings = _T.STRING, _T.List(_T.STRING)
    return cel.CelExtension(
        "kubernetes",
        [
            each_kind("indexOf", _index_of),
            each_kind("lastIndexOf", _last_index_of),
            cel.FunctionDecl("find", [cel.Overload("string_find_string", s, [s, s], True, _find)]),
            cel.FunctionDecl(
                "findAll",
                [
                    cel.Overload("string_find_all_string", strings, [s, s], True, _find_all),
                    cel.Overload(
                        "string_find_all_string_int", strings, [s, s, _T.INT], True, _find_all
                    ),
                ],
            ),
        ],
    )


# -- environments ------------------------------------------------------------------

# Per declared type of self, two environments: without oldSelf and with it. A
# rule compiles in the first that accepts it, which tells whether it uses oldSelf.
_ENVS: dict[str, tuple[Any, Any]] = {}


def environments(decl: Any) -> tuple[Any, Any]:
    """The environments a rule on a node whose values are of CEL type ``decl``
    compiles in: with ``self``; and with ``self``, ``oldSelf`` and
    ``_hasOldSelf`` (which the optional ``oldSelf`` is made from)."""
    key = str(decl.name())
    if key not in _ENVS:
        functions, impls = _declarations()
        with_old = {"self": decl, "oldSelf": decl, "_hasOldSelf": _T.BOOL}
        _ENVS[key] = tuple(
            cel.NewEnv(
                variables=names,
                functions=functions,
                function_impls=impls,
                # Kubernetes' extension merges into the strings one: it comes after.
                extensions=[
                    ext_strings.ExtStrings(),
                    ext_math.ExtMath(),
                    ext_encoders.ExtEncoders(),
                    ext_optional.ExtOptional(),
                    ext_bindings.ExtBindings(),
                    _extension(),
                ],
            )
            for names in ({"self": decl}, with_old)
        )
    return _ENVS[key]
