from django.apps import AppConfig


class AvailabilityConfig(AppConfig):
    name = "syncplatform.availability"
    label = "availability"
    verbose_name = "Available to sell"
