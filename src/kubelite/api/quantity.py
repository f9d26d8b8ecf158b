"""Resource quantities (``500m``, ``1Gi``, ``2e3``) as exact numbers.

Kubernetes writes CPU, memory and every other resource amount as a quantity:
a decimal number followed by a binary suffix (``Ki`` to ``Ei``, powers of
1024), a decimal suffix (``n``, ``u``, ``m``, ``k``, ``M`` to ``E``) or a
decimal exponent (``e3``). Comparing two of them (is a request equal to its
limit? is it zero?) needs their values, exactly: ``1Gi`` and ``1073741824``
are the same amount, ``0.1`` and ``100m`` too.

The format itself is checked when the object is decoded
(:mod:`kubelite.api.openapi.types`); :func:`parse` answers None for anything
that is not a quantity, so a caller never fails on one.
"""

from __future__ import annotations

import functools
import math
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Final

__all__ = ["nano", "parse"]

_FORM: Final = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$")
_BINARY: Final = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL: Final = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_EXPONENT: Final = re.compile(r"^[eE]([+-]?[0-9]+)$")


def nano(text: object) -> int | None:
    """The amount in billionths, rounded up as Kubernetes rounds what is finer
    than its smallest unit (``1n``); None if it is not a quantity. Sums and
    comparisons of these are plain integer arithmetic."""
    if isinstance(text, str):
        return _nano_text(text)
    value = parse(text)
    return None if value is None else math.ceil(value * 1_000_000_000)


@functools.lru_cache(maxsize=1024)
def _nano_text(text: str) -> int | None:
    value = _parse_text(text)
    return None if value is None else math.ceil(value * 1_000_000_000)


def parse(text: object) -> Fraction | None:
    """The amount ``text`` stands for; None if it is not a quantity.

    A JSON number is taken as it is, as Kubernetes reads one.
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return Fraction(text)
    if isinstance(text, float):
        return Fraction(Decimal(repr(text)))
    if not isinstance(text, str):
        return None
    return _parse_text(text)


@functools.lru_cache(maxsize=1024)
def _parse_text(text: str) -> Fraction | None:
    # Cached: the same few amounts ("100m", "128Mi") come back on every pod.
    found = _FORM.match(text.strip())
    if found is None:
        return None
    number, suffix = found.groups()
    if "." not in number:
        value = Fraction(int(number))  # the usual case, without a Decimal
    else:
        try:
            value = Fraction(Decimal(number))
        except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
            return None
    if suffix in _BINARY:
        return value * (1 << 10 * _BINARY[suffix])
    if suffix in _DECIMAL:
        return value * Fraction(10) ** _DECIMAL[suffix]
    exponent = _EXPONENT.match(suffix)
    if exponent is None:
        return None
    return value * Fraction(10) ** int(exponent.group(1))
