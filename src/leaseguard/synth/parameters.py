"""The knobs of the synthetic book: shares, rates and risk weights, as data rather than buried constants."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SynthParameters:
    """The shape of the book. Fraud rates are shares of all contracts; risk weights act on log-odds."""

    # Lessees
    enterprise_share: float = 0.65
    contracts_per_lessee: float = 1.6  # fleets: one lessee finances several assets
    fleet_size_sd: float = 0.7  # spread (log-normal) of how many contracts an enterprise takes
    group_share: float = 0.3  # enterprises that belong to a group of affiliated companies
    home_lessor_share: float = 0.8  # contracts a lessee takes at its usual lessor
    public_hospital_share: float = 0.4  # hospitals that are public institutions (USCC "12…")
    # Contracts
    years_of_history: int = 4
    terms: tuple[int, ...] = (12, 24, 36, 48, 60)
    term_shares: tuple[float, ...] = (0.1, 0.25, 0.35, 0.15, 0.15)
    quarterly_share: float = 0.15
    equal_principal_share: float = 0.3
    sale_leaseback_share: float = 0.7
    residual_value_share: float = 0.3  # contracts with a residual value (balloon) of 1-10 % of the principal
    deposit_rates: tuple[float, ...] = (0.0, 0.05, 0.1)
    related_party_share: float = 0.02
    financed_share: tuple[float, float] = (0.5, 0.9)  # principal / invoice amount
    base_rate: float = 0.062  # annual rate of an average-risk lessee; riskier lessees are priced higher
    rate_per_logit: float = 0.01
    rate_noise_sd: float = 0.006
    # Fraud
    duplicate_rate: float = 0.01  # the same asset financed again at another lessor
    affiliated_duplicate_share: float = 0.2  # duplicates taken out by an affiliated company
    alteration_count_shares: tuple[float, ...] = (0.15, 0.45, 0.4)  # 0, 1 or 2 alterations of the identifier
    engine_no_altered_share: float = 0.25
    engine_no_dropped_share: float = 0.25
    forged_invoice_share: float = 0.6  # duplicates shown with a forged invoice rather than the original
    reused_invoice_rate: float = 0.003
    same_lessor_reuse_share: float = 0.3  # a reused invoice behind two assets at one lessor
    inflated_invoice_rate: float = 0.003
    inflation_factor: tuple[float, float] = (1.8, 3.2)
    # Defaults: log-odds of defaulting at some point of the lease
    default_intercept: float = -2.9
    individual_risk: float = 0.45
    leverage_risk: float = 3.0  # per unit of principal / invoice amount above 0.7
    term_risk_per_month: float = 0.015
    sale_leaseback_risk: float = 0.35
    hidden_risk_sd: float = (
        1.2  # lessee risk no column shows: keeps defaults from being trivially predictable
    )
    contract_noise_sd: float = 0.3
    fraudster_risk: float = 1.0  # added to both contracts of a duplicate financing: its lessee is in trouble
    # Work-out of defaults: the share of defaulters who clear their arrears and pay on, and when (months after
    # the first missed rent). The others stay in arrears: with these, a lessor's non-performing ratio on the
    # book date is in the low single digits, as real leasing companies report.
    cure_share: float = 0.92
    cure_after_months: tuple[int, int] = (2, 7)
    # Paying behaviour
    late_share: tuple[float, float] = (0.04, 0.6)  # chance an instalment is paid late: base + slope × risk
    split_payment_share: float = 0.02  # instalments paid in two parts
    last_partial_share: float = 0.35  # defaulters who pay part of the instalment they then default on
    stub_share: float = 0.05  # contracts whose first rent falls due up to 15 days off one period after start
    reversal_share: float = 0.003  # payments reversed (a bounced transfer) a few days later, then paid again
    restructured_share: float = (
        0.25  # defaulted contracts restructured 1-5 months after the first missed rent
    )
    valued_share: float = 0.2  # assets with a disposal valuation; every defaulted contract's asset is valued

    @classmethod
    def stressed(cls) -> SynthParameters:
        """A harsher book (`leaseguard synth --stress`): more defaults, fewer worked out, and later."""
        return cls(default_intercept=-2.4, cure_share=0.55, cure_after_months=(4, 14))
