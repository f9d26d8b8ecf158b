"""Timestamps and Kubernetes' short human durations (``5s``, ``3m12s``, ``2d3h``).

``human_duration`` reproduces apimachinery's ``duration.HumanDuration``, which
the server-side printers use for AGE, LAST SEEN and the ``(5m ago)`` of
RESTARTS. It keeps two or three significant figures, so the unit switches at
fixed thresholds rather than at each natural boundary::

    0s .. 119s            seconds        "59s", "90s", "119s"
    2m .. 9m59s           minutes+secs   "2m", "3m12s"
    10m .. 179m           minutes        "10m", "179m"
    3h .. 7h59m           hours+mins     "3h", "7h30m"
    8h .. 47h             hours          "8h", "47h"
    2d .. 7d23h           days+hours     "2d", "2d3h"
    8d .. 729d            days           "8d", "400d"
    2y .. 7y364d          years+days     "2y", "3y10d"
    8y ..                 years          "8y"

Years are 365 days. A duration of -1s still prints ``0s`` (clocks disagree a
little between machines) and anything more negative prints ``<invalid>``.

The arithmetic is done in whole microseconds, truncated toward zero as Go's
integer division of nanoseconds is, so no float rounding can move a value
across a threshold.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

_US_PER_SECOND: Final = 1_000_000
_MINUTE: Final = 60
_HOUR: Final = 60 * _MINUTE
_DAY: Final = 24 * _HOUR
_YEAR_DAYS: Final = 365

# What the printers show for a timestamp that is absent (Go's zero time).
UNKNOWN: Final = "<unknown>"
INVALID: Final = "<invalid>"


def _whole_seconds(delta: timedelta) -> int:
    micros = (delta.days * 86_400 + delta.seconds) * _US_PER_SECOND + delta.microseconds
    # int() of a quotient truncates toward zero, as Go's conversion does.
    return int(micros / _US_PER_SECOND) if micros < 0 else micros // _US_PER_SECOND


def human_duration(delta: timedelta) -> str:
    """``delta`` as Kubernetes' ``HumanDuration`` prints it (see the module doc)."""
    seconds = _whole_seconds(delta)
    if seconds < -1:
        return INVALID
    if seconds < 0:
        return "0s"
    if seconds < 2 * _MINUTE:
        return f"{seconds}s"

    minutes = seconds // _MINUTE
    if minutes < 10:
        rest = seconds % _MINUTE
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 3 * 60:
        return f"{minutes}m"

    hours = seconds // _HOUR
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        rest = hours % 24
        return f"{days}d" if rest == 0 else f"{days}d{rest}h"
    if days < _YEAR_DAYS * 2:
        return f"{days}d"
    years = days // _YEAR_DAYS
    if days < _YEAR_DAYS * 8:
        rest = days % _YEAR_DAYS
        return f"{years}y" if rest == 0 else f"{years}y{rest}d"
    return f"{years}y"


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 timestamp (``Time`` or ``MicroTime``) as an aware datetime.

    ``None`` for an absent, empty or unparsable value: the printers treat all
    three as Go's zero time.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def since(value: object, now: datetime) -> str:
    """How long ago ``value`` was, or ``<unknown>`` when it is not a timestamp."""
    moment = parse_time(value)
    if moment is None:
        return UNKNOWN
    return human_duration(now - moment)


def rfc3339(value: object) -> str:
    """``value`` re-printed as Go's ``time.RFC3339`` in UTC (whole seconds).

    An absent timestamp prints as Go's zero time, as Kubernetes' default table
    does for an object without ``creationTimestamp``.
    """
    moment = parse_time(value)
    if moment is None:
        return "0001-01-01T00:00:00Z"
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
