from django.apps import AppConfig


class AvailabilityConfig(AppConfig):
    name = "syncplatform.availability"
    label = "availability"
    verbose_name = "Available to sell"

    def ready(self):
        # Fulfilment and orders announce stock, orders and shipments; they do not know this app.
        from . import receivers

        receivers.connect()
