"""Server-side apply: who owns which fields of an object, and the merge.

Server-side apply (``application/apply-patch+yaml``) records, per manager, the
set of fields it last applied or changed in ``metadata.managedFields``, merges
an applied configuration into the live object, and refuses to change a field
another manager owns unless forced. The parts, one module each:

* :mod:`~kubelite.api.ssa.fieldpath`: field paths, sets of them, and their
  ``FieldsV1`` form, byte for byte as Kubernetes writes it (exported here);
* :mod:`~kubelite.api.ssa.types`: how each node of an object merges, from the
  OpenAPI schemas.

Like the rest of ``kubelite.api`` it does no I/O. Example::

    fields = from_fields_v1({"f:spec": {"f:replicas": {}}})
    Path.of("spec", "replicas") in fields     # True
    to_fields_v1(fields)                      # {"f:spec": {"f:replicas": {}}}
"""

# TODO(#5): the merge, the conflicts and the managedFields entries themselves.

from kubelite.api.ssa.fieldpath import (
    EMPTY,
    ElementKind,
    FieldPathError,
    FieldSet,
    Path,
    PathElement,
    UnknownElementError,
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
