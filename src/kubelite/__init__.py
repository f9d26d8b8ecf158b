"""kubelite: a Kubernetes-compatible control plane and operator toolkit in Python."""

__version__ = "0.1.0"
