from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "syncplatform.orders"
    label = "orders"
    verbose_name = "Orders"
