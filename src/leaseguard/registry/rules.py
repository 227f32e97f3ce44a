"""The ownership check's tunable numbers, as data: shipped defaults in registry_rules.yaml, overridable."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from leaseguard.rulefiles import load_rule_file


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
    """The rules at `path`, or the shipped defaults; RuleFileError names the file, the field and the reason."""
    return load_rule_file(RegistryRules, path, "registry_rules.yaml")
