"""Generic traversal over IR expressions."""

from __future__ import annotations

from collections.abc import Iterator

from . import nodes as ir
from .targets import target_names


def children(expr: ir.Node) -> list[ir.Node]:
    """The direct sub-expressions of an expression, in source order."""
    fields = _NODE_FIELDS.get(type(expr))
    if fields is None:
        fields = _node_fields(type(expr))
    if not fields:  # a name, a constant: nothing inside
        return []
    found: list[ir.Node] = []
    node, values = ir.Node, expr.__dict__
    for name in fields:
        value = values[name]
        if isinstance(value, node):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend([v for v in value if isinstance(v, node)])
    return found


_NODE_FIELDS: dict[type, tuple[str, ...]] = {}
#: Annotations of fields that never hold a node (walks skip them: a `Name` has
#: nothing to look into, and walks run per layer).
_PLAIN = frozenset({"str", "int", "float", "bool", "None", "tuple[str, ...]"})


def _node_fields(cls: type) -> tuple[str, ...]:
    """The fields of a node class that may hold nodes, in order: all but the span
    and those whose annotation is plainly not a node (an unknown one may be)."""
    known = _NODE_FIELDS.get(cls)
    if known is None:
        hints: dict[str, object] = {}
        for klass in reversed(cls.__mro__):
            hints.update(klass.__dict__.get("__annotations__", {}))
        known = _NODE_FIELDS[cls] = tuple(
            name
            for name in cls.model_fields  # type: ignore[attr-defined]
            if name != "span" and not _plain(hints.get(name))
        )
    return known


def _plain(annotation: object) -> bool:
    if not isinstance(annotation, str):
        return False
    return all(
        part.strip() in _PLAIN or part.strip().startswith("Literal[")
        for part in annotation.split("|")
    )


def walk_expr(expr: ir.Node) -> list[ir.Node]:
    """An expression and everything inside it, in pre-order. A list, made in one
    loop: walks run per layer (a 10,000-layer forward is one walk of 100,000
    nodes), and a generator's resume per node cost twice as much."""
    found: list[ir.Node] = []
    stack = [expr]
    pop, push, append = stack.pop, stack.append, found.append
    fields_of, node_type = _NODE_FIELDS, ir.Node
    while stack:
        node = pop()
        append(node)
        fields = fields_of.get(type(node))
        if fields is None:
            fields = _node_fields(type(node))
        if not fields:
            continue
        values = node.__dict__
        # pushed last field first, a tuple's items last first: popped in order
        for name in reversed(fields):
            value = values[name]
            if isinstance(value, node_type):
                push(value)
            elif isinstance(value, tuple):
                for item in reversed(value):
                    if isinstance(item, node_type):
                        push(item)
    return found


def names_read(roots: list[ir.Node]) -> set[str]:
    """Every name the expressions under `roots` read: a `Name`'s id, a `Path`'s
    first part. One loop over the nodes, in no particular order, collecting as it
    goes (no list of every node, as walk_expr makes: a definition's whole body)."""
    read: set[str] = set()
    stack = list(roots)
    pop, push, add = stack.pop, stack.append, read.add
    fields_of, node_type, name, path = _NODE_FIELDS, ir.Node, ir.Name, ir.Path
    call, constant = ir.Call, ir.Constant
    while stack:
        node = pop()
        kind = type(node)  # node classes have no subclasses: compared by type
        if kind is name:
            add(node.id)
            continue
        if kind is path:
            add(node.parts[0])
            continue
        if kind is call:  # the commonest: its function, and each argument's value
            push(node.func)  # (every argument, `x`, `k=x` or `*x`, has one)
            for arg in node.args:
                value = arg.value
                if type(value) is not constant:
                    push(value)
            continue
        fields = fields_of.get(kind)
        if fields is None:
            fields = _node_fields(kind)
        values = node.__dict__
        for field in fields:
            value = values[field]
            if isinstance(value, node_type):
                push(value)
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, node_type):
                        push(item)
    return read


def rename(expr: ir.Node, names: dict[str, str]) -> ir.Node:
    """`expr` with the names in `names` renamed (a copy; IR nodes are frozen)."""
    if isinstance(expr, ir.Name):
        new = names.get(expr.id)
        return expr.model_copy(update={"id": new}) if new else expr
    if isinstance(expr, (ir.ListComp, ir.DictComp)):  # its loop names shadow
        bound = comprehension_names(expr)
        names = {k: v for k, v in names.items() if k not in bound}
    changes = {}
    for field in type(expr).model_fields:
        value = getattr(expr, field)
        if isinstance(value, ir.Node):
            changes[field] = rename(value, names)
        elif isinstance(value, tuple) and any(isinstance(v, ir.Node) for v in value):
            changes[field] = tuple(
                rename(v, names) if isinstance(v, ir.Node) else v for v in value
            )
    return expr.model_copy(update=changes) if changes else expr


def comprehension_names(expr: ir.ListComp | ir.DictComp) -> set[str]:
    """The names a comprehension's `for` clauses bind."""
    return {
        name
        for clause in expr.clauses
        if isinstance(clause, ir.CompFor)
        for name in target_names(clause.targets)
    }


def forward_statements(stmts: tuple[ir.Node, ...]) -> Iterator[ir.Node]:
    """Every statement of a forward body, those inside `if`s and loops too, in
    source order."""
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, ir.FIf):
            yield from forward_statements(stmt.then)
            yield from forward_statements(stmt.orelse)
        elif isinstance(stmt, ir.FFor):
            yield from forward_statements(stmt.body)


def assigned(stmts: tuple[ir.Node, ...], loop_variables: bool = False) -> set[str]:
    """The names a forward body assigns, anywhere in it. Loop variables count only
    when asked: they name modules, not tensors, but they shadow like any name."""
    kinds = (ir.FAssign, ir.FFor) if loop_variables else ir.FAssign
    return {
        name
        for stmt in forward_statements(stmts)
        if isinstance(stmt, kinds)
        for name in stmt.targets
    }


def returns(stmts: tuple[ir.Node, ...]) -> Iterator[ir.FReturn]:
    """The `return` statements of a forward body, inside `if`s too, in order."""
    for stmt in stmts:
        if isinstance(stmt, ir.FReturn):
            yield stmt
        elif isinstance(stmt, ir.FIf):
            yield from returns(stmt.then)
            yield from returns(stmt.orelse)
