"""Is this asset already financed? Compare one asset against registered ones and say clear, review or block.

The comparison is pure: it takes the facts of the asking asset and of candidate registrations (found by the
index) and explains every match. The hard part is telling a typo or a forgery from the next vehicle off the
line: factories number VINs and serials in sequence, so honest neighbours differ in a trailing digit (and, for
VINs, in the check digit). A one-character difference therefore counts only when something says it is not a
neighbour: a check digit that fails, a dropped or doubled character, a swap, or another identifier that agrees.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from leaseguard.money import grouped_yuan
from leaseguard.registry.identifiers import VIN_TRANSLITERATION, is_valid_vin, vin_check_digit
from leaseguard.registry.normalize import (
    Edit,
    EditKind,
    normalize_identifier,
    normalize_name,
    ocr_fold,
    single_edit,
)
from leaseguard.registry.reasons import PRIVATE_REASONS, reason_text
from leaseguard.registry.rules import RegistryRules
from leaseguard.vocabulary import Reason


class Verdict(StrEnum):
    CLEAR = "clear"
    REVIEW = "review"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return _VERDICT_RANK[self]


_VERDICT_RANK = {Verdict.CLEAR: 0, Verdict.REVIEW: 1, Verdict.BLOCK: 2}


def worst(*verdicts: Verdict) -> Verdict:
    return max(verdicts, key=lambda verdict: verdict.rank, default=Verdict.CLEAR)


class Strength(IntEnum):
    """How strongly one identifier says two registrations are the same asset."""

    NONE = 0
    WEAK = 1  # one character apart in a way honest neighbours also are
    LIKELY = 2  # one character apart in a way honest neighbours never are
    STRONG = 3  # the same identifier once noise and OCR confusions are folded


@dataclass(frozen=True)
class AssetFacts:
    """What is known of one asset: the one asked about, or a registration in the store."""

    lessor: str
    asset_id: str | None = None
    asset_type: str | None = None
    vin: str | None = None
    serial_no: str | None = None
    engine_no: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    invoice_code: str | None = None
    invoice_no: str | None = None
    invoice_amount_fen: int | None = None
    invoice_date: dt.date | None = None
    purchase_contract_no: str | None = None
    lessee_id: str | None = None
    lessee_name: str | None = None
    contract_no: str | None = None
    registered_at: dt.date | None = None
    financing_active: bool | None = None


@dataclass(frozen=True)
class IdentifierMatch:
    field: str
    edit: EditKind
    strength: Strength
    why: Reason
    # A VIN one serial digit apart whose one failing check digit, recomputed, would make the two neighbours:
    # a slip in a serial digit of one unit, or the next unit with a slip in its check digit.
    neighbour_if_repaired: bool = False

    @property
    def reason(self) -> str:
        return reason_text(self.why, "en")


@dataclass(frozen=True)
class Match:
    """One registration that is, or may be, the asked-about asset, with why."""

    registration: AssetFacts
    match_kind: str
    verdict: Verdict
    score: float
    identifiers: tuple[IdentifierMatch, ...]
    same_lessee: bool | None
    why: tuple[Reason, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reasons in English words (the API's and the check record's language)."""
        return tuple(reason_text(reason, "en") for reason in self.why)


@dataclass(frozen=True)
class Finding:
    """Something about the asked-about asset itself: an invalid identifier, a price out of range."""

    code: str
    verdict: Verdict
    field: str | None
    why: Reason

    @property
    def reason(self) -> str:
        return reason_text(self.why, "en")


@dataclass(frozen=True)
class CheckOutcome:
    verdict: Verdict
    findings: tuple[Finding, ...] = ()
    matches: tuple[Match, ...] = field(default_factory=tuple)

    @property
    def reasons(self) -> list[str]:
        return [f.reason for f in self.findings] + [r for m in self.matches for r in m.reasons]


def shown_why(match: Match, asking_lessor: str) -> tuple[Reason, ...]:
    """A match's reasons as the asking lessor may read them: all in its own book; elsewhere none that speaks
    of the other registration's lessee."""
    if match.registration.lessor == asking_lessor:
        return match.why
    return tuple(reason for reason in match.why if reason.code not in PRIVATE_REASONS)


