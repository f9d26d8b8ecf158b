"""An operator's client reads the kubeconfig `kubelite server` writes, and the
events it records show in the real kubectl's `describe`."""

from __future__ import annotations

import pytest

from kubelite.client import Client, load_kubeconfig
from kubelite.operator.helpers import EventRecorder
from kubelite.testing.kubectl import Kubectl

pytestmark = pytest.mark.timeout(120)


async def test_recorded_events_show_in_kubectl_describe(kubectl: Kubectl) -> None:
    config = load_kubeconfig(kubectl.kubeconfig)
    async with Client(config, field_manager="shop-operator") as client:
        shop = await client.create(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shop"}}
        )
        recorder = EventRecorder(client, "shop-operator")
        await recorder.record(shop, "Normal", "Synced", "all children in place")
        await recorder.record(shop, "Warning", "Degraded", "the database is not ready")
        await recorder.record(shop, "Warning", "Degraded", "the database is not ready")
    described = kubectl("describe", "configmap", "shop").stdout
    events = described[described.index("Events:") :].splitlines()
    rows = [" ".join(line.split()) for line in events[3:]]
    assert any(
        row.startswith("Normal Synced") and row.endswith("shop-operator all children in place")
        for row in rows
    ), described
    assert any(row.startswith("Warning Degraded") and "(x2 over" in row for row in rows), described
