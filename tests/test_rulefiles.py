"""One way to read a rule file: every problem is one RuleFileError naming the file, where in it and why (the
Pydantic-checked files used to surface a raw ValidationError or YAML traceback)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leaseguard.analytics.rules import load_analytics_rules
from leaseguard.errors import InvalidInputError
from leaseguard.registry.rules import load_rules
from leaseguard.rulefiles import RuleFileError, read_rule_file
from leaseguard.warning.rules import load_warning_rules


def test_the_shipped_files_load_and_name_themselves() -> None:
    assert load_rules().version >= 1 and load_warning_rules().tiers and load_analytics_rules().dpd_buckets
    _, source = read_rule_file(None, "registry_rules.yaml")
    assert source == "leaseguard/defaults/registry_rules.yaml"


@pytest.mark.parametrize(
    ("text", "chinese", "english"),
    [
        ("version: [1\n", r"rules\.yaml：第 2 行：不是有效的 YAML", r"rules\.yaml: line 2: not valid YAML"),
        (
            "version: 1\n",
            r"rules\.yaml：price：缺少此字段；vin_serial_positions：缺少此字段",
            r"rules\.yaml: price: Field required; vin_serial_positions: Field required",
        ),
        (
            "version: 1\nprice: {ratio_above: 0.5, ratio_below: 0.5, min_peers: 3}\nvin_serial_positions: [12]\n"
            "ended_financing_verdict: review\n",
            r"rules\.yaml：price\.ratio_above：应大于 1",
            r"rules\.yaml: price\.ratio_above: Input should be greater than 1",
        ),
    ],
)
def test_a_broken_file_is_one_line_naming_file_field_and_reason(
    tmp_path: Path, text: str, chinese: str, english: str
) -> None:
    """Said in Chinese first, and in English when asked (issue 17)."""
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError, match=chinese) as caught:
        load_rules(path)
    assert "\n" not in str(caught.value) and isinstance(caught.value, InvalidInputError)
    assert re.search(english, caught.value.text("en")), caught.value.text("en")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match=r"nope\.yaml：没有这个文件") as caught:
        load_warning_rules(tmp_path / "nope.yaml")
    assert caught.value.text("en").endswith("nope.yaml: no such file")


def test_every_shipped_yaml_file_reads_as_pyyamls_own_parser_reads_it() -> None:
    """load_yaml parses with libyaml where it can: the same values as PyYAML's own parser, file by file."""
    import yaml

    from leaseguard.yaml_text import load_yaml

    shipped = sorted(Path(__file__).parents[1].joinpath("src", "leaseguard", "defaults").rglob("*.yaml"))
    assert len(shipped) >= 10
    for path in shipped:
        text = path.read_text(encoding="utf-8")
        assert load_yaml(text) == yaml.safe_load(text), path


def test_text_libyaml_refuses_is_refused_in_pyyamls_words() -> None:
    """libyaml says "found character that cannot start any token"; PyYAML names the tab, and that is the error."""
    import yaml

    from leaseguard.yaml_text import load_yaml

    with pytest.raises(yaml.YAMLError) as refused:
        load_yaml("rules:\n\t- id: 1\n")
    assert "'\\t'" in str(refused.value) and refused.value.problem_mark.line == 1  # type: ignore[attr-defined]


def test_a_shipped_setting_is_the_files_value_and_each_caller_gets_its_own_copy() -> None:
    import yaml

    from leaseguard.api.app import shipped_max_body_bytes
    from leaseguard.tracking.gateway import GatewaySettings
    from leaseguard.workspace import shipped_defaults_text, shipped_setting

    shipped = yaml.safe_load(shipped_defaults_text())
    gateway = shipped_setting("tracking", "gateway")
    assert gateway == shipped["tracking"]["gateway"] and gateway["port"] > 0
    gateway["port"] = -1  # the caller's copy, not the process's parsed file
    assert shipped_setting("tracking", "gateway") == shipped["tracking"]["gateway"]
    assert GatewaySettings.from_settings({}).port == shipped["tracking"]["gateway"]["port"]
    assert shipped_max_body_bytes() == shipped["api"]["max_body_bytes"]