def match_codes(match: Match, asking_lessor: str) -> list[str]:
    """The machine-readable codes of one match as the asker may see it: its kind, and `different_lessee`."""
    return [match.match_kind] + [r.code for r in shown_why(match, asking_lessor) if r.code in PRIVATE_REASONS]


def reason_codes(outcome: CheckOutcome, asking_lessor: str) -> list[str]:
    """The codes behind a check's reasons, in order and once each: finding codes, then each match's kind."""
    codes = [f.code for f in outcome.findings] + [
        c for m in outcome.matches for c in match_codes(m, asking_lessor)
    ]
    return list(dict.fromkeys(codes))


_SAME_IDENTIFIER = {EditKind.IDENTICAL, EditKind.NOISE, EditKind.OCR}
_SCORE = {Strength.NONE: 0.0, Strength.WEAK: 0.4, Strength.LIKELY: 0.8, Strength.STRONG: 1.0}


def _identifier_reason(field: str, edit: Edit, note: str = "") -> Reason:
    """How one identifier differs, as a reason: which field, which edit and where, and what that suggests."""
    if edit.position is not None and edit.kind not in _SAME_IDENTIFIER:
        return Reason(
            "identifier",
            {"field": field, "edit": f"{edit.kind.value}_at", "position": edit.position + 1, "note": note},
        )
    return Reason("identifier", {"field": field, "edit": edit.kind.value, "note": note})


def trailing_counter_start(folded: str) -> int:
    """Where the trailing run of digits (the production counter) begins."""
    position = len(folded)
    while position > 0 and folded[position - 1].isdigit():
        position -= 1
    return position


def compare_vin(asked: str, registered: str, rules: RegistryRules) -> IdentifierMatch | None:
    edit = single_edit(asked, registered)
    if edit is None:
        return None
    if edit.kind in _SAME_IDENTIFIER:
        return IdentifierMatch("vin", edit.kind, Strength.STRONG, _identifier_reason("vin", edit))
    asked_valid = is_valid_vin(normalize_identifier(asked))
    registered_valid = is_valid_vin(normalize_identifier(registered))
    in_serial = edit.position is not None and edit.position + 1 in rules.vin_serial_positions
    if asked_valid and registered_valid and edit.kind is EditKind.SUBSTITUTION and in_serial:
        return IdentifierMatch(
            "vin", edit.kind, Strength.WEAK, _identifier_reason("vin", edit, "vin_neighbour")
        )
    broken = "asked_check_digit_fails" if not asked_valid else "registered_check_digit_fails"
    if asked_valid and registered_valid:
        broken = "outside_sequence"
    invalid = normalize_identifier(registered if asked_valid else asked)
    repairable = (
        edit.kind is EditKind.SUBSTITUTION
        and in_serial
        and asked_valid != registered_valid
        and len(invalid) == 17
        and all(c in VIN_TRANSLITERATION for c in invalid)
    )
    return IdentifierMatch(
        "vin",
        edit.kind,
        Strength.LIKELY,
        _identifier_reason("vin", edit, broken),
        neighbour_if_repaired=repairable,
    )


def compare_sequenced(name: str, asked: str, registered: str) -> IdentifierMatch | None:
    """Serial and engine numbers: no check digit, so only the shape of the difference speaks."""
    edit = single_edit(asked, registered)
    if edit is None:
        return None
    if edit.kind in _SAME_IDENTIFIER:
        return IdentifierMatch(name, edit.kind, Strength.STRONG, _identifier_reason(name, edit))
    # The counter is read on the unfolded form: OCR folding turns letters such as D or G into digits.
    counter_start = trailing_counter_start(normalize_identifier(registered))
    if (
        edit.kind in (EditKind.SUBSTITUTION, EditKind.TRANSPOSITION)
        and edit.position is not None
        and edit.position >= counter_start
        and ocr_fold(asked)[edit.position].isdigit()
    ):
        return IdentifierMatch(
            name, edit.kind, Strength.WEAK, _identifier_reason(name, edit, "counter_neighbour")
        )
    return IdentifierMatch(name, edit.kind, Strength.LIKELY, _identifier_reason(name, edit, "not_production"))


