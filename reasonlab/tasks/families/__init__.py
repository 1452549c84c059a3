"""Built-in procedural families. Each module registers its families with ``@register``."""

from reasonlab.tasks.families import (  # noqa: F401  (importing registers the families)
    algebra,
    algorithmic,
    arithmetic,
    code,
    countdown,
    graphs,
    knights,
    logic,
    number_theory,
    strings,
)
