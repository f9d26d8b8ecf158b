"""Which representation of an object a client asked for, from its ``Accept``.

Besides the object itself, Kubernetes serves two views of any resource, asked
for with media type parameters:

- ``application/json;as=Table;v=v1;g=meta.k8s.io``: the columns ``kubectl get``
  prints (see ``kubelite.api.tables``);
- ``application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io`` (or
  ``...List`` for lists): only the metadata, which controllers that track
  owners and finalizers of every type use.

The client lists what it accepts, most wanted first; the first one served
wins. Protobuf ranges are passed over (responses are JSON), and a header
naming nothing served is answered 406.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from kubelite.api import errors
from kubelite.apiserver.objects import JSONObject

JSON = "application/json"
META_GROUP_VERSION = "meta.k8s.io/v1"
_VERSIONS = ("v1", "v1beta1")
SERVED = (
    JSON,
    f"{JSON};as=Table;v=v1;g=meta.k8s.io",
    f"{JSON};as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
)


class View(enum.Enum):
    OBJECT = "object"
    TABLE = "Table"
    PARTIAL = "PartialObjectMetadata"

    def content_type(self, *, listing: bool = False) -> str:
        if self is View.OBJECT:
            return JSON
        kind = self.value + ("List" if listing and self is View.PARTIAL else "")
        return f"{JSON};as={kind};v=v1;g=meta.k8s.io"


@dataclass(frozen=True, slots=True)
class _Range:
    media_type: str
    params: dict[str, str]
    quality: float


def view_for(accept: str, *, listing: bool = False) -> View:
    """The view ``accept`` asks for; 406 if none of its ranges is served."""
    ranges = _parse(accept)
    if not ranges:
        return View.OBJECT
    for candidate in sorted(ranges, key=lambda r: -r.quality):
        view = _served(candidate, listing)
        if view is not None:
            return view
    raise errors.not_acceptable(SERVED)


def _served(candidate: _Range, listing: bool) -> View | None:
    if candidate.media_type not in (JSON, "application/*", "*/*") or candidate.quality <= 0:
        return None
    wanted = candidate.params.get("as")
    if wanted is None:
        return View.OBJECT
    if candidate.params.get("g") != "meta.k8s.io" or candidate.params.get("v") not in _VERSIONS:
        return None
    if wanted == "Table":
        return View.TABLE
    # A list asks for the list kind; a watch or a single object for the item kind.
    if wanted == "PartialObjectMetadata" or (listing and wanted == "PartialObjectMetadataList"):
        return View.PARTIAL
    return None


def _parse(accept: str) -> list[_Range]:
    ranges = []
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        params: dict[str, str] = {}
        for field in fields[1:]:
            key, _, value = field.partition("=")
            params[key.strip().lower()] = value.strip().strip('"')
        try:
            quality = float(params.pop("q", "1"))
        except ValueError:
            quality = 1.0
        ranges.append(_Range(fields[0].lower(), params, quality))
    return ranges


def partial(obj: JSONObject) -> JSONObject:
    """``obj`` as a ``PartialObjectMetadata``: its metadata and nothing else."""
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": META_GROUP_VERSION,
        "metadata": obj.get("metadata") or {},
    }


def partial_list(listed: JSONObject) -> JSONObject:
    return {
        "kind": "PartialObjectMetadataList",
        "apiVersion": META_GROUP_VERSION,
        "metadata": listed.get("metadata") or {},
        "items": [partial(item) for item in listed.get("items") or []],
    }
