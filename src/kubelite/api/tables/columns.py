"""Column definitions of the Tables ``kubectl get`` prints.

A ``Column`` is one ``columnDefinitions`` entry of a ``meta.k8s.io/v1`` Table.
Its ``name`` is written as the server sends it (``"Nominated Node"``);
``kubectl`` upper-cases names when it prints the header. Columns with
``priority`` 1 are sent always and shown by ``kubectl`` only with ``-o wide``.

Built-in columns go out with an empty ``description``: nothing that ships with
``kubectl`` reads it. A CRD's columns carry the descriptions the CRD gives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

# A table cell as it goes on the wire: strings, integers, or null.
Cell = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Column:
    """One ``TableColumnDefinition``."""

    name: str
    type: str = "string"
    description: str = ""
    format: str = ""
    priority: int = 0

    def to_json(self) -> dict[str, Any]:
        # No field of TableColumnDefinition is omitempty: all five always go out.
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


NAME: Final = Column("Name", format="name")
AGE: Final = Column("Age")

# The wide columns of every workload that has a pod template.
CONTAINERS: Final = Column("Containers", priority=1)
IMAGES: Final = Column("Images", priority=1)
