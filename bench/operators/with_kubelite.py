"""The benchmark's operator written with kubelite's framework: for each
Widget, a ConfigMap owned by it, and ``status.configMap`` naming it.

Run as ``python -m bench.operators.with_kubelite`` with ``KUBECONFIG`` set.
"""

from __future__ import annotations

from kubelite.client import Client, load_config
from kubelite.operator.controller import Request
from kubelite.operator.helpers import apply_owned
from kubelite.operator.manager import Manager, run_until_signal

WORKERS = 8


async def main() -> None:
    async with Client(load_config(), field_manager="widget-operator") as client:
        manager = Manager(client, name="widget-operator")

        async def reconcile(request: Request) -> None:
            widget = controller.get(request)
            if widget is None or (widget.get("status") or {}).get("configMap"):
                return
            name = f"{request.name}-config"
            configmap = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": name},
                "data": {"size": str(widget["spec"].get("size", 0))},
            }
            await apply_owned(client, widget, configmap)
            await client.patch(
                "bench.example.com/v1",
                "Widget",
                request.name,
                {"status": {"configMap": name}},
                namespace=request.namespace,
                subresource="status",
            )

        controller = manager.controller(
            "bench.example.com/v1", "Widget", reconcile, workers=WORKERS
        )
        await manager.run()


if __name__ == "__main__":
    run_until_signal(main)
