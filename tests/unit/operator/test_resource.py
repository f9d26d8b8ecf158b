"""Custom resources declared as pydantic models: their structural schemas."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field

from kubelite.operator.resource import Column, CustomResource, SchemaError, structural


class Database(BaseModel):
    """Where the app keeps its data."""

    size: Annotated[str, Field(pattern=r"^[0-9]+Gi$", description="Storage, in Gi")] = "1Gi"


class WebAppSpec(BaseModel):
    """What a web app should run."""

    image: Annotated[str, Field(min_length=1, description="The container image")]
    replicas: Annotated[int, Field(ge=1, le=10)] = 2
    weight: Annotated[float, Field(gt=0, lt=1)] = 0.5
    tier: Literal["small", "large"] = "small"
    env: dict[str, str] = {}
    hosts: Annotated[list[str], Field(max_length=3)] = []
    database: Database | None = None
    port: int | str = 8080
    extra: dict[str, Any] = {}


class WebAppStatus(BaseModel):
    ready: int = 0


WEBAPP = CustomResource(
    group="example.com",
    version="v1",
    kind="WebApp",
    spec=WebAppSpec,
    status=WebAppStatus,
    short_names=("wa",),
    columns=(Column("Image", ".spec.image"), Column("Replicas", ".spec.replicas", "integer")),
)


def test_the_spec_becomes_a_structural_schema() -> None:
    schema = structural(WebAppSpec.model_json_schema())
    assert schema["description"] == "What a web app should run."
    assert schema["required"] == ["image"]
    fields = schema["properties"]
    assert fields["image"] == {
        "description": "The container image",
        "minLength": 1,
        "type": "string",
    }
    assert fields["replicas"] == {"default": 2, "maximum": 10, "minimum": 1, "type": "integer"}
    assert fields["weight"] == {
        "default": 0.5,
        "minimum": 0,
        "exclusiveMinimum": True,
        "maximum": 1,
        "exclusiveMaximum": True,
        "type": "number",
    }
    assert fields["tier"] == {"default": "small", "enum": ["small", "large"], "type": "string"}
    assert fields["env"] == {
        "additionalProperties": {"type": "string"},
        "default": {},
        "type": "object",
    }
    assert fields["hosts"]["maxItems"] == 3
    database = fields["database"]
    assert database["nullable"] is True
    assert database["properties"]["size"]["pattern"] == "^[0-9]+Gi$"
    assert "default" not in database
    assert fields["port"] == {"default": 8080, "x-kubernetes-int-or-string": True}
    assert fields["extra"]["x-kubernetes-preserve-unknown-fields"] is True


def test_the_crd_carries_names_columns_and_the_status_subresource() -> None:
    crd = WEBAPP.crd()
    assert crd["metadata"]["name"] == "webapps.example.com"
    assert crd["spec"]["names"] == {
        "plural": "webapps",
        "singular": "webapp",
        "kind": "WebApp",
        "shortNames": ["wa"],
    }
    (version,) = crd["spec"]["versions"]
    assert version["subresources"] == {"status": {}}
    assert version["additionalPrinterColumns"][1] == {
        "name": "Replicas",
        "type": "integer",
        "jsonPath": ".spec.replicas",
    }
    assert set(version["schema"]["openAPIV3Schema"]["properties"]) == {"spec", "status"}


def test_objects_are_made_and_read_through_the_models() -> None:
    obj = WEBAPP.new("shop", WebAppSpec(image="shop:1"), namespace="prod")
    assert obj["metadata"] == {"name": "shop", "namespace": "prod"}
    assert obj["spec"]["image"] == "shop:1"
    assert WEBAPP.spec_of(obj).replicas == 2


class Node(BaseModel):
    children: list[Node] = []


class Either(BaseModel):
    value: int | bool


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (Node, "Node refers to itself: a CRD's schema cannot be recursive"),
        (Either, "a union of boolean, integer: a structural schema has one type per field"),
    ],
)
def test_what_no_structural_schema_can_hold_is_refused(
    model: type[BaseModel], message: str
) -> None:
    with pytest.raises(SchemaError) as caught:
        structural(model.model_json_schema())
    assert str(caught.value) == message
