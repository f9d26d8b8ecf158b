"""The three patch formats of the Kubernetes PATCH verb, applied to JSON objects.

* JSON Patch (RFC 6902, ``application/json-patch+json``):
  :func:`apply_json_patch`;
* JSON Merge Patch (RFC 7386, ``application/merge-patch+json``):
  :func:`apply_merge_patch`, and :func:`create_merge_patch` for the reverse;
* strategic merge patch (``application/strategic-merge-patch+json``, built-in
  kinds only): :func:`apply_strategic`, told how each field merges by a
  :class:`PatchSchema`. :func:`builtin_patch_schema` has the table for the
  built-in kinds until the schemas come from OpenAPI.

Server-side apply (``application/apply-patch+yaml``) is not here: it needs
managed fields and belongs with them.

Every function returns a new document and leaves its arguments as they were,
so the API server can patch the object it read from its cache. Errors form one
small tree (see :mod:`kubelite.api.patch.errors`) whose classes tell the server
which status to answer. This package imports nothing else from kubelite.

Example, what ``kubectl apply`` sends after an image change::

    pod = {"spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}
    patch = {"spec": {"$setElementOrder/containers": [{"name": "c"}],
                      "containers": [{"name": "c", "image": "nginx:1.26"}]}}
    apply_strategic(pod, patch, builtin_patch_schema("", "Pod"))
    # {"spec": {"containers": [{"name": "c", "image": "nginx:1.26"}]}}
"""

from kubelite.api.patch._json import JSONObject, JSONValue
from kubelite.api.patch.builtin import builtin_patch_schema
from kubelite.api.patch.errors import (
    PatchConflictError,
    PatchError,
    PatchInvalidError,
    PatchOperationError,
    PatchPathNotFoundError,
    PatchTestFailedError,
)
from kubelite.api.patch.json_patch import apply_json_patch
from kubelite.api.patch.merge_patch import apply_merge_patch, create_merge_patch
from kubelite.api.patch.schema import (
    DEFAULT_META,
    DictPatchSchema,
    FieldPatchMeta,
    FieldPath,
    PatchSchema,
    PatchStrategy,
)
from kubelite.api.patch.strategic import apply_strategic

__all__ = [
    "DEFAULT_META",
    "DictPatchSchema",
    "FieldPatchMeta",
    "FieldPath",
    "JSONObject",
    "JSONValue",
    "PatchConflictError",
    "PatchError",
    "PatchInvalidError",
    "PatchOperationError",
    "PatchPathNotFoundError",
    "PatchSchema",
    "PatchStrategy",
    "PatchTestFailedError",
    "apply_json_patch",
    "apply_merge_patch",
    "apply_strategic",
    "builtin_patch_schema",
    "create_merge_patch",
]