def _same_manufacturer(asked: AssetFacts, registered: AssetFacts) -> bool:
    a = normalize_name(asked.manufacturer)
    b = normalize_name(registered.manufacturer)
    return not a or not b or a == b or a in b or b in a


def invoice_key(facts: AssetFacts) -> str:
    """The invoice's identity: code and number folded; a fully digital invoice has a number only."""
    number = ocr_fold(facts.invoice_no or "")
    return f"{ocr_fold(facts.invoice_code or '')}/{number}" if number else ""


def purchase_terms_key(facts: AssetFacts) -> str:
    """Manufacturer, model, invoice date and amount: the purchase as the invoice describes it."""
    if facts.invoice_amount_fen is None or facts.invoice_date is None:
        return ""
    names = f"{normalize_name(facts.manufacturer)}|{normalize_name(facts.model)}"
    return f"{names}|{facts.invoice_date}|{facts.invoice_amount_fen}"


def two_edits_apart(first: str, second: str) -> bool:
    """Optimal-string-alignment distance of the folded forms is exactly two (one edit is `single_edit`'s)."""
    a, b = ocr_fold(first), ocr_fold(second)
    if abs(len(a) - len(b)) > 2:
        return False
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)] == 2


def _neighbour_shaped(name: str, first: str, second: str) -> bool:
    """Whether two identifiers differ the way two units off one line do: both VINs valid, or serials and
    engine numbers of one length that part only inside their trailing production counter."""
    a, b = normalize_identifier(first), normalize_identifier(second)
    if name == "vin":
        return is_valid_vin(a) and is_valid_vin(b)
    start = min(trailing_counter_start(a), trailing_counter_start(b))
    return len(a) == len(b) and a[:start] == b[:start]


