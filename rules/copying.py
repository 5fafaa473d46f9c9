"""Copying and building immutable models without validating what is already valid.

A backtest of 100,000 tickets makes about two million model values: the state after each event,
each event, each ticket's facts. pydantic's ``model_copy`` (a generic shallow copy through
``copy.copy``) and validation of values taken from models already validated were a third of
its time. These do the same thing for the domain's models (``rules.models.Frozen``: no extra
keys, no private attributes), directly.

Only for values that are already of the fields' types: nothing here checks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_new = object.__new__  # (pydantic's models define no ``__new__``)
# the setters of the instance's dict and of pydantic's slots, called directly (``object.__setattr__`` finds
# them by name on every call: a model is made or copied about a million times in a backtest)
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_fields = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def replace(model: M, update: Mapping[str, Any]) -> M:
    """``model.model_copy(update=update)``, for a frozen model with no extra or private values."""
    new = _new(type(model))
    _set_dict(new, {**model.__dict__, **update})
    _set_extra(new, None)
    fields_set = model.__pydantic_fields_set__  # shared when it holds the keys already (most updates):
    # pydantic copies it before changing it (``model_copy``)
    _set_fields(new, fields_set if update.keys() <= fields_set else fields_set | update.keys())
    _set_private(new, None)
    return new


_MISSING: Any = object()
_TEMPLATES: dict[type[BaseModel], tuple[dict[str, Any], frozenset[str]]] = {}


def _template(cls: type[BaseModel]) -> tuple[dict[str, Any], frozenset[str]]:
    """Every field in declaration order (pydantic serialises in the order of ``__dict__``) with
    its default when that can be shared (tuples, None, strings, numbers, frozen models), and the
    fields that must be given."""
    given = frozenset(name for name, f in cls.model_fields.items() if f.default_factory is not None
                      or f.is_required() or isinstance(f.default, dict | list | set))
    return {name: _MISSING if name in given else f.default for name, f in cls.model_fields.items()}, given


def build(cls: type[M], **values: Any) -> M:
    """``cls.model_construct(**values)`` for values already valid; the unset fields take their
    defaults. A field whose default is mutable (a dict) or made by a factory must be given.
    """
    known = _TEMPLATES.get(cls)
    if known is None:
        known = _TEMPLATES[cls] = _template(cls)
    template, given = known
    data = template.copy()
    data.update(values)
    if len(data) != len(template) or not values.keys() >= given:
        raise TypeError(f"{cls.__name__}: missing or unknown fields in {sorted(values)}")
    return _made(cls, data, set(values))


def assemble(cls: type[M], values: dict[str, Any]) -> M:
    """A model of ``values`` as they are: every field given, in declaration order, already valid.

    :func:`build` without its template and its check, for the few models made once per event
    by code that names every field (``rules.book_stream``'s events, the multi-customer hits).
    ``values`` becomes the model's own: the caller must not keep it.
    """
    return _made(cls, values, set(values))


def _made(cls: type[M], data: dict[str, Any], fields_set: set[str]) -> M:
    """The model holding ``data`` as its fields, made without validation (pydantic's own slots)."""
    new = _new(cls)
    _set_dict(new, data)
    _set_extra(new, None)
    _set_fields(new, fields_set)
    _set_private(new, None)
    return new
