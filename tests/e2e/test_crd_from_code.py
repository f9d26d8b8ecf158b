"""A custom resource declared in Python: `kubelite crd` prints its CRD, the
real kubectl applies it, and kubelite serves and validates the kind."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kubelite.testing.kubectl import Kubectl, KubectlError

pytestmark = pytest.mark.timeout(120)

DECLARED = '''
from typing import Annotated, Literal
from pydantic import BaseModel, Field
from kubelite.operator.resource import Column, CustomResource

class RedisSpec(BaseModel):
    """A Redis server."""
    version: Annotated[str, Field(pattern=r"^[0-9]+\\.[0-9]+$", description="Redis version")]
    replicas: Annotated[int, Field(ge=1, le=5)] = 1
    mode: Literal["standalone", "cluster"] = "standalone"

class RedisStatus(BaseModel):
    ready: int = 0

REDIS = CustomResource(
    group="cache.example.com", version="v1", kind="Redis", plural="redises",
    spec=RedisSpec, status=RedisStatus, short_names=("rd",),
    columns=(Column("Version", ".spec.version"), Column("Replicas", ".spec.replicas", "integer")),
)
'''


def test_a_kind_declared_in_python_is_served_and_validated(
    kubectl: Kubectl, tmp_path: Path
) -> None:
    (tmp_path / "redis_kind.py").write_text(DECLARED)
    printed = subprocess.run(
        [sys.executable, "-m", "kubelite.cli.main", "crd", "redis_kind:REDIS"],
        capture_output=True, text=True, cwd=tmp_path, check=True, timeout=60,
    ).stdout  # fmt: skip
    kubectl("apply", "-f", "-", stdin=printed)
    for _ in range(100):
        crd = json.loads(kubectl("get", "crd", "redises.cache.example.com", "-o", "json").stdout)
        conditions = {c["type"]: c["status"] for c in crd.get("status", {}).get("conditions", [])}
        if conditions.get("Established") == "True":
            break
        time.sleep(0.05)
    good = {
        "apiVersion": "cache.example.com/v1",
        "kind": "Redis",
        "metadata": {"name": "sessions"},
        "spec": {"version": "7.2"},
    }
    kubectl("apply", "-f", "-", stdin=json.dumps(good))
    table = kubectl("get", "rd").stdout.split()
    assert table[:4] == ["NAME", "VERSION", "REPLICAS", "AGE"]
    assert table[4:7] == ["sessions", "7.2", "1"]  # the default filled in

    bad = {**good, "metadata": {"name": "broken"}, "spec": {"version": "latest", "replicas": 9}}
    with pytest.raises(KubectlError) as refused:
        kubectl("apply", "-f", "-", stdin=json.dumps(bad))
    message = refused.value.result.stderr
    assert 'spec.version: Invalid value: "latest": spec.version in body should match' in message
    assert (
        "spec.replicas: Invalid value: 9: spec.replicas in body should be less than or equal to 5"
        in message
    )
