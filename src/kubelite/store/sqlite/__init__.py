"""The embedded backend: the store in one SQLite file, the default for kubelite."""

from kubelite.store.sqlite.store import SqliteOptions, SqliteStore

__all__ = ["SqliteOptions", "SqliteStore"]
