from django.db import models


class Direction(models.TextChoices):
    INBOUND = "in", "Inbound (from the warehouse)"
    OUTBOUND = "out", "Outbound (to the warehouse)"


class InterchangeState(models.TextChoices):
    PENDING = "pending", "Pending upload"
    SENT = "sent", "Sent"
    RECEIVED = "received", "Received"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"
    DUPLICATE = "duplicate", "Duplicate (skipped)"


class AckState(models.TextChoices):
    NOT_EXPECTED = "not_expected", "Not expected"
    PENDING = "pending", "Awaiting 997"
    ACCEPTED = "accepted", "Accepted"
    PARTIALLY_ACCEPTED = "partially_accepted", "Partially accepted"
    REJECTED = "rejected", "Rejected"
    OVERDUE = "overdue", "997 overdue"


class ShippingOrderStatus(models.TextChoices):
    PENDING = "pending", "Pending upload"
    SENT = "sent", "Sent to warehouse"
    ACCEPTED = "accepted", "Accepted by warehouse"
    REJECTED = "rejected", "Rejected by warehouse"
    PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
    SHIPPED = "shipped", "Shipped"


# Transaction kinds this app owns; each is declared with its handler in services.
EDI_940_OUT = "edi.940.out"
EDI_997_OUT = "edi.997.out"
EDI_945_IN = "edi.945.in"
EDI_846_IN = "edi.846.in"
EDI_997_IN = "edi.997.in"
EDI_FILE_IN = "edi.file.in"
EDI_997_OVERDUE = "edi.997.overdue"
EDI_POLL = "edi.inbound.poll"
