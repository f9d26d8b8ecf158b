"""An async client of the Kubernetes API: kubeconfig and in-cluster
configuration, credentials, and the verbs over aiohttp (see ``client.py``)."""

from kubelite.client.client import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    Client,
    Resource,
    WatchEvent,
)
from kubelite.client.config import (
    ClusterConfig,
    ConfigError,
    in_cluster_config,
    load_config,
    load_kubeconfig,
)

__all__ = [
    "APPLY_PATCH",
    "JSON_PATCH",
    "MERGE_PATCH",
    "Client",
    "ClusterConfig",
    "ConfigError",
    "Resource",
    "WatchEvent",
    "in_cluster_config",
    "load_config",
    "load_kubeconfig",
]
