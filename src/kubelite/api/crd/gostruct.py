"""A CRD's ``spec.versions`` as Go's ``%#v`` prints it, for the messages that show it.

Kubernetes prints the whole versions list in two of its CRD errors (no storage
version, more than one), with Go's struct syntax; clients compare messages, so
this prints the same text. Where Go shows a pointer's address, a fixed stand-in
(``0xc000000000``) is printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubelite.api.crd.names import _map, _text
from kubelite.api.field import GoLiteral, go_quote

__all__ = ["go_versions"]

# Go prints spec.versions with %#v; pointers are addresses there, here a stand-in.
_POINTER: Final = "0xc000000000"


def go_versions(raw: object, moved: Mapping[str, bool]) -> GoLiteral:
    kind = "apiextensions.CustomResourceDefinitionVersion"
    if not isinstance(raw, list):
        return GoLiteral(f"[]{kind}(nil)")
    items = ", ".join(f"{kind}{{{_go_version(_map(v), moved)}}}" for v in raw)
    return GoLiteral(f"[]{kind}{{{items}}}")


def _go_version(version: Mapping[str, Any], moved: Mapping[str, bool]) -> str:
    def present(key: str) -> bool:
        return not moved.get(key, False) and version.get(key) is not None

    def flag(key: str) -> str:
        return "true" if version.get(key) is True else "false"

    def pointer(key: str, kind: str) -> str:
        return f"(*{kind})({_POINTER if present(key) else 'nil'})"

    def items(key: str, kind: str, fields: tuple[tuple[str, str], ...]) -> str:
        value = version.get(key) if present(key) else None
        if not isinstance(value, list):
            return f"[]apiextensions.{kind}(nil)"
        inner = ", ".join(f"apiextensions.{kind}{{{_go_fields(_map(v), fields)}}}" for v in value)
        return f"[]apiextensions.{kind}{{{inner}}}"

    return (
        f"Name:{go_quote(_text(version.get('name')))}, Served:{flag('served')}, "
        f"Storage:{flag('storage')}, Deprecated:{flag('deprecated')}, "
        f"DeprecationWarning:{pointer('deprecationWarning', 'string')}, "
        f"Schema:{pointer('schema', 'apiextensions.CustomResourceValidation')}, "
        f"Subresources:{pointer('subresources', 'apiextensions.CustomResourceSubresources')}, "
        "AdditionalPrinterColumns:"
        f"{items('additionalPrinterColumns', 'CustomResourceColumnDefinition', _GO_COLUMN)}, "
        f"SelectableFields:{items('selectableFields', 'SelectableField', _GO_SELECTABLE)}"
    )


# A printer column and a selectable field: each Go field and its JSON key.
_GO_COLUMN: Final = tuple(
    zip(
        ["Name", "Type", "Format", "Description", "Priority", "JSONPath"],
        ["name", "type", "format", "description", "priority", "jsonPath"],
        strict=True,
    )
)
_GO_SELECTABLE: Final = (("JSONPath", "jsonPath"),)


def _go_fields(entry: Mapping[str, Any], fields: tuple[tuple[str, str], ...]) -> str:
    def value(key: str) -> str:
        if key == "priority":
            number = entry.get(key)
            return str(number) if isinstance(number, int) else "0"
        return go_quote(_text(entry.get(key)))

    return ", ".join(f"{go_name}:{value(key)}" for go_name, key in fields)
