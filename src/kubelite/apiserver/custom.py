"""A custom resource type as its registry serves it: what its CRD version adds.

A custom kind is stored and served by the same ``Registry`` as a built-in one;
what differs comes from its CustomResourceDefinition and is gathered here, per
served version:

- its schema (``openAPIV3Schema``): undeclared fields pruned and defaults filled
  when a body is decoded, every violation refused with its field path, and the
  ``x-kubernetes-validations`` rules run, with the old object on an update;
- its Table (``additionalPrinterColumns``), its ``selectableFields`` for field
  selectors, and its ``scale`` subresource's paths;
- its storage version: whichever version a client writes through, the object
  is stored labelled with the storage version (conversion ``None`` relabels).

A CRD's change replaces the ``CustomKind`` of its registries at once, so the
next request sees the new schema.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubelite.api.field import FieldError
from kubelite.api.tables import TablePrinter
from kubelite.apiserver.objects import JSONObject

# Prune and default a body in place; the paths of the fields it dropped.
Prepare = Callable[[dict[str, Any]], list[str]]
# Every violation of the schema and its rules; the old object on an update.
Validate = Callable[[JSONObject, JSONObject | None], Sequence[FieldError]]


@dataclass(frozen=True, slots=True)
class ScalePaths:
    """Where a custom object keeps what its Scale shows (``.spec.replicas``)."""

    spec_replicas: str
    status_replicas: str
    label_selector: str = ""


@dataclass(frozen=True, slots=True)
class CustomKind:
    """What one served version of a CRD adds to its registry."""

    crd: str
    storage_version: str
    printer: TablePrinter
    schema: Mapping[str, Any] | None = None
    selectable_fields: tuple[str, ...] = ()
    scale: ScalePaths | None = None
    # The CRD's served versions; managedFields entries of other versions are dropped.
    served_versions: tuple[str, ...] = ()
    prepare: Prepare = field(default=lambda obj: [])
    validate: Validate = field(default=lambda obj, old: ())


def get_path(obj: Any, path: str) -> Any:
    """The value at a JSON path of the simple form ``.spec.replicas``; None if absent."""
    node = obj
    for part in path.strip(".").split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def set_path(obj: JSONObject, path: str, value: Any) -> JSONObject:
    """A copy of ``obj`` with ``value`` at ``path`` (``.spec.replicas``), the objects
    on the way copied or created."""
    result = copy.copy(dict(obj))
    node = result
    parts = path.strip(".").split(".")
    for part in parts[:-1]:
        child = node.get(part)
        child = dict(child) if isinstance(child, dict) else {}
        node[part] = child
        node = child
    node[parts[-1]] = value
    return result
