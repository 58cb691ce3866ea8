"""The IDoc types the ERP sends us: one module each, declared against ``IDOC_FILES``.

Every module in this package is loaded with the app's services, so a new
type is one new module here with its declaration.
"""

import importlib
import pkgutil


def load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
