from django.apps import AppConfig


class MappingsConfig(AppConfig):
    name = "syncplatform.mappings"
    label = "mappings"
    verbose_name = "Mappings"
