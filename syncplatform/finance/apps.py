from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


class FinanceConfig(AppConfig):
    name = "syncplatform.finance"
    label = "finance"
    verbose_name = "Finance reconciliation"

    def ready(self):
        # Every channel gets its daily report's beat row; partners do not know this app.
        from .services.schedules import on_migrated, on_partner_saved

        post_save.connect(on_partner_saved, sender="partners.Partner", dispatch_uid="finance-daily")
        post_migrate.connect(on_migrated, sender=self)
