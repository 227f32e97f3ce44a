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

from leaseguard.registry.identifiers import is_valid_vin
from leaseguard.registry.normalize import (
    Edit,
    EditKind,
    normalize_identifier,
    normalize_name,
    ocr_fold,
    single_edit,
)
from leaseguard.registry.rules import RegistryRules


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
    reason: str


@dataclass(frozen=True)
class Match:
    """One registration that is, or may be, the asked-about asset, with why."""

    registration: AssetFacts
    match_kind: str
    verdict: Verdict
    score: float
    identifiers: tuple[IdentifierMatch, ...]
    same_lessee: bool | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Finding:
    """Something about the asked-about asset itself: an invalid identifier, a price out of range."""

    code: str
    verdict: Verdict
    field: str | None
    reason: str


@dataclass(frozen=True)
class CheckOutcome:
    verdict: Verdict
    findings: tuple[Finding, ...] = ()
    matches: tuple[Match, ...] = field(default_factory=tuple)

    @property
    def reasons(self) -> list[str]:
        return [f.reason for f in self.findings] + [r for m in self.matches for r in m.reasons]


_SAME_IDENTIFIER = {EditKind.IDENTICAL, EditKind.NOISE, EditKind.OCR}
_SCORE = {Strength.NONE: 0.0, Strength.WEAK: 0.4, Strength.LIKELY: 0.8, Strength.STRONG: 1.0}


def _describe(edit: Edit) -> str:
    where = f" at position {edit.position + 1}" if edit.position is not None else ""
    return {
        EditKind.IDENTICAL: "identical",
        EditKind.NOISE: "identical once case, width, spaces and hyphens are ignored",
        EditKind.OCR: "identical once OCR-confusable characters are folded",
        EditKind.SUBSTITUTION: f"one character changed{where}",
        EditKind.DELETION: f"one character dropped{where}",
        EditKind.INSERTION: f"one character added{where}",
        EditKind.TRANSPOSITION: f"neighbouring characters swapped{where}",
    }[edit.kind]


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
        return IdentifierMatch("vin", edit.kind, Strength.STRONG, f"VIN {_describe(edit)}")
    asked_valid = is_valid_vin(normalize_identifier(asked))
    registered_valid = is_valid_vin(normalize_identifier(registered))
    in_serial = edit.position is not None and edit.position + 1 in rules.vin_serial_positions
    if asked_valid and registered_valid and edit.kind is EditKind.SUBSTITUTION and in_serial:
        return IdentifierMatch(
            "vin",
            edit.kind,
            Strength.WEAK,
            f"VIN {_describe(edit)} in the production sequence; both check digits hold (a neighbouring vehicle?)",
        )
    broken = (
        "the asked VIN's check digit fails" if not asked_valid else "the registered VIN's check digit fails"
    )
    if asked_valid and registered_valid:
        broken = "outside the production sequence"
    return IdentifierMatch("vin", edit.kind, Strength.LIKELY, f"VIN {_describe(edit)}; {broken}")