def compare(asked: AssetFacts, registered: AssetFacts, rules: RegistryRules) -> Match | None:
    """The match between the asked-about asset and one registration, or None when they are different assets."""
    identifiers: list[IdentifierMatch] = []
    # The same purchase (model, invoice date and amount) shown to another lessor: a forger keeps the figures
    # of the original invoice; an honest fleet bought in one batch is normally financed by one lessor.
    same_purchase_terms = (
        registered.lessor != asked.lessor
        and bool(purchase_terms_key(asked))
        and purchase_terms_key(asked) == purchase_terms_key(registered)
    )
    if asked.vin and registered.vin and (vin := compare_vin(asked.vin, registered.vin, rules)):
        identifiers.append(vin)
    if asked.engine_no and registered.engine_no:
        engine = compare_sequenced("engine_no", asked.engine_no, registered.engine_no)
        if engine:
            identifiers.append(engine)
    if asked.serial_no and registered.serial_no and _same_manufacturer(asked, registered):
        serial = compare_sequenced("serial_no", asked.serial_no, registered.serial_no)
        if serial:
            identifiers.append(serial)
    if same_purchase_terms and not identifiers:
        for name in ("vin", "serial_no", "engine_no"):
            mine, theirs = getattr(asked, name), getattr(registered, name)
            if (
                mine
                and theirs
                and two_edits_apart(mine, theirs)
                and not _neighbour_shaped(name, mine, theirs)
            ):
                identifiers.append(
                    IdentifierMatch(
                        name,
                        EditKind.SUBSTITUTION,
                        Strength.LIKELY,
                        Reason("identifier", {"field": name, "edit": "two_apart", "note": ""}),
                    )
                )
    same_invoice = bool(invoice_key(asked)) and invoice_key(asked) == invoice_key(registered)
    same_purchase_contract = bool(asked.purchase_contract_no) and ocr_fold(
        asked.purchase_contract_no or ""
    ) == (ocr_fold(registered.purchase_contract_no or ""))
    # One purchase contract may cover a batch of units financed by one lessor; shown to another lessor it is
    # the paper trail of a double pledge.
    purchase_contract_elsewhere = same_purchase_contract and registered.lessor != asked.lessor
    if not identifiers and not same_invoice and not purchase_contract_elsewhere:
        return None
    if registered.lessor == asked.lessor and asked.asset_id and registered.asset_id == asked.asset_id:
        return None  # the asset's own registration, asked about again

    # Whose customer holds another lessor's asset is not the consortium's to share: compared within the asking
    # lessor's own book only, so no answer depends on a guessed lessee (an oracle otherwise).
    same_lessee = (
        None
        if registered.lessor != asked.lessor or not asked.lessee_id or not registered.lessee_id
        else normalize_identifier(asked.lessee_id) == normalize_identifier(registered.lessee_id)
    )
    strongest = max(identifiers, key=lambda m: m.strength, default=None)
    strength = strongest.strength if strongest else Strength.NONE
    # Honest neighbours off one line have neighbouring engine numbers too, so only a second identifier that is
    # more than a neighbour's (or the same invoice or purchase contract) corroborates.
    corroborated = (
        same_invoice
        or same_purchase_contract
        or same_purchase_terms
        or sum(m.strength >= Strength.LIKELY for m in identifiers) > 1
    )
    # A fleet bought together: one lessor's units for one lessee under one purchase contract, whose identifiers
    # differ only as units off one line do. Their shared paper is what such a fleet has, not a corroboration.
    # A VIN whose check digit slipped is a neighbour's too when another identifier shows the neighbour (a copy
    # would carry the same engine or serial number); the failing check digit is a finding of its own.
    if (
        same_lessee is True
        and same_purchase_contract
        and not same_invoice
        and any(m.strength is Strength.WEAK for m in identifiers)
        and all(m.strength is Strength.WEAK or m.neighbour_if_repaired for m in identifiers)
    ):
        return None
    why = [m.why for m in identifiers]
    where: dict[str, object] = {"lessor": registered.lessor, "registered_at": registered.registered_at}

    if strength is Strength.STRONG or (strength is Strength.LIKELY and corroborated):
        assert strongest is not None
        active = registered.financing_active is not False
        verdict = Verdict.BLOCK if active else Verdict(rules.ended_financing_verdict)
        kind = f"{strongest.field}_{'exact' if strongest.strength is Strength.STRONG else 'near'}"
        why.append(Reason("same_asset", {**where, "active": active}))
        if same_lessee is False:
            why.append(Reason("different_lessee"))
    elif strength is Strength.LIKELY:
        verdict, kind = Verdict.REVIEW, f"{strongest.field}_near" if strongest else "near"
        why.append(Reason("probably_same_asset", where))
    elif strength is Strength.WEAK and corroborated:
        verdict, kind = Verdict.REVIEW, f"{strongest.field}_near" if strongest else "near"
        why.append(Reason("neighbour_same_paper", where))
    elif same_invoice:
        verdict, kind = Verdict.REVIEW, "invoice_reused"
    elif purchase_contract_elsewhere:
        verdict, kind = Verdict.REVIEW, "purchase_contract_reused"
        why.append(Reason("purchase_contract_reused", {**where, "contract": asked.purchase_contract_no}))
    else:
        return None

    if same_invoice and kind != "invoice_reused":
        why.append(Reason("same_invoice"))
    if same_purchase_terms:
        why.append(Reason("same_purchase_terms"))
    if same_invoice and strength < Strength.LIKELY:
        # One VAT invoice behind two different assets is reuse; across lessors it is the classic double pledge.
        kind = "invoice_reused"
        verdict = worst(verdict, Verdict.BLOCK if registered.lessor != asked.lessor else Verdict.REVIEW)
        invoice = f"{asked.invoice_code or ''}/{asked.invoice_no}"
        why.append(Reason("invoice_reused", {"invoice": invoice}))
    score = min(1.0, _SCORE[strength] + (0.3 if same_invoice else 0.0) + (0.1 if same_lessee else 0.0))
    return Match(registered, kind, verdict, round(score, 3), tuple(identifiers), same_lessee, tuple(why))


