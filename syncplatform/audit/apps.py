from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "syncplatform.audit"
    label = "audit"
    verbose_name = "Audit"
