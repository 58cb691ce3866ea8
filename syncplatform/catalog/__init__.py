"""Catalog: the ERP's material master and prices, listed and published to channels, with available-to-sell stock."""
