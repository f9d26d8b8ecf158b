"""Server-side Table printing: what ``kubectl get`` shows, computed by the server.

``kubectl get`` asks for ``as=Table;v=v1;g=meta.k8s.io`` and prints whatever
columns the server sends; without a Table it can only show NAME and AGE. This
package owns those columns and their cell rules, reproducing the printers of
kube-apiserver (``pkg/printers/internalversion``) for the built-in types, the
CRD ``additionalPrinterColumns`` printer and the default Name / Created At
table.

The pieces, bottom up:

* ``duration``: Kubernetes' short ages (``5s``, ``3m12s``, ``2d3h``).
* ``columns``: ``Column`` and the descriptions Kubernetes gives columns.
* ``table``: ``TablePrinter`` and ``build_table``, which wraps rows into the
  Table object for a list, a single GET or a watch event.
* one module per family of types (``pods``, ``services``, ``core``,
  ``events``, ``workloads``) and ``custom`` (CRD columns, the default).
* ``jsonpath``: the JSONPath subset CRD columns use.
* ``registry``: ``table_for(group, resource)``.

Everything here is a pure function of its inputs: objects are plain JSON
trees, and the time is passed in as ``now``, never read from a clock.

Example::

    printer = table_for("", "pods")
    table = build_table(printer, pods, now=now, list_metadata={"resourceVersion": "7"})
"""

from kubelite.api.tables.columns import Cell, Column
from kubelite.api.tables.custom import DEFAULT, crd_printer
from kubelite.api.tables.duration import human_duration
from kubelite.api.tables.jsonpath import JSONPath, JSONPathError, parse_jsonpath
from kubelite.api.tables.registry import BUILT_IN_PRINTERS, table_for
from kubelite.api.tables.table import IncludeObject, TableError, TablePrinter, build_table

__all__ = [
    "BUILT_IN_PRINTERS",
    "DEFAULT",
    "Cell",
    "Column",
    "IncludeObject",
    "JSONPath",
    "JSONPathError",
    "TableError",
    "TablePrinter",
    "build_table",
    "crd_printer",
    "human_duration",
    "parse_jsonpath",
    "table_for",
]
