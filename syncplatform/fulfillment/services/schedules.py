"""Beat schedules per warehouse, editable afterwards in the admin (Periodic tasks)."""

from syncplatform.audit.schedules import ensure_partner_schedules

from ..choices import EDI_940_OUT, EDI_POLL


def ensure_warehouse_schedules(
    partner, *, send_every: int | None = None, poll_every: int | None = None
) -> None:
    """Create the 940 send and inbound poll schedules of a warehouse if missing.

    The intervals default to the declared ones; existing schedules are left as
    operations edited them.
    """
    overrides = {EDI_940_OUT: send_every, EDI_POLL: poll_every}
    ensure_partner_schedules(
        partner, every_seconds={key: every for key, every in overrides.items() if every}
    )
