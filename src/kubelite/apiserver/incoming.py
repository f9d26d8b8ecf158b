"""What a request says: its body and its query options, read as Kubernetes reads them.

Every verb's handler starts here. A body is JSON, YAML or, for the kinds kubectl's
generator commands send, protobuf; anything that does not decode is refused in the
words Kubernetes uses (a 400, or a 415 for a content type it does not take). Query
options (``dryRun``, ``resourceVersionMatch``, ``fieldValidation``...) are checked as
Kubernetes checks its ``CreateOptions``, ``ListOptions`` and the rest: a value it
does not support is a 422 naming the option.
"""

from __future__ import annotations

from typing import Any

import orjson
import yaml
from aiohttp import web

from kubelite.api import errors
from kubelite.api.field import FieldError, FieldPath
from kubelite.api.openapi.definitions import BuiltinDefinitions
from kubelite.api.openapi.types import wrong_types
from kubelite.api.protobuf import PROTOBUF, ProtobufError, UnsupportedProtobufError, decode_object
from kubelite.api.selectors import SelectorError, parse_field_selector, parse_label_selector
from kubelite.api.ssa.entries import manager_from_user_agent, validate_field_manager
from kubelite.apiserver.deletion import DeleteOptions
from kubelite.apiserver.objects import JSONObject
from kubelite.apiserver.selection import ListOptions

JSON = "application/json"
# Kubernetes' limit on a request body.
MAX_BODY = 3 * 1024 * 1024
FIELD_VALIDATION = ("Ignore", "Warn", "Strict")
_DELETE_OPTIONS = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"


def flag(request: web.BaseRequest, name: str) -> bool:
    """Whether the boolean query option ``name`` is set ("true" or "1")."""
    return request.query.get(name, "").lower() in ("true", "1")


def integer(request: web.BaseRequest, name: str) -> int:
    """The integer query option ``name``; 0 when absent, 400 when not a number."""
    text = request.query.get(name, "")
    if not text:
        return 0
    try:
        return int(text)
    except ValueError:
        # Go's words, as Kubernetes passes them on.
        raise errors.bad_request(f'strconv.ParseInt: parsing "{text}": invalid syntax') from None


_OPTIONS_KINDS = {
    "POST": "CreateOptions",
    "PUT": "UpdateOptions",
    "PATCH": "PatchOptions",
    "DELETE": "DeleteOptions",
}


def invalid_option(request: web.BaseRequest, problem: FieldError) -> errors.ApiError:
    """A query option Kubernetes validates as part of the verb's options kind."""
    kind = _OPTIONS_KINDS.get(request.method, "ListOptions")
    return errors.invalid(errors.GroupKind(kind, "meta.k8s.io"), "", [problem])


def dry_run(request: web.BaseRequest, values: list[str] | None = None) -> bool:
    values = request.query.getall("dryRun", []) if values is None else values
    if any(v != "All" for v in values):
        raise invalid_option(
            request, FieldError.not_supported(FieldPath.of("dryRun"), values, ("All",))
        )
    return bool(values)


_VERSION_MATCHES = ("Exact", "NotOlderThan", "")


def list_options(request: web.BaseRequest, *, watch: bool = False) -> ListOptions:
    query = request.query
    _check_version_match(request, query.get("resourceVersionMatch", ""), watch=watch)
    try:
        labels = parse_label_selector(query.get("labelSelector", ""))
        fields = parse_field_selector(query.get("fieldSelector", ""))
    except SelectorError as err:
        raise errors.bad_request(str(err)) from err
    limit = integer(request, "limit")
    return ListOptions(
        label_selector=labels,
        field_selector=fields,
        limit=max(limit, 0),
        continue_token=query.get("continue", ""),
        resource_version=query.get("resourceVersion", ""),
        resource_version_match=query.get("resourceVersionMatch", ""),
        allow_bookmarks=flag(request, "allowWatchBookmarks"),
    )


def _check_version_match(request: web.BaseRequest, match: str, *, watch: bool) -> None:
    """Kubernetes' rules for ``resourceVersionMatch``, which are not the same
    for a watch (``validateWatchOptions``) as for a list.

    A watch may name a match only with ``sendInitialEvents`` (a streaming
    list, which kubectl delete and wait send without a resourceVersion), and
    then only ``NotOlderThan``; a list only with a ``resourceVersion``.
    """
    if not match:
        return
    path = FieldPath.of("resourceVersionMatch")
    if watch:
        if "sendInitialEvents" not in request.query:
            raise invalid_option(
                request,
                FieldError.forbidden(
                    path,
                    "resourceVersionMatch is forbidden for watch unless sendInitialEvents "
                    "is provided",
                ),
            )
        if match != "NotOlderThan":
            raise invalid_option(request, FieldError.not_supported(path, match, ("NotOlderThan",)))
        return
    if match not in _VERSION_MATCHES:
        raise invalid_option(request, FieldError.not_supported(path, match, _VERSION_MATCHES))
    if not request.query.get("resourceVersion"):
        raise invalid_option(
            request,
            FieldError.forbidden(
                path, "resourceVersionMatch is forbidden unless resourceVersion is provided"
            ),
        )


