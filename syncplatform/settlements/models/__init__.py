"""Payout files imported per channel, their lines, and the column mapping per channel."""

from .formats import SettlementFormat
from .imports import SettlementImport, SettlementLine

__all__ = ["SettlementFormat", "SettlementImport", "SettlementLine"]
