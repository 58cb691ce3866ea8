"""Catalog: the ERP's materials and prices, listed and published to channels."""
