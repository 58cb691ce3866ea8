"""The operations console: dashboard, failures grouped by cause, alerts and metrics over every domain app."""
