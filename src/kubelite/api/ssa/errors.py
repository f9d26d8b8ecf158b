"""The errors of reading field paths and FieldsV1 documents.

All are ``ValueError``\\s, for the API server to answer as it sees fit::

    FieldPathError               a bad element or fieldsV1 document; .path says where
    └── UnknownElementError      a key of a type this version does not know
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["FieldPathError", "UnknownElementError"]


class FieldPathError(ValueError):
    """A path element or a fieldsV1 document that cannot be read.

    ``path`` is where in the set the bad key or value was found (empty at the
    top level), as a tuple of path elements; ``problem`` says what is wrong.
    """

    def __init__(self, problem: str, path: Sequence[Any] = ()) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path = tuple(path)

    def __str__(self) -> str:
        if not self.path:
            return self.problem
        return f"{self.problem} (under {''.join(map(str, self.path))})"


class UnknownElementError(FieldPathError):
    """A key such as ``x:...``: well formed, of a type this version does not
    know. ``from_fields_v1`` drops such keys, as Kubernetes does, so that a
    newer server's managed fields still load."""
