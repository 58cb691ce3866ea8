from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "syncplatform.console"
    label = "console"
    verbose_name = "Operations console"

    def ready(self):
        from . import receivers

        receivers.connect()
