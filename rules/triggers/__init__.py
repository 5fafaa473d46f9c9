"""The trigger registry: every :class:`TriggerKindBase` subclass in this package's modules.

Adding a kind is one new module here (its class, and its config model as ``config_model`` with
defaults) and nothing else: the registry finds it, the rules file accepts its section under
``triggers``, severity and tier come from that section, and sponsor and merge behaviour from the
class. Then ``escalation-sync config-schema > rules/config.schema.json`` republishes the schema.
Kinds run in ``order`` (``repeat`` last: it reads what the others found), then by name.
"""

from __future__ import annotations

import importlib
import pkgutil

from rules.config import TriggerConfig
from rules.triggers.base import Context, TriggerKindBase

BUILT_IN = ("keyword", "ticket_burst", "health_drop", "executive_flag", "ceo_email", "social", "repeat")


def discover() -> tuple[TriggerKindBase, ...]:
    """Import every module of the package and collect one instance of each concrete kind."""
    found: dict[str, TriggerKindBase] = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name == "base":
            continue
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        for value in vars(loaded).values():
            if (isinstance(value, type) and issubclass(value, TriggerKindBase) and "kind" in vars(value)
                    and value.__module__ == loaded.__name__):
                found[value.kind] = value()
    return tuple(sorted(found.values(), key=lambda k: (k.order, BUILT_IN.index(k.kind) if k.kind in BUILT_IN
                                                        else len(BUILT_IN), k.kind)))


REGISTRY: tuple[TriggerKindBase, ...] = ()
_BY_NAME: dict[str, TriggerKindBase] = {}


def refresh() -> tuple[TriggerKindBase, ...]:
    """Look for kinds again (after a module was added to the package's path, as a test does)."""
    global REGISTRY, _BY_NAME
    REGISTRY = discover()
    _BY_NAME = {k.kind: k for k in REGISTRY}
    return REGISTRY


def kind_of(name: str) -> TriggerKindBase:
    """The kind of a trigger by its name (a kind no longer present behaves as the base)."""
    return _BY_NAME.get(name) or _FALLBACK


def added_kinds() -> dict[str, type[TriggerConfig]]:
    """Kinds beside the built-in config sections, with their config models."""
    return {k.kind: k.config_model for k in REGISTRY if k.kind not in BUILT_IN and k.config_model is not None}


_FALLBACK = TriggerKindBase()
refresh()

__all__ = ["REGISTRY", "Context", "TriggerKindBase", "kind_of", "refresh", "added_kinds"]
