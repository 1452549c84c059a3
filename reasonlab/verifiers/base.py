"""The verifier interface, and ``safe_check``, which runs one verifier on one item so that a
crash or an unreadable ``meta.verify`` is an ``error`` verdict. The registry that maps an
item's ``verifier`` field to a verifier is ``registry.py``; its names are re-exported here."""

from __future__ import annotations

import traceback
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from reasonlab.core.item import Item
from reasonlab.core.verdict import Verdict, error
from reasonlab.verifiers.options import verify_options
from reasonlab.verifiers.registry import (  # noqa: F401  (the registry, re-exported here)
    _ANY_ITEM,
    _FACTORIES,
    _OPTIONS,
    NoOptions,
    OptionsError,
    any_item_verifiers,
    load_plugins,
    make_verifier,
    options_type,
    register_verifier,
    unknown_verifier,
    verifier_names,
)


class Verifier(ABC):
    """Turns (item, completion) into a Verdict. ``check`` may raise: callers go through
    ``verify``/``verify_many``, which turn any exception into an ``error`` verdict."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    # The dataclass of the ``meta.verify`` keys this verifier reads (see verifiers/options.py).
    options_type: ClassVar[type] = NoOptions

    @abstractmethod
    def check(self, item: Item, completion: str) -> Verdict:
        ...

    def check_many(self, pairs: Sequence[tuple[Item, str]]) -> list[Verdict]:
        """Batch entry point; verifiers with start-up or parallelism (math, code) override it."""
        return [safe_check(self, item, completion) for item, completion in pairs]

    def versions(self) -> dict[str, str]:
        return {self.name: self.version}

    def close(self) -> None:  # noqa: B027  (optional hook, not abstract)
        """Release pools or connections; a closed verifier may be reopened lazily."""


def safe_check(verifier: Verifier, item: Item, completion: str) -> Verdict:
    """A crash is an ``error`` verdict naming the exception, never a silent ``wrong``; so are
    ``meta.verify`` options the verifier cannot read, even by one that reads none."""
    try:
        verify_options(item, verifier.options_type)
        verdict = verifier.check(item, completion)
    except OptionsError as exc:
        return error(item.id, f"{verifier.name} verifier: {exc}")
    except Exception as exc:  # noqa: BLE001  (the whole point: report, don't propagate)
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return error(item.id, f"{verifier.name} verifier crashed: {type(exc).__name__}: {exc} "
                              f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno})")
    if not isinstance(verdict, Verdict):
        return error(item.id, f"{verifier.name} verifier returned {type(verdict).__name__}, "
                              "not a Verdict")
    return verdict


__all__ = ["NoOptions", "OptionsError", "Verifier", "any_item_verifiers", "load_plugins",
           "make_verifier", "options_type", "register_verifier", "safe_check",
           "unknown_verifier", "verifier_names"]
