"""YAML read one way everywhere: libyaml's parser where PyYAML was built with it, about ten times faster than
PyYAML's own (the workspace's settings and the rule files are read by every command and by many requests), and
on text it refuses, PyYAML's own parser again, for its error: it names what it found (a tab, the token it
expected) where libyaml says less. Both build the same values (the same safe constructor and resolver)."""

from __future__ import annotations

from typing import Any

import yaml

_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """The value of the YAML document `text`, as `yaml.safe_load` gives it; its `yaml.YAMLError` if not YAML."""
    try:
        return yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return yaml.safe_load(text)
