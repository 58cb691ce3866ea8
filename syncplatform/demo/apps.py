from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data of ``make run`` (``manage.py load_demo``): above every domain app."""

    name = "syncplatform.demo"
    label = "demo"
    verbose_name = "Demo data"
