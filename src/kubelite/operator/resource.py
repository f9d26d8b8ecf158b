"""Custom resources declared in Python: typed classes in, a CRD manifest out.

A kind's spec and status are pydantic models; their fields, types, defaults,
descriptions (docstrings and ``Field(description=...)``) and constraints
(``ge``, ``le``, ``min_length``, ``max_length``, ``pattern``, ``Literal``
choices, list lengths) become the CRD's structural ``openAPIV3Schema``, which
kubelite and Kubernetes apply on every write. Example::

    class WebAppSpec(BaseModel):
        \"\"\"What a web app should run.\"\"\"
        image: Annotated[str, Field(min_length=1, description="The image")]
        replicas: Annotated[int, Field(ge=1, le=10)] = 2
        tier: Literal["small", "large"] = "small"

    WEBAPP = CustomResource(
        group="example.com", version="v1", kind="WebApp", spec=WebAppSpec,
        short_names=("wa",), columns=(Column("Image", ".spec.image"),),
    )
    WEBAPP.crd()            # the manifest; `kubelite crd mymodule:WEBAPP` prints it
    WEBAPP.spec_of(obj)     # an object's spec as a WebAppSpec
    await WEBAPP.install(client)   # the CRD applied, once the kind is served

pydantic writes JSON Schema; a CRD wants OpenAPI v3's structural subset, so
:func:`structural` rewrites it: references inlined (a recursive type is
refused, as no structural schema can hold one), ``Optional`` as ``nullable``,
``int | str`` as ``x-kubernetes-int-or-string``, a free-form value as
``x-kubernetes-preserve-unknown-fields``, exclusive bounds as OpenAPI's
booleans, titles dropped. Other unions are refused: a structural schema has
one type per field.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal, TypeVar

from pydantic import BaseModel

from kubelite.client import Client

__all__ = ["Column", "Condition", "CustomResource", "SchemaError", "structural"]

S = TypeVar("S", bound=BaseModel)

_DROPPED: Final = frozenset({"title", "$schema", "examples", "readOnly", "writeOnly"})
_FORMATS: Final = frozenset(
    {"date-time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uri", "uuid", "byte",
     "int32", "int64", "float", "double", "password", "cidr", "mac"}
)  # fmt: skip


class SchemaError(ValueError):
    """A model that no structural schema can describe."""


# For status models: ``conditions: list[Condition] = []``, each set with
# helpers.set_condition. Its docstring is the CRD's description of the field.
class Condition(BaseModel):
    """One aspect of the object's state, as Kubernetes' conditions are written."""

    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str = ""
    message: str = ""
    lastTransitionTime: str = ""
    observedGeneration: int | None = None


@dataclass(frozen=True, slots=True)
class Column:
    """A column of ``kubectl get``: its name and the JSONPath of its value."""

    name: str
    json_path: str
    type: str = "string"
    description: str = ""
    priority: int = 0


@dataclass(frozen=True)
class CustomResource(Generic[S]):
    """A custom kind: its names, its spec and status models, its columns."""

    group: str
    version: str
    kind: str
    spec: type[S]
    status: type[BaseModel] | None = None
    plural: str = ""
    singular: str = ""
    scope: str = "Namespaced"
    short_names: Sequence[str] = ()
    categories: Sequence[str] = ()
    columns: Sequence[Column] = ()
    age_column: bool = True
    description: str = ""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    @property
    def plural_name(self) -> str:
        return self.plural or self.kind.lower() + "s"

    def crd(self) -> dict[str, Any]:
        """The CustomResourceDefinition manifest, ready to apply."""
        properties: dict[str, Any] = {"spec": structural(self.spec.model_json_schema())}
        if self.status is not None:
            properties["status"] = structural(self.status.model_json_schema())
        root: dict[str, Any] = {"type": "object", "properties": properties, "required": ["spec"]}
        if self.description or self.spec.__doc__:
            root["description"] = self.description or _doc(self.spec)
        version: dict[str, Any] = {
            "name": self.version,
            "served": True,
            "storage": True,
            "schema": {"openAPIV3Schema": root},
        }
        if self.status is not None:
            version["subresources"] = {"status": {}}
        if self.columns:
            # Columns of one's own replace Kubernetes' default Age: it comes back last.
            columns = [*self.columns]
            if self.age_column and not any(c.name == "Age" for c in columns):
                columns.append(Column("Age", ".metadata.creationTimestamp", "date"))
            version["additionalPrinterColumns"] = [_column(c) for c in columns]
        names: dict[str, Any] = {
            "plural": self.plural_name,
            "singular": self.singular or self.kind.lower(),
            "kind": self.kind,
        }
        if self.short_names:
            names["shortNames"] = list(self.short_names)
        if self.categories:
            names["categories"] = list(self.categories)
        return {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{self.plural_name}.{self.group}"},
            "spec": {
                "group": self.group,
                "scope": self.scope,
                "names": names,
                "versions": [version],
            },
        }

    async def install(self, client: Client) -> dict[str, Any]:
        """Apply the CRD with ``client`` and return it once ``Established``
        (the kind is served), as tests and operators that bring their own
        kinds need before they watch them. Bound it with ``asyncio.timeout``."""
        crd = await client.apply(self.crd(), force=True)
        name = crd["metadata"]["name"]
        while True:
            crd = await client.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
            conditions = (crd.get("status") or {}).get("conditions") or []
            if any(
                c.get("type") == "Established" and c.get("status") == "True" for c in conditions
            ):
                return crd
            await asyncio.sleep(0.05)

    def spec_of(self, obj: Mapping[str, Any]) -> S:
        """``obj``'s spec as the spec model (validated as pydantic validates)."""
        return self.spec.model_validate(obj.get("spec") or {})

    def new(self, name: str, spec: S, *, namespace: str = "") -> dict[str, Any]:
        """An object of this kind, to create or apply."""
        metadata: dict[str, Any] = {"name": name}
        if namespace:
            metadata["namespace"] = namespace
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "metadata": metadata,
            "spec": spec.model_dump(mode="json", exclude_none=True),
        }


