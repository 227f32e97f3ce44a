"""A realistic synthetic lease book with labelled fraud and defaults, seeded and reproducible."""

from leaseguard.synth.book import BookSummary, generate_book
from leaseguard.synth.parameters import SynthParameters

__all__ = ["BookSummary", "SynthParameters", "generate_book"]
