from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules


class AuditConfig(AppConfig):
    name = "syncplatform.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self):
        # Apps declare their transaction kinds, documents and schedules next to the
        # services that handle them (see registry): loading those declares them.
        autodiscover_modules("services")
        from .schedules import ensure_declared_rows

        post_migrate.connect(ensure_declared_rows, sender=self)
