"""The string formats a CRD schema may name, checked as Kubernetes checks them.

Kubernetes keeps a schema's ``format`` only when it is one of the formats
below (after dropping dashes, so ``date-time`` is ``datetime``); any other
format, ``int32``, ``int64``, ``float`` and ``double`` included, is stripped
when the CRD is stored and never checked. A kept format applies to strings
only: a number in an ``int32`` field is never range checked, and ``5`` in a
``date-time`` field fails the type check, not the format check.

Each checker answers whether a string is in its format, following the Go
function Kubernetes calls (``net.ParseIP``, ``time.Parse``, govalidator's
regular expressions); ``email`` is a small recursive reading of Go's
``net/mail`` address parser. Where Go's parser is more intricate than that
(``uri``) the check here is the common subset, and says so.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import unicodedata
from collections.abc import Callable
from typing import Final

__all__ = ["FORMATS", "checker"]


def _fullmatch(pattern: str, flags: int = 0) -> Callable[[str], bool]:
    compiled = re.compile(pattern, flags)
    return lambda value: compiled.fullmatch(value) is not None


# -- dates and durations -----------------------------------------------------------

_DATE_RE: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
# The time part of a date-time, lowercased; its "." matches any character,
# as in Kubernetes' pattern.
_TIME_RE: Final = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:.\d+)?(?:z|[+-]\d{2}:\d{2})", re.ASCII)


def is_date(value: str) -> bool:
    """A full date, ``2006-01-02``: Go's ``time.Parse`` with that layout."""
    match = _DATE_RE.fullmatch(value)
    if match is None:
        return False
    year, month, day = (int(part) for part in match.groups())
    try:
        # Go knows year 0, a leap year like 2000; Python starts at year 1.
        datetime.date(year or 2000, month, day)
    except ValueError:
        return False
    return True


def is_date_time(value: str) -> bool:
    """An RFC 3339 date-time as Kubernetes' ``strfmt`` accepts it: split at
    the first ``t`` (any case), a date before, a time and zone after."""
    parts = value.lower().split("t")
    if len(value) < 4 or len(parts) < 2 or not is_date(parts[0]):
        return False
    match = _TIME_RE.fullmatch(parts[1])
    if match is None:
        return False
    hour, minute, second = match.group(1, 2, 3)
    return hour <= "23" and minute <= "59" and second <= "59"


# Go's time.ParseDuration: a signed sequence of decimal numbers with units.
_GO_DURATION_RE: Final = re.compile(
    r"[-+]?(?:0|(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)", re.ASCII
)
# The Scala-style form the strfmt package accepts besides: "3 days 4 hours".
_LONG_DURATION_RE: Final = re.compile(
    r"[\t\n\f\r ]*(?:\d+[\t\n\f\r ]*[A-Za-zµ]+[\t\n\f\r ]*)+", re.ASCII
)
_LONG_DURATION_PART_RE: Final = re.compile(r"\d+[\t\n\f\r ]*([A-Za-zµ]+)", re.ASCII)
# For each unit its names; the last may also be a prefix of what was written.
_LONG_UNITS: Final = (
    ("ns", "nano"),
    ("us", "µs", "micro"),
    ("ms", "milli"),
    ("s", "sec"),
    ("m", "min"),
    ("h", "hr", "hour"),
    ("d", "day"),
    ("w", "wk", "week"),
)


def is_duration(value: str) -> bool:
    """A Go duration (``1h30m``) or the long form (``3 days``)."""
    if _GO_DURATION_RE.fullmatch(value):
        return True
    if not _LONG_DURATION_RE.fullmatch(value):
        return False
    for unit in _LONG_DURATION_PART_RE.findall(value):
        unit = unit.lower()
        for names in _LONG_UNITS:
            if unit in names or unit.startswith(names[-1]):
                return True
    return False


# -- network names and addresses -----------------------------------------------------

# Kubernetes' hostname pattern, with every letter, digit and symbol (Unicode
# categories L and S, ASCII letters and digits) first mapped to "a".
_HOSTNAME_RE: Final = re.compile(
    r"a(?:-?a{0,62})?|(?:a(?:[a-]{0,61}a)?\.)+a(?:-?a){1,62}",
)


def _hostname_char(char: str) -> str:
    if char in "-.":
        return char
    if (char.isascii() and char.isalnum()) or unicodedata.category(char)[0] in "LS":
        return "a"
    return "!"


def is_hostname(value: str) -> bool:
    """An RFC 1034 host name: labels of up to 63 bytes, 255 bytes in all."""
    mapped = "".join(map(_hostname_char, value))
    if not _HOSTNAME_RE.fullmatch(mapped) or len(value.encode()) > 255:
        return False
    return all(len(label.encode()) <= 63 for label in value.split("."))


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    # Go's net.ParseIP: no zones, no leading zeros in IPv4 parts.
    if "%" in value:
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def is_ipv4(value: str) -> bool:
    """Go's ``net.ParseIP`` succeeds and the text has a dot (so an IPv4-mapped
    IPv6 address such as ``::ffff:1.2.3.4`` passes, as in Kubernetes)."""
    return "." in value and _ip(value) is not None


