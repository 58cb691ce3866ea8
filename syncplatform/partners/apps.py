from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "syncplatform.partners"
    label = "partners"
    verbose_name = "Partners"
