"""The asset register and the ownership check: identifiers validated and normalised, exact and near-duplicate
matches across every lessor, invoice reuse and price anomalies; one asset in milliseconds, a book in a batch."""