async def delete_options(
    request: web.BaseRequest, definitions: BuiltinDefinitions
) -> DeleteOptions:
    """A DELETE's options: its body (a ``DeleteOptions``), then its query."""
    body = await read_body(request, required=False)
    wrong = wrong_types(definitions, _DELETE_OPTIONS, body)
    if wrong:
        raise errors.bad_request(wrong[0].message)
    query = request.query
    grace: Any = body.get("gracePeriodSeconds")
    if "gracePeriodSeconds" in query:
        grace = integer(request, "gracePeriodSeconds")
    if grace is not None and (isinstance(grace, bool) or not isinstance(grace, int)):
        raise errors.bad_request(f"gracePeriodSeconds must be an integer, not {grace!r}")
    orphan: Any = body.get("orphanDependents")
    if "orphanDependents" in query:
        orphan = flag(request, "orphanDependents")
    preconditions = body.get("preconditions")
    sent_dry_run = body.get("dryRun") or []
    if not isinstance(sent_dry_run, list):
        raise errors.bad_request(f"dryRun must be a list of strings, not {sent_dry_run!r}")
    return DeleteOptions(
        preconditions=preconditions if isinstance(preconditions, dict) else None,
        grace_period=grace,
        propagation=str(query.get("propagationPolicy") or body.get("propagationPolicy") or ""),
        orphan_dependents=orphan if isinstance(orphan, bool) else None,
        dry_run=dry_run(request) or dry_run(request, [str(v) for v in sent_dry_run]),
    )


async def read_body(
    request: web.BaseRequest, *, required: bool = True, kind: str = ""
) -> JSONObject:
    """The request's body as an object; ``kind`` is what the endpoint expects, for
    the words of Kubernetes' error when the body does not decode."""
    raw = await request.read()
    if not raw.strip():
        if required:
            raise errors.bad_request("the request body is empty")
        return {}
    content_type = request.headers.get("Content-Type", JSON).split(";")[0].strip()
    unrecognized = f"the object provided is unrecognized (must be of type {kind}): " if kind else ""
    try:
        if content_type in ("application/yaml", "application/x-yaml"):
            body: Any = yaml.safe_load(raw)
        elif content_type in (JSON, ""):
            body = orjson.loads(raw)
        elif content_type == PROTOBUF:
            body = decode_object(raw)
        else:
            raise errors.unsupported_media_type([JSON, "application/yaml", PROTOBUF])
    except UnsupportedProtobufError as err:
        accepted = [JSON, "application/yaml"]
        raise errors.unsupported_media_type(accepted, message=str(err)) from err
    except ProtobufError as err:
        raise errors.bad_request(str(err)) from err
    except orjson.JSONDecodeError as err:
        detail = "unexpected end of JSON input" if err.pos >= len(raw.rstrip()) else str(err)
        raise errors.bad_request(
            f"{unrecognized}couldn't get version/kind; json parse error: {detail}"
        ) from err
    except yaml.YAMLError as err:
        detail = " ".join(str(err).split())
        raise errors.bad_request(
            f"{unrecognized}error converting YAML to JSON: yaml: {detail}"
        ) from err
    if not isinstance(body, dict):
        raise errors.bad_request(
            f"{unrecognized}couldn't get version/kind; json parse error: json: cannot "
            f"unmarshal {_go_json_type(body)} into Go value of type struct "
            '{ APIVersion string "json:\\"apiVersion,omitempty\\""; '
            'Kind string "json:\\"kind,omitempty\\"" }'
        )
    return body


def _go_json_type(value: object) -> str:
    """How Go's JSON decoder names the type of a value it cannot decode."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def field_manager(request: web.BaseRequest, *, apply: bool = False) -> str:
    """Who a write is recorded as in ``managedFields``: the ``fieldManager``
    option, else the client's User-Agent up to its first ``/``. An apply must
    name its manager; a name too long or unprintable is a 422 either way."""
    given = request.query.get("fieldManager", "")
    problems = validate_field_manager(given, apply=apply)
    if problems:
        kind = _OPTIONS_KINDS.get(request.method, "PatchOptions")
        raise errors.invalid(errors.GroupKind(kind, "meta.k8s.io"), "", problems)
    return given or manager_from_user_agent(request.headers.get("User-Agent", ""))


def force(request: web.BaseRequest, *, apply: bool) -> bool:
    """The ``force`` option of an apply; any other patch may not give it (422)."""
    if "force" in request.query and not apply:
        raise invalid_option(
            request,
            FieldError.forbidden(FieldPath.of("force"), "may not be specified for non-apply patch"),
        )
    return flag(request, "force")


def apply_configuration(raw: bytes) -> JSONObject:
    """An apply's body, YAML or JSON, as an object; 400 for anything else."""
    try:
        config: Any = orjson.loads(raw) if raw.lstrip()[:1] == b"{" else _yaml_load(raw)
    except (orjson.JSONDecodeError, yaml.YAMLError) as err:
        detail = " ".join(str(err).split())
        raise errors.bad_request(f"error decoding YAML: {detail}") from err
    if not isinstance(config, dict):
        raise errors.bad_request(
            "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: "
            f"cannot unmarshal {_go_json_type(config)} into Go value of type "
            "map[string]interface {}"
        )
    return config


def _yaml_load(raw: bytes) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(raw, Loader=loader)
