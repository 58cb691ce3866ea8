from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "syncplatform.console"
    label = "console"
    verbose_name = "Operations console"

    def ready(self):
        # alerts declares the digest's transaction kind and schedule next to their code.
        from . import alerts, receivers  # noqa: F401

        receivers.connect()