_INVOICE_NUMBER_SHAPES = ((8, (10, 12)), (20, (0,)))


def vin_problem(vin: str) -> Reason | None:
    """Why a VIN (noise already removed) is not valid, or None: its length, characters VINs never carry, or a
    check digit that fails (with the digit its other 16 characters call for)."""
    if len(vin) != 17:
        return Reason("vin_length", {"vin": vin, "length": len(vin)})
    foreign = sorted({c for c in vin if c not in VIN_TRANSLITERATION})
    if foreign:
        return Reason("vin_characters", {"vin": vin, "characters": "".join(foreign)})
    expected = vin_check_digit(vin)
    if vin[8] != expected:
        return Reason("vin_check_digit", {"vin": vin, "found": vin[8], "expected": expected})
    return None


def identifier_findings(asked: AssetFacts) -> list[Finding]:
    """What is wrong with the asked-about asset's own identifiers: a finding each, never an exception."""
    findings: list[Finding] = []
    vin = normalize_identifier(asked.vin)
    if asked.asset_type == "vehicle" and not vin:
        findings.append(Finding("vin_missing", Verdict.REVIEW, "vin", Reason("vin_missing")))
    elif vin and (problem := vin_problem(vin)) is not None:
        findings.append(Finding("vin_invalid", Verdict.REVIEW, "vin", problem))
    if asked.asset_type not in (None, "vehicle") and not normalize_identifier(asked.serial_no):
        findings.append(Finding("serial_missing", Verdict.REVIEW, "serial_no", Reason("serial_missing")))
    number = normalize_identifier(asked.invoice_no)
    code = normalize_identifier(asked.invoice_code)
    if number:
        shape_ok = any(
            len(number) == length
            and number.isdigit()
            and (len(code) in code_lengths)
            and (not code or code.isdigit())
            for length, code_lengths in _INVOICE_NUMBER_SHAPES
        )
        if not shape_ok:
            findings.append(
                Finding("invoice_malformed", Verdict.REVIEW, "invoice_no", Reason("invoice_malformed"))
            )
    return findings


@dataclass(frozen=True)
class PriceRange:
    """The invoice prices seen for one manufacturer and model, in fen."""

    median_fen: int
    peers: int


def price_finding(asked: AssetFacts, reference: PriceRange | None, rules: RegistryRules) -> Finding | None:
    if asked.invoice_amount_fen is None or reference is None or reference.peers < rules.price.min_peers:
        return None
    ratio = asked.invoice_amount_fen / reference.median_fen if reference.median_fen else 0.0
    if rules.price.ratio_below <= ratio <= rules.price.ratio_above:
        return None
    direction = "above" if ratio > 1 else "below"
    model = " ".join(part for part in (asked.manufacturer, asked.model) if part)
    params = {
        "amount": grouped_yuan(asked.invoice_amount_fen),
        "ratio": f"{ratio:.2f}",
        "median": grouped_yuan(reference.median_fen),
        "peers": reference.peers,
        "model": f" {model} " if model else "",
        "direction": direction,
    }
    return Finding(
        "price_out_of_range", Verdict.REVIEW, "invoice_amount", Reason("price_out_of_range", params)
    )


def check_asset(
    asked: AssetFacts,
    candidates: list[AssetFacts],
    rules: RegistryRules,
    price_reference: PriceRange | None = None,
) -> CheckOutcome:
    """The verdict on one asset given the registrations the index found near it."""
    findings = identifier_findings(asked)
    price = price_finding(asked, price_reference, rules)
    if price:
        findings.append(price)
    matches = [m for candidate in candidates if (m := compare(asked, candidate, rules)) is not None]
    matches.sort(
        key=lambda m: (-m.verdict.rank, -m.score, m.registration.lessor, m.registration.asset_id or "")
    )
    verdict = worst(*(f.verdict for f in findings), *(m.verdict for m in matches))
    return CheckOutcome(verdict, tuple(findings), tuple(matches))
