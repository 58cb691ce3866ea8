from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "syncplatform.orders"
    label = "orders"
    verbose_name = "Orders"

    def ready(self):
        from syncplatform.audit.choices import TransactionKind
        from syncplatform.audit.dispatch import register_kind

        register_kind(TransactionKind.ERP_ORDER_POST, "syncplatform.orders.tasks.post_order_task")
