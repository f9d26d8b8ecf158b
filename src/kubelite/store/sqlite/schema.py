"""The SQLite schema and the statements that read and write it.

The store is one append-only table, ``log``, with a row per committed write, keyed
by revision, and ``meta``, which holds the last committed revision and the
compacted revision. A worked example, after ``create /a`` (1), ``create /b`` (2),
``update /a`` (3), ``delete /b`` (4)::

    log  revision key  create_revision prev_revision deleted expires_at value
         1        /a   1               0             0       NULL       v1
         2        /b   2               0             0       NULL       x
         3        /a   1               1             0       NULL       v2
         4        /b   2               2             1       NULL       (empty)

There is deliberately no index on ``key``: the in-memory key index (``index``)
finds the revision of a key, and the value is read by revision, the primary key.
Rows are only ever appended at the end of the table, which is the cheapest write
SQLite can do. ``prev_revision`` links each row to the one it replaced, which gives
a watch its previous values and lets compaction find superseded rows by scanning
only the revisions it compacts.
"""

from __future__ import annotations

import sqlite3

CREATE_TABLES = """
CREATE TABLE IF NOT EXISTS log (
    revision INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    create_revision INTEGER NOT NULL,
    prev_revision INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    expires_at REAL,
    value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0);
"""

READ_META = "SELECT name, value FROM meta"

# Everything the key index needs, in the order it must be applied.
LOAD_INDEX = "SELECT revision, key, create_revision, deleted, expires_at FROM log ORDER BY revision"

VALUE = "SELECT value FROM log WHERE revision = ?"
VALUES = "SELECT revision, value FROM log WHERE revision IN ({marks})"

# The history a watch replays: the rows after a revision, with their previous rows.
REPLAY = """
SELECT l.revision, l.key, l.create_revision, l.deleted, l.value,
       p.revision, p.create_revision, p.value
FROM log l LEFT JOIN log p ON p.revision = l.prev_revision
WHERE l.revision > ? AND l.revision <= ? AND l.key >= ? AND l.key < ?
ORDER BY l.revision LIMIT ?
"""

INSERT_LOG = """
INSERT INTO log (revision, key, create_revision, prev_revision, deleted, expires_at, value)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
SET_META = "UPDATE meta SET value = ? WHERE name = ?"
DELETE_REVISION = "DELETE FROM log WHERE revision = ?"

# Above every real key: no Kubernetes key contains this code point.
KEY_MAX = "\U0010ffff"

# SQLite allows 32,766 parameters in a statement; stay well below.
CHUNK = 500


def connect(path: str, *, synchronous: str, readonly: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL journal."""
    connection = sqlite3.connect(
        path,
        isolation_level=None,
        check_same_thread=False,
        cached_statements=64,
    )
    connection.execute("PRAGMA busy_timeout = 10000")
    if not readonly:
        connection.execute("PRAGMA journal_mode = WAL")
    connection.execute(f"PRAGMA synchronous = {synchronous}")
    connection.execute("PRAGMA cache_size = -65536")
    return connection


def values(connection: sqlite3.Connection, revisions: list[int]) -> dict[int, bytes]:
    """The values stored at ``revisions`` (rows compacted away are missing)."""
    found: dict[int, bytes] = {}
    for start in range(0, len(revisions), CHUNK):
        chunk = revisions[start : start + CHUNK]
        sql = VALUES.format(marks=",".join("?" * len(chunk)))
        found.update(connection.execute(sql, chunk).fetchall())
    return found
