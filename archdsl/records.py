"""`@dataclass` for the compiler's own classes, without generating code.

The standard `@dataclass` writes each class's `__init__`, `__repr__`, `__eq__`
(and a frozen class's `__hash__`, `__setattr__`, `__delattr__`) as source text
and compiles it: about 0.4 ms a class, and importing `dataclasses` loads
`inspect`, `ast` and `dis`. For the ~40 classes a check imports that was a third
of a cold `archdsl check` of a small spec (issue 15). Here the same methods are
shared functions driven by each class's table of fields, read once when the
class is made.

The part of dataclasses' API the compiler uses, with the same meaning:
`dataclass(frozen=, eq=, init=)`, `field(default=, default_factory=, init=,
repr=, compare=)`, `replace`, `fields` (names) and `is_dataclass`. Instances
keep their fields in `__dict__`, as dataclasses' do (archdsl/shift.py copies
them). `replace` also takes the standard library's dataclasses.
"""

from __future__ import annotations

import reprlib
from typing import Any

_MISSING = object()


class FrozenInstanceError(AttributeError):
    """An assignment to a field of a frozen instance (as dataclasses')."""


class Field:
    """One field: its name, default (or factory) and where it takes part."""

    __slots__ = ("name", "default", "default_factory", "init", "repr", "compare")

    def __init__(self, default: Any = _MISSING, default_factory: Any = _MISSING,
                 init: bool = True, repr: bool = True, compare: bool = True) -> None:  # fmt: skip
        self.name = ""
        self.default, self.default_factory = default, default_factory
        self.init, self.repr, self.compare = init, repr, compare


def field(**options: Any) -> Any:
    """A field's options, written as the class attribute (as dataclasses.field)."""
    return Field(**options)


def dataclass(cls: type | None = None, /, *, frozen: bool = False, eq: bool = True,
              init: bool = True) -> Any:  # fmt: skip
    """The class with the methods @dataclass would give it, for its annotated
    fields and those of the records it extends."""

    def make(cls: type) -> type:
        _prepare(cls, frozen, eq, init)
        return cls

    return make if cls is None else make(cls)


def _prepare(cls: type, frozen: bool, eq: bool, init: bool) -> None:
    table: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        table.update(getattr(base, "__record_fields__", {}))
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if "ClassVar" in str(annotation):
            continue
        value = cls.__dict__.get(name, _MISSING)
        spec = value if isinstance(value, Field) else Field(default=value)
        spec.name = name
        if isinstance(spec.default, list | dict | set):  # shared by every instance
            raise ValueError(f"mutable default {type(spec.default)} for field "
                             f"{name} is not allowed: use default_factory")  # fmt: skip
        table[name] = spec
        if isinstance(value, Field):  # the class attribute is the default, if any
            if spec.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
    cls.__record_fields__ = table
    _check_order(table)
    # what __init__ reads, worked out once: positional names, fixed defaults,
    # factories, and the fields outside __init__ that have a default or factory
    cls._record_init = (
        tuple(n for n, f in table.items() if f.init),
        {n: f.default for n, f in table.items() if f.init and f.default is not _MISSING},
        tuple((n, f.default_factory) for n, f in table.items()
              if f.init and f.default_factory is not _MISSING),
        {n: f.default for n, f in table.items() if not f.init and f.default is not _MISSING},
        tuple((n, f.default_factory) for n, f in table.items()
              if not f.init and f.default_factory is not _MISSING),
    )  # fmt: skip
    cls._record_compared = tuple(n for n, f in table.items() if f.compare)
    cls._record_shown = tuple(n for n, f in table.items() if f.repr)
    if init and "__init__" not in cls.__dict__:
        cls.__init__ = _init  # type: ignore[misc]
    if "__repr__" not in cls.__dict__:
        cls.__repr__ = reprlib.recursive_repr()(_repr)  # type: ignore[method-assign]
    if eq and "__eq__" not in cls.__dict__:
        cls.__eq__ = _eq  # type: ignore[method-assign]
        if "__hash__" not in cls.__dict__:  # as dataclasses: hashable when frozen
            cls.__hash__ = _hash if frozen else None  # type: ignore[assignment]
    if frozen:
        cls.__setattr__ = _refuse_set  # type: ignore[method-assign]
        cls.__delattr__ = _refuse_delete  # type: ignore[method-assign]


def _check_order(table: dict[str, Field]) -> None:
    """A field without a default may not follow one with a default in __init__."""
    defaulted = None
    for name, spec in table.items():
        if not spec.init:
            continue
        if spec.default is not _MISSING or spec.default_factory is not _MISSING:
            defaulted = name
        elif defaulted is not None:
            raise TypeError(f"non-default argument '{name}' follows default argument")


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    names, defaults, factories, fixed, made = cls._record_init
    if len(args) > len(names):
        raise TypeError(f"{cls.__name__}() takes {len(names)} positional arguments "
                        f"but {len(args)} were given")  # fmt: skip
    values = dict(defaults)
    values.update(zip(names, args, strict=False))  # the rest: keywords, defaults
    for name, value in kwargs.items():
        if name not in names:
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument "
                            f"'{name}'")  # fmt: skip
        if name in names[: len(args)]:
            raise TypeError(f"{cls.__name__}() got multiple values for argument "
                            f"'{name}'")  # fmt: skip
        values[name] = value
    for name, factory in factories:
        if name not in values:
            values[name] = factory()
    if len(values) < len(names):
        missing = ", ".join(f"'{n}'" for n in names if n not in values)
        raise TypeError(f"{cls.__name__}() missing required arguments: {missing}")
    # (only now: a field outside __init__ is no argument that may be missing)
    values.update(fixed)
    for name, factory in made:
        values[name] = factory()
    # the fields set at once, past a frozen class's __setattr__
    object.__setattr__(self, "__dict__", values)
    post_init = getattr(self, "__post_init__", None)
    if post_init is not None:
        post_init()


def _repr(self: Any) -> str:
    shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._record_shown)
    return f"{type(self).__qualname__}({shown})"


def _values(self: Any) -> tuple:
    return tuple(getattr(self, n) for n in self._record_compared)


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self) == _values(other)


def _hash(self: Any) -> int:
    return hash(_values(self))


def _refuse_set(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field '{name}'")


def _refuse_delete(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field '{name}'")


def is_dataclass(value: Any) -> bool:
    """Whether `value` is an instance or class made by `dataclass` here."""
    return hasattr(value, "__record_fields__")


def fields(value: Any) -> tuple[str, ...]:
    """The names of a record's fields, in order."""
    return tuple(value.__record_fields__)


def replace(value: Any, **changes: Any) -> Any:
    """A copy of `value` with `changes`, made through its __init__ (and its
    __post_init__), as dataclasses.replace makes it; fields outside __init__
    are made again. A standard library dataclass goes to dataclasses.replace."""
    table = getattr(value, "__record_fields__", None)
    if table is None:
        import dataclasses

        return dataclasses.replace(value, **changes)
    for name in changes:
        if name in table and not table[name].init:
            raise ValueError(f"field {name} is declared with init=False, it cannot "
                             f"be specified with replace()")  # fmt: skip
    given = {n: getattr(value, n) for n, f in table.items() if f.init}
    return type(value)(**{**given, **changes})
