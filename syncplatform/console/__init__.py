"""The operations console: dashboard, failures by cause, alerts and metrics over the domain apps."""
