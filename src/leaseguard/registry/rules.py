"""The ownership check's tunable numbers, as data: shipped defaults in registry_rules.yaml, overridable."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field


class PriceRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # An invoice above `ratio_above` × the median of its manufacturer and model (or below `ratio_below` × it)
    # is out of range; fewer than `min_peers` registrations of that model say nothing.
    ratio_above: float = Field(gt=1)
    ratio_below: float = Field(gt=0, lt=1)
    min_peers: int = Field(ge=3)


class RegistryRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    price: PriceRule
    # VIN positions (1-based) where factories put the production sequence; honest neighbours differ only here.
    vin_serial_positions: list[int]
    # Verdict when the same asset is found financed elsewhere and that financing has ended.
    ended_financing_verdict: str = Field(pattern="^(clear|review|block)$")


def load_rules(path: Path | None = None) -> RegistryRules:
    """The rules at `path`, or the shipped defaults."""
    if path is None:
        text = (
            resources.files("leaseguard.defaults").joinpath("registry_rules.yaml").read_text(encoding="utf-8")
        )
    else:
        text = path.read_text(encoding="utf-8")
    loaded: Any = yaml.safe_load(text)
    return RegistryRules.model_validate(loaded)
