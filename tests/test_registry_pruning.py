"""Leaving production neighbours out of a check's candidates changes its cost, never its answer."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import register_files
from leaseguard.ingest import import_paths
from leaseguard.registry.check import AssetFacts, CheckOutcome, trailing_counter_start
from leaseguard.registry.identifiers import is_valid_vin, vin_check_digit
from leaseguard.registry.register import Register
from leaseguard.registry.rules import load_rules
from leaseguard.synth import generate_book
from leaseguard.workspace import init_workspace


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Register:
    root: Path = tmp_path_factory.mktemp("pruning")
    generate_book(root / "book", contracts=6_000, seed=8)
    engine = init_workspace(root / "ws").engine()
    import_paths(engine, register_files(root / "book"))
    loaded = Register.from_engine(engine, load_rules())
    engine.dispose()
    return loaded


def _next_unit(identifier: str | None) -> str | None:
    """The identifier of the next unit off the line: its trailing counter plus one."""
    if not identifier:
        return None
    start = trailing_counter_start(identifier)
    if start == len(identifier):
        return None
    counter = identifier[start:]
    following = str(int(counter) + 1).zfill(len(counter))[-len(counter) :]
    return identifier[:start] + following


def _next_vehicle(vin: str | None) -> str | None:
    if not vin or not is_valid_vin(vin):
        return None
    draft = vin[:11] + str((int(vin[11:]) + 1) % 1_000_000).zfill(6)
    return draft[:8] + vin_check_digit(draft) + draft[9:]


def _answer(outcome: CheckOutcome) -> tuple[str, list[tuple[str, str, str, str]]]:
    return outcome.verdict.value, sorted(
        (m.registration.lessor, m.registration.asset_id or "", m.verdict.value, m.match_kind)
        for m in outcome.matches
    )


def _queries(register: Register) -> list[AssetFacts]:
    rows = random.Random(5).sample(range(len(register)), 300)
    queries: list[AssetFacts] = []
    for row in rows:
        registered = register.facts(row)
        asked = replace(registered, lessor="ZZ9", asset_id=None, registered_at=None, financing_active=None)
        neighbour = replace(
            asked,
            vin=_next_vehicle(asked.vin),
            engine_no=_next_unit(asked.engine_no),
            serial_no=_next_unit(asked.serial_no),
            invoice_no=None,
            invoice_code=None,
            invoice_amount_fen=None,
            purchase_contract_no=None,
        )
        queries += [
            asked,  # the same asset at another lessor, same lessee
            replace(asked, lessee_id=None),
            neighbour,  # the next unit, same lessee at another lessor
            replace(neighbour, lessee_id="91110000600037341L"),  # the next unit, someone else named
            replace(neighbour, lessor=registered.lessor),  # the lessor's own next unit
        ]
    return queries


def test_pruned_and_full_candidate_sets_give_the_same_answers(register: Register) -> None:
    pruned_total = full_total = 0
    for asked in _queries(register):
        assert _answer(register.check(asked)) == _answer(register.check(asked, prune_neighbours=False)), asked
        pruned_total += len(register.candidate_rows(asked))
        full_total += len(register.candidate_rows(asked, prune_neighbours=False))
    # The point of pruning: most candidates of a sequential book are neighbours that cannot match.
    assert pruned_total < full_total / 2


def test_a_neighbour_at_another_lessor_is_answered_the_same_whoever_the_lessee(register: Register) -> None:
    compared = 0
    for neighbour in _queries(register)[2::5]:
        guessed = replace(neighbour, lessee_id="91110000600037341L")
        assert _answer(register.check(neighbour)) == _answer(register.check(guessed)), neighbour
        assert all(m.same_lessee is None for m in register.check(neighbour).matches)
        compared += 1
    assert compared > 100
