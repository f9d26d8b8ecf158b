"""The ``kubelite`` command: runs the control plane and its components."""
