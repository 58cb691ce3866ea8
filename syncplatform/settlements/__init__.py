"""Settlements: payment providers' payout files, imported per channel and matched to orders."""
