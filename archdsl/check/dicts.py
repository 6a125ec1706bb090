"""Computed child names (issue 12, item 4): f-strings, dicts of modules and the
containers built from them, `ModuleDict({...})` and a named `Sequential({...})`
(or `Sequential(OrderedDict({...}))`, as torchvision writes it).

A dict's keys are the children's state_dict names, so they are checked as torch's
`add_module` checks them, here where they are literal and by the evaluator of
shapes (shapes/dicts.py) where a comprehension computes them."""

from __future__ import annotations

from .. import ir
from ..ir.walk import walk_expr
from ..ops.module_attributes import MODULE_ATTRIBUTES
from . import types
from .consts import UNKNOWN, const_value
from .context import ModuleRef, Value

#: What an f-string field may format.
FORMATTABLE = ("int", "float", "bool", "str", "none", "any")
#: Methods of the containers: torch refuses a child of the same name.
CONTAINER_ATTRIBUTES = {
    "ModuleDict": frozenset({"clear", "items", "keys", "pop", "update", "values"}),
    "Sequential": frozenset({"append", "extend", "insert", "pop"}),
}


def key_problem(key: object, container: str | None = None) -> str | None:
    """Why torch's `add_module` (or this language) refuses `key` as a child's
    name; None when it is fine."""
    if not isinstance(key, str):
        return (
            f"a child's name is a string, not {types.describe(types.of_constant(key))}"
        )
    if not key:
        return "a child's name cannot be empty"
    if "." in key:
        return f'a child\'s name cannot contain ".": `{key}` would read as a path'
    if key.startswith("_"):
        return f"`{key}` starts with an underscore, which nn.Module keeps for itself"
    if key in MODULE_ATTRIBUTES or key == "training":
        return f"`{key}` is an nn.Module attribute"
    if key in CONTAINER_ATTRIBUTES.get(container or "", ()):
        return f"`{key}` is a method of {container}"
    return None


# ---- f-strings ---------------------------------------------------------------------


def check_fstring(checker, expr: ir.FString) -> Value:
    for part in expr.parts:
        if isinstance(part, ir.FormattedValue):
            check_field(checker, part)
    return Value("str")


def check_field(checker, part: ir.FormattedValue) -> Value:
    _check_field_strings(checker, part)
    value = checker.expr(part.value)
    if types.base(value.type) not in FORMATTABLE:
        checker.ctx.error(
            f"an f-string formats numbers and strings, not {types.describe(value.type)}",
            part.value.span,
        )
        return Value("str")
    known = const_value(part.value, checker.known)
    if known is not UNKNOWN and part.spec:
        try:
            format(known, part.spec)
        except (ValueError, TypeError) as exc:
            checker.ctx.error(
                f"`:{part.spec}` cannot format {known!r:.40}: {exc}", part.span
            )
    return Value("str")


def _check_field_strings(checker, part: ir.FormattedValue) -> None:
    """What Python before 3.12 cannot write inside an f-string's field: another
    f-string, a string holding a quote or a backslash."""
    for node in walk_expr(part.value):
        if isinstance(node, ir.FString):
            checker.ctx.error("an f-string inside an f-string's field", node.span,
                              hint="name the inner string first")  # fmt: skip
        elif isinstance(node, ir.Constant) and isinstance(node.value, str):
            if any(c in "'\"\\" or not c.isprintable() for c in node.value):
                checker.ctx.error(
                    "a string inside an f-string's field cannot hold quotes, "
                    "backslashes or control characters",
                    node.span,
                    hint="name the string first, outside the f-string",
                )


# ---- dicts -------------------------------------------------------------------------


def check_dict(checker, expr: ir.DictExpr) -> Value:
    """A dict of modules (its keys strings, its values modules: what it becomes, a
    ModuleDict or a named Sequential, is said by the call it is given to), or a
    dict of build-time values (a config table: `cfgs = {"A": [64, "M"], ...}`)."""
    values = [checker.expr(value) for value in expr.values]
    if not any(v.type == "module" for v in values):
        return _plain_dict(checker, expr, values)
    children: list[tuple[str, ModuleRef | None]] = []
    seen: dict[str, ir.Node] = {}
    complete = True
    for key, value, typed in zip(expr.keys, expr.values, values, strict=True):
        name = _check_key(checker, key)
        ref = _check_value(value, typed, checker)
        if name is None:
            complete = False
            continue
        if name in seen:
            first = seen[name].span
            where = f"{first.line}:{first.column}" if first else "?"
            checker.ctx.error(
                f'the key "{name}" is given twice (first at {where}): a '
                "container holds one child per name",
                key.span,
                hint="give each child its own name",
            )
            continue
        seen[name] = key
        children.append((name, ref))
    return dict_value(tuple(children) if complete else None)


def check_dictcomp(checker, expr: ir.DictComp) -> Value:
    """`{f"layer{i}": Conv2d(...) for i in range(n)}`: the clauses as a list
    comprehension's; its keys are known when the model is built (the evaluator of
    shapes checks them then)."""
    with checker.comprehension(expr.clauses):
        key, value = checker.expr(expr.key), checker.expr(expr.value)
        if value.type not in ("module", "any"):
            return Value("dict")  # a table of values, computed
        _check_key(checker, expr.key, key)
    return dict_value(None)


def dict_value(children) -> Value:
    """A dict of modules: its children by name when all are known here."""
    return Value("dict", ModuleRef("dict", callable=False, children=children))


