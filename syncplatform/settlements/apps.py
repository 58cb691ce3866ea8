from django.apps import AppConfig


class SettlementsConfig(AppConfig):
    name = "syncplatform.settlements"
    label = "settlements"
    verbose_name = "Channel settlements"
