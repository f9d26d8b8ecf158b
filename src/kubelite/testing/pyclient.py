"""The official Python client (``kubernetes``, a dev dependency) set up for tests.

Each ``ApiClient`` gets a ``Configuration`` of its own, loaded from a server's
kubeconfig, so nothing touches the client's global default configuration; and
every request and every watch read is bounded, so that a server that never
answers fails the test instead of hanging it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kubernetes import client, config, watch

# Bounds every request, so that a server that never answers fails the test.
REQUEST_TIMEOUT = 10.0


def load_configuration(kubeconfig: Path) -> client.Configuration:
    configuration = client.Configuration()
    config.load_kube_config(  # type: ignore[no-untyped-call]
        config_file=str(kubeconfig),
        client_configuration=configuration,
        persist_config=False,
    )
    # A request that times out fails at once instead of being sent again.
    configuration.retries = 0
    return configuration


def stream(
    func: Callable[..., Any], *args: Any, **kwargs: Any
) -> tuple[watch.Watch, Iterator[dict[str, Any]]]:
    """``watch.Watch().stream(func, ...)``, each read bounded by REQUEST_TIMEOUT."""
    watcher = watch.Watch()  # type: ignore[no-untyped-call]
    events = watcher.stream(  # type: ignore[no-untyped-call]
        func, *args, _request_timeout=REQUEST_TIMEOUT, **kwargs
    )
    return watcher, events
