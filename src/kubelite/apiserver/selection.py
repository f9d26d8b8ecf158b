"""Which objects a list or watch asks for: its options, selectors, and pages.

``ListOptions`` is the query of a list or watch, parsed. Label selectors apply
to every type; field selectors to ``metadata.name``, ``metadata.namespace`` and
the few fields each type declares in ``FIELDS``, as in Kubernetes. A page of a
list ends with a continue token that carries the revision of the first page
and the key to start from, so that every page reads the same snapshot.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

import orjson

from kubelite.api import errors
from kubelite.api.selectors import EVERYTHING, FieldSelector, Selector
from kubelite.apiserver import objects
from kubelite.apiserver.objects import JSONObject

# The field selectors each type supports beyond metadata.name and metadata.namespace.
FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "pods"): ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "status.phase"),
    ("", "secrets"): ("type",),
    ("", "events"): (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    ("", "namespaces"): ("status.phase",),
    ("", "nodes"): ("spec.unschedulable",),
}


@dataclass(frozen=True, slots=True)
class ListOptions:
    """What a list or watch asks for, parsed from the query."""

    label_selector: Selector = EVERYTHING
    field_selector: FieldSelector = field(default_factory=FieldSelector)
    limit: int = 0
    continue_token: str = ""
    resource_version: str = ""
    resource_version_match: str = ""
    allow_bookmarks: bool = False


def matches(obj: JSONObject, options: ListOptions, supported: tuple[str, ...]) -> bool:
    """Whether ``obj`` is selected by ``options``' label and field selectors."""
    labels = objects.metadata(obj).get("labels") or {}
    if not options.label_selector.matches(labels):
        return False
    if options.field_selector.empty:
        return True
    return options.field_selector.matches(field_values(obj, supported))


def field_values(obj: JSONObject, supported: tuple[str, ...]) -> dict[str, str]:
    """The values of the fields a field selector can name, as strings."""
    metadata = objects.metadata(obj)
    values = {
        "metadata.name": str(metadata.get("name", "")),
        "metadata.namespace": str(metadata.get("namespace", "")),
    }
    for path in supported[2:]:
        node: Any = obj
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, bool):
            values[path] = "true" if node else "false"
        elif node is not None and not isinstance(node, dict | list):
            values[path] = str(node)
        else:
            values[path] = ""
    return values


def parse_revision(text: str) -> int:
    try:
        revision = int(text)
    except ValueError:
        raise errors.bad_request(f'invalid resource version "{text}"') from None
    if revision < 0:
        raise errors.bad_request(f'invalid resource version "{text}"')
    return revision


# The revision of a continue token that resumes at the latest revision.
LATEST = -1


def encode_continue(revision: int, start: str) -> str:
    """An opaque token: unpadded URL-safe base64 of the revision and the next key."""
    token = orjson.dumps({"v": "meta.k8s.io/v1", "rv": revision, "start": start})
    return base64.urlsafe_b64encode(token).rstrip(b"=").decode()


def decode_continue(token: str) -> tuple[int, str]:
    """The revision and key a continue token carries; 400 naming what is wrong.

    A token whose revision is -1 (:data:`LATEST`) continues at the latest
    revision, which is answered as revision 0.
    """
    bad = next((i for i, c in enumerate(token) if c not in _TOKEN_ALPHABET), None)
    if bad is not None:
        raise _bad_token(f"illegal base64 data at input byte {bad}")
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, orjson.JSONDecodeError) as err:
        raise _bad_token(str(err)) from None
    if not isinstance(data, dict) or data.get("v") != "meta.k8s.io/v1":
        raise _bad_token("server rejected version")
    revision, start = data.get("rv"), data.get("start")
    if not isinstance(revision, int) or not isinstance(start, str):
        raise _bad_token("incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
    if revision <= 0 and revision != LATEST:
        raise _bad_token("incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
    return (0 if revision == LATEST else revision), start


_TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")


def _bad_token(problem: str) -> errors.ApiError:
    return errors.bad_request(f"invalid continue token: continue key is not valid: {problem}")
