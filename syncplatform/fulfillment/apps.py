from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "syncplatform.fulfillment"
    label = "fulfillment"
    verbose_name = "Fulfillment (3PL)"
