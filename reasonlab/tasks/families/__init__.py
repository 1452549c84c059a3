"""Built-in procedural families. Each module registers its families with ``@register``."""

from reasonlab.tasks.families import arithmetic  # noqa: F401
