"""Built-in procedural families. Every module of this package is imported here, and each
registers its families with ``@register``: adding a family is adding one module."""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
