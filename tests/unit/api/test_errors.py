"""Status errors: each constructor's exact wire object, field errors as Kubernetes
prints them, and the round trip from a ``Status`` back to its class."""

from __future__ import annotations

from typing import Any

import pytest

from kubelite.api import errors, field
from kubelite.api.errors import ApiError, ErrorList, GroupKind, GroupResource, StatusDetails
from kubelite.api.field import OMITTED, ErrorType, FieldError, FieldPath, GoLiteral

pytestmark = pytest.mark.timeout(10)

PODS = GroupResource("pods")
DEPLOYMENTS = GroupResource("deployments", "apps")
STATUS = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure"}


def status(**fields: Any) -> dict[str, Any]:
    return {**STATUS, **fields}


# -- field paths and field errors ---------------------------------------------------


def test_field_path_renders_names_indices_and_keys() -> None:
    path = FieldPath().child("spec").child("containers").index(0).key("x")
    assert str(path) == "spec.containers[0][x]"
    assert str(FieldPath.of("metadata", "labels").key("app")) == "metadata.labels[app]"
    assert str(FieldPath().index(3).child("name")) == "[3].name"
    assert str(FieldPath()) == ""


def test_field_paths_are_values() -> None:
    base = FieldPath.of("spec")
    assert base.child("a") == FieldPath.of("spec", "a")
    assert str(base) == "spec"  # extending does not change the original


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (
            FieldError.required(FieldPath.of("spec", "containers")),
            "spec.containers: Required value",
        ),
        (
            FieldError.required(
                FieldPath.of("metadata", "name"), "name or generateName is required"
            ),
            "metadata.name: Required value: name or generateName is required",
        ),
        (
            FieldError.invalid(
                FieldPath.of("spec", "replicas"), -1, "must be greater than or equal to 0"
            ),
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        ),
        (
            FieldError.invalid(FieldPath.of("metadata", "name"), 'a"b', "bad"),
            'metadata.name: Invalid value: "a\\"b": bad',
        ),
        (FieldError.invalid(FieldPath.of("x"), None, "d"), "x: Invalid value: null: d"),
        (FieldError.invalid(FieldPath.of("x"), True, ""), "x: Invalid value: true"),
        (FieldError.invalid(FieldPath.of("x"), 1.5, "d"), "x: Invalid value: 1.5: d"),
        (
            FieldError.invalid(FieldPath.of("values"), ["a", "b"], "d"),
            'values: Invalid value: []string{"a", "b"}: d',
        ),
        (
            FieldError.invalid(FieldPath.of("values"), GoLiteral("[]string(nil)"), "d"),
            "values: Invalid value: []string(nil): d",
        ),
        (
            FieldError.not_supported(
                FieldPath.of("spec", "restartPolicy"), "Sometimes", ["Always", "Never"]
            ),
            'spec.restartPolicy: Unsupported value: "Sometimes": supported values: '
            '"Always", "Never"',
        ),
        (
            FieldError.not_supported(FieldPath.of("x"), "y", []),
            'x: Unsupported value: "y"',
        ),
        (
            FieldError.duplicate(FieldPath.of("spec", "containers").index(1).child("name"), "c"),
            'spec.containers[1].name: Duplicate value: "c"',
        ),
        (
            FieldError.forbidden(FieldPath.of("metadata", "namespace"), "not allowed on this type"),
            "metadata.namespace: Forbidden: not allowed on this type",
        ),
        (
            FieldError.too_long(FieldPath.of("metadata", "annotations"), 262144),
            "metadata.annotations: Too long: may not be more than 262144 bytes",
        ),
        (FieldError.too_long(FieldPath.of("x"), 1), "x: Too long: may not be more than 1 byte"),
        (FieldError.too_long(FieldPath.of("x"), -1), "x: Too long: value is too long"),
        (
            FieldError.too_many(FieldPath.of("items"), 5, 3),
            "items: Too many: 5: must have at most 3 items",
        ),
        (
            FieldError.too_many(FieldPath.of("items"), -1, 1),
            "items: Too many: must have at most 1 item",
        ),
        (
            FieldError.too_many(FieldPath.of("items"), 2, -1),
            "items: Too many: 2: has too many items",
        ),
        (FieldError.not_found(FieldPath.of("x"), "y"), 'x: Not found: "y"'),
        (
            FieldError.type_invalid(FieldPath.of("x"), "y", "must be an int"),
            'x: Invalid value: "y": must be an int',
        ),
        (FieldError.internal(FieldPath.of("x"), "boom"), "x: Internal error: boom"),
    ],
)
def test_field_error_text(error: FieldError, text: str) -> None:
    assert str(error) == text
    assert error.body == text.split(": ", 1)[1]


