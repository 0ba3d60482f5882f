"""``direct_init``: a frozen slots dataclass built at the cost of a plain one.

A frozen dataclass's generated ``__init__`` stores each field with ``object.__setattr__(self, name, value)``: a
global lookup, an attribute lookup and a call that looks the name up again, per field. The IR makes one object per
Mapping, resource, route and group, tens of thousands per full compile, so that is a visible part of compiling.
``direct_init`` replaces ``__init__`` with one of the same signature that stores each field through its slot's
descriptor, which needs no name lookup and bypasses the frozen ``__setattr__`` just the same. Everything else is the
dataclass's own: equality, hashing, ``repr``, ``dataclasses.replace``, and assignment still raising
``FrozenInstanceError``.

    @direct_init
    @dataclass(frozen=True, slots=True)
    class PathMatch: ...
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

__all__ = ["direct_init", "DERIVED"]

T = TypeVar("T")
DERIVED = {"derived": True}  # dataclass field metadata: computed from other fields, left out of the IR JSON


def direct_init(cls: type[T]) -> type[T]:
    """Give the frozen slots dataclass ``cls`` an ``__init__`` that stores fields through their slot descriptors."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} must be a frozen dataclass with slots")
    namespace: dict[str, Any] = {"_UNSET": _UNSET}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for i, f in enumerate(dataclasses.fields(cls)):  # type: ignore[arg-type]  # checked above
        namespace[f"_set{i}"] = cls.__dict__[f.name].__set__
        default = _default(f, i, namespace)
        if not f.init:
            if default is not None:
                body.append(f"    _set{i}(self, {default})")
            continue
        if f.default_factory is not dataclasses.MISSING:
            (keyword if f.kw_only else positional).append(f"{f.name}=_UNSET")
            body.append(f"    _set{i}(self, {default} if {f.name} is _UNSET else {f.name})")
            continue
        (keyword if f.kw_only else positional).append(f.name if default is None else f"{f.name}={default}")
        body.append(f"    _set{i}(self, {f.name})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    exec(f"def __init__({signature}):\n" + "\n".join(body or ["    pass"]), namespace)  # noqa: S102 - as dataclasses does
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    init.__dataclass_init__ = cls.__init__  # the replaced one, which tests compare signatures with
    setattr(cls, "__init__", init)
    return cls


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


_UNSET = _Unset()


def _default(f: dataclasses.Field[Any], index: int, namespace: dict[str, Any]) -> str | None:
    """The expression for ``f``'s default in the generated code (its value or a call of its factory), or None."""
    if f.default is not dataclasses.MISSING:
        namespace[f"_default{index}"] = f.default
        return f"_default{index}"
    if f.default_factory is not dataclasses.MISSING:
        namespace[f"_factory{index}"] = f.default_factory
        return f"_factory{index}()"
    return None
