"""How etcd's failures map onto the store's error tree.

etcd reports everything as a gRPC status; etcd3aio wraps the transient ones
after its retries and lets the others through. The mapping, in one place::

    gRPC status / client error                      store error
    ----------------------------------------------  -------------------------
    OUT_OF_RANGE "required revision has been        CompactedError
      compacted"
    OUT_OF_RANGE "required revision is a future     FutureRevisionError
      revision"
    UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED,      StoreUnavailableError
      RESOURCE_EXHAUSTED (too many requests),
      EtcdConnectionError, EtcdTransientError,
      asyncio's TimeoutError
    anything else (INVALID_ARGUMENT for a request   EtcdRequestError
      over etcd's size limit, PERMISSION_DENIED...)

``CompactedError`` and ``FutureRevisionError`` carry a revision that etcd's
message does not include; the store looks it up before raising (see
``EtcdStore._translate``). A watch stream is more forgiving than a unary call:
UNKNOWN and INTERNAL there are what a reset connection looks like, so they
resume the watch too (``is_resumable``).
"""

from __future__ import annotations

import enum

import grpc  # type: ignore[import-untyped]
import grpc.aio  # type: ignore[import-untyped]
from etcd3aio import EtcdConnectionError, EtcdTransientError

from kubelite.store.errors import StoreError

_COMPACTED = "required revision has been compacted"
_FUTURE = "required revision is a future revision"

_UNAVAILABLE_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)
_RESUMABLE_CODES = _UNAVAILABLE_CODES | {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL}

# The exceptions a call to etcd can end with, for ``except`` clauses.
ETCD_ERRORS: tuple[type[BaseException], ...] = (
    grpc.aio.AioRpcError,
    EtcdConnectionError,
    EtcdTransientError,
    TimeoutError,
)


class EtcdRequestError(StoreError):
    """etcd refused a request for a reason other than the ones the tree names.

    Final: retrying the same request fails the same way.
    """

    def __init__(self, operation: str, code: str, details: str) -> None:
        super().__init__(f"etcd refused {operation}: {code}: {details}")
        self.operation = operation
        self.code = code
        self.details = details


class Failure(enum.Enum):
    """What kind of failure an exception from a call to etcd is."""

    COMPACTED = "compacted"
    FUTURE = "future"
    UNAVAILABLE = "unavailable"
    REJECTED = "rejected"


def classify(err: BaseException) -> Failure:
    """Sort an exception raised by a call to etcd into a ``Failure``."""
    if isinstance(err, EtcdConnectionError | EtcdTransientError | TimeoutError):
        return Failure.UNAVAILABLE
    if isinstance(err, grpc.aio.AioRpcError):
        details = err.details() or ""
        if err.code() == grpc.StatusCode.OUT_OF_RANGE and _COMPACTED in details:
            return Failure.COMPACTED
        if err.code() == grpc.StatusCode.OUT_OF_RANGE and _FUTURE in details:
            return Failure.FUTURE
        if err.code() in _UNAVAILABLE_CODES:
            return Failure.UNAVAILABLE
    return Failure.REJECTED


def is_resumable(err: BaseException) -> bool:
    """Whether a watch stream that failed with ``err`` should be reopened."""
    if isinstance(err, grpc.aio.AioRpcError):
        return err.code() in _RESUMABLE_CODES
    return isinstance(err, EtcdConnectionError | EtcdTransientError | TimeoutError)


def rejected(operation: str, err: BaseException) -> EtcdRequestError:
    """The ``EtcdRequestError`` for an exception ``classify`` calls REJECTED."""
    if isinstance(err, grpc.aio.AioRpcError):
        return EtcdRequestError(operation, err.code().name, err.details() or "")
    return EtcdRequestError(operation, type(err).__name__, str(err))
