"""Every YAML file leaseguard ships is read without a key given twice: YAML keeps the last of two keys silently,
so a second `tracking:` section once hid the gateway's settings from the first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import leaseguard

SHIPPED = sorted((Path(leaseguard.__file__).parent / "defaults").rglob("*.yaml"))


class _StrictLoader(yaml.SafeLoader):
    pass


def _mapping_without_repeats(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_repeats)


def test_there_are_shipped_files_to_check() -> None:
    assert any(path.name == "leaseguard.yaml" for path in SHIPPED) and len(SHIPPED) > 10


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_no_key_is_given_twice(path: Path) -> None:
    yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)


def test_a_repeated_key_is_found() -> None:
    with pytest.raises(yaml.constructor.ConstructorError, match="'tracking' given twice"):
        yaml.load("tracking:\n  a: 1\nlang: zh\ntracking:\n  b: 2\n", Loader=_StrictLoader)
