"""A realistic synthetic lease book with labelled fraud and defaults, seeded and reproducible."""

from leaseguard.synth.book import BookSummary, SynthParameters, generate_book

__all__ = ["BookSummary", "SynthParameters", "generate_book"]
