"""Plain attribute reads for the domain's models while a backtest runs (CPython only).

pydantic's ``BaseModel`` defines ``__getattr__`` (it serves private attributes and extra fields),
so CPython gives every model class the slot that, on each attribute read, looks ``__getattr__``
and ``__getattribute__`` up on the class before the generic read, and its interpreter never
specialises a read of a model's field (``LOAD_ATTR`` needs the generic slot): a field read costs
about 24 ns instead of 7. A backtest of 100,000 tickets reads fields tens of millions of times.

The domain's models (``rules.*``) have no private attributes and refuse extra fields, so for them
pydantic's ``__getattr__`` is reached only for a name that is not there, and then raises the same
``AttributeError`` as the generic read. :func:`plain_attribute_reads` gives those classes the
generic slot (``PyObject_GenericGetAttr``, what a plain class has) for the length of a ``with``
block and puts pydantic's back after. Every class is checked first (no private attributes, no
extra fields, no ``__getattr__`` or ``__getattribute__`` of its own, the slot is the one any
class with a Python ``__getattr__`` gets); anything unexpected (another Python, a slot not where
it is found on ``object``) leaves every class as it is. ``ESCALATION_SYNC_MODEL_READS=pydantic``
turns it off. Reads only get faster: what a read returns or raises does not change.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel

OFF = "ESCALATION_SYNC_MODEL_READS"


class _Plain:
    pass


class _Hooked:
    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


def _slot(ctypes: Any, generic: int) -> int | None:
    """The offset of ``tp_getattro`` in a type object: where ``object`` and a plain class hold the
    generic read and a class with ``__getattr__`` holds something else."""
    size = ctypes.sizeof(ctypes.c_void_p)
    for offset in range(3 * size, 48 * size, size):
        def at(cls: type, offset: int = offset) -> int | None:
            return ctypes.c_void_p.from_address(id(cls) + offset).value  # type: ignore[no-any-return]
        if at(object) == generic and at(_Plain) == generic and at(_Hooked) not in (generic, None):
            return offset
    return None


def _models() -> list[type[BaseModel]]:
    seen: dict[type[BaseModel], None] = {}
    todo = list(BaseModel.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen[cls] = None
            todo.extend(cls.__subclasses__())
    return [c for c in seen if c.__module__.split(".")[0] == "rules"]


def _eligible(cls: type[BaseModel]) -> bool:
    return (not cls.__private_attributes__ and cls.model_config.get("extra") != "allow"
            and cls.__getattr__ is BaseModel.__getattr__  # type: ignore[attr-defined]
            and cls.__getattribute__ is object.__getattribute__)


@contextmanager
def plain_attribute_reads() -> Iterator[int]:
    """Within the block, the domain's model classes read attributes as plain classes do; yields
    how many classes (0: left as they are)."""
    cells = _patch()
    try:
        yield len(cells)
    finally:
        _set(cells)


def _patch() -> list[tuple[type, Any, int | None]]:
    """Each class given the generic read: its class, its slot, and what the slot held."""
    if os.environ.get(OFF) == "pydantic" or sys.implementation.name != "cpython":
        return []
    try:
        import ctypes

        generic = ctypes.cast(ctypes.pythonapi.PyObject_GenericGetAttr, ctypes.c_void_p).value
    except (ImportError, AttributeError, ValueError):  # pragma: no cover - not CPython's C API
        return []
    offset = _slot(ctypes, generic) if generic else None
    if offset is None:  # pragma: no cover - an unknown layout: leave everything alone
        return []
    hooked = ctypes.c_void_p.from_address(id(_Hooked) + offset).value
    cells = [(cls, ctypes.c_void_p.from_address(id(cls) + offset)) for cls in _models() if _eligible(cls)]
    changed = [(cls, cell, cell.value) for cls, cell in cells if cell.value == hooked]
    _set([(cls, cell, generic) for cls, cell, _ in changed])
    return changed


def _set(cells: list[tuple[type, Any, int | None]]) -> None:
    if not cells:
        return
    import ctypes

    for cls, cell, value in cells:
        cell.value = value
        ctypes.pythonapi.PyType_Modified(ctypes.py_object(cls))  # (the interpreter's caches of the class)
