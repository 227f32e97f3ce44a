"""Portfolio analytics of the daily book: vintage curves, roll rates, class migration, NPL ratios, charts."""
