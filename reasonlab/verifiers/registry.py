"""The verifier registry: the names items write in their ``verifier`` field, the factory behind
each, the ``meta.verify`` options each reads, and the entry-point group through which packages
above this layer (the judges) and third-party packages register theirs. The bottom of
``reasonlab.verifiers``: it imports nothing of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reasonlab.core.errors import ConfigError


class OptionsError(ConfigError):
    """An item's ``meta.verify`` holds a key no verifier of its spec reads, or a value of the
    wrong type: that item's ``error`` verdict (or, when items are loaded, a located refusal)."""


@dataclass(frozen=True)
class NoOptions:
    """The per-item options of a verifier that reads none (``format``)."""


_FACTORIES: dict[str, Callable[[], Any]] = {}
_OPTIONS: dict[str, type] = {}
_ANY_ITEM: set[str] = set()


def register_verifier(name: str, factory: Callable[[], Any],
                      options: type | None = None, *, any_item: bool = False) -> None:
    """Register a verifier under the name items put in their ``verifier`` field. ``options`` is
    the dataclass of the ``meta.verify`` keys it reads (default: the factory's
    ``options_type``), so that items can be checked without building the verifier.
    ``any_item``: it also runs on items whatever their own verifier (the judge: ``reasonlab
    judge``, a judge reward), so its keys are allowed in every item's ``meta.verify``."""
    if name in _FACTORIES:
        raise ValueError(f"verifier {name!r} is already registered")
    if not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"verifier name {name!r} must be alphanumeric (with - or _)")
    _FACTORIES[name] = factory
    _OPTIONS[name] = options or getattr(factory, "options_type", NoOptions)
    if any_item:
        _ANY_ITEM.add(name)


def any_item_verifiers() -> list[str]:
    """Verifiers whose ``meta.verify`` keys every item may carry (see ``register_verifier``)."""
    load_plugins()
    return sorted(_ANY_ITEM)


def options_type(name: str) -> type | None:
    """The options dataclass of the verifier registered as ``name``; None for an unknown name."""
    if name not in _FACTORIES:
        load_plugins()
    return _OPTIONS.get(name)


# Packages above this layer (the judges) and third-party packages register verifiers by
# declaring an entry point in this group; loading the entry point imports the package, whose
# import registers its verifiers. Nothing here imports them by name.
PLUGIN_GROUP = "reasonlab.verifiers"
_plugins_loaded = False


def load_plugins() -> None:
    """Import every package that declares a ``reasonlab.verifiers`` entry point (once)."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from importlib.metadata import entry_points

    global _plugins_declared
    points = entry_points(group=PLUGIN_GROUP)
    _plugins_declared = len(points)
    for point in points:
        if point.name not in _FACTORIES:
            point.load()


_plugins_declared = 0


def unknown_verifier(name: str) -> ConfigError:
    """The error for a name no verifier is registered under; says how to fix a missing install
    when not even reasonlab's own judge is declared (a checkout run without ``pip install``)."""
    hint = ("" if _plugins_declared else "; no package declares a 'reasonlab.verifiers' entry "
            "point, not even reasonlab's own judge: install reasonlab (pip install -e .)")
    return ConfigError(f"unknown verifier {name!r}; known: {', '.join(verifier_names())}{hint}",
                       field="verifier")


def verifier_names() -> list[str]:
    load_plugins()
    return sorted(_FACTORIES)


def make_verifier(name: str) -> Any:
    """A new instance of the verifier registered as ``name`` (a ``base.Verifier``)."""
    if name not in _FACTORIES:
        load_plugins()
    if name not in _FACTORIES:
        raise unknown_verifier(name)
    return _FACTORIES[name]()
