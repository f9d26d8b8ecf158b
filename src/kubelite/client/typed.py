"""Typed views of the built-in kinds, for code that prefers attributes to keys.

The client hands out plain dicts (the cheapest to decode and to cache: see
``docs/benchmarks.md``); :func:`typed` turns one of a built-in kind into the
dataclass lightkube-models generates from Kubernetes' OpenAPI (``pod.spec.
containers[0].image``), checked as lightkube checks it (required fields
present), and :func:`untyped` turns it back. The models need lightkube
(``pip install 'kubelite[typed]'``). Custom kinds have their own models
(``kubelite.operator.resource``).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["typed", "untyped"]


def typed(obj: dict[str, Any]) -> Any:
    """``obj`` as the lightkube-models dataclass of its ``apiVersion`` and
    ``kind``; ``LookupError`` for a kind that is not built in."""
    api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
    group, _, version = api_version.rpartition("/")
    module_name = f"lightkube.models.{(group.split('.')[0] or 'core')}_{version}"
    try:
        importlib.import_module("lightkube.core.schema")
    except ImportError:
        raise ImportError("typed objects need lightkube: pip install 'kubelite[typed]'") from None
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise LookupError(f"no typed model of {api_version} {kind}") from None
    model = getattr(module, kind, None)
    if model is None:
        raise LookupError(f"no typed model of {api_version} {kind}")
    return model.from_dict(obj)


def untyped(model: Any) -> dict[str, Any]:
    """A typed object as the dict the API takes."""
    result: dict[str, Any] = model.to_dict()
    return result