def is_ipv6(value: str) -> bool:
    return ":" in value and _ip(value) is not None


def is_cidr(value: str) -> bool:
    """An address and a prefix length, ``10.0.0.0/8`` (host bits may be set)."""
    address, slash, prefix = value.partition("/")
    ip = _ip(address)
    if not slash or ip is None or not prefix.isascii() or not prefix.isdigit():
        return False
    return int(prefix) <= ip.max_prefixlen


_MAC_RES: Final = tuple(
    re.compile(pattern)
    for octets in (6, 8, 20)
    for pattern in (
        ":".join(["[0-9A-Fa-f]{2}"] * octets),
        "-".join(["[0-9A-Fa-f]{2}"] * octets),
        r"\.".join(["[0-9A-Fa-f]{4}"] * (octets // 2)),
    )
)


def is_mac(value: str) -> bool:
    """Go's ``net.ParseMAC``: EUI-48, EUI-64 or 20-octet addresses."""
    return any(pattern.fullmatch(value) for pattern in _MAC_RES)


# -- e-mail: whether Go's net/mail.ParseAddress takes a string ---------------------------
# As in Go's newest net/mail: domain literals (new in Go 1.23) and the "IPv6:" tag
# they need (added after), so a Kubernetes built with an older Go differs there.

_NOT_ATEXT: Final = r'\x00-\x20\x7f()<>\[\]:;@\\,"'
_DOT_ATOM: Final = rf"[^{_NOT_ATEXT}.]+(?:\.[^{_NOT_ATEXT}.]+)*"
_QUOTED: Final = r'"(?:[^\x00-\x08\n-\x1f\x7f"\\]|\\[^\x00-\x08\n-\x1f\x7f])*"'
_ADDR_SPEC_RE: Final = re.compile(
    rf'[ \t]*(?:{_DOT_ATOM}|(?!""){_QUOTED})@[ \t]*(?:{_DOT_ATOM}|\[([!-Z^-~\x80-\U0010ffff]*)\])'
)
# A display name is words (dots allowed anywhere), comments between them.
_WORD_RE: Final = re.compile(rf"[ \t]*(?:[^{_NOT_ATEXT}]+|{_QUOTED})")


def _blank(text: str, pos: int) -> int:
    return pos + len(text[pos:]) - len(text[pos:].lstrip(" \t")) if pos >= 0 else -1


def _cfws(text: str, pos: int) -> int:
    """Past the blanks and (nested) comments at ``pos``; -1 for an unclosed one."""
    while (pos := _blank(text, pos)) >= 0 and text[pos : pos + 1] == "(":
        depth, pos = 1, pos + 1
        while pos < len(text) and depth:
            if text[pos] in "()":
                depth += 1 if text[pos] == "(" else -1
            pos += 2 if text[pos] == "\\" and pos + 1 < len(text) else 1
        pos = -1 if depth else pos
    return pos


def _addr_spec(text: str, pos: int) -> int:
    """Past the ``local@domain`` at ``pos``, or -1; a domain literal is an IP."""
    found = _ADDR_SPEC_RE.match(text, pos) if pos >= 0 else None
    if found is not None and (literal := found[1]) is not None:
        ip = _ip(literal.removeprefix("IPv6:"))
        mapped = isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None
        if ip is None or not (literal.startswith("IPv6:") or ip.version == 4 or mapped):
            return -1
    return found.end() if found is not None else -1


def _address(text: str, pos: int, *, group: bool) -> tuple[int, int]:
    """Past the address at ``pos`` and how many it names (a group, in one)."""
    # TODO(#4): Go also refuses an RFC 2047 word in a charset it cannot decode
    # (=?koi8-r?q?...?=) as a name's first word or in a comment; taken here.
    pos = _blank(text, pos)
    if (end := _addr_spec(text, pos)) >= 0:  # Go tries a bare address first
        return _cfws(text, end), 1  # a comment after it is a display name
    words = 0
    while pos >= 0 and (found := _WORD_RE.match(text, pos)):
        pos, words = _cfws(text, found.end()), words + 1
    if pos < 0 or (not words and text[pos : pos + 1] != "<"):
        return -1, 0
    if group and text[pos : pos + 1] == ":":
        # One address, as more or none would not be one address anyway.
        end, count = _address(text, pos + 1, group=False)
        end = _cfws(text, end)
        return (_cfws(text, end + 1), count) if text[end : end + 1] == ";" else (-1, 0)
    end = _addr_spec(text, pos + 1) if text[pos : pos + 1] == "<" else -1
    return (end + 1, 1) if end >= 0 and text[end : end + 1] == ">" else (-1, 0)


def is_email(value: str) -> bool:
    """One address, as Go's mail parser reads it: ``a@example.com``, ``Name
    <a@example.com>``, quoted local parts, comments, ``[192.0.2.1]`` and
    ``[IPv6:...]`` domains, a group of one (``team: a@example.com;``)."""
    end, count = _address(value, 0, group=True)
    return count == 1 and _cfws(value, end) == len(value)


_SCHEME_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_BAD_ESCAPE_RE: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")


def is_uri(value: str) -> bool:
    """What Go's ``url.ParseRequestURI`` accepts: an absolute URI or an
    absolute path, with no control characters and well-formed escapes."""
    if not value or any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return False
    scheme = _SCHEME_RE.match(value)
    if scheme is None and not value.startswith("/"):
        return False
    if _BAD_ESCAPE_RE.search(value):
        return False
    rest = value[scheme.end() :] if scheme else value
    if not rest.startswith("//"):
        return True
    authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
    host = authority.rpartition("@")[2]
    if " " in host:
        return False
    if host.startswith("["):
        port = host[host.find("]") + 1 :]
    else:
        port = host[host.find(":") :] if ":" in host else ""
    # Go's validOptionalPort: nothing, or a colon and digits.
    return not port or (port[0] == ":" and (port[1:].isdigit() or port == ":"))


# -- checksummed numbers and codes ---------------------------------------------------


def _isbn10(digits: str) -> bool:
    if not re.fullmatch(r"\d{9}[\dX]", digits):
        return False
    values = [10 if char == "X" else int(char) for char in digits]
    return sum((10 - position) * value for position, value in enumerate(values)) % 11 == 0


def _isbn13(digits: str) -> bool:
    if not re.fullmatch(r"\d{13}", digits):
        return False
    total = sum(int(char) * (1 if i % 2 == 0 else 3) for i, char in enumerate(digits))
    return total % 10 == 0


def _without_spaces_and_dashes(value: str) -> str:
    return re.sub(r"[\s-]+", "", value)


def is_isbn10(value: str) -> bool:
    return _isbn10(_without_spaces_and_dashes(value))


def is_isbn13(value: str) -> bool:
    return _isbn13(_without_spaces_and_dashes(value))


_CREDIT_CARD_RE: Final = re.compile(
    r"(?:4\d{12}(?:\d{3})?|5[1-5]\d{14}|(?:222[1-9]|22[3-9]\d|2[3-6]\d{2}|27[01]\d|2720)\d{12}"
    r"|6(?:011|5\d\d)\d{12}|3[47]\d{13}|3(?:0[0-5]|[68]\d)\d{11}|(?:2131|1800|35\d{3})\d{11}"
    r"|6[27]\d{14})"
)


def is_credit_card(value: str) -> bool:
    """A card number (digits with any separators) that passes the Luhn check."""
    digits = re.sub(r"\D", "", value)
    if not _CREDIT_CARD_RE.fullmatch(digits):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


_SSN_RE: Final = re.compile(r"\d{3}[- ]?\d{2}[- ]?\d{4}", re.ASCII)
_DECIMAL: Final = "(0|[1-9]\\d?|1\\d\\d?|2[0-4]\\d|25[0-5])"

FORMATS: Final[dict[str, Callable[[str], bool]]] = {
    "bsonobjectid": _fullmatch(r"[0-9a-fA-F]{24}"),
    "uri": is_uri,
    "email": is_email,
    "hostname": is_hostname,
    "ipv4": is_ipv4,
    "ipv6": is_ipv6,
    "cidr": is_cidr,
    "mac": is_mac,
    "uuid": _fullmatch(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I),
    "uuid3": _fullmatch(r"[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I),
    "uuid4": _fullmatch(
        r"[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}", re.I
    ),
    "uuid5": _fullmatch(
        r"[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}", re.I
    ),
    "isbn": lambda value: is_isbn10(value) or is_isbn13(value),
    "isbn10": is_isbn10,
    "isbn13": is_isbn13,
    "creditcard": is_credit_card,
    "ssn": lambda value: len(value) == 11 and _SSN_RE.fullmatch(value) is not None,
    "hexcolor": _fullmatch(r"#?(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})"),
    "rgbcolor": _fullmatch(rf"rgb\(\s*{_DECIMAL}\s*,\s*{_DECIMAL}\s*,\s*{_DECIMAL}\s*\)"),
    "byte": _fullmatch(
        r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})"
    ),
    "password": lambda value: True,
    "date": is_date,
    "duration": is_duration,
    "datetime": is_date_time,
}


def checker(format_name: str) -> Callable[[str], bool] | None:
    """The check for ``format_name``, or None when Kubernetes ignores it."""
    return FORMATS.get(format_name.replace("-", ""))