def structural(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A pydantic (JSON Schema) schema as a structural OpenAPI v3 schema."""
    definitions = schema.get("$defs") or {}
    return _convert(schema, definitions, ())


def _convert(
    schema: Mapping[str, Any], definitions: Mapping[str, Any], seen: tuple[str, ...]
) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            raise SchemaError(f"{name} refers to itself: a CRD's schema cannot be recursive")
        target = definitions.get(name)
        if target is None:
            raise SchemaError(f"no definition named {name!r}")
        merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return _convert(merged, definitions, (*seen, name))
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return _union(schema, union, definitions, seen)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROPPED or key == "$defs":
            continue
        if key == "properties":
            out[key] = {n: _convert(s, definitions, seen) for n, s in value.items()}
        elif key == "items":
            out[key] = _convert(value, definitions, seen)
        elif key == "additionalProperties":
            if value is True or value == {}:
                out["x-kubernetes-preserve-unknown-fields"] = True
            elif value is not False:
                out[key] = _convert(value, definitions, seen)
        elif key == "const":
            out["enum"] = [value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum"):
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            out[key] = True
        elif key == "format":
            if value in _FORMATS:
                out[key] = value
        elif key == "allOf" and len(value) == 1:
            out.update(_convert(value[0], definitions, seen))
        else:
            out[key] = value
    if "type" not in out and "x-kubernetes-int-or-string" not in out:
        # Any value: kept whole, as Kubernetes keeps an untyped field.
        out["x-kubernetes-preserve-unknown-fields"] = True
    if (
        out.get("type") == "object"
        and "properties" not in out
        and "additionalProperties" not in out
    ):
        out["x-kubernetes-preserve-unknown-fields"] = True
    if out.get("default", 0) is None:
        del out["default"]
    return out


def _union(
    schema: Mapping[str, Any], key: str, definitions: Mapping[str, Any], seen: tuple[str, ...]
) -> dict[str, Any]:
    options = [o for o in schema[key] if o.get("type") != "null"]
    nullable = len(options) < len(schema[key])
    rest = {k: v for k, v in schema.items() if k != key}
    types = sorted(str(o.get("type")) for o in options)
    if len(options) == 1:
        out = _convert({**options[0], **rest}, definitions, seen)
    elif types == ["integer", "string"]:
        out = {
            k: v
            for k, v in _convert(rest, definitions, seen).items()
            if k != "x-kubernetes-preserve-unknown-fields"
        }
        out["x-kubernetes-int-or-string"] = True
    else:
        raise SchemaError(
            f"a union of {', '.join(types)}: a structural schema has one type per field"
        )
    if nullable:
        out["nullable"] = True
    return out


def _column(column: Column) -> dict[str, Any]:
    out: dict[str, Any] = {"name": column.name, "type": column.type, "jsonPath": column.json_path}
    if column.description:
        out["description"] = column.description
    if column.priority:
        out["priority"] = column.priority
    return out


def _doc(model: type[BaseModel]) -> str:
    return " ".join((model.__doc__ or "").split())
