"""The JSONPath subset of CRD printer columns, and printers built from CRD columns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kubelite.api.tables import JSONPathError, TableError, build_table, crd_printer, parse_jsonpath
from kubelite.api.tables.custom import go_float, go_text
from kubelite.api.tables.jsonpath import JSONPathEvalError

pytestmark = pytest.mark.timeout(10)

NOW = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)

REDIS: dict[str, Any] = {
    "apiVersion": "cache.example.com/v1",
    "kind": "Redis",
    "metadata": {
        "name": "cache",
        "namespace": "default",
        "creationTimestamp": "2026-12-03T11:00:00Z",
        "labels": {"app.kubernetes.io/name": "redis"},
        "resourceVersion": "17",
    },
    "spec": {
        "replicas": 3,
        "version": "7.2",
        "ratio": 0.75,
        "persistence": {"enabled": True, "size": "1Gi"},
        "ports": [{"name": "redis", "port": 6379}, {"name": "metrics", "port": 9121}],
    },
    "status": {
        "conditions": [
            {"type": "Available", "status": "True", "lastTransitionTime": "2026-12-03T11:58:00Z"},
            {"type": "Ready", "status": "False", "reason": "Syncing"},
        ],
        "leader": None,
    },
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".spec.replicas", [3]),
        ("{.spec.replicas}", [3]),
        ("$.spec.version", ["7.2"]),
        (".spec.missing", []),
        (".spec.missing.deeper", []),
        ('.status.conditions[?(@.type=="Ready")].status', ["False"]),
        (
            "{.status.conditions[?(@.type=='Available')].lastTransitionTime}",
            ["2026-12-03T11:58:00Z"],
        ),
        ('.status.conditions[?(@.type != "Ready")].type', ["Available"]),
        (".status.conditions[?(@.reason)].reason", ["Syncing"]),
        (".spec.ports[?(@.port >= 9000)].name", ["metrics"]),
        (".spec.ports[*].port", [6379, 9121]),
        (".spec.ports[-1].name", ["metrics"]),
        (".spec.ports[0:1].name", ["redis"]),
        (".spec.ports[0,1].name", ["redis", "metrics"]),
        (".spec.persistence['size','enabled']", ["1Gi", True]),
        (".metadata.labels.app\\.kubernetes\\.io/name", ["redis"]),
        (".metadata.labels['app.kubernetes.io/name']", ["redis"]),
        ("..port", [6379, 9121]),
        (".spec.persistence.*", [True, "1Gi"]),
        (".status.leader", [None]),
        (".spec.replicas.nested", []),
    ],
)
def test_find(path: str, expected: list[Any]) -> None:
    assert parse_jsonpath(path).find(REDIS) == expected


@pytest.mark.parametrize(
    "path",
    [
        ".spec.ports[5]",
        ".spec.ports[0:9]",
        ".spec.ports[?(@.port == '6379')]",
        ".spec.replicas[0]",
        ".spec[?(@.x)]",
        ".status.conditions[?(@.type > true)]",
        ".spec.ports[::0]",
    ],
)
def test_evaluation_errors(path: str) -> None:
    with pytest.raises(JSONPathEvalError):
        parse_jsonpath(path).find(REDIS)


@pytest.mark.parametrize(
    "path",
    ["", "{}", "spec.replicas", "{.a}{.b}", ".spec[", ".spec.", ".a[x]", "{range .items[*]}"],
)
def test_parse_errors(path: str) -> None:
    with pytest.raises(JSONPathError):
        parse_jsonpath(path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.5, "1.5"),
        (1.0, "1"),
        (100000.0, "100000"),
        (1e6, "1e+06"),
        (1073741824.0, "1.073741824e+09"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (-2.5e-7, "-2.5e-07"),
        (0.0, "0"),
    ],
)
def test_go_float(value: float, expected: str) -> None:
    assert go_float(value) == expected


def test_go_text() -> None:
    assert go_text(True) == "true"
    assert go_text(42) == "42"
    assert go_text({"b": [1, 2.0], "a": "<x&y>"}) == '{"a":"\\u003cx\\u0026y\\u003e","b":[1,2]}'


COLUMNS: list[dict[str, Any]] = [
    {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
    {"name": "Version", "type": "string", "jsonPath": ".spec.version", "description": "Redis"},
    {
        "name": "Ready",
        "type": "string",
        "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
    },
    {"name": "Ports", "type": "string", "jsonPath": ".spec.ports[*].port"},
    {"name": "Persistent", "type": "boolean", "jsonPath": ".spec.persistence.enabled"},
    {"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio", "priority": 1},
    {"name": "Storage", "type": "string", "jsonPath": ".spec.persistence"},
    {"name": "Missing", "type": "string", "jsonPath": ".status.nothing"},
    {"name": "Bad", "type": "integer", "jsonPath": ".spec.version"},
    {
        "name": "Since",
        "type": "date",
        "jsonPath": ".status.conditions[?(@.type=='Available')].lastTransitionTime",
    },
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]


def test_crd_printer_cells() -> None:
    printer = crd_printer(COLUMNS)
    assert printer.column_names() == ["Name"] + [c["name"] for c in COLUMNS]
    assert printer.column_names(wide=False)[:7] == [
        "Name",
        "Replicas",
        "Version",
        "Ready",
        "Ports",
        "Persistent",
        "Storage",
    ]
    assert printer.cells(REDIS, NOW) == [
        "cache",
        3,
        "7.2",
        "False",
        "6379",
        True,
        0.75,
        '{"enabled":true,"size":"1Gi"}',
        None,
        None,
        "2m",
        "60m",
    ]


def test_crd_column_definitions() -> None:
    table = build_table(crd_printer(COLUMNS), [REDIS], now=NOW)
    definitions = table["columnDefinitions"]
    assert definitions[1] == {
        "name": "Replicas",
        "type": "integer",
        "format": "",
        "description": "the value at .spec.replicas",
        "priority": 0,
    }
    assert definitions[2]["description"] == "Redis"
    assert definitions[6]["priority"] == 1
    assert table["metadata"] == {"resourceVersion": "17"}


def test_crd_without_columns_shows_age() -> None:
    printer = crd_printer(None)
    assert [(c.name, c.type) for c in printer.columns] == [("Name", "string"), ("Age", "date")]
    assert printer.cells(REDIS, NOW) == ["cache", "60m"]
    assert crd_printer([]).cells(REDIS, NOW) == ["cache", "60m"]


def test_date_cells() -> None:
    printer = crd_printer([{"name": "When", "type": "date", "jsonPath": ".spec.when"}])
    for when, expected in (("not a date", "<invalid>"), ("", "<unknown>"), (5, None)):
        assert (
            printer.cells({"metadata": {"name": "x"}, "spec": {"when": when}}, NOW)[1] == expected
        )


def test_integer_cells_truncate_floats() -> None:
    printer = crd_printer([{"name": "N", "type": "integer", "jsonPath": ".n"}])
    assert printer.cells({"n": 2.9}, NOW) == ["", 2]
    assert printer.cells({"n": True}, NOW) == ["", None]


def test_crd_printer_rejects_bad_paths() -> None:
    with pytest.raises(TableError, match="unrecognized column definition"):
        crd_printer([{"name": "X", "type": "string", "jsonPath": "spec.x"}])
