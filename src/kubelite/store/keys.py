"""Key ranges shared by the backends.

Keys are strings compared by code point, which is also the byte order of their UTF-8
encoding, so a prefix maps to one half-open range in SQLite (binary collation) and in
etcd alike: ``"/a/"`` covers ``["/a/", "/a0")``.
"""

from __future__ import annotations


def prefix_end(prefix: str) -> str | None:
    """The first key after every key that starts with ``prefix``; None for no bound."""
    stripped = prefix.rstrip("\U0010ffff")
    if not stripped:
        return None
    return stripped[:-1] + chr(ord(stripped[-1]) + 1)


def key_range(prefix: str, start: str | None = None) -> tuple[str, str | None]:
    """The half-open range ``[low, high)`` of keys under ``prefix`` from ``start``."""
    low = prefix if start is None or start < prefix else start
    return low, prefix_end(prefix)
