"""Properties of field ownership, under random sequences of applies.

Several managers apply partial ConfigMaps (some keys of ``data`` and of
``metadata.labels``, some values) to one object, some with ``force``, through a
real ``kubelite server`` process. After every apply, whatever it answered, the
object and its ``managedFields`` must hold these invariants:

- every field that is set has at least one owner;
- no manager owns a field it never applied;
- a field a manager stops applying is removed, unless another manager owned it
  before that apply, in which case it stays;
- a refused apply (409) changes nothing, and names only fields owned by others.
"""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kubelite.testing.kubectl import KubeliteServer

pytestmark = pytest.mark.timeout(300)

MANAGERS = ("alpha", "beta", "gamma")
KEYS = ("a", "b", "c", "d")
LABELS = ("x", "y")
_names = itertools.count()


@dataclass(frozen=True)
class Apply:
    manager: str
    data: dict[str, str]
    labels: dict[str, str]
    force: bool


applies = st.builds(
    Apply,
    manager=st.sampled_from(MANAGERS),
    data=st.dictionaries(st.sampled_from(KEYS), st.sampled_from(("1", "2")), max_size=4),
    labels=st.dictionaries(st.sampled_from(LABELS), st.sampled_from(("p", "q")), max_size=2),
    force=st.booleans(),
)


class Server:
    def __init__(self, kubeconfig: Path) -> None:
        config = yaml.safe_load(kubeconfig.read_text())
        self.base = config["clusters"][0]["cluster"]["server"]

    def request(
        self, method: str, path: str, body: object = None, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"Content-Type": content_type}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with KubeliteServer(tmp_path_factory.mktemp("kubelite")) as process:
        yield Server(process.kubeconfig)


def owned(obj: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    """The (section, key) fields each manager owns, sections ``data`` and ``labels``."""
    found: dict[str, set[tuple[str, str]]] = {}
    for entry in obj["metadata"].get("managedFields") or []:
        fields = entry["fieldsV1"]
        keys = {("data", k[2:]) for k in fields.get("f:data", {}) if k.startswith("f:")}
        labels = fields.get("f:metadata", {}).get("f:labels", {})
        keys |= {("labels", k[2:]) for k in labels if k.startswith("f:")}
        found.setdefault(entry["manager"], set()).update(keys)
    return found


def values(obj: dict[str, Any]) -> dict[tuple[str, str], str]:
    data = obj.get("data") or {}
    labels = obj["metadata"].get("labels") or {}
    return {
        **{("data", k): v for k, v in data.items()},
        **{("labels", k): v for k, v in labels.items()},
    }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(applies, min_size=1, max_size=8))
def test_ownership_invariants_hold_after_every_apply(server: Server, steps: list[Apply]) -> None:
    name = f"p{next(_names)}"
    path = f"/api/v1/namespaces/default/configmaps/{name}"
    ever: dict[str, set[tuple[str, str]]] = {m: set() for m in MANAGERS}
    last: dict[str, set[tuple[str, str]]] = {m: set() for m in MANAGERS}
    live: dict[str, Any] | None = None
    for step in steps:
        config: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, **({"labels": step.labels} if step.labels else {})},
        }
        if step.data:
            config["data"] = step.data
        query = f"?fieldManager={step.manager}" + ("&force=true" if step.force else "")
        status, body = server.request(
            "PATCH", path + query, config, content_type="application/apply-patch+yaml"
        )
        applied = {("data", k) for k in step.data} | {("labels", k) for k in step.labels}
        before_owners = owned(live) if live is not None else {}
        if status == 409:
            event("an apply was refused")
            assert not step.force, body
            assert body["reason"] == "Conflict"
            assert live is not None
            for cause in body["details"]["causes"]:
                assert cause["reason"] == "FieldManagerConflict"
                owner = cause["message"].split('"')[1]
                assert owner != step.manager
            status, now = server.request("GET", path)
            assert now["metadata"]["resourceVersion"] == live["metadata"]["resourceVersion"]
            continue
        assert status in (200, 201), body
        live = body
        ever[step.manager] |= applied
        present = values(body)
        owners = owned(body)

        for field in present:
            assert any(field in fields for fields in owners.values()), (field, owners)
        for manager, fields in owners.items():
            assert fields <= ever.get(manager, set()), (manager, fields, ever)
        for field in applied:
            wanted = step.data.get(field[1]) if field[0] == "data" else step.labels.get(field[1])
            assert present.get(field) == wanted, (field, present)
        for field in last[step.manager] - applied:
            others = any(
                field in fields
                for manager, fields in before_owners.items()
                if manager != step.manager
            )
            assert (field in present) == others, (field, present, before_owners)
            event("a field kept by another owner" if others else "a field removed")
        last[step.manager] = applied
