"""The accept path: one generated function per schema that passes a valid object.

Nearly every custom object written is valid, and for those the walk of
``_validator`` does its work only to find nothing. ``compile_fast_check``
writes Python source specialised to one compiled schema (``Node`` tree),
with the property names, bounds, enum sets, patterns and format checks
inlined as literals or module-level names, and ``exec``s it once. The
function answers True only when ``Check`` would report no error at all, in
any of its three lists; False means "run the walker", whose errors stand.

For the schema ``{type: object, properties: {spec: {type: object,
properties: {size: {type: integer, minimum: 1}}}}}`` the function is::

    def check(v0):
        try:
            if type(v0) is dict:
                v1 = v0.get('spec', _M)
                if type(v1) is dict:
                    v2 = v1.get('size', _M)
                    if type(v2) is int:
                        if v2 < 1:
                            return False
                    elif type(v2) is float:
                        if (not (v2.is_integer() and -_I < v2 < _I)) or (v2 < 1.0):
                            return False
                    elif v2 is not _M:
                        return _reject(v2)
                elif v1 is not _M:
                    return _reject(v1)
            else:
                return _reject(v0)
        except Exception:
            return False
        return True

(``_M`` marks an absent field, ``_I`` is 2**53, and ``_reject`` answers
False for a JSON value of a type the field has no place for.) Each value is
dispatched on its exact Python type, the declared kind first,
so a valid field costs a dict lookup and a type test; each branch then runs
the checks the walker runs for that kind, in its own terms: integer bounds
truncated for integers, integral floats taken by integer fields, ``len`` as
the string length, ``pattern.search``. The root's ``metadata`` is skipped.

**Exact, or unknown.** The generated code returns False only where the
walker finds an error; where it cannot tell (a value of a type JSON does not
decode to, an ``x-kubernetes-embedded-resource`` object, an arithmetic
overflow) it raises, and the outer function answers False. Being exact lets
the junctors be inline: each branch of ``allOf``, ``anyOf``, ``oneOf`` and
``not`` is a function of its own whose False means "this branch has errors".
``uniqueItems`` and the ``set``/``map`` list types call small helpers that
mirror the walker's comparisons.

**Size.** Values nested deeper than a few blocks move into functions of
their own (Python nests at most 20 loops per function), and a schema whose
source would pass ``_MAX_LINES`` lines (some 5 lines a schema node) gets a
function that always answers False, leaving every object to the walker.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from typing import Any, Final, cast

from kubelite.api.crd._compiled import MISSING, Node, canon, json_integer

__all__ = ["FastCheck", "compile_fast_check"]

log = logging.getLogger(__name__)

FastCheck = Callable[[Any], bool]

# Python compiles some 100,000 lines a second: 10,000 lines, about 2,000
# schema nodes, cost a CRD's first validation up to a tenth of a second.
_MAX_LINES: Final = 10_000
_MAX_DEPTH: Final = 10  # indentation levels before a value gets a function
_TWO_53: Final = 2.0**53
_JSON_TYPES: Final = frozenset({dict, list, str, int, float, bool, type(None)})
# Each JSON kind, the test of its exact Python type, and the order tried.
_TESTS: Final = {
    "object": "type({v}) is dict",
    "string": "type({v}) is str",
    "integer": "type({v}) is int",
    "array": "type({v}) is list",
    "number": "type({v}) is float",
    "boolean": "type({v}) is bool",
}
# The kinds a declared type is most likely to meet first.
_FIRST: Final = {"number": ("number", "integer"), "integer": ("integer", "number")}


class _Unknown(Exception):
    """The generated code cannot decide; the walker will."""


class _TooBig(Exception):
    """The source passed ``_MAX_LINES``."""


def _reject(value: object) -> bool:
    """False for a JSON value (or a missing one) a branch has no place for;
    anything else is the walker's to judge."""
    if value is MISSING or type(value) in _JSON_TYPES:
        return False
    raise _Unknown


def _unknown() -> bool:
    raise _Unknown


def _never(obj: object) -> bool:
    return False


def _float_multiple(value: float, factor: float) -> bool:
    """The walker's multipleOf for a float factor: the ratio is an integer."""
    if 0 < factor < 1:
        return json_integer(1 / factor * value)
    return json_integer(value / factor if factor else math.inf)


def _unique(value: list[Any]) -> bool:
    return len({canon(item, True) for item in value}) == len(value)


def _set_unique(value: list[Any]) -> bool:
    """No duplicates in an ``x-kubernetes-list-type: set`` list."""
    seen = {canon(item, not isinstance(item, (dict, list))) for item in value}
    return len(seen) == len(value)


