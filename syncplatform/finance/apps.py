from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "syncplatform.finance"
    label = "finance"
    verbose_name = "Finance reconciliation"
