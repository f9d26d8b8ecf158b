"""Kubernetes' short human durations, threshold by threshold, and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kubelite.api.tables.duration import human_duration, parse_time, rfc3339, since

pytestmark = pytest.mark.timeout(10)

S = 1
M = 60
H = 60 * M
D = 24 * H
Y = 365 * D


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0s"),
        (-1, "0s"),
        (-2, "<invalid>"),
        (1, "1s"),
        (59, "59s"),
        (60, "60s"),
        (90, "90s"),
        (119, "119s"),
        (2 * M, "2m"),
        (3 * M + 12, "3m12s"),
        (9 * M + 59, "9m59s"),
        (10 * M, "10m"),
        (10 * M + 30, "10m"),
        (179 * M, "179m"),
        (3 * H, "3h"),
        (3 * H + 59, "3h"),
        (7 * H + 30 * M, "7h30m"),
        (8 * H, "8h"),
        (47 * H + 59 * M, "47h"),
        (2 * D, "2d"),
        (2 * D + 3 * H, "2d3h"),
        (7 * D + 23 * H, "7d23h"),
        (8 * D, "8d"),
        (400 * D, "400d"),
        (729 * D, "729d"),
        (2 * Y, "2y"),
        (3 * Y, "3y"),
        (3 * Y + 10 * D, "3y10d"),
        (8 * Y, "8y"),
        (8 * Y + 100 * D, "8y"),
    ],
)
def test_human_duration(seconds: int, expected: str) -> None:
    assert human_duration(timedelta(seconds=seconds)) == expected


def test_fractions_truncate_toward_zero() -> None:
    assert human_duration(timedelta(seconds=119, milliseconds=999)) == "119s"
    assert human_duration(timedelta(seconds=-1, milliseconds=-999)) == "0s"


def test_timestamps() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_time("2026-01-02T03:00:00Z") == datetime(2026, 1, 2, 3, tzinfo=UTC)
    assert parse_time("2026-01-02T03:00:00.123456Z") is not None
    assert parse_time("") is None
    assert parse_time("yesterday") is None
    assert parse_time(None) is None
    assert since("2026-01-02T03:00:53Z", now) == "3m12s"
    assert since(None, now) == "<unknown>"
    assert rfc3339("2026-01-02T03:04:05.678+02:00") == "2026-01-02T01:04:05Z"
    assert rfc3339(None) == "0001-01-01T00:00:00Z"