def _map_unique(value: list[Any], names: tuple[str, ...]) -> bool:
    """Objects only, no two with the same keys, in a ``map`` list."""
    if any(item is not None and not isinstance(item, dict) for item in value):
        return False
    shown = [{k: item[k] for k in names if k in item} if item else {} for item in value]
    keys: list[Any] = list(shown)
    if len(names) == 1:
        keys = [entry.get(names[0], MISSING) for entry in shown]
    seen: set[object] = set()
    for key in keys:
        same = key if key is MISSING else canon(key, not isinstance(key, (dict, list)))
        if same in seen:
            return False
        seen.add(same)
    return True


def _literal(value: object) -> str | None:
    """``value`` as a Python literal, when it can be one exactly."""
    if value is None or isinstance(value, bool | int | str):
        return repr(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None


class _Writer:
    """The source of one module: helper functions and the names they use."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "_M": MISSING,
            "_I": _TWO_53,
            "_reject": _reject,
            "_Unknown": _Unknown,
            "_unknown": _unknown,
            "_float_multiple": _float_multiple,
            "_unique": _unique,
            "_set_unique": _set_unique,
            "_map_unique": _map_unique,
            "_canon": canon,
        }
        self.functions: list[list[str]] = []
        self.branches: dict[int, str] = {}
        self.lines = 0
        self.names = 0

    def fresh(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    def const(self, value: object, prefix: str = "_c") -> str:
        """A literal for ``value``, or a module-level name bound to it."""
        text = _literal(value)
        if text is not None:
            return text
        name = self.fresh(prefix)
        self.namespace[name] = value
        return name

    def emit(self, out: list[str], depth: int, text: str) -> None:
        self.lines += 1
        if self.lines > _MAX_LINES:
            raise _TooBig
        out.append("    " * depth + text)

    def fail_if(self, out: list[str], depth: int, tests: list[str]) -> None:
        """A return of False when any of ``tests`` holds."""
        if tests:
            either = " or ".join(f"({test})" for test in tests) if len(tests) > 1 else tests[0]
            self.emit(out, depth, f"if {either}:")
            self.emit(out, depth + 1, "return False")

    def function(self, prefix: str, node: Node) -> str:
        """A function of its own for ``node``: True for a valid value."""
        name = self.fresh(prefix)
        body: list[str] = []
        self.value(body, 1, node, "v", missing=False, root=False)
        lines = [f"def {name}(v):", *body, "    return True"]
        self.lines += 2
        self.functions.append(lines)
        return name

    def branch(self, node: Node) -> str:
        """The function for a junctor branch, written once."""
        name = self.branches.get(id(node))
        if name is None:
            name = self.branches[id(node)] = self.function("_j", node)
        return name

    # -- one value

    def value(
        self, out: list[str], depth: int, node: Node, var: str, *, missing: bool, root: bool
    ) -> None:
        """Lines that return False when ``var`` breaks ``node``; ``missing``
        lets ``var`` be ``_M`` (an absent optional field)."""
        if _accepts_all(node):
            return
        if depth > _MAX_DEPTH:
            name = self.function("_n", node)
            guard = f"{var} is not _M and " if missing else ""
            self.fail_if(out, depth, [f"{guard}not {name}({var})"])
            return
        cases: list[tuple[str, list[str]]] = []
        for kind in _kinds(node):
            body: list[str] = []
            self.kind(body, depth + 1, node, kind, var, root)
            cases.append((_TESTS[kind].format(v=var), body))
        if _takes_null(node):
            cases.append((f"{var} is None", []))
        if missing:
            cases.append((f"{var} is _M", []))
        # The cases that need no check share one test; the likeliest goes first.
        passing = [test for test, body in cases if not body]
        checked = [(test, body) for test, body in cases if body]
        if not checked:
            if passing:
                self.emit(out, depth, f"if {_none_of(passing)}:")
            self.emit(out, depth + bool(passing), f"return _reject({var})")
            return
        if passing and not cases[0][1]:
            checked.insert(0, (" or ".join(passing), []))
            passing = []
        for index, (test, body) in enumerate(checked):
            self.emit(out, depth, f"{'elif' if index else 'if'} {test}:")
            if body:
                out.extend(body)
            else:
                self.emit(out, depth + 1, "pass")
        self.emit(out, depth, f"elif {_none_of(passing)}:" if passing else "else:")
        self.emit(out, depth + 1, f"return _reject({var})")

    def kind(self, out: list[str], depth: int, node: Node, kind: str, var: str, root: bool) -> None:
        """The walker's checks for a ``var`` of ``kind`` that passed the type."""
        tests: list[str] = []
        if kind == "number" and not _kind_ok(node, kind):
            # An integer field takes a float holding an integer.
            tests.append(f"not ({var}.is_integer() and -_I < {var} < _I)")
        tests += self.junctors(node, var)
        if kind == "string":
            tests += self.string(node, var)
        elif kind == "array":
            tests += self.array(out, depth, node, var)
        elif kind in ("integer", "number"):
            tests += self.number(node, var, kind == "integer")
        self.fail_if(out, depth, tests + self.enum(node, kind, var))
        if kind == "object":
            self.object(out, depth, node, var, root)

    def junctors(self, node: Node, var: str) -> Iterator[str]:
        """Tests that hold when a junctor fails; each branch is exact."""
        if node.any_of:
            calls = " or ".join(f"{self.branch(sub)}({var})" for sub in node.any_of)
            yield f"not ({calls})"
        if node.one_of:
            calls = " + ".join(f"{self.branch(sub)}({var})" for sub in node.one_of)
            yield f"({calls}) != 1"
        if node.all_of:
            calls = " and ".join(f"{self.branch(sub)}({var})" for sub in node.all_of)
            yield f"not ({calls})"
        if node.not_ is not None:
            yield f"{self.branch(node.not_)}({var})"

    # -- the checks of each kind, as tests that hold on an error

    def string(self, node: Node, var: str) -> list[str]:
        tests: list[str] = []
        if node.max_length is not None:
            tests.append(f"len({var}) > {node.max_length}")
        if node.min_length is not None:
            tests.append(f"len({var}) < {node.min_length}")
        if node.pattern is not None:
            tests.append(f"{self.const(node.pattern.search, '_p')}({var}) is None")
        elif node.pattern_error:
            tests.append("True")  # the walker reports the broken pattern
        if node.fmt_check is not None:
            tests.append(f"not {self.const(node.fmt_check, '_f')}({var})")
        return tests

    def number(self, node: Node, var: str, is_int: bool) -> list[str]:
        tests: list[str] = []
        factor = node.multiple_of
        if factor is not None:
            whole = _truncated(factor) if is_int else 0
            if whole is None:
                tests.append("_unknown()")  # the walker's int() overflows
            elif (whole or factor) < 0:
                tests.append("True")  # a negative factor fails every number
            elif whole:
                tests.append(f"{var} % {whole}")
            else:
                tests.append(f"not _float_multiple({var}, {self.const(factor)})")
        for bound, exclusive, ops in (
            (node.minimum, node.excl_min, ("<", "<=")),
            (node.maximum, node.excl_max, (">", ">=")),
        ):
            if bound is None:
                continue
            limit = _truncated(bound) if is_int else bound
            if limit is None:
                tests.append("_unknown()")
            else:
                tests.append(f"{var} {ops[exclusive]} {self.const(limit)}")
        return tests

    def enum(self, node: Node, kind: str, var: str) -> list[str]:
        if node.enum is None:
            return []
        if kind in ("object", "array"):
            return [f"_canon({var}, True) not in {self.const(node.enum, '_e')}"]
        if kind in ("integer", "number"):
            # The walker also takes an equal number of the other type: 1 for 1.0.
            allowed: frozenset[object] = frozenset(node.enum_numbers)
        else:
            py_type = str if kind == "string" else bool
            allowed = frozenset(
                entry[1] for entry in node.enum if isinstance(entry, tuple) and entry[0] is py_type
            )
        if not allowed:
            return ["True"]
        literals = [_literal(item) for item in allowed]
        if all(text is not None for text in literals):
            # A set literal after "in" compiles to a frozenset constant.
            return [f"{var} not in {{{', '.join(sorted(cast(list[str], literals)))}}}"]
        return [f"{var} not in {self.const(allowed, '_e')}"]

    def array(self, out: list[str], depth: int, node: Node, var: str) -> list[str]:
        if node.items is not None:
            item = self.fresh("v")
            body: list[str] = []
            self.value(body, depth + 1, node.items, item, missing=False, root=False)
            if body:
                self.emit(out, depth, f"for {item} in {var}:")
                out.extend(body)
        tests: list[str] = []
        if node.min_items is not None:
            tests.append(f"len({var}) < {node.min_items}")
        if node.max_items is not None:
            tests.append(f"len({var}) > {node.max_items}")
        if node.unique:
            tests.append(f"not _unique({var})")
        if node.list_type == "set":
            tests.append(f"len({var}) > 1 and not _set_unique({var})")
        elif node.list_type == "map":
            keys = self.const(node.map_keys, "_k")
            tests.append(f"len({var}) > 1 and not _map_unique({var}, {keys})")
        return tests

    def object(self, out: list[str], depth: int, node: Node, var: str, root: bool) -> None:
        if node.embedded:
            # TODO(#4): the embedded-resource checks are the walker's alone;
            # such objects always take the slow path.
            self.emit(out, depth, "raise _Unknown")
            return
        tests: list[str] = []
        if node.min_props is not None:
            tests.append(f"len({var}) < {node.min_props}")
        if node.max_props is not None:
            tests.append(f"len({var}) > {node.max_props}")
        if node.add_false:
            if node.props:
                names = self.const(frozenset(node.props), "_s")
                tests.append(f"not {names}.issuperset({var})")
            else:
                tests.append(var)
        skipped = {"metadata"} if root else set()  # validated with the object meta
        tests += [f"{key!r} not in {var}" for key in node.required if key in skipped]
        tests += [
            f"{key!r} not in {var}"
            for key in dict.fromkeys(node.required)
            if key not in node.props and key not in skipped
        ]
        self.fail_if(out, depth, tests)

        for key, sub in node.props.items():
            if key in skipped:
                continue
            required = key in node.required
            child = self.fresh("v")
            body: list[str] = []
            self.value(body, depth, sub, child, missing=not required, root=False)
            if body:
                self.emit(out, depth, f"{child} = {var}.get({key!r}, _M)")
                out.extend(body)
            elif required:
                self.fail_if(out, depth, [f"{key!r} not in {var}"])

        if node.add is not None:
            child = self.fresh("v")
            body = []
            self.value(body, depth + 1, node.add, child, missing=False, root=False)
            if not body:
                return
            declared = set(node.props) | skipped
            if declared:
                self.emit(out, depth, f"for k, {child} in {var}.items():")
                self.emit(out, depth + 1, f"if k in {self.const(frozenset(declared), '_s')}:")
                self.emit(out, depth + 2, "continue")
            else:
                self.emit(out, depth, f"for {child} in {var}.values():")
            out.extend(body)


def _none_of(tests: list[str]) -> str:
    """A test that none of ``tests`` (each ``a is b``) holds."""
    if len(tests) == 1:
        return tests[0].replace(" is ", " is not ", 1)
    return f"not ({' or '.join(tests)})"


def _kind_ok(node: Node, kind: str) -> bool:
    """Whether every value of ``kind`` passes the walker's type check."""
    if not node.type_checked or kind in node.type_ok:
        return True
    # A formatted node of a non-numeric type takes any string or array.
    return bool(node.fmt) and kind in ("string", "array") and not _numeric(node)


def _numeric(node: Node) -> bool:
    return node.int_type or "number" in node.types


def _kinds(node: Node) -> list[str]:
    """The kinds a value of ``node`` may have, the likeliest first."""
    order = [kind for name in node.types for kind in _FIRST.get(name, (name,))]
    order += [kind for kind in _TESTS if kind not in order]
    return [
        kind
        for kind in order
        if kind in _TESTS and (_kind_ok(node, kind) or (kind == "number" and node.int_type))
    ]


def _takes_null(node: Node) -> bool:
    return (not node.types or node.nullable) and node.enum is None


def _accepts_all(node: Node) -> bool:
    """A node the walker checks nothing of, whatever the value."""
    return _takes_null(node) and not (
        node.type_checked
        or node.junctors
        or node.enum is not None
        or node.embedded
        or node.list_type
        or node.unique
        or node.props
        or node.add_false
        or node.add is not None
        or node.items is not None
        or node.required
        or node.pattern is not None
        or node.pattern_error
        or node.fmt_check is not None
        or node.number_checks
        or any(
            bound is not None
            for bound in (
                node.min_length,
                node.max_length,
                node.min_items,
                node.max_items,
                node.min_props,
                node.max_props,
            )
        )
    )


def _truncated(bound: float) -> int | None:
    """``int(bound)`` as the walker takes it, or None where that raises."""
    return int(bound) if math.isfinite(bound) else None


def generate(root: Node) -> tuple[str, dict[str, Any]]:
    """The source of the check for ``root`` and the names it uses; raises
    ``RecursionError`` or ``_TooBig`` for a schema too large to inline."""
    writer = _Writer()
    body: list[str] = []
    writer.value(body, 2, root, "v0", missing=False, root=True)
    lines = [line for function in writer.functions for line in function]
    lines += [
        "def check(v0):",
        "    try:",
        *(body or ["        pass"]),
        "    except Exception:",
        "        return False",
        "    return True",
    ]
    return "\n".join(lines) + "\n", writer.namespace


def compile_fast_check(root: Node) -> FastCheck:
    """A function that answers True only for objects ``Check`` finds no
    error in; False means the walker must look."""
    try:
        source, namespace = generate(root)
        code = compile(source, "<kubelite schema fast path>", "exec")
        exec(code, namespace)
    except (_TooBig, RecursionError, MemoryError):
        log.debug("schema too large for a fast path", extra={"max_lines": _MAX_LINES})
        return _never
    except Exception:
        # A bug here costs speed, not correctness: the walker decides alone.
        log.warning("schema fast path not generated", exc_info=True)
        return _never
    return cast(FastCheck, namespace["check"])
