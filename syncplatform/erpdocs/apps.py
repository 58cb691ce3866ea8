from django.apps import AppConfig


class ErpdocsConfig(AppConfig):
    name = "syncplatform.erpdocs"
    label = "erpdocs"
    verbose_name = "ERP documents (IDocs)"

    def ready(self):
        # Fulfilment announces shipments and stock reports; it does not know this app.
        from . import receivers

        receivers.connect()
