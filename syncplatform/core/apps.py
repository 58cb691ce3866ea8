from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "syncplatform.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        # Connects the beat_init handler that keeps a second beat in standby.
        from . import locks  # noqa: F401
