"""Early warning on the live book: a behaviour score, signals and risk tiers that order the call list."""
