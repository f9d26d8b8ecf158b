"""Server-side apply: who owns which fields of an object, and the merge.

Server-side apply (``application/apply-patch+yaml``) records, per manager, the
set of fields it last applied or changed in ``metadata.managedFields``, merges
an applied configuration into the live object, and refuses to change a field
another manager owns unless forced. The parts, one module each:

* :mod:`~kubelite.api.ssa.fieldpath`: field paths, sets of them, and their
  ``FieldsV1`` form, byte for byte as Kubernetes writes it (exported here),
  with :mod:`~kubelite.api.ssa.errors` and the Go value formats of
  ``_gojson``;
* :mod:`~kubelite.api.ssa.types` and :mod:`~kubelite.api.ssa.kinds`: how each
  node of an object merges, built from the OpenAPI schemas (``_from_openapi``);
* :mod:`~kubelite.api.ssa.typed` and :mod:`~kubelite.api.ssa.merge`: field
  sets of objects, and merging and comparing them along their type;
* :mod:`~kubelite.api.ssa.entries` and :mod:`~kubelite.api.ssa.managers`: the
  ``managedFields`` entries, and the bookkeeping of applies and updates;
* :mod:`~kubelite.api.ssa.zero`: the empty object of each built-in kind.

Like the rest of ``kubelite.api`` it does no I/O. Example::

    fields = from_fields_v1({"f:spec": {"f:replicas": {}}})
    Path.of("spec", "replicas") in fields     # True
    to_fields_v1(fields)                      # {"f:spec": {"f:replicas": {}}}
"""

from kubelite.api.ssa.errors import FieldPathError, UnknownElementError
from kubelite.api.ssa.fieldpath import (
    EMPTY,
    ElementKind,
    FieldSet,
    Path,
    PathElement,
    from_fields_v1,
    to_fields_v1,
)

__all__ = [
    "EMPTY",
    "ElementKind",
    "FieldPathError",
    "FieldSet",
    "Path",
    "PathElement",
    "UnknownElementError",
    "from_fields_v1",
    "to_fields_v1",
]
