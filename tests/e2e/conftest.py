"""Each end-to-end test gets a fresh kubelite server and the real kubectl."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelite.testing.kubectl import Kubectl, KubeliteServer


@pytest.fixture
def kubectl(tmp_path: Path) -> Iterator[Kubectl]:
    with KubeliteServer(tmp_path / "kubelite") as server:
        yield server.kubectl(tmp_path / "kubectl-cache")
