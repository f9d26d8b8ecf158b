"""OpenAPI v3: the schemas of the served types, published and put to use.

This package owns the API's schemas. The built-in ones come from the
``kubernetes-validate`` package's data (see :mod:`.definitions`), converted back
to the OpenAPI v3 form the real API server serves; custom types bring their own.
From them it builds:

* the ``/openapi/v3`` documents (:class:`OpenAPIDocuments`): the root, and one
  document per served group-version with each resource's operations
  (:mod:`.paths`) and every schema its kinds reach. ``kubectl`` needs them for
  ``create``/``apply``/``edit`` (the ``fieldValidation`` pre-flight) and
  ``explain``;
* the strategic merge metadata of the built-in kinds
  (:func:`patch_schema_for`), so that the merge keys the server uses are the
  ones it publishes.

Example::

    documents = OpenAPIDocuments(ResourceTypes())
    documents.root()                      # b'{"paths":{"api/v1":{"serverRelativeURL":...'
    body, digest = documents.document("apis/apps/v1")
    patch_schema_for("apps", "v1", "Deployment").field_meta(
        ("spec", "template", "spec", "containers")).merge_key        # "name"

Nothing is read until first used; the data is loaded once per process.
"""

from kubelite.api.openapi.definitions import (
    KUBERNETES_VERSION,
    BuiltinDefinitions,
    DefinitionsNotFoundError,
    builtin_definitions,
)
from kubelite.api.openapi.documents import (
    OpenAPIDocuments,
    SchemaLookup,
    ServedDocument,
    document_path,
)
from kubelite.api.openapi.patch_schema import OpenAPIPatchSchema, patch_schema_for

__all__ = [
    "KUBERNETES_VERSION",
    "BuiltinDefinitions",
    "DefinitionsNotFoundError",
    "OpenAPIDocuments",
    "OpenAPIPatchSchema",
    "SchemaLookup",
    "ServedDocument",
    "builtin_definitions",
    "document_path",
    "patch_schema_for",
]
