"""One vocabulary: the codes every module compares and the Chinese a person reads, in step with the engines
that use them."""

from __future__ import annotations

from leaseguard import vocabulary
from leaseguard.classification.rules import load_rule_set
from leaseguard.ingest.kinds import KINDS
from leaseguard.tenancy.permissions import PERMISSIONS


def test_every_code_a_person_sees_has_a_chinese_label() -> None:
    assert set(vocabulary.CLASS_LABELS) == set(vocabulary.CLASSES)
    assert set(vocabulary.STAGE_LABELS) == {vocabulary.OPENED, *vocabulary.STAGES}
    assert set(vocabulary.REMEDY_LABELS) == set(vocabulary.REMEDIES)
    labels = [*vocabulary.CLASS_LABELS.values(), *vocabulary.STAGE_LABELS.values(), *vocabulary.REMEDY_LABELS.values(),
              *vocabulary.METHOD_LABELS.values(), *vocabulary.DOCUMENT_KIND_LABELS.values()]  # fmt: skip
    assert all(any("\u4e00" <= char <= "\u9fff" for char in label) for label in labels)
    assert set(vocabulary.CLASSES) > vocabulary.NON_PERFORMING


def test_the_vocabulary_names_what_the_engines_ship() -> None:
    assert tuple(kind.name for kind in KINDS) == vocabulary.DATA_KINDS
    assert set(PERMISSIONS) == set(vocabulary.ROLES)
    for name in vocabulary.CLASSIFICATION_RULE_SETS:
        rule_set = load_rule_set(name)
        assert {band.klass for band in rule_set.bands} <= set(vocabulary.CLASSES)
        assert set(rule_set.provision_rates) == set(vocabulary.CLASSES)
