from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "syncplatform.catalog"
    label = "catalog"
    verbose_name = "Catalog (materials, prices, listings)"