def test_field_error_cause_carries_type_body_and_field() -> None:
    cause = FieldError.required(FieldPath.of("spec", "containers")).cause()
    assert cause.to_dict() == {
        "reason": "FieldValueRequired",
        "message": "Required value",
        "field": "spec.containers",
    }


def test_omitted_value_prints_only_the_type() -> None:
    error = FieldError(ErrorType.INVALID, "x", OMITTED, "d")
    assert str(error) == "x: Invalid value: d"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", '"plain"'),
        ("tab\there", '"tab\\there"'),
        ("back\\slash", '"back\\\\slash"'),
        ("nul\x00", '"nul\\x00"'),
        ("del\x7f", '"del\\x7f"'),
        ("café", '"café"'),
        ("nbsp\u00a0", '"nbsp\\u00a0"'),
        ({"b": "2", "a": "1"}, 'map[string]string{"a":"1", "b":"2"}'),
        (1e21, "1e+21"),
        (1e20, "1e+20"),
        (1e6, "1e+06"),
        (123456.5, "123456.5"),
        (1234567.5, "1.2345675e+06"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (-2.0, "-2"),
        (float("inf"), "+Inf"),
        (float("nan"), "NaN"),
        (12, "12"),
        (False, "false"),
        (object, str(object)),
    ],
)
def test_go_value(value: object, text: str) -> None:
    assert field.go_value(value) == text


def test_aggregate_message_joins_and_dedups() -> None:
    assert field.aggregate_message([]) == ""
    assert field.aggregate_message(["a"]) == "a"
    assert field.aggregate_message(["a", "a"]) == "a"
    assert field.aggregate_message(["a", "b", "a"]) == "[a, b]"


# -- constructors ---------------------------------------------------------------------


def test_not_found() -> None:
    error = errors.not_found(PODS, "x")
    assert isinstance(error, errors.NotFoundError)
    assert error.to_status() == status(
        message='pods "x" not found',
        reason="NotFound",
        details={"name": "x", "kind": "pods"},
        code=404,
    )


def test_not_found_names_the_group() -> None:
    assert errors.not_found(DEPLOYMENTS, "web").to_status() == status(
        message='deployments.apps "web" not found',
        reason="NotFound",
        details={"name": "web", "group": "apps", "kind": "deployments"},
        code=404,
    )


def test_already_exists() -> None:
    assert errors.already_exists(PODS, "x").to_status() == status(
        message='pods "x" already exists',
        reason="AlreadyExists",
        details={"name": "x", "kind": "pods"},
        code=409,
    )


def test_generate_name_conflict() -> None:
    error = errors.generate_name_conflict(PODS, "web-abcde", retry_after_seconds=1)
    assert error.to_status() == status(
        message='pods "web-abcde" already exists, the server was not able to generate a '
        "unique name for the object",
        reason="AlreadyExists",
        details={"name": "web-abcde", "kind": "pods", "retryAfterSeconds": 1},
        code=409,
    )


def test_stale_conflict() -> None:
    assert errors.stale_conflict(PODS, "x").to_status() == status(
        message='Operation cannot be fulfilled on pods "x": the object has been modified; '
        "please apply your changes to the latest version and try again",
        reason="Conflict",
        details={"name": "x", "kind": "pods"},
        code=409,
    )


def test_conflict_with_own_problem() -> None:
    error = errors.conflict(DEPLOYMENTS, "web", "Precondition failed: UID in precondition: a")
    assert error.message == (
        'Operation cannot be fulfilled on deployments.apps "web": '
        "Precondition failed: UID in precondition: a"
    )
    assert isinstance(error, errors.ConflictError)


