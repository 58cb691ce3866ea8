from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "syncplatform.fulfillment"
    label = "fulfillment"
    verbose_name = "Fulfillment (3PL)"

    def ready(self):
        from syncplatform.audit.choices import TransactionKind
        from syncplatform.audit.dispatch import register_kind

        register_kind(
            TransactionKind.EDI_940_OUT, "syncplatform.fulfillment.tasks.upload_interchange_task"
        )
        register_kind(
            TransactionKind.EDI_997_OUT, "syncplatform.fulfillment.tasks.upload_interchange_task"
        )
        for kind in (
            TransactionKind.EDI_945_IN,
            TransactionKind.EDI_846_IN,
            TransactionKind.EDI_997_IN,
            TransactionKind.EDI_FILE_IN,
        ):
            register_kind(kind, "syncplatform.fulfillment.tasks.apply_inbound_file_task")
        register_kind(TransactionKind.EDI_POLL, "syncplatform.fulfillment.tasks.retry_poll_task")
        register_kind(
            TransactionKind.EDI_997_OVERDUE,
            "syncplatform.fulfillment.tasks.check_acknowledgment_task",
        )
