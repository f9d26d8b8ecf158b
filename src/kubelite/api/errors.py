"""The Kubernetes ``Status`` errors, with Kubernetes' codes, reasons and messages.

Every failed request is answered with a ``Status`` object, and clients branch on
its ``reason`` and ``code`` (``kubectl apply`` creates on NotFound; informers
re-list on 410), so the values here follow Kubernetes exactly. The tree, with
what a caller should do about each::

    ApiError                           any code and reason; base of the tree
    ├── BadRequestError         400    the request itself is wrong; final
    ├── UnauthorizedError       401    no valid credentials; final
    ├── ForbiddenError          403    not allowed; final
    ├── NotFoundError           404    the object does not exist; final
    ├── MethodNotAllowedError   405    the verb is not served here; final
    ├── NotAcceptableError      406    no acceptable response type; final
    ├── AlreadyExistsError      409    create of a name that exists; final
    ├── ConflictError           409    the object changed; re-read, then retry
    ├── GoneError               410    the resource version is gone; re-list
    │   └── ExpiredError        410    (reason Expired) the same, as the cache says it
    ├── RequestEntityTooLargeError 413 the body is too large; final
    ├── UnsupportedMediaTypeError  415 the body's content type is not served; final
    ├── InvalidError            422    field errors in ``details.causes``; final
    ├── TooManyRequestsError    429    back off ``retryAfterSeconds``, then retry
    ├── InternalError           500    a bug or a broken store; retry may help
    ├── ServerTimeoutError      500    (reason ServerTimeout) retry later
    ├── ServiceUnavailableError 503    retry later
    └── GatewayTimeoutError     504    (reason Timeout) may still complete; re-read

Errors are built by the functions below (``not_found(PODS, "x")``), which word
the message as Kubernetes does; ``ApiError.to_status`` gives the wire object and
``ApiError.from_status`` turns one read from the wire back into its class.

Field errors, the causes of a 422, are values defined in ``field``; an
``ErrorList`` collects them while validating and raises one ``InvalidError``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from kubelite.api.field import FieldError, StatusCause, aggregate_message, go_quote

# The message of a 409 on a write whose resourceVersion is stale.
OPTIMISTIC_LOCK_MESSAGE: Final = (
    "the object has been modified; please apply your changes to the latest version and try again"
)
# The messages of a 410 when the store has compacted what was asked for.
EXPIRED_WATCH_MESSAGE: Final = "The resourceVersion for the provided watch is too old."
EXPIRED_LIST_MESSAGE: Final = "The resourceVersion for the provided list is too old."
EXPIRED_CONTINUE_MESSAGE: Final = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter."
)
INCONSISTENT_CONTINUE_MESSAGE: Final = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter, or use the continue token "
    "in this response to retrieve the remainder of the results. Continuing with the "
    "provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may show "
    "up in the list."
)


class StatusReason(enum.StrEnum):
    """``Status.reason``: the machine-readable why of a failure."""

    UNKNOWN = ""
    UNAUTHORIZED = "Unauthorized"
    FORBIDDEN = "Forbidden"
    NOT_FOUND = "NotFound"
    ALREADY_EXISTS = "AlreadyExists"
    CONFLICT = "Conflict"
    GONE = "Gone"
    INVALID = "Invalid"
    SERVER_TIMEOUT = "ServerTimeout"
    STORE_READ_ERROR = "StorageReadError"
    TIMEOUT = "Timeout"
    TOO_MANY_REQUESTS = "TooManyRequests"
    BAD_REQUEST = "BadRequest"
    METHOD_NOT_ALLOWED = "MethodNotAllowed"
    NOT_ACCEPTABLE = "NotAcceptable"
    REQUEST_ENTITY_TOO_LARGE = "RequestEntityTooLarge"
    UNSUPPORTED_MEDIA_TYPE = "UnsupportedMediaType"
    INTERNAL_ERROR = "InternalError"
    EXPIRED = "Expired"
    SERVICE_UNAVAILABLE = "ServiceUnavailable"


class CauseType(enum.StrEnum):
    """``details.causes[].reason``; the field ones mirror ``ErrorType``."""

    FIELD_VALUE_NOT_FOUND = "FieldValueNotFound"
    FIELD_VALUE_REQUIRED = "FieldValueRequired"
    FIELD_VALUE_DUPLICATE = "FieldValueDuplicate"
    FIELD_VALUE_INVALID = "FieldValueInvalid"
    FIELD_VALUE_NOT_SUPPORTED = "FieldValueNotSupported"
    FIELD_VALUE_FORBIDDEN = "FieldValueForbidden"
    FIELD_VALUE_TOO_LONG = "FieldValueTooLong"
    FIELD_VALUE_TOO_MANY = "FieldValueTooMany"
    FIELD_VALUE_TYPE_INVALID = "FieldValueTypeInvalid"
    INTERNAL = "InternalError"
    UNEXPECTED_SERVER_RESPONSE = "UnexpectedServerResponse"
    FIELD_MANAGER_CONFLICT = "FieldManagerConflict"
    RESOURCE_VERSION_TOO_LARGE = "ResourceVersionTooLarge"


class ErrorList:
    """Field errors collected while validating one object, raised once.

    ``errors.extend(validate_labels(...))`` for each rule, then
    ``errors.raise_invalid(kind, name)``, which does nothing when all is well.
    """

    def __init__(self, errors: Iterable[FieldError] = ()) -> None:
        self._errors = list(errors)

    def add(self, error: FieldError) -> None:
        self._errors.append(error)

    def extend(self, errors: Iterable[FieldError]) -> None:
        self._errors.extend(errors)

    def __iter__(self) -> Iterator[FieldError]:
        return iter(self._errors)

    def __len__(self) -> int:
        return len(self._errors)

    def __bool__(self) -> bool:
        return bool(self._errors)

    def raise_invalid(self, kind: GroupKind, name: str) -> None:
        if self._errors:
            raise invalid(kind, name, self._errors)


# -- status values ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupResource:
    """A resource and its API group: ``pods``, ``deployments.apps``."""

    resource: str
    group: str = ""

    def __str__(self) -> str:
        return f"{self.resource}.{self.group}" if self.group else self.resource


@dataclass(frozen=True, slots=True)
class GroupKind:
    """A kind and its API group: ``Pod``, ``Deployment.apps``."""

    kind: str
    group: str = ""

    def __str__(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind


@dataclass(frozen=True, slots=True)
class StatusDetails:
    """``Status.details``. ``kind`` holds the resource plural for most errors
    (``pods``) and the kind for Invalid (``Pod``), as Kubernetes does."""

    name: str = ""
    group: str = ""
    kind: str = ""
    uid: str = ""
    causes: tuple[StatusCause, ...] = ()
    retry_after_seconds: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in (
            ("name", self.name),
            ("group", self.group),
            ("kind", self.kind),
            ("uid", self.uid),
        ):
            if value:
                out[key] = value
        if self.causes:
            out["causes"] = [cause.to_dict() for cause in self.causes]
        if self.retry_after_seconds:
            out["retryAfterSeconds"] = self.retry_after_seconds
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StatusDetails:
        causes = tuple(
            StatusCause(
                reason=str(cause.get("reason", "")),
                message=str(cause.get("message", "")),
                field=str(cause.get("field", "")),
            )
            for cause in data.get("causes") or ()
        )
        return cls(
            name=str(data.get("name", "")),
            group=str(data.get("group", "")),
            kind=str(data.get("kind", "")),
            uid=str(data.get("uid", "")),
            causes=causes,
            retry_after_seconds=int(data.get("retryAfterSeconds", 0)),
        )


# -- the exception tree ----------------------------------------------------------


class ApiError(Exception):
    """A failure the API answers with a ``Status``.

    Subclasses fix ``code`` and ``reason``; ``ApiError`` itself carries any pair,
    for a status read from the wire that matches no subclass. ``details`` is
    ``None`` when Kubernetes leaves it out, which is not the same as empty.
    """

    default_code: ClassVar[int] = 500
    default_reason: ClassVar[StatusReason] = StatusReason.UNKNOWN
    # The Status' metadata.continue: how to go on with a list that expired.
    continue_token: str = ""

    def __init__(
        self,
        message: str,
        *,
        details: StatusDetails | None = None,
        code: int | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.code = self.default_code if code is None else code
        self.reason = str(self.default_reason) if reason is None else reason

    def to_status(self) -> dict[str, Any]:
        """The ``Status`` object, with empty fields left out as Kubernetes does."""
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {"continue": self.continue_token} if self.continue_token else {},
            "status": "Failure",
        }
        if self.message:
            status["message"] = self.message
        if self.reason:
            status["reason"] = self.reason
        if self.details is not None:
            status["details"] = self.details.to_dict()
        if self.code:
            status["code"] = self.code
        return status

    @classmethod
    def from_status(cls, status: Mapping[str, Any]) -> ApiError:
        """The error a ``Status`` describes, as the subclass for its reason."""
        reason = str(status.get("reason", ""))
        code = int(status.get("code", 0))
        details_data = status.get("details")
        details = None if details_data is None else StatusDetails.from_dict(details_data)
        error_class = _CLASS_BY_REASON.get(reason, ApiError)
        error = error_class(
            str(status.get("message", "")), details=details, code=code, reason=reason
        )
        metadata = status.get("metadata")
        if isinstance(metadata, Mapping):
            error.continue_token = str(metadata.get("continue") or "")
        return error

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code}, {self.reason!r}, {self.message!r})"


class BadRequestError(ApiError):
    default_code = 400
    default_reason = StatusReason.BAD_REQUEST


class UnauthorizedError(ApiError):
    default_code = 401
    default_reason = StatusReason.UNAUTHORIZED


class ForbiddenError(ApiError):
    default_code = 403
    default_reason = StatusReason.FORBIDDEN


class NotFoundError(ApiError):
    default_code = 404
    default_reason = StatusReason.NOT_FOUND


class MethodNotAllowedError(ApiError):
    default_code = 405
    default_reason = StatusReason.METHOD_NOT_ALLOWED


class NotAcceptableError(ApiError):
    default_code = 406
    default_reason = StatusReason.NOT_ACCEPTABLE


class AlreadyExistsError(ApiError):
    default_code = 409
    default_reason = StatusReason.ALREADY_EXISTS


class ConflictError(ApiError):
    default_code = 409
    default_reason = StatusReason.CONFLICT


class GoneError(ApiError):
    default_code = 410
    default_reason = StatusReason.GONE


class ExpiredError(GoneError):
    default_reason = StatusReason.EXPIRED


class RequestEntityTooLargeError(ApiError):
    default_code = 413
    default_reason = StatusReason.REQUEST_ENTITY_TOO_LARGE


class UnsupportedMediaTypeError(ApiError):
    default_code = 415
    default_reason = StatusReason.UNSUPPORTED_MEDIA_TYPE


class InvalidError(ApiError):
    """A 422; ``field_errors`` holds the errors it was built from (empty when
    it was read from the wire, where only ``details.causes`` survive)."""

    default_code = 422
    default_reason = StatusReason.INVALID
    field_errors: tuple[FieldError, ...] = ()


class TooManyRequestsError(ApiError):
    default_code = 429
    default_reason = StatusReason.TOO_MANY_REQUESTS


class InternalError(ApiError):
    default_code = 500
    default_reason = StatusReason.INTERNAL_ERROR


class ServerTimeoutError(ApiError):
    default_code = 500
    default_reason = StatusReason.SERVER_TIMEOUT


class ServiceUnavailableError(ApiError):
    default_code = 503
    default_reason = StatusReason.SERVICE_UNAVAILABLE


class GatewayTimeoutError(ApiError):
    default_code = 504
    default_reason = StatusReason.TIMEOUT


_CLASS_BY_REASON: Final[dict[str, type[ApiError]]] = {
    str(error_class.default_reason): error_class
    for error_class in (
        BadRequestError,
        UnauthorizedError,
        ForbiddenError,
        NotFoundError,
        MethodNotAllowedError,
        NotAcceptableError,
        AlreadyExistsError,
        ConflictError,
        GoneError,
        ExpiredError,
        RequestEntityTooLargeError,
        UnsupportedMediaTypeError,
        InvalidError,
        TooManyRequestsError,
        InternalError,
        ServerTimeoutError,
        ServiceUnavailableError,
        GatewayTimeoutError,
    )
}


# -- constructors, worded as Kubernetes words them --------------------------------


def _about(resource: GroupResource, name: str = "", **extra: Any) -> StatusDetails:
    return StatusDetails(name=name, group=resource.group, kind=resource.resource, **extra)


def not_found(resource: GroupResource, name: str) -> NotFoundError:
    """``pods "x" not found``."""
    message = f"{resource} {go_quote(name)} not found"
    return NotFoundError(message, details=_about(resource, name))


def already_exists(resource: GroupResource, name: str) -> AlreadyExistsError:
    """``pods "x" already exists``."""
    message = f"{resource} {go_quote(name)} already exists"
    return AlreadyExistsError(message, details=_about(resource, name))


def generate_name_conflict(
    resource: GroupResource, name: str, *, retry_after_seconds: int
) -> AlreadyExistsError:
    """Every name generated from ``generateName`` was taken."""
    message = (
        f"{resource} {go_quote(name)} already exists, the server was not able to "
        "generate a unique name for the object"
    )
    details = _about(resource, name, retry_after_seconds=retry_after_seconds)
    return AlreadyExistsError(message, details=details)


def conflict(resource: GroupResource, name: str, problem: str) -> ConflictError:
    """``Operation cannot be fulfilled on pods "x": <problem>``."""
    message = f"Operation cannot be fulfilled on {resource} {go_quote(name)}: {problem}"
    return ConflictError(message, details=_about(resource, name))


def stale_conflict(resource: GroupResource, name: str) -> ConflictError:
    """The 409 of an update made against an old ``resourceVersion``."""
    return conflict(resource, name, OPTIMISTIC_LOCK_MESSAGE)


def invalid(kind: GroupKind, name: str, errors: Iterable[FieldError]) -> InvalidError:
    """``Pod "x" is invalid: <field errors>``, each error also a cause."""
    field_errors = tuple(errors)
    message = f"{kind} {go_quote(name)} is invalid"
    if field_errors:
        message += f": {aggregate_message(field_errors)}"
    details = StatusDetails(
        name=name,
        group=kind.group,
        kind=kind.kind,
        causes=tuple(error.cause() for error in field_errors),
    )
    error = InvalidError(message, details=details)
    error.field_errors = field_errors
    return error


def bad_request(message: str) -> BadRequestError:
    return BadRequestError(message)


def gone(message: str) -> GoneError:
    """A 410 with reason Gone."""
    return GoneError(message)


def expired(message: str) -> ExpiredError:
    """A 410 with reason Expired, as the watch cache and the store answer."""
    return ExpiredError(message)


def expired_continue(token: str) -> ExpiredError:
    """A continued list whose revision was compacted away; ``token`` goes on from
    the same key at the latest revision, at the price of consistency."""
    error = expired(INCONSISTENT_CONTINUE_MESSAGE)
    error.continue_token = token
    return error


def too_old_resource_version(requested: int, oldest: int) -> ExpiredError:
    """A watch from ``requested`` when history now starts at ``oldest``.

    The message shows the newest revision the watch could still have started
    from, ``oldest - 1``, as Kubernetes' watch cache does.
    """
    return expired(f"too old resource version: {requested} ({oldest - 1})")


def unsupported_media_type(
    accepted: Iterable[str], *, message: str = ""
) -> UnsupportedMediaTypeError:
    """A body (or patch) in a content type this endpoint does not read.

    ``message``, when given, says what in the body was refused (a protobuf kind
    with no table, say) and replaces the stock wording.
    """
    message = message or (
        "the body of the request was in an unknown format - accepted media types "
        "include: " + ", ".join(accepted)
    )
    return UnsupportedMediaTypeError(message)


def not_acceptable(accepted: Iterable[str]) -> NotAcceptableError:
    """No response type in ``Accept`` that this endpoint can produce."""
    message = "only the following media types are accepted: " + ", ".join(accepted)
    return NotAcceptableError(message)


def request_entity_too_large(message: str) -> RequestEntityTooLargeError:
    """``Request entity too large: <message>`` (``limit is 3145728``)."""
    return RequestEntityTooLargeError(f"Request entity too large: {message}")


def method_not_supported(resource: GroupResource, action: str) -> MethodNotAllowedError:
    """``create is not supported on resources of kind "pods"``."""
    message = f"{action} is not supported on resources of kind {go_quote(str(resource))}"
    return MethodNotAllowedError(message, details=_about(resource))


def forbidden(resource: GroupResource | None, name: str, problem: str) -> ForbiddenError:
    """``pods "x" is forbidden: <problem>``; without a resource, ``forbidden: ...``."""
    if resource is None:
        return ForbiddenError(f"forbidden: {problem}", details=StatusDetails(name=name))
    if name:
        message = f"{resource} {go_quote(name)} is forbidden: {problem}"
    else:
        message = f"{resource} is forbidden: {problem}"
    return ForbiddenError(message, details=_about(resource, name))


def unauthorized(message: str = "") -> UnauthorizedError:
    return UnauthorizedError(message or "not authorized")


def too_many_requests(message: str, *, retry_after_seconds: int) -> TooManyRequestsError:
    details = StatusDetails(retry_after_seconds=retry_after_seconds)
    return TooManyRequestsError(message, details=details)


def timeout(message: str, *, retry_after_seconds: int) -> GatewayTimeoutError:
    """``Timeout: <message>``: the request may still complete."""
    details = StatusDetails(retry_after_seconds=retry_after_seconds)
    return GatewayTimeoutError(f"Timeout: {message}", details=details)


def server_timeout(
    resource: GroupResource, operation: str, *, retry_after_seconds: int
) -> ServerTimeoutError:
    message = (
        f"The {operation} operation against {resource} could not be completed at "
        "this time, please try again."
    )
    details = _about(resource, operation, retry_after_seconds=retry_after_seconds)
    return ServerTimeoutError(message, details=details)


def service_unavailable(message: str) -> ServiceUnavailableError:
    return ServiceUnavailableError(message)


def internal_error(cause: BaseException | str) -> InternalError:
    """``Internal error occurred: <cause>``, the cause also in ``details``."""
    text = str(cause)
    details = StatusDetails(causes=(StatusCause(message=text),))
    return InternalError(f"Internal error occurred: {text}", details=details)


# The reason and stock message of each code, for ``generic_response``.
_GENERIC: Final[dict[int, tuple[type[ApiError], str]]] = {
    400: (BadRequestError, "the server rejected our request for an unknown reason"),
    401: (UnauthorizedError, "the server has asked for the client to provide credentials"),
    404: (NotFoundError, "the server could not find the requested resource"),
    405: (MethodNotAllowedError, "the server does not allow this method on the requested resource"),
    409: (ConflictError, "the server reported a conflict"),
    422: (InvalidError, "the server rejected our request due to an error in our request"),
    429: (
        TooManyRequestsError,
        "the server has received too many requests and has asked us to try again later",
    ),
    503: (ServiceUnavailableError, "the server is currently unable to handle the request"),
    504: (
        GatewayTimeoutError,
        "the server was unable to return a response in the time allotted, but may still "
        "be processing the request",
    ),
}


def generic_response(
    code: int, *, resource: GroupResource | None = None, verb: str = "", name: str = ""
) -> ApiError:
    """A status with only a code to go on, worded with Kubernetes' stock messages.

    The API server answers a JSON patch that fails to apply (a failed ``test``)
    with ``generic_response(422)``, as Kubernetes does.
    """
    error_class: type[ApiError]
    if code == 409 and verb.upper() == "POST":
        error_class, message = AlreadyExistsError, _GENERIC[409][1]
    elif code in _GENERIC:
        error_class, message = _GENERIC[code]
    elif code >= 500:
        error_class = InternalError
        message = 'an error on the server ("") has prevented the request from succeeding'
    else:
        error_class = ApiError
        message = (
            f"the server responded with the status code {code} but did not return more information"
        )
    if resource is not None:
        target = f"{resource} {name}" if name else str(resource)
        message = f"{message} ({verb.lower()} {target})"
    details = _about(resource, name) if resource is not None else StatusDetails()
    return error_class(message, details=details, code=code)
