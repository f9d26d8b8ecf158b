"""CustomResourceDefinition rules, defaults, names, conditions and served types,
each error in Kubernetes' words and order."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from kubelite.api.crd import definition
from kubelite.api.crd.definition import (
    CustomVersion,
    FieldPathError,
    accepted_names,
    apply_definition_defaults,
    conditions,
    custom_versions,
    field_path,
    prepare_definition_create,
    prepare_definition_update,
    resource_types,
    stored_versions,
    validate_definition,
    validate_definition_update,
)
from kubelite.api.field import FieldError, FieldPath
from kubelite.api.resources import Subresource

pytestmark = pytest.mark.timeout(10)

DNS1035 = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
    "with an alphabetic character, and end with an alphanumeric character (e.g. "
    "'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character (e.g. "
    "'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
VERSION_NIL_PARTS = (
    "Deprecated:false, DeprecationWarning:(*string)(nil), "
    "Schema:(*apiextensions.CustomResourceValidation)(nil), "
    "Subresources:(*apiextensions.CustomResourceSubresources)(nil), "
    "AdditionalPrinterColumns:[]apiextensions.CustomResourceColumnDefinition(nil), "
    "SelectableFields:[]apiextensions.SelectableField(nil)"
)
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
LATER = datetime(2025, 1, 2, 4, 0, 0, tzinfo=UTC)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "metadata": {"type": "object", "properties": {"name": {"type": "string"}}},
        "spec": {
            "type": "object",
            "properties": {
                "color": {"type": "string"},
                "size": {"type": "integer"},
                "ready": {"type": "boolean"},
                "ratio": {"type": "number"},
                "replicas": {"type": "integer"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}},
    },
}


def widget(**version: Any) -> dict[str, Any]:
    """A valid one-version CRD; ``version`` adds to (or replaces in) its version."""
    v1 = {
        "name": "v1",
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": copy.deepcopy(SCHEMA)},
        **version,
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {
                "plural": "widgets",
                "singular": "widget",
                "kind": "Widget",
                "listKind": "WidgetList",
                "shortNames": ["wd"],
                "categories": ["all"],
            },
            "versions": [v1],
            "conversion": {"strategy": "None"},
        },
        "status": {"storedVersions": ["v1"]},
    }


def two_versions(**second: Any) -> dict[str, Any]:
    """v1beta1 (served, with a schema of its own) and v1 (stored)."""
    crd = widget()
    beta_schema = copy.deepcopy(SCHEMA)
    beta_schema["properties"]["spec"]["properties"]["legacy"] = {"type": "string"}
    beta = {"name": "v1beta1", "served": True, "storage": False}
    beta["schema"] = {"openAPIV3Schema": beta_schema}
    crd["spec"]["versions"].insert(0, {**beta, **second})
    return crd


def messages(errors: list[FieldError]) -> list[str]:
    return [str(error) for error in errors]


def check(crd: Mapping[str, Any]) -> list[str]:
    return messages(validate_definition(crd))


def spec(crd: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = crd["spec"]
    return result


# -- the valid case and the name ---------------------------------------------------------------


def test_a_valid_crd_has_no_errors() -> None:
    assert check(widget()) == []
    assert check(two_versions()) == []


def test_the_name_is_plural_dot_group() -> None:
    crd = widget()
    crd["metadata"]["name"] = "widget.example.com"
    assert check(crd) == [
        'metadata.name: Invalid value: "widget.example.com": '
        'must be spec.names.plural+"."+spec.group'
    ]


def test_generate_name_never_passes_the_name_rule() -> None:
    crd = widget()
    crd["metadata"]["generateName"] = "widgets-"
    assert check(crd) == [
        'metadata.generateName: Invalid value: "widgets-": must be spec.names.plural+"."+spec.group'
    ]


# -- group and scope ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("", "spec.group: Required value"),
        (
            "example",
            'spec.group: Invalid value: "example": should be a domain with at least one dot',
        ),
        ("Example.com", f'spec.group: Invalid value: "Example.com": {SUBDOMAIN}'),
    ],
)
def test_the_group_is_a_domain(group: str, expected: str) -> None:
    crd = widget()
    spec(crd)["group"] = group
    crd["metadata"]["name"] = f"widgets.{group}"
    assert check(crd) == [expected]


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("", "spec.scope: Required value"),
        (
            "Global",
            'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
        ),
    ],
)
def test_the_scope_is_cluster_or_namespaced(scope: str, expected: str) -> None:
    crd = widget()
    spec(crd)["scope"] = scope
    assert check(crd) == [expected]


# -- versions ----------------------------------------------------------------------------------


def test_each_version_needs_a_schema() -> None:
    crd = two_versions()
    for version in spec(crd)["versions"]:
        del version["schema"]
    assert check(crd) == [
        "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required",
        "spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required",
    ]


def test_a_bad_first_version_name_is_reported_twice() -> None:
    crd = widget(name="V1")
    crd["status"]["storedVersions"] = ["V1"]
    assert check(crd) == [
        f'spec.versions[0].name: Invalid value: "V1": {DNS1035}',
        f'spec.version: Invalid value: "V1": {DNS1035}',
    ]


def test_a_bad_later_version_name_is_reported_once() -> None:
    crd = two_versions()
    spec(crd)["versions"][1]["name"] = "1"
    crd["status"]["storedVersions"] = ["1"]
    assert check(crd) == [f'spec.versions[1].name: Invalid value: "1": {DNS1035}']


def test_exactly_one_version_is_the_storage_version() -> None:
    crd = widget(storage=False)
    assert check(crd) == [
        "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{"
        'apiextensions.CustomResourceDefinitionVersion{Name:"v1", Served:true, Storage:false, '
        f"{VERSION_NIL_PARTS}}}}}: must have exactly one version marked as storage version"
    ]


def test_version_names_are_unique() -> None:
    crd = two_versions(name="v1")
    found = check(crd)
    assert found[0].startswith(
        "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{"
        'apiextensions.CustomResourceDefinitionVersion{Name:"v1", Served:true, Storage:false, '
        "Deprecated:false, DeprecationWarning:(*string)(nil), "
        "Schema:(*apiextensions.CustomResourceValidation)(0xc000000000), "
    )
    assert found[0].endswith(": must contain unique version names")
    # The first v1 takes the stored v1, so Kubernetes finds the second one missing.
    assert found[1:] == [
        'status.storedVersions: Invalid value: []string{"v1"}: must have the storage version v1'
    ]


def test_no_versions_at_all() -> None:
    crd = widget()
    del spec(crd)["versions"]
    assert check(crd) == [
        "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion(nil): "
        "must have exactly one version marked as storage version",
        'status.storedVersions[0]: Invalid value: "v1": missing from spec.versions; v1 was '
        "previously a storage version, and must remain in spec.versions until a storage "
        "migration ensures no data remains persisted in v1 and removes v1 from "
        "status.storedVersions",
    ]


def test_the_deprecation_warning_rules() -> None:
    assert check(widget(deprecationWarning="old")) == [
        'spec.versions[0].deprecationWarning: Invalid value: "old": '
        "can only be set for deprecated versions"
    ]
    assert check(widget(deprecated=True, deprecationWarning="")) == [
        'spec.versions[0].deprecationWarning: Invalid value: "": must not be an empty string'
    ]
    assert check(widget(deprecated=True, deprecationWarning="é\tx")) == [
        'spec.versions[0].deprecationWarning: Invalid value: "é\\tx": must only contain '
        "printable UTF-8 characters; non-printable character found at index 2"
    ]
    assert check(widget(deprecated=True, deprecationWarning="gone soon")) == []


# -- names -------------------------------------------------------------------------------------


def test_every_name_is_required() -> None:
    crd = widget()
    spec(crd)["names"] = {}
    crd["metadata"]["name"] = ".example.com"
    assert check(crd) == [
        "spec.names.plural: Required value",
        "spec.names.singular: Required value",
        "spec.names.kind: Required value",
        "spec.names.listKind: Required value",
    ]


def test_the_rules_of_each_name() -> None:
    crd = widget()
    crd["metadata"]["name"] = "Widgets.example.com"
    spec(crd)["names"] = {
        "plural": "Widgets",
        "singular": "wid_get",
        "kind": "Wid_get",
        "listKind": "Wid_get",
        "shortNames": ["ok", "W"],
        "categories": ["all", "All"],
    }
    mixed = "may have mixed case, but should otherwise match: "
    assert check(crd) == [
        f'spec.names.plural: Invalid value: "Widgets": {DNS1035}',
        f'spec.names.singular: Invalid value: "wid_get": {DNS1035}',
        f'spec.names.kind: Invalid value: "Wid_get": {mixed}{DNS1035}',
        f'spec.names.listKind: Invalid value: "Wid_get": {mixed}{DNS1035}',
        f'spec.names.shortNames[1]: Invalid value: "W": {DNS1035}',
        'spec.names.listKind: Invalid value: "Wid_get": kind and listKind may not be the same',
        f'spec.names.categories[1]: Invalid value: "All": {DNS1035}',
    ]


def test_a_kind_may_have_mixed_case() -> None:
    crd = widget()
    spec(crd)["names"]["kind"] = "WidGet"
    assert check(crd) == []


def test_a_name_too_long_and_malformed_joins_both_problems_with_a_comma() -> None:
    crd = widget()
    plural = "-" + "a" * 63
    spec(crd)["names"]["plural"] = plural
    crd["metadata"]["name"] = f"{plural}.example.com"
    assert check(crd)[-1] == (
        f'spec.names.plural: Invalid value: "{plural}": '
        f"must be no more than 63 characters,{DNS1035}"
    )


def test_accepted_names_in_the_status_follow_the_same_rules() -> None:
    crd = widget()
    crd["status"]["acceptedNames"] = {"plural": "Widgets", "kind": ""}
    assert check(crd) == [f'status.acceptedNames.plural: Invalid value: "Widgets": {DNS1035}']


# -- fields every version shares move to the top level -----------------------------------------


def scale(**paths: str) -> dict[str, Any]:
    return {"scale": paths}


def test_scale_paths_of_a_single_version_are_reported_at_the_top_level() -> None:
    crd = widget(
        subresources=scale(
            specReplicasPath="spec.replicas",
            statusReplicasPath=".spec.replicas",
            labelSelectorPath=".metadata.labels",
        )
    )
    assert check(crd) == [
        'spec.subresources.scale.specReplicasPath: Invalid value: "spec.replicas": '
        "must be a simple json path starting with .",
        'spec.subresources.scale.statusReplicasPath: Invalid value: ".spec.replicas": '
        "should be a json path under .status",
        'spec.subresources.scale.labelSelectorPath: Invalid value: ".metadata.labels": '
        "should be a json path under either .spec or .status",
    ]


def test_scale_paths_are_required_and_under_spec_and_status() -> None:
    crd = widget(subresources=scale())
    assert check(crd) == [
        "spec.subresources.scale.specReplicasPath: Required value",
        "spec.subresources.scale.statusReplicasPath: Required value",
    ]
    crd = widget(subresources=scale(specReplicasPath=".status.x", statusReplicasPath=".status.y"))
    assert check(crd) == [
        'spec.subresources.scale.specReplicasPath: Invalid value: ".status.x": '
        "should be a json path under .spec"
    ]


def test_differing_subresources_are_reported_per_version() -> None:
    crd = two_versions(subresources=scale(statusReplicasPath=".status.replicas"))
    assert check(crd) == ["spec.versions[0].subresources.scale.specReplicasPath: Required value"]


def test_printer_columns() -> None:
    columns = [
        {"name": "Color", "type": "string", "jsonPath": ".spec.color", "priority": 1},
        {"type": "text", "format": "hex", "jsonPath": "spec.size"},
        {"name": "Size"},
    ]
    types = "must be one of boolean,date,integer,number,string"
    assert check(widget(additionalPrinterColumns=columns)) == [
        "spec.additionalPrinterColumns[1].name: Required value",
        f'spec.additionalPrinterColumns[1].type: Invalid value: "text": {types}',
        'spec.additionalPrinterColumns[1].format: Invalid value: "hex": '
        "must be one of byte,date,date-time,double,float,int32,int64,password",
        'spec.additionalPrinterColumns[1].JSONPath: Invalid value: "spec.size": '
        "must be a simple json path starting with .",
        f"spec.additionalPrinterColumns[2].type: Required value: {types}",
        "spec.additionalPrinterColumns[2].JSONPath: Required value",
    ]


def test_differing_printer_columns_are_reported_per_version() -> None:
    crd = two_versions(additionalPrinterColumns=[{"name": "X", "type": "date"}])
    assert check(crd) == ["spec.versions[0].additionalPrinterColumns[0].JSONPath: Required value"]


# -- the schema --------------------------------------------------------------------------------


def test_the_structural_check_gets_each_schema_at_its_reported_path() -> None:
    seen: list[str] = []

    def structural(schema: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
        seen.append(str(path))
        return [FieldError.required(path.child("type"), "must not be empty at the root")]

    errors = validate_definition(widget(), structural=structural)
    assert seen == ["spec.validation.openAPIV3Schema"]
    assert messages(errors) == [
        "spec.validation.openAPIV3Schema.type: Required value: must not be empty at the root"
    ]
    seen.clear()
    validate_definition(two_versions(), structural=structural)
    assert seen == [
        "spec.versions[0].schema.openAPIV3Schema",
        "spec.versions[1].schema.openAPIV3Schema",
    ]


def test_the_root_schema_under_a_status_subresource() -> None:
    crd = widget(subresources={"status": {}})
    assert check(crd) == []
    spec(crd)["versions"][0]["schema"]["openAPIV3Schema"]["type"] = "array"
    assert check(crd) == [
        'spec.validation.openAPIV3Schema.type: Invalid value: "array": only "object" is '
        "allowed as the type at the root of the schema if the status subresource is enabled"
    ]
    spec(crd)["versions"][0]["schema"]["openAPIV3Schema"]["type"] = "object"
    spec(crd)["versions"][0]["schema"]["openAPIV3Schema"]["minProperties"] = 1
    assert check(crd) == [
        "spec.validation.openAPIV3Schema: Invalid value: apiextensions.JSONSchemaProps{...}: "
        "only [Description Type Format Title Maximum ExclusiveMaximum Minimum "
        "ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems "
        "MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields "
        "XValidations] fields are allowed at the root of the schema if the status "
        "subresource is enabled"
    ]


def test_the_root_schema_may_not_be_nullable() -> None:
    crd = widget()
    spec(crd)["versions"][0]["schema"]["openAPIV3Schema"]["nullable"] = True
    assert check(crd) == [
        "spec.validation.openAPIV3Schema.nullable: Forbidden: nullable cannot be true at the root"
    ]


# -- selectable fields -------------------------------------------------------------------------


def selectable(*paths: str) -> list[dict[str, str]]:
    return [{"jsonPath": path} for path in paths]


def test_selectable_fields_point_to_strings_integers_and_booleans() -> None:
    crd = widget(selectableFields=selectable(".spec.color", ".spec.size", ".spec.ready"))
    assert check(crd) == []
    crd = widget(selectableFields=selectable(".spec.labels.app"))
    assert check(crd) == []


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        (
            ".spec.ratio",
            "must point to a field of type string, boolean or integer. Enum string "
            "fields and strings with formats are allowed.",
        ),
        (
            ".spec",
            "must point to a field of type string, boolean or integer. Enum string "
            "fields and strings with formats are allowed.",
        ),
        (".metadata.name", "must not point to fields in metadata"),
        (".spec.nope", "is an invalid path: does not refer to a valid field"),
        (".spec.color.x", "is an invalid path: does not refer to a valid field"),
        ("spec.color", "is an invalid path: expected [ or . but got: spec"),
        (".spec.labels['app']", "is an invalid path: array notation is not allowed"),
        (".spec.", "is an invalid path: unexpected end of JSON path"),
    ],
)
def test_a_bad_selectable_field(path: str, detail: str) -> None:
    crd = widget(selectableFields=selectable(path))
    assert check(crd) == [f'spec.selectableFields[0].jsonPath: Invalid value: "{path}": {detail}']


def test_selectable_fields_are_unique_required_and_at_most_eight() -> None:
    crd = widget(selectableFields=[*selectable(".spec.color", ".spec.color"), {}])
    assert check(crd) == [
        'spec.selectableFields[1].jsonPath: Duplicate value: ".spec.color"',
        "spec.selectableFields[2].jsonPath: Required value",
    ]
    crd = widget(selectableFields=selectable(*(f".spec.labels.k{i}" for i in range(9))))
    assert check(crd) == ["spec.selectableFields: Too many: 9: must have at most 8 items"]


def test_selectable_fields_follow_the_schema_s_move() -> None:
    # Identical selectable fields under differing schemas, and differing ones
    # under one schema: Kubernetes refuses both, in these words.
    crd = two_versions(selectableFields=selectable(".spec.color"))
    spec(crd)["versions"][1]["selectableFields"] = selectable(".spec.color")
    assert check(crd) == [
        'spec.selectableFields: Invalid value: "": '
        "may only be set when validations.schema is included"
    ]
    crd = two_versions(selectableFields=selectable(".spec.color"))
    spec(crd)["versions"][0]["schema"] = copy.deepcopy(spec(crd)["versions"][1]["schema"])
    assert check(crd) == [
        'spec.versions[0].selectableFields: Invalid value: "": '
        "may only be set when `version.schema.openAPIV3Schema` is not included"
    ]
    crd = two_versions(selectableFields=selectable(".spec.legacy"))
    assert check(crd) == []


def test_field_path_names_the_field_and_its_schema() -> None:
    path, found = field_path(".spec.labels.app", SCHEMA)
    assert str(path) == "spec.labels[app]"
    assert found == {"type": "string"}
    with pytest.raises(FieldPathError, match="does not refer to a valid field"):
        field_path(".status.nope", SCHEMA)


# -- conversion --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conversion", "expected"),
    [
        ({"strategy": ""}, ["spec.conversion.strategy: Required value"]),
        (
            {"strategy": "Magic"},
            [
                'spec.conversion.strategy: Unsupported value: "Magic": supported values: '
                '"None", "Webhook"'
            ],
        ),
        (
            {"strategy": "Webhook", "webhook": {"conversionReviewVersions": ["v1"]}},
            [
                'spec.conversion.strategy: Invalid value: "Webhook": conversion webhooks are '
                "not supported by kubelite; use strategy None"
            ],
        ),
        (
            {
                "strategy": "None",
                "webhook": {
                    "clientConfig": {"url": "https://x"},
                    "conversionReviewVersions": ["v1"],
                },
            },
            [
                "spec.conversion.webhookClientConfig: Forbidden: "
                "should not be set when strategy is not set to Webhook",
                "spec.conversion.conversionReviewVersions: Forbidden: "
                "should not be set when strategy is not set to Webhook",
            ],
        ),
    ],
)
def test_conversion(conversion: dict[str, Any], expected: list[str]) -> None:
    crd = widget()
    spec(crd)["conversion"] = conversion
    assert check(crd) == expected


def test_preserve_unknown_fields_may_not_be_set() -> None:
    crd = widget()
    spec(crd)["preserveUnknownFields"] = True
    assert check(crd) == [
        "spec.preserveUnknownFields: Invalid value: true: cannot set to true, set "
        "x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead"
    ]


# -- status and approval -----------------------------------------------------------------------


def test_stored_versions() -> None:
    crd = widget()
    crd["status"] = {}
    assert check(crd) == [
        "status.storedVersions: Invalid value: []string(nil): must have at least one stored version"
    ]
    crd["status"] = {"storedVersions": ["v0"]}
    assert check(crd) == [
        'status.storedVersions: Invalid value: []string{"v0"}: must have the storage version v1',
        'status.storedVersions[0]: Invalid value: "v0": missing from spec.versions; v0 was '
        "previously a storage version, and must remain in spec.versions until a storage "
        "migration ensures no data remains persisted in v0 and removes v0 from "
        "status.storedVersions",
    ]


APPROVAL = "metadata.annotations[api-approved.kubernetes.io]"


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (
            None,
            [
                f"{APPROVAL}: Required value: protected groups must have approval annotation "
                '"api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111'
            ],
        ),
        (
            "soon",
            [
                f'{APPROVAL}: Invalid value: "soon": protected groups must have approval '
                'annotation "api-approved.kubernetes.io" with either a URL or a reason starting '
                'with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111'
            ],
        ),
        ("https://github.com/kubernetes/enhancements/pull/1111", []),
        ("unapproved, experimental", []),
    ],
)
def test_a_kubernetes_group_needs_api_approval(annotation: str | None, expected: list[str]) -> None:
    crd = widget()
    spec(crd)["group"] = "apps.k8s.io"
    crd["metadata"]["name"] = "widgets.apps.k8s.io"
    if annotation is not None:
        crd["metadata"]["annotations"] = {"api-approved.kubernetes.io": annotation}
    assert check(crd) == expected
    # An update that leaves the approval as it was is not refused for it.
    assert messages(validate_definition_update(crd, copy.deepcopy(crd))) == []


def test_x_k8s_io_is_not_a_protected_group() -> None:
    crd = widget()
    spec(crd)["group"] = "cluster.x-k8s.io"
    crd["metadata"]["name"] = "widgets.cluster.x-k8s.io"
    assert check(crd) == []


# -- update ------------------------------------------------------------------------------------


def established(crd: dict[str, Any]) -> dict[str, Any]:
    old = copy.deepcopy(crd)
    old["status"]["conditions"] = [{"type": "Established", "status": "True"}]
    return old


def test_group_and_plural_never_change() -> None:
    old = widget()
    new = copy.deepcopy(old)
    spec(new)["group"] = "example.org"
    spec(new)["names"]["plural"] = "gadgets"
    assert messages(validate_definition_update(new, old)) == [
        'spec.group: Invalid value: "example.org": field is immutable',
        'spec.names.plural: Invalid value: "gadgets": field is immutable',
    ]


def test_scope_and_kind_change_only_until_established() -> None:
    old = widget()
    new = copy.deepcopy(old)
    spec(new)["scope"] = "Cluster"
    spec(new)["names"]["kind"] = "Gadget"
    spec(new)["names"]["listKind"] = "GadgetList"
    assert messages(validate_definition_update(new, old)) == []
    assert messages(validate_definition_update(new, established(old))) == [
        'spec.scope: Invalid value: "Cluster": field is immutable',
        'spec.names.kind: Invalid value: "Gadget": field is immutable',
    ]


def test_a_stored_version_stays_listed() -> None:
    old = two_versions()
    old["status"]["storedVersions"] = ["v1beta1", "v1"]
    new = copy.deepcopy(old)
    del spec(new)["versions"][0]
    prepare_definition_update(new, old)
    assert messages(validate_definition_update(new, old)) == [
        'status.storedVersions[0]: Invalid value: "v1beta1": missing from spec.versions; '
        "v1beta1 was previously a storage version, and must remain in spec.versions until a "
        "storage migration ensures no data remains persisted in v1beta1 and removes v1beta1 "
        "from status.storedVersions"
    ]


def test_an_old_crd_without_schemas_needs_them_only_where_served() -> None:
    old = two_versions()
    for version in spec(old)["versions"]:
        del version["schema"]
    new = copy.deepcopy(old)
    spec(new)["versions"][0]["served"] = False
    assert messages(validate_definition_update(new, old)) == [
        "spec.versions[1].schema.openAPIV3Schema: Required value: "
        "because otherwise all fields are pruned"
    ]


def test_an_update_does_not_check_the_name_rule() -> None:
    old = widget()
    old["metadata"]["name"] = "odd"
    assert messages(validate_definition_update(old, copy.deepcopy(old))) == []


# -- defaults and strategy ---------------------------------------------------------------------


def test_defaults() -> None:
    crd = widget()
    names = spec(crd)["names"]
    del names["singular"], names["listKind"], spec(crd)["conversion"], crd["status"]
    del spec(crd)["versions"][0]["served"]
    apply_definition_defaults(crd)
    assert names["singular"] == "widget"
    assert names["listKind"] == "WidgetList"
    assert spec(crd)["conversion"] == {"strategy": "None"}
    assert spec(crd)["versions"][0]["served"] is False
    assert crd["status"] == {"storedVersions": ["v1"]}
    assert "additionalPrinterColumns" not in spec(crd)["versions"][0]


def test_defaults_keep_what_was_sent() -> None:
    crd = widget()
    spec(crd)["names"]["singular"] = "wid"
    spec(crd)["names"]["listKind"] = "Widgets"
    spec(crd)["conversion"] = {
        "strategy": "Webhook",
        "webhook": {"clientConfig": {"service": {"name": "conv", "namespace": "x"}}},
    }
    apply_definition_defaults(crd)
    assert spec(crd)["names"]["singular"] == "wid"
    assert spec(crd)["names"]["listKind"] == "Widgets"
    assert spec(crd)["conversion"]["webhook"]["clientConfig"]["service"]["port"] == 443


def test_prepare_for_create_resets_the_status() -> None:
    crd = widget()
    crd["status"] = {"acceptedNames": {"plural": "x", "kind": "X"}, "storedVersions": ["v9"]}
    prepare_definition_create(crd)
    assert crd["status"] == {
        "conditions": None,
        "acceptedNames": {"plural": "", "kind": ""},
        "storedVersions": ["v1"],
    }


def test_prepare_for_update_keeps_the_old_status_and_adds_the_storage_version() -> None:
    old = two_versions()
    old["status"]["conditions"] = [{"type": "Established", "status": "True"}]
    new = copy.deepcopy(old)
    spec(new)["versions"][0]["storage"], spec(new)["versions"][1]["storage"] = True, False
    new["status"] = {}
    prepare_definition_update(new, old)
    assert new["status"]["storedVersions"] == ["v1", "v1beta1"]
    assert new["status"]["conditions"] == old["status"]["conditions"]
    assert old["status"]["storedVersions"] == ["v1"]


def test_stored_versions_only_grow() -> None:
    crd = two_versions()
    assert stored_versions(crd) == ["v1"]
    assert stored_versions(crd, {"storedVersions": ["v0", "v1"]}) == ["v0", "v1"]


# -- names and conditions ----------------------------------------------------------------------


def holders(table: dict[tuple[str, str], str]) -> Any:
    def taken(group: str, name: str) -> str | None:
        return table.get((group, name))

    return taken


def by_type(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {condition["type"]: condition for condition in found}


def test_names_without_conflicts_are_accepted_and_established() -> None:
    # A built-in "pods" lives in the core group: no conflict for example.com.
    crd = widget()
    spec(crd)["names"]["plural"] = "pods"
    taken = holders({("", "pods"): "pods", ("", "Pod"): "pods"})
    assert conditions(crd, taken, now=NOW) == [
        {
            "type": "NamesAccepted",
            "status": "True",
            "lastTransitionTime": "2025-01-02T03:04:05Z",
            "reason": "NoConflicts",
            "message": "no conflicts found",
        },
        {
            "type": "Established",
            "status": "True",
            "lastTransitionTime": "2025-01-02T03:04:05Z",
            "reason": "InitialNamesAccepted",
            "message": "the initial names have been accepted",
        },
    ]
    assert accepted_names(crd, taken) == {
        "plural": "pods",
        "singular": "widget",
        "shortNames": ["wd"],
        "kind": "Widget",
        "listKind": "WidgetList",
        "categories": ["all"],
    }


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("widgets", "PluralConflict"),
        ("widget", "SingularConflict"),
        ("Widget", "KindConflict"),
        ("WidgetList", "ListKindConflict"),
        ("wd", "ShortNamesConflict"),
    ],
)
def test_a_name_held_in_the_same_group_is_a_conflict(name: str, reason: str) -> None:
    crd = widget()
    taken = holders({("example.com", name): "gadgets.example.com"})
    found = by_type(conditions(crd, taken, now=NOW))
    assert found["NamesAccepted"]["status"] == "False"
    assert found["NamesAccepted"]["reason"] == reason
    assert found["NamesAccepted"]["message"] == f'"{name}" is already in use'
    assert found["Established"] == {
        "type": "Established",
        "status": "False",
        "lastTransitionTime": "2025-01-02T03:04:05Z",
        "reason": "NotAccepted",
        "message": "not all names are accepted",
    }


def test_conflicting_names_keep_what_was_accepted_before() -> None:
    crd = widget()
    crd["status"]["acceptedNames"] = {"plural": "widgets", "kind": "Widget", "singular": "widget"}
    spec(crd)["names"]["plural"] = "gizmos"
    spec(crd)["names"]["shortNames"] = ["wd", "gz"]
    taken = holders({("example.com", "gizmos"): "x", ("example.com", "wd"): "y"})
    assert accepted_names(crd, taken) == {
        "plural": "widgets",
        "singular": "widget",
        "kind": "Widget",
        "listKind": "WidgetList",
        "categories": ["all"],
    }
    found = by_type(conditions(crd, taken, now=NOW))
    # The last conflict found is the one named: short names come after the plural.
    assert found["NamesAccepted"]["reason"] == "ShortNamesConflict"
    assert found["NamesAccepted"]["message"] == '"wd" is already in use'


def test_several_short_name_conflicts_are_listed() -> None:
    crd = widget()
    spec(crd)["names"]["shortNames"] = ["wd", "wg"]
    taken = holders({("example.com", "wd"): "x", ("example.com", "wg"): "y"})
    found = by_type(conditions(crd, taken, now=NOW))
    assert found["NamesAccepted"]["message"] == '["wd" is already in use, "wg" is already in use]'


def test_names_held_by_the_crd_itself_or_already_accepted_are_no_conflict() -> None:
    crd = widget()
    own = holders({("example.com", "widgets"): "widgets.example.com"})
    assert by_type(conditions(crd, own, now=NOW))["NamesAccepted"]["status"] == "True"
    crd["status"]["acceptedNames"] = accepted_names(crd)
    anyone = holders({("example.com", "widgets"): "someone", ("example.com", "wd"): "else"})
    assert by_type(conditions(crd, anyone, now=NOW))["NamesAccepted"]["status"] == "True"


def test_transition_times_change_only_with_the_status() -> None:
    crd = widget()
    first = conditions(crd, holders({}), now=NOW)
    again = conditions(crd, holders({}), now=LATER, old=first)
    assert again == first
    conflict = holders({("example.com", "widgets"): "x"})
    flipped = by_type(conditions(crd, conflict, now=LATER, old=first))
    assert flipped["NamesAccepted"]["lastTransitionTime"] == "2025-01-02T04:00:00Z"
    # Once established, always established.
    assert flipped["Established"] == by_type(first)["Established"]


def test_other_conditions_are_kept_in_their_place() -> None:
    terminating = {"type": "Terminating", "status": "False", "lastTransitionTime": "x"}
    found = conditions(widget(), holders({}), now=NOW, old=[terminating])
    assert [c["type"] for c in found] == ["Terminating", "NamesAccepted", "Established"]
    assert found[0] == terminating


def test_accepted_names_leave_out_what_is_empty() -> None:
    crd = widget()
    spec(crd)["names"] = {"plural": "widgets", "kind": "Widget"}
    assert accepted_names(crd) == {"plural": "widgets", "kind": "Widget"}


# -- served types ------------------------------------------------------------------------------


def test_each_served_version_is_a_resource_type() -> None:
    crd = two_versions(served=False)
    spec(crd)["versions"][1]["subresources"] = {
        "status": {},
        "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"},
    }
    (resource,) = resource_types(crd)
    assert resource.group_version == "example.com/v1"
    assert (resource.kind, resource.plural, resource.singular) == ("Widget", "widgets", "widget")
    assert resource.namespaced
    assert resource.short_names == ("wd",)
    assert resource.categories == ("all",)
    assert resource.subresources == (
        Subresource("status", ("get", "patch", "update")),
        Subresource(
            "scale", ("get", "patch", "update"), group="autoscaling", version="v1", kind="Scale"
        ),
    )
    assert resource.generation
    assert not resource.returns_deleted
    assert resource.verbs == definition.resource_types(widget())[0].verbs


def test_custom_versions_carry_what_the_resource_type_lacks() -> None:
    columns = [{"name": "Color", "type": "string", "jsonPath": ".spec.color"}]
    crd = widget(
        additionalPrinterColumns=columns,
        selectableFields=selectable(".spec.color"),
        deprecated=True,
        subresources=scale(specReplicasPath=".spec.replicas", statusReplicasPath=".status.r"),
    )
    spec(crd)["scope"] = "Cluster"
    (version,) = custom_versions(crd)
    assert isinstance(version, CustomVersion)
    assert not version.resource.namespaced
    assert version.schema == SCHEMA
    assert version.printer_columns == tuple(columns)
    assert version.selectable_fields == (".spec.color",)
    assert version.list_kind == "WidgetList"
    assert version.storage
    assert version.deprecated
    assert version.deprecation_warning is None
    assert version.scale == {
        "specReplicasPath": ".spec.replicas",
        "statusReplicasPath": ".status.r",
    }


def test_served_names_are_the_accepted_ones_once_there_are_some() -> None:
    crd = widget()
    crd["status"]["acceptedNames"] = {"plural": "gadgets", "kind": "Gadget"}
    (resource,) = resource_types(crd)
    assert (resource.plural, resource.kind, resource.singular) == ("gadgets", "Gadget", "gadget")