def _plain_dict(checker, expr: ir.DictExpr, values: list[Value]) -> Value:
    """A dict of build-time values: its keys checked, a literal one given twice
    refused (Python would keep the last without a word)."""
    seen: set[object] = set()
    for key in expr.keys:
        checker.expr(key)
        known = const_value(key, checker.known)
        if known is not UNKNOWN and known in seen:
            checker.ctx.error(f"the key {known!r} is given twice", key.span)
        seen.add(known)
    return Value("dict")


def check_item(checker, expr: ir.Subscript) -> Value:
    """`cfgs["A"]`: a value of a dict of build-time values, by key; a literal key
    the dict does not hold is refused, as Python's KeyError."""
    checker.expr(expr.index)
    table = const_value(expr.value, checker.known)
    key = const_value(expr.index, checker.known)
    if isinstance(table, dict) and key is not UNKNOWN and key not in table:
        keys = ", ".join(repr(k) for k in table)
        checker.ctx.error(f"the dict has no key {key!r}", expr.index.span,
                          hint=f"its keys are {keys}")  # fmt: skip
    return Value("any")


def _check_key(checker, key: ir.Node, value: Value | None = None) -> str | None:
    """The key's text when known here; a diagnostic when it cannot be a name."""
    value = value or checker.expr(key)
    if value.type not in ("str", "any"):
        checker.ctx.error(
            f"a key names a child: a string, not {types.describe(value.type)}",
            key.span,
            hint='write it as a string: `"conv0"`, or `f"layer{i}"` in a loop',
        )
        return None
    known = const_value(key, checker.known)
    if not isinstance(known, str):
        return None
    problem = key_problem(known)
    if problem:
        checker.ctx.error(problem, key.span, hint="rename the child")
        return None
    return known


def _check_value(value_expr: ir.Node, value: Value, checker) -> ModuleRef | None:
    if value.type not in ("module", "any"):
        checker.ctx.error(
            f"a dict of modules holds modules only, not {types.describe(value.type)}",
            value_expr.span,
            hint="ModuleDict({...}) and Sequential({...}) hold modules; a table "
            "of values is a dict of its own",
        )
    return value.module


# ---- containers ---------------------------------------------------------------------


def takes_dict(name: str, values: list[Value]) -> bool:
    """`ModuleDict(...)`, `OrderedDict(...)`, or `Sequential` given one dict."""
    if name in ("ModuleDict", "OrderedDict"):
        return True
    return name == "Sequential" and len(values) == 1 and values[0].type == "dict"


def check_container(checker, name: str, call: ir.Call, values: list[Value]) -> Value:
    """`ModuleDict({...})`, `Sequential({...})`, `OrderedDict({...})` (the dict
    itself, for `Sequential(OrderedDict({...}))` as torchvision writes it)."""
    given = [v for a, v in zip(call.args, values, strict=True)
             if isinstance(a, ir.Positional)]  # fmt: skip
    optional = name == "ModuleDict"
    if len(given) != len(call.args) or len(given) > 1 or (not given and not optional):
        checker.ctx.error(
            f"`{name}` takes one dict of modules",
            call.span,
            hint=f'`{name}({{"conv": Conv2d(...), "relu": ReLU()}})`',
        )
        return Value("dict") if name == "OrderedDict" else Value("module")
    value = given[0] if given else dict_value(())
    if value.type not in ("dict", "any"):
        checker.ctx.error(
            f"`{name}` takes a dict of modules, not {types.describe(value.type)}",
            call.args[0].span,
            hint=f'`{name}({{"conv": Conv2d(...), "relu": ReLU()}})`',
        )
        value = dict_value(None)
    if name == "OrderedDict":
        return value
    if value.type == "dict" and value.module is None:  # a table of values
        checker.ctx.error(
            f"`{name}` holds modules; this dict holds values",
            call.args[0].span,
            hint=f'`{name}({{"conv": Conv2d(...), "relu": ReLU()}})`',
        )
    children = value.module.children if value.module else None
    _check_container_keys(checker, name, call, children)
    if name == "ModuleDict":
        ref = ModuleRef("ModuleDict", None, None, callable=False, children=children)
        return Value("module", ref)
    ref = ModuleRef("Sequential", children=children)
    ref.first = children[0][1] if children else None
    return Value("module", ref)


def _check_container_keys(checker, name, call: ir.Call, children) -> None:
    """A key that is the container's own method (`"keys"` in a ModuleDict)."""
    for key, _ in children or ():
        problem = key_problem(key, name)
        if problem:
            span = _key_span(call.args[0].value, key) or call.args[0].span
            checker.ctx.error(problem, span, hint="rename the child")


def _key_span(given: ir.Node, key: str):
    """Where a literal dict (perhaps inside `OrderedDict(...)`) writes `key`."""
    if isinstance(given, ir.Call) and len(given.args) == 1:
        given = given.args[0].value
    if not isinstance(given, ir.DictExpr):
        return None
    for node in given.keys:
        if isinstance(node, ir.Constant) and node.value == key:
            return node.span
    return None


def check_loose(checker, value: Value, stmt: ir.Assign) -> None:
    """`layers = {...}`: a dict of modules is the argument of what it builds."""
    if value.type == "dict" and value.module is not None:
        checker.ctx.error(
            "a dict of modules builds a container: give it to `ModuleDict` or "
            "`Sequential`",
            stmt.value.span,
            hint=f"`{stmt.name} = ModuleDict({{...}})`",
        )