def test_invalid_joins_causes_as_kubernetes() -> None:
    field_errors = [
        FieldError.required(FieldPath.of("spec", "containers")),
        FieldError.invalid(FieldPath.of("metadata", "name"), "A", "bad name"),
        FieldError.required(FieldPath.of("spec", "containers")),
    ]
    error = errors.invalid(GroupKind("Pod"), "x", field_errors)
    assert error.field_errors == tuple(field_errors)
    assert error.to_status() == status(
        message='Pod "x" is invalid: [spec.containers: Required value, '
        'metadata.name: Invalid value: "A": bad name]',
        reason="Invalid",
        details={
            "name": "x",
            "kind": "Pod",
            "causes": [
                {
                    "reason": "FieldValueRequired",
                    "message": "Required value",
                    "field": "spec.containers",
                },
                {
                    "reason": "FieldValueInvalid",
                    "message": 'Invalid value: "A": bad name',
                    "field": "metadata.name",
                },
                # Causes keep duplicates; only the message drops them.
                {
                    "reason": "FieldValueRequired",
                    "message": "Required value",
                    "field": "spec.containers",
                },
            ],
        },
        code=422,
    )


def test_invalid_with_one_error_and_a_group() -> None:
    one = [FieldError.invalid(FieldPath.of("spec", "replicas"), -1, "must be >= 0")]
    error = errors.invalid(GroupKind("Deployment", "apps"), "web", one)
    assert error.message == (
        'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be >= 0'
    )
    assert error.to_status()["details"]["group"] == "apps"


def test_invalid_without_errors() -> None:
    assert errors.invalid(GroupKind("Pod"), "x", []).message == 'Pod "x" is invalid'


def test_error_list_raises_once_and_only_when_needed() -> None:
    collected = ErrorList()
    collected.raise_invalid(GroupKind("Pod"), "x")
    assert not collected
    collected.add(FieldError.required(FieldPath.of("a")))
    collected.extend([FieldError.required(FieldPath.of("b"))])
    assert len(collected) == 2
    assert [str(e) for e in collected] == ["a: Required value", "b: Required value"]
    with pytest.raises(errors.InvalidError) as caught:
        collected.raise_invalid(GroupKind("Pod"), "x")
    assert caught.value.message == 'Pod "x" is invalid: [a: Required value, b: Required value]'


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errors.bad_request("bad"), status(message="bad", reason="BadRequest", code=400)),
        (errors.gone("old"), status(message="old", reason="Gone", code=410)),
        (
            errors.too_old_resource_version(3, 8),
            status(message="too old resource version: 3 (7)", reason="Expired", code=410),
        ),
        (
            errors.expired(errors.EXPIRED_WATCH_MESSAGE),
            status(
                message="The resourceVersion for the provided watch is too old.",
                reason="Expired",
                code=410,
            ),
        ),
        (
            errors.unsupported_media_type(
                ["application/json-patch+json", "application/merge-patch+json"]
            ),
            status(
                message="the body of the request was in an unknown format - accepted media "
                "types include: application/json-patch+json, application/merge-patch+json",
                reason="UnsupportedMediaType",
                code=415,
            ),
        ),
        (
            errors.not_acceptable(["application/json", "application/yaml"]),
            status(
                message="only the following media types are accepted: application/json, "
                "application/yaml",
                reason="NotAcceptable",
                code=406,
            ),
        ),
        (
            errors.request_entity_too_large("limit is 3145728"),
            status(
                message="Request entity too large: limit is 3145728",
                reason="RequestEntityTooLarge",
                code=413,
            ),
        ),
        (
            errors.method_not_supported(PODS, "deletecollection"),
            status(
                message='deletecollection is not supported on resources of kind "pods"',
                reason="MethodNotAllowed",
                details={"kind": "pods"},
                code=405,
            ),
        ),
        (
            errors.forbidden(PODS, "x", 'User "u" cannot get resource "pods"'),
            status(
                message='pods "x" is forbidden: User "u" cannot get resource "pods"',
                reason="Forbidden",
                details={"name": "x", "kind": "pods"},
                code=403,
            ),
        ),
        (
            errors.forbidden(PODS, "", "no"),
            status(
                message="pods is forbidden: no",
                reason="Forbidden",
                details={"kind": "pods"},
                code=403,
            ),
        ),
        (
            errors.forbidden(None, "", "no"),
            status(message="forbidden: no", reason="Forbidden", details={}, code=403),
        ),
        (
            errors.unauthorized("Unauthorized"),
            status(message="Unauthorized", reason="Unauthorized", code=401),
        ),
        (
            errors.unauthorized(),
            status(message="not authorized", reason="Unauthorized", code=401),
        ),
        (
            errors.too_many_requests("slow down", retry_after_seconds=2),
            status(
                message="slow down",
                reason="TooManyRequests",
                details={"retryAfterSeconds": 2},
                code=429,
            ),
        ),
        (
            errors.timeout("request did not complete within 60s", retry_after_seconds=0),
            status(
                message="Timeout: request did not complete within 60s",
                reason="Timeout",
                details={},
                code=504,
            ),
        ),
        (
            errors.server_timeout(PODS, "create", retry_after_seconds=2),
            status(
                message="The create operation against pods could not be completed at this "
                "time, please try again.",
                reason="ServerTimeout",
                details={"name": "create", "kind": "pods", "retryAfterSeconds": 2},
                code=500,
            ),
        ),
        (
            errors.service_unavailable("store unavailable"),
            status(message="store unavailable", reason="ServiceUnavailable", code=503),
        ),
        (
            errors.internal_error(RuntimeError("disk full")),
            status(
                message="Internal error occurred: disk full",
                reason="InternalError",
                details={"causes": [{"message": "disk full"}]},
                code=500,
            ),
        ),
    ],
)
def test_constructor_status(error: ApiError, expected: dict[str, Any]) -> None:
    assert error.to_status() == expected


