"""Labels and reasons render in the language asked for; a language outside zh/en is refused by name."""

from __future__ import annotations

import pytest

from leaseguard.vocabulary import CLASS_LABELS, CLASS_LABELS_EN, CLASSES, Label, Reason, label_of, lang_of


def test_a_reason_renders_its_parameters_in_either_language() -> None:
    labels = {
        "vin_check_digit": Label(
            "VIN 校验位错误，应为 {expected}", "VIN check digit fails: expected {expected}"
        )
    }
    reason = Reason("vin_check_digit", {"expected": "7"})
    assert reason.text(labels) == "VIN 校验位错误，应为 7"
    assert reason.text(labels, "en") == "VIN check digit fails: expected 7"


def test_every_class_has_a_label_in_both_languages() -> None:
    assert set(CLASS_LABELS) == set(CLASS_LABELS_EN) == set(CLASSES)
    assert label_of(CLASS_LABELS, CLASS_LABELS_EN, "doubtful") == "可疑类"
    assert label_of(CLASS_LABELS, CLASS_LABELS_EN, "doubtful", "en") == "Doubtful"


def test_an_unknown_language_is_refused_naming_the_choices() -> None:
    assert lang_of("en") == "en"
    with pytest.raises(ValueError, match="zh, en"):
        lang_of("fr")
