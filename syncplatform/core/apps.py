from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "syncplatform.core"
    label = "core"
    verbose_name = "Core"
