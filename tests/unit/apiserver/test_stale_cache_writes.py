"""Read-modify-write starts from the watch cache's copy; when that copy is
behind the store, the store's state decides, and nothing stale is answered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kubelite.api.errors import ConflictError
from kubelite.api.resources import ResourceTypes
from kubelite.apiserver.registry import Registry
from kubelite.store.sqlite import SqliteStore

pytestmark = pytest.mark.timeout(30)


class Behind:
    """A cache that stays at the copy it was given: always behind after a write."""

    ready = True

    def __init__(self, copy: dict[str, Any]) -> None:
        self.copy = copy

    def copy_of(self, key: str) -> tuple[dict[str, Any], int]:
        obj: dict[str, Any] = {**self.copy, "metadata": dict(self.copy["metadata"])}
        return obj, int(obj["metadata"]["resourceVersion"])

    def expect(self, *_: object) -> None:
        return None


@pytest.fixture
async def configmaps(tmp_path: Path) -> AsyncIterator[Registry]:
    store = await SqliteStore.open(tmp_path / "state.db")
    resource = ResourceTypes().by_path("", "v1", "configmaps")
    assert resource is not None
    namespaces = ResourceTypes().by_path("", "v1", "namespaces")
    assert namespaces is not None
    await Registry(store, namespaces).create(
        "", {"metadata": {"name": "default"}}, dry_run=False, manager="t"
    )
    try:
        yield Registry(store, resource)
    finally:
        await store.close()


async def stale(configmaps: Registry) -> dict[str, Any]:
    first = await configmaps.create(
        "default", {"metadata": {"name": "c"}, "data": {"v": "1"}}, dry_run=False, manager="t"
    )

    def set_two(current: dict[str, Any]) -> dict[str, Any]:
        return {**current, "data": {"v": "2"}}

    await configmaps.read_modify_write("default", "c", set_two, dry_run=False, manager="t")
    configmaps.cache = Behind(first)  # type: ignore[assignment]
    return first


async def test_a_change_from_a_stale_copy_is_made_again_on_the_stored_object(
    configmaps: Registry,
) -> None:
    await stale(configmaps)
    seen: list[str] = []

    def add_key(current: dict[str, Any]) -> dict[str, Any]:
        seen.append(current["data"]["v"])
        return {**current, "data": {**current["data"], "w": "x"}}

    written = await configmaps.read_modify_write(
        "default", "c", add_key, dry_run=False, manager="t"
    )
    assert seen == ["1", "2"]  # the stale copy, then the stored object
    assert written["data"] == {"v": "2", "w": "x"}


async def test_a_precondition_failing_on_a_stale_copy_is_checked_on_the_store(
    configmaps: Registry,
) -> None:
    await stale(configmaps)
    stored = await configmaps.store.get("/registry/core/configmaps/default/c")
    wanted = str(stored.mod_revision)

    def guarded(current: dict[str, Any]) -> dict[str, Any]:
        if current["metadata"]["resourceVersion"] != wanted:
            raise ConflictError("stale")
        return {**current, "data": {"v": "3"}}

    written = await configmaps.read_modify_write(
        "default", "c", guarded, dry_run=False, manager="t"
    )
    assert written["data"] == {"v": "3"}


async def test_a_no_op_and_a_dry_run_answer_the_stored_object(configmaps: Registry) -> None:
    await stale(configmaps)

    def same(current: dict[str, Any]) -> dict[str, Any]:
        return current

    unchanged = await configmaps.read_modify_write("default", "c", same, dry_run=False, manager="t")
    assert unchanged["data"] == {"v": "2"}
    dry = await configmaps.read_modify_write("default", "c", same, dry_run=True, manager="t")
    assert dry["data"] == {"v": "2"}
