"""Pre-loan credit decisions: verification, multi-head-lending features, a scorecard and a LightGBM model
with reasons, analyst-owned policy rules in CEL, and population-stability monitoring."""

from leaseguard.credit.errors import CreditError

__all__ = ["CreditError"]