def compare_sequenced(name: str, asked: str, registered: str) -> IdentifierMatch | None:
    """Serial and engine numbers: no check digit, so only the shape of the difference speaks."""
    edit = single_edit(asked, registered)
    if edit is None:
        return None
    label = name.replace("_", " ")
    if edit.kind in _SAME_IDENTIFIER:
        return IdentifierMatch(name, edit.kind, Strength.STRONG, f"{label} {_describe(edit)}")
    # The counter is read on the unfolded form: OCR folding turns letters such as D or G into digits.
    counter_start = trailing_counter_start(normalize_identifier(registered))
    if (
        edit.kind in (EditKind.SUBSTITUTION, EditKind.TRANSPOSITION)
        and edit.position is not None
        and edit.position >= counter_start
        and ocr_fold(asked)[edit.position].isdigit()
    ):
        return IdentifierMatch(
            name,
            edit.kind,
            Strength.WEAK,
            f"{label} {_describe(edit)} in the production counter (a neighbour?)",
        )
    return IdentifierMatch(
        name, edit.kind, Strength.LIKELY, f"{label} {_describe(edit)}, not as production numbering differs"
    )


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
                label = "VIN" if name == "vin" else name.replace("_", " ")
                identifiers.append(
                    IdentifierMatch(
                        name, EditKind.SUBSTITUTION, Strength.LIKELY, f"{label} two characters apart"
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
    reasons = [m.reason for m in identifiers]
    where = f"registered by {registered.lessor}" + (
        f" on {registered.registered_at.isoformat()}" if registered.registered_at else ""
    )

    if strength is Strength.STRONG or (strength is Strength.LIKELY and corroborated):
        assert strongest is not None
        active = registered.financing_active is not False
        verdict = Verdict.BLOCK if active else Verdict(rules.ended_financing_verdict)
        kind = f"{strongest.field}_{'exact' if strongest.strength is Strength.STRONG else 'near'}"
        reasons.append(f"the same asset is {where}, financing {'active' if active else 'ended'}")
        if same_lessee is False:
            reasons.append("registered to a different lessee")
    elif strength is Strength.LIKELY:
        verdict, kind = Verdict.REVIEW, f"{strongest.field}_near" if strongest else "near"
        reasons.append(f"probably the same asset, {where}")
    elif strength is Strength.WEAK and corroborated:
        verdict, kind = Verdict.REVIEW, f"{strongest.field}_near" if strongest else "near"
        reasons.append(f"a neighbouring identifier {where} with the same invoice or purchase contract")
    elif same_invoice:
        verdict, kind = Verdict.REVIEW, "invoice_reused"
    elif purchase_contract_elsewhere:
        verdict, kind = Verdict.REVIEW, "purchase_contract_reused"
        reasons.append(
            f"purchase contract {asked.purchase_contract_no} already stands behind an asset {where}"
        )
    else:
        return None

    if same_invoice and kind != "invoice_reused":
        reasons.append("the same invoice")
    if same_purchase_terms:
        reasons.append("the same model, invoice date and invoice amount")
    if same_invoice and strength < Strength.LIKELY:
        # One VAT invoice behind two different assets is reuse; across lessors it is the classic double pledge.
        kind = "invoice_reused"
        verdict = worst(verdict, Verdict.BLOCK if registered.lessor != asked.lessor else Verdict.REVIEW)
        reasons.append(
            f"invoice {asked.invoice_code or ''}/{asked.invoice_no} already stands behind another asset"
        )
    score = min(1.0, _SCORE[strength] + (0.3 if same_invoice else 0.0) + (0.1 if same_lessee else 0.0))
    return Match(registered, kind, verdict, round(score, 3), tuple(identifiers), same_lessee, tuple(reasons))


_INVOICE_NUMBER_SHAPES = ((8, (10, 12)), (20, (0,)))


def identifier_findings(asked: AssetFacts) -> list[Finding]:
    """What is wrong with the asked-about asset's own identifiers: a finding each, never an exception."""
    findings: list[Finding] = []
    vin = normalize_identifier(asked.vin)
    if asked.asset_type == "vehicle" and not vin:
        findings.append(Finding("vin_missing", Verdict.REVIEW, "vin", "a vehicle without a VIN"))
    elif vin and not is_valid_vin(vin):
        findings.append(
            Finding(
                "vin_invalid", Verdict.REVIEW, "vin", f"VIN {asked.vin!r} is not a valid 17-character VIN"
            )
        )
    if asked.asset_type not in (None, "vehicle") and not normalize_identifier(asked.serial_no):
        findings.append(
            Finding("serial_missing", Verdict.REVIEW, "serial_no", "an asset without a serial number")
        )
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
                Finding(
                    "invoice_malformed",
                    Verdict.REVIEW,
                    "invoice_no",
                    "invoice number is neither 8 digits with a 10/12-digit code nor a 20-digit digital invoice",
                )
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
    return Finding(
        "price_out_of_range",
        Verdict.REVIEW,
        "invoice_amount",
        f"invoice amount is {ratio:.2f}× the median of {reference.peers} registered {asked.manufacturer or ''} "
        f"{asked.model or ''} ({direction} the plausible range)".replace("  ", " "),
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
