"""Errors raised while applying a patch.

The tree, with the HTTP status the API server answers for each (it maps them in
one place; this package knows nothing of HTTP)::

    PatchError                      base class; never raised itself
    ├── PatchInvalidError           the patch document is malformed: not a list of
    │                               operations, an unknown directive, a bad JSON
    │                               pointer; 400 BadRequest
    ├── PatchOperationError         a JSON patch operation cannot be carried out: an
    │                               unknown op, a missing member; 422 Invalid, as
    │                               Kubernetes finds these only while applying
    ├── PatchPathNotFoundError      a JSON pointer names a location the document does
    │                               not have; 422 Invalid
    ├── PatchTestFailedError        a JSON patch ``test`` operation did not match;
    │                               422 Invalid
    └── PatchConflictError          the patch contradicts itself or the object: a
                                    ``move`` into its own child, a list that does not
                                    follow its ``$setElementOrder``, a field missing from
                                    ``$retainKeys``, a list of lists; 422 Invalid

Every error is final for the request that carried the patch: retrying the same
patch against the same object fails the same way. Messages are lowercase and
name the path involved; ``path`` holds it for the server's ``details.causes``.
"""

from __future__ import annotations


class PatchError(Exception):
    """Base of every patch error.

    ``path`` is where in the document the problem is, as a JSON pointer for JSON
    patch or a dotted field path for merge patches; empty when it is the whole
    document.
    """

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class PatchInvalidError(PatchError):
    """The patch document is malformed and could never apply to any object."""


class PatchOperationError(PatchError):
    """A JSON patch operation that names no operation Kubernetes can apply."""


class PatchPathNotFoundError(PatchError):
    """A JSON pointer in the patch names a location the document does not have."""


class PatchTestFailedError(PatchError):
    """A JSON patch ``test`` operation found a different value."""


class PatchConflictError(PatchError):
    """The patch is well formed but contradicts itself or the object it patches."""