def test_expired_is_a_gone() -> None:
    assert isinstance(errors.too_old_resource_version(1, 2), errors.GoneError)


@pytest.mark.parametrize(
    ("code", "kwargs", "reason", "message"),
    [
        (
            422,
            {},
            "Invalid",
            "the server rejected our request due to an error in our request",
        ),
        (
            409,
            {"verb": "POST", "resource": PODS, "name": "x"},
            "AlreadyExists",
            "the server reported a conflict (post pods x)",
        ),
        (
            409,
            {"verb": "PUT", "resource": PODS},
            "Conflict",
            "the server reported a conflict (put pods)",
        ),
        (
            502,
            {},
            "InternalError",
            'an error on the server ("") has prevented the request from succeeding',
        ),
        (
            418,
            {},
            "",
            "the server responded with the status code 418 but did not return more information",
        ),
    ],
)
def test_generic_response(code: int, kwargs: dict[str, Any], reason: str, message: str) -> None:
    error = errors.generic_response(code, **kwargs)
    assert (error.code, error.reason, error.message) == (code, reason, message)
    assert "details" in error.to_status()


# -- from the wire ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        errors.not_found(DEPLOYMENTS, "web"),
        errors.already_exists(PODS, "x"),
        errors.stale_conflict(PODS, "x"),
        errors.invalid(GroupKind("Pod"), "x", [FieldError.required(FieldPath.of("spec"))]),
        errors.too_old_resource_version(1, 5),
        errors.gone("gone"),
        errors.bad_request("bad"),
        errors.too_many_requests("slow", retry_after_seconds=3),
        errors.internal_error("boom"),
        errors.timeout("t", retry_after_seconds=1),
        errors.unauthorized(),
        errors.forbidden(PODS, "x", "no"),
        errors.method_not_supported(PODS, "create"),
        errors.not_acceptable(["a"]),
        errors.unsupported_media_type(["a"]),
        errors.request_entity_too_large("big"),
        errors.service_unavailable("down"),
        errors.server_timeout(PODS, "get", retry_after_seconds=1),
    ],
)
def test_from_status_round_trip(error: ApiError) -> None:
    back = ApiError.from_status(error.to_status())
    assert type(back) is type(error)
    assert back.to_status() == error.to_status()


def test_from_status_with_an_unknown_reason() -> None:
    back = ApiError.from_status(status(message="teapot", reason="Teapot", code=418))
    assert type(back) is ApiError
    assert (back.code, back.reason, back.message, back.details) == (418, "Teapot", "teapot", None)


def test_details_are_omitted_only_when_absent() -> None:
    assert "details" not in errors.bad_request("x").to_status()
    assert errors.ApiError("x", details=StatusDetails()).to_status()["details"] == {}


def test_error_str_and_repr() -> None:
    error = errors.not_found(PODS, "x")
    assert str(error) == 'pods "x" not found'
    assert repr(error) == "NotFoundError(404, 'NotFound', 'pods \"x\" not found')"
