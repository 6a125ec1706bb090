"""The base of the IR's node classes: frozen declarations, told apart by `kind`.

A node class declares its fields as annotations, with defaults as class values, as
pydantic models and dataclasses are written; `Node` reads them once per class.
Nodes are made only by the compiler (the lowering, the checks) from values of the
right types, so nothing is validated: field names are still checked, and lists
become tuples as validation made them. The node classes used to be pydantic models;
importing pydantic's model machinery and building ~60 model classes took most of a
cold `archdsl check` of a small spec (issue 15). The method names stay pydantic's
(`model_copy`, `model_dump`, `model_dump_json`, `model_fields`), and the one
boundary that writes JSON (`archdsl ir`) uses pydantic-core's serialiser, as the
models did.

Every node carries the span it came from; spans stay out of equality, hashing,
`repr` and dumps (as jinja2 keeps `lineno` out of `__eq__`), so two spellings of the
same program lower to equal IR and `archdsl ir` prints only the program.
"""

from __future__ import annotations

import keyword
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..source import Span

#: The default of a field that has none.
REQUIRED: Any = object()


class Node:
    # `model_fields`, set on each class: its field names in declaration order (the
    # base classes' first) mapped to their defaults (REQUIRED when there is none).
    # IR defaults are immutable, so one default object serves every node.
    model_fields: dict[str, Any] = {"span": None}
    span: Span | None = None  # None for nodes the compiler made up

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = dict(cls.__base__.model_fields)
        for name in cls.__dict__.get("__annotations__", {}):
            fields[name] = cls.__dict__.get(name, REQUIRED)
        cls.model_fields = fields
        if "__init__" not in cls.__dict__:
            cls.__init__ = _first_init  # type: ignore[method-assign]

    def __init__(self, /, **data: Any) -> None:
        fields = type(self).model_fields
        if not data.keys() <= fields.keys():
            unknown = sorted(data.keys() - fields.keys())
            raise TypeError(f"{type(self).__name__} has no field {unknown}")
        values = {}
        for name, default in fields.items():
            if name in data:
                value = data[name]
                values[name] = tuple(value) if type(value) is list else value
            elif default is REQUIRED:
                raise TypeError(f"{type(self).__name__} needs `{name}`")
            else:
                values[name] = default
        object.__setattr__(self, "__dict__", values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: use model_copy")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Any:
        """A copy with the fields in `update` replaced (not checked, as pydantic's)."""
        copied = object.__new__(type(self))
        object.__setattr__(copied, "__dict__", {**self.__dict__, **(update or {})})
        return copied

    def model_dump(self) -> dict[str, Any]:
        """The fields as plain data, nested nodes as dicts, spans left out."""
        return {k: _dumped(v) for k, v in self.__dict__.items() if k != "span"}

    def model_dump_json(self, *, indent: int | None = None) -> str:
        """model_dump() as JSON, written as pydantic wrote the models (infinities
        and NaN as null)."""
        from pydantic_core import to_json  # the boundary: not imported to check

        return to_json(self.model_dump(), indent=indent, inf_nan_mode="null").decode()

    def _key(self) -> tuple[Any, ...]:
        return tuple(v for k, v in self.__dict__.items() if k != "span")

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._fields_text(', ')})"

    def __str__(self) -> str:
        return self._fields_text(" ")

    def _fields_text(self, separator: str) -> str:
        """`name=value` for each field but the span, as pydantic's repr and str."""
        return separator.join(
            f"{k}={v!r}" for k, v in self.__dict__.items() if k != "span"
        )


def _first_init(self: Node, /, **data: Any) -> None:
    """The first node of a class: give the class an `__init__` of its own fields
    (below), then make the node with it."""
    cls = type(self)
    cls.__init__ = _fields_init(cls)  # type: ignore[method-assign]
    cls.__init__(self, **data)


def _fields_init(cls: type[Node]) -> Any:
    """An `__init__` for one node class, written out for its fields as dataclasses
    writes one: Python binds the keywords in C, and the fields go straight into
    the node's dict (twice as fast as any loop over the fields; the lowering makes
    a node per piece of a spec, 120,000 for 10,000 layers). Same checks; a field
    name Python cannot bind keeps Node.__init__."""
    fields = cls.model_fields
    # The code below is made of these names alone (and fixed text): plain
    # identifiers, declared in ir/nodes.py (tests/test_hostile.py lists this exec)
    if not all(_plain_name(name) for name in fields):
        return Node.__init__
    names = list(fields)
    defaults = {f"_d{i}": fields[name] for i, name in enumerate(names)}
    lines = [
        "def __init__(_self, /, *, "
        + ", ".join(f"{name}=_d{i}" for i, name in enumerate(names))
        + "):"
    ]
    for name in names:
        if fields[name] is REQUIRED:
            lines.append(f"    if {name} is _REQUIRED:")
            lines.append(f"        _missing(_cls, {name!r})")
        if name not in ("kind", "span"):  # lists become tuples
            lines.append(f"    if _type({name}) is _list:")
            lines.append(f"        {name} = _tuple({name})")
    # stored one by one into the dict Python gives the node: the nodes of a class
    # then share one table of keys (a third less memory than a dict each)
    lines.append("    _values = _self.__dict__")
    lines += [f"    _values[{name!r}] = {name}" for name in names]
    namespace = {
        **defaults,
        "_cls": cls,
        "_REQUIRED": REQUIRED,
        "_missing": _missing,
        "_type": type,  # fields may be named `type`, `list`
        "_list": list,
        "_tuple": tuple,
    }
    exec("\n".join(lines), namespace)  # noqa: S102 (field names, read above)
    init = namespace["__init__"]
    # Python names it in its own message for an unknown field ("Name.__init__()
    # got an unexpected keyword argument 'idd'")
    init.__qualname__ = f"{cls.__name__}.__init__"
    return init


def _plain_name(name: str) -> bool:
    """A field name that can be a parameter as it is (not `_self`, `class`)."""
    return name.isidentifier() and not keyword.iskeyword(name) and name[0] != "_"


def _missing(cls: type[Node], name: str) -> None:
    raise TypeError(f"{cls.__name__} needs `{name}`")


def _dumped(value: Any) -> Any:
    if isinstance(value, Node):
        return value.model_dump()
    if type(value) is tuple:
        return tuple(_dumped(v) for v in value)
    return value
