"""A module's forward, traced with torch.fx, as `.arch` forward statements.

Every child module is a leaf of the trace, so the graph holds one `call_module` per
member call and the functions and operators between them. Each node becomes an
expression (`exprs.py`); nodes used once are written inside their user where that
keeps the order in which Python evaluated them (an in-place layer may have changed
what a later read sees), so a chain reads `x = maxpool(relu(bn1(conv1(x))))`. What
the language cannot say is collected as problems naming the operation, never
approximated.
"""

from __future__ import annotations

import inspect
import keyword
import operator
import re
from dataclasses import dataclass, field

import torch
import torch.fx as fx
from torch import nn

from ..check.names import why_reserved
from ..ops.tensor_ops import TENSOR_OPS
from .exprs import (
    BinOp,
    Branch,
    Call,
    Inexpressible,
    ListE,
    Lit,
    Method,
    Name,
    Slice,
    Subscript,
    children,
    depth,
    is_literal,
    transform,
)
from .functions import (
    OPERATORS,
    WRAPPER_DEFAULTS,
    describe,
    function_op,
    method_op,
)
from .patterns import pad_like_of

#: The deepest call nesting written on one line before a value gets a name.
MAX_INLINE_DEPTH = 4


@dataclass(frozen=True)
class Ref:
    """A node's value inside another node's expression, before layout."""

    node: str


@dataclass(frozen=True)
class Part:
    """Item `index` of a value taken apart: `x1, x2 = x.chunk(2, dim=1)`."""

    node: str
    index: int


@dataclass
class Forward:
    inputs: list[str]
    statements: list[tuple[tuple[str, ...], object]] = field(default_factory=list)
    returns: tuple = ()
    #: what the spec does differently, said in a comment (a namedtuple returned
    #: as a plain tuple)
    notes: tuple[str, ...] = ()


class _Leaves(fx.Tracer):
    """Every submodule is one call: the importer writes children as members."""

    def is_leaf_module(self, module: nn.Module, qualified_name: str) -> bool:
        return True


def trace(module: nn.Module) -> fx.Graph:
    return _Leaves().trace(module)


def convert(graph: fx.Graph, members: set[str]) -> tuple[Forward | None, list[str]]:
    """The forward of `graph`, or None and what could not be written."""
    converter = _Converter(graph, members)
    forward = converter.run()
    return (None, converter.problems) if converter.problems else (forward, [])


def convert_modes(
    train: fx.Graph, evaluated: fx.Graph, members: set[str], training_only: frozenset
) -> Forward | None:
    """One forward for a training-mode graph and an eval-mode graph that is the
    same but for the nodes `training_only` (modes.py): those are assigned under
    `if training { ... }`, and the training mode's result is returned there."""
    converter = _Converter(train, members)
    output = next(n for n in evaluated.nodes if n.op == "output").args[0]
    forward = converter.run(output, training_only)
    return None if converter.problems else forward


class _Converter:
    def __init__(self, graph: fx.Graph, members: set[str]) -> None:
        self.nodes = list(graph.nodes)
        self.members = members
        self.problems: list[str] = []
        self.exprs: dict[str, object] = {}
        self.absorbed: set[str] = set()  # nodes a pattern wrote as part of another
        self.aliases: dict[str, str] = {}  # nodes that read a member tensor: its name

    def run(self, evaluated: object = None, training_only=frozenset()) -> Forward:
        """`evaluated`: the eval-mode graph's result, when it differs (see
        convert_modes)."""
        inputs = [n.name for n in self.nodes if n.op == "placeholder"]
        self.tuples = {n.name: c for n in self.nodes if (c := _unpacked(n)) is not None}
        for node in self.nodes:
            if node.op not in ("placeholder", "output") and not _record(node):
                try:
                    self.exprs[node.name] = self._expr(node)
                except Inexpressible as exc:
                    self.problems.append(str(exc))
        if self.problems:
            return Forward(inputs)
        output = next(n for n in self.nodes if n.op == "output")
        returns, notes = self._returns(output.args[0])
        others = None
        if evaluated is not None:
            others, more = self._returns(evaluated)
            notes = tuple(dict.fromkeys((*notes, *more)))
        forward = _Layout(self, inputs).run(returns, training_only, others)
        forward.notes = notes
        return forward

    def _returns(self, result: object) -> tuple[tuple, tuple[str, ...]]:
        notes = ()
        if isinstance(result, fx.Node) and _record(result):  # GoogLeNetOutputs(...)
            fields = result.target._fields
            notes = (
                f"returns {result.target.__name__}({', '.join(fields)}) as a plain tuple",
            )
            result = (
                *result.args,
                *(result.kwargs[f] for f in fields[len(result.args) :]),
            )
        returns = result if isinstance(result, (tuple, list)) else (result,)
        return tuple(self._arg(r) for r in returns), notes

    # ---- one node ---------------------------------------------------------------

    def _expr(self, node: fx.Node) -> object:
        if node.op == "call_module":
            if "." in node.target:
                raise Inexpressible(
                    f"calls `self.{node.target}`, a module inside a member"
                )
            if any(isinstance(a, (list, tuple)) for a in node.args):
                raise Inexpressible(
                    f"passes a list of tensors to `{node.target}`: a block's forward"
                    " takes tensors (`forward(x)` declares no list), and torch.fx"
                    " traced the loop that grows the list unrolled"
                )
            return Call(node.target, self._args(node.args), self._kwargs(node.kwargs))
        if node.op == "call_function":
            return self._function(node)
        if node.op == "call_method":
            return self._method(node)
        if node.op == "get_attr":
            if "." in node.target or node.target not in self.members:
                raise Inexpressible(f"reads the tensor `self.{node.target}` in forward")
            self.aliases[node.name] = node.target  # a parameter or buffer member
            return Name(node.target)
        raise Inexpressible(f"has a `{node.op}` step")

    def _function(self, node: fx.Node) -> object:
        target = node.target
        if target in OPERATORS and not node.kwargs and len(node.args) == 2:
            self._inplace_ok(node, node.args[0], target.__name__.startswith("i"))
            left, right = (self._arg(a) for a in node.args)
            return BinOp(OPERATORS[target], left, right)
        if target is operator.getitem:
            return self._getitem(node)
        pad = pad_like_of(node)
        if pad is not None:
            self.absorbed |= pad.absorbed
            return Call("pad_like", (self._arg(pad.input), self._arg(pad.other)))
        op = function_op(target)
        if op is None:
            raise Inexpressible(
                f"calls `{describe(target)}`, which `.arch` has no operation for"
            )
        kwargs = self._op_kwargs(node, op, target)
        first = node.args[0] if node.args else None
        if op.signature.params[0].types == ("tensors",) and _input(first):
            raise Inexpressible(
                f"takes a list of tensors as its input `{first.name}` "
                f"(`{describe(target)}` of it); a forward's inputs are tensors, so"
                " `.arch` would take the joined tensor (as specs/zoo/densenet.arch"
                " does), which changes what the block's callers pass"
            )
        names = [p.name for p in op.signature.params]
        args = tuple(
            self._arg(a, names[i] if i < len(names) else "")
            for i, a in enumerate(node.args)
        )
        return Call(op.name, args, kwargs)

    def _method(self, node: fx.Node) -> object:
        op = method_op(node.target)
        if op is None:
            raise Inexpressible(
                f"calls the tensor method `.{node.target}()`, which `.arch` has no operation for"
            )
        self._inplace_ok(node, node.args[0], node.target.endswith("_"))
        kwargs = self._op_kwargs(node, op, getattr(torch.Tensor, node.target, None))
        target, *args = node.args
        return Method(self._arg(target), op.name, self._args(tuple(args)), kwargs)

    def _op_kwargs(self, node: fx.Node, op, function) -> tuple:
        """Keyword arguments the operation takes; an `inplace=True` its signature
        lacks is written out of place when nothing reads the input again, and the
        defaults torch's Python wrappers pass along (`_stacklevel`) are dropped."""
        names = {p.name for p in op.signature.params}
        defaults = _defaults(function)
        kept = {}
        signature = {p.name: p.default for p in op.signature.params}
        for key, value in node.kwargs.items():
            # `training` stays even at its default: the same call in eval mode
            # passes False, and modes.py writes the pair as `training=training`
            if key in names and _equal(signature[key], value) and key != "training":
                continue  # what torch's Python wrapper passes along: the default
            if key in names:
                kept[key] = value
            elif key == "inplace" and value is True:
                self._inplace_ok(node, node.args[0], True)
            elif (
                key in defaults
                and _equal(defaults[key], value)
                or any(key == k and _equal(value, v) for k, v in WRAPPER_DEFAULTS)
            ):
                continue
            else:
                raise Inexpressible(
                    f"passes `{key}=` to `{op.name}`, which `.arch` does not take"
                )
        return self._kwargs(kept)

    def _inplace_ok(self, node: fx.Node, changed: object, inplace: bool) -> None:
        """An in-place step may be written out of place only when no later step reads
        what it changed (then the values, and the gradients, are the same)."""
        if not inplace or not isinstance(changed, fx.Node):
            return
        readers = [u for u in changed.users if u is not node]
        later = [u for u in readers if self.nodes.index(u) > self.nodes.index(node)]
        if later or changed.op == "placeholder":
            raise Inexpressible(
                f"changes `{changed.name}` in place ({_spelling(node)}) and reads it again"
            )

    def _getitem(self, node: fx.Node) -> object:
        value, index = node.args
        if isinstance(value, fx.Node) and value.name in self.tuples:
            return Part(value.name, index)
        if _whole_size(value) and isinstance(index, int):  # `x.size()[2]`: x.size(2)
            return Method(self._arg(value.args[0]), "size", (Lit(index),))
        items = index if isinstance(index, tuple) else (index,)
        return Subscript(self._arg(value), tuple(self._index(i) for i in items))

    def _index(self, item: object) -> object:
        if isinstance(item, slice):
            return Slice(
                *(
                    None if b is None else self._arg(b)
                    for b in (item.start, item.stop, item.step)
                )
            )
        if item is Ellipsis:
            return Ellipsis
        if item is None:
            raise Inexpressible("indexes with `None` (a new axis)")
        return self._arg(item)

    # ---- arguments ----------------------------------------------------------------

    def _args(self, args: tuple) -> tuple:
        return tuple(self._arg(a) for a in args)

    def _kwargs(self, kwargs: dict) -> tuple:
        return tuple((k, self._arg(v, k)) for k, v in kwargs.items())

    def _arg(self, value: object, hint: str = "") -> object:
        if isinstance(value, fx.Node):
            return Ref(value.name)
        if isinstance(value, list):
            return ListE(tuple(self._arg(v) for v in value))
        if isinstance(value, tuple) and any(isinstance(v, fx.Node) for v in value):
            return ListE(tuple(self._arg(v) for v in value))  # `cat((a, b))`
        if isinstance(value, torch.dtype | torch.device | torch.Tensor):
            raise Inexpressible(f"passes the constant {value!r}")
        if not is_literal(value):
            raise Inexpressible(f"passes the value {value!r}")
        return Lit(value, hint)


def _defaults(function) -> dict[str, object]:
    try:
        params = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {
        p.name: p.default for p in params if p.default is not inspect.Parameter.empty
    }


def _equal(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def _spelling(node: fx.Node) -> str:
    if node.op == "call_method":
        return f".{node.target}()"
    return describe(node.target)


# ---- layout: which values get names, which are written inside their user ------------


class _Layout:
    def __init__(self, converter: _Converter, inputs: list[str]) -> None:
        self.exprs = converter.exprs
        self.tuples = converter.tuples
        self.order = [n.name for n in converter.nodes if n.name in self.exprs]
        self.index = {name: i for i, name in enumerate(self.order)}
        # besides these, _taken skips the language's reserved names (one list:
        # check/names.why_reserved)
        self.taken = set(converter.members) | set(inputs) | set(TENSOR_OPS)
        # node -> variable; a member tensor's read is its name, never a statement
        self.names: dict[str, str] = {i: i for i in inputs} | converter.aliases
        self.order = [n for n in self.order if n not in converter.aliases]
        self.holder: dict[str, str] = {i: i for i in inputs}  # variable -> its node now
        self.forward = Forward(inputs)
        self.uses: dict[str, int] = {}
        self.last_use: dict[str, int] = {}

    def run(
        self, returns: tuple, guarded=frozenset(), others: tuple | None = None
    ) -> Forward:
        """`guarded` nodes run in training mode only and `others` is the eval
        mode's result (convert_modes); without them, one mode."""
        results = (*returns, *(others or ()))
        live = self._live(results)
        self.order = [n for n in self.order if n in live]
        self.index = {name: i for i, name in enumerate(self.order)}
        for position, name in enumerate(self.order):
            for ref in _refs(self.exprs[name]):
                self.uses[ref] = self.uses.get(ref, 0) + 1
                self.last_use[ref] = position
        for ref in (r for e in results for r in _refs(e)):
            self.uses[ref] = self.uses.get(ref, 0) + 1
            self.last_use[ref] = len(self.order)
        stack: list[tuple[str, object]] = []
        for position, name in enumerate(self.order):
            if isinstance(self.exprs[name], Part):
                continue  # named where its value is taken apart
            built = self._build(self.exprs[name], stack)
            if name in self.tuples:
                self._flush(stack)
                self._unpack(name, built)
                continue
            if self.uses.get(name, 0) == 1 and name not in guarded:
                stack.append((name, built))
            else:
                self._flush(stack)
                if name in guarded:
                    self._guard(name, built)
                else:
                    self._assign(name, built, position)
        if others is not None:  # `if training { return ... }`, then eval's
            train = tuple(self._build(r, stack) for r in returns)
            self._flush(stack)
            self.forward.statements.append(((), Branch((), train)))
            returns = others
        self.forward.returns = tuple(self._build(r, stack) for r in returns)
        self._flush(stack)
        return self.forward

    def _guard(self, name: str, built: object) -> None:
        """`if training { x1 = aux1(x) }`, one block for a run of them."""
        var = self._fresh(name)
        self.names[name] = var
        self.holder[var] = name
        last = self.forward.statements[-1][1] if self.forward.statements else None
        if isinstance(last, Branch) and not last.returns:
            statements = (*last.statements, ((var,), built))
            self.forward.statements[-1] = ((), Branch(statements, ()))
        else:
            self.forward.statements.append(((), Branch((((var,), built),), ())))

    def _live(self, returns: tuple) -> set[str]:
        """Nodes the result depends on: what a pattern absorbed drops out here."""
        live: set[str] = set()
        todo = [r for e in returns for r in _refs(e)]
        while todo:
            name = todo.pop()
            if name in live or name not in self.exprs:
                continue
            live.add(name)
            todo += _refs(self.exprs[name])
        return live

    def _build(self, expr: object, stack: list) -> object:
        """`expr` with each reference replaced by its name, or by its expression
        when it is the value computed last among those still pending (and the line
        stays at most MAX_INLINE_DEPTH calls deep)."""
        inline: dict[str, object] = {}
        for ref in reversed(_refs(expr)):
            if ref in self.names:
                continue  # a named value: reading it has no effect on order
            if stack and stack[-1][0] == ref:
                inline[ref] = stack.pop()[1]
            else:
                break
        built = _substitute(expr, lambda ref: inline.get(ref) or Name(self.names[ref]))
        if depth(built) > MAX_INLINE_DEPTH and inline:
            stack += reversed(list(inline.items()))  # back in computation order
            inline.clear()
        self._flush(stack)
        return _substitute(expr, lambda ref: inline.get(ref) or Name(self.names[ref]))

    def _unpack(self, name: str, built: object) -> None:
        parts = {
            e.index: n
            for n, e in self.exprs.items()
            if isinstance(e, Part) and e.node == name
        }
        targets = []
        for index in range(self.tuples[name]):
            part = parts.get(index)
            if part is None or part not in self.uses:
                targets.append("_")
                continue
            var = self._fresh(part)
            self.names[part] = var
            self.holder[var] = part
            targets.append(var)
        self.forward.statements.append((tuple(targets), built))

    def _flush(self, stack: list) -> None:
        for name, built in stack:
            self._assign(name, built, self.index.get(name, 0))
        stack.clear()

    def _assign(self, name: str, built: object, position: int) -> None:
        var = self._reuse(built, position) or self._fresh(name)
        self.names[name] = var
        self.holder[var] = name
        self.forward.statements.append(((var,), built))

    def _reuse(self, built: object, position: int) -> str | None:
        """The name of a value this statement reads for the last time: `x = f(x)`."""
        for var in _names_in(built):
            node = self.holder.get(var)
            if node is not None and self.last_use.get(node, -1) <= position:
                return var
        return None

    def _fresh(self, node: str) -> str:
        """`x1`, `x2`, ...: numbered after the forward's first input, as people name
        the values of a forward (fx's own names repeat the members')."""
        stem = (
            re.sub(r"\d+$", "", self.forward.inputs[0]) if self.forward.inputs else "x"
        )
        if not stem.isidentifier() or keyword.iskeyword(stem):
            stem = "x"
        n = 1
        while self._taken(f"{stem}{n}"):
            n += 1
        return f"{stem}{n}"

    def _taken(self, name: str) -> bool:
        return (
            name in self.taken or name in self.holder or why_reserved(name) is not None
        )


def _refs(expr: object) -> list[str]:
    if isinstance(expr, (Ref, Part)):
        return [expr.node]
    return [r for child in children(expr) for r in _refs(child)]


def _names_in(expr: object) -> list[str]:
    if isinstance(expr, Name):
        return [expr.name]
    return [n for child in children(expr) for n in _names_in(child)]


def _substitute(expr: object, value_of) -> object:
    return transform(
        expr, lambda leaf: value_of(leaf.node) if isinstance(leaf, Ref) else leaf
    )


def _record(node: fx.Node) -> bool:
    """A namedtuple built only to be returned: the spec returns its fields."""
    target = node.target
    return (
        node.op == "call_function"
        and isinstance(target, type)
        and issubclass(target, tuple)
        and hasattr(target, "_fields")
        and all(user.op == "output" for user in node.users)
    )


def _input(value: object) -> bool:
    return isinstance(value, fx.Node) and value.op == "placeholder"


def _whole_size(value: object) -> bool:
    return (
        isinstance(value, fx.Node)
        and value.op == "call_method"
        and value.target == "size"
        and len(value.args) == 1
        and not value.kwargs
    )


def _unpacked(node: fx.Node) -> int | None:
    """How many values `a, b = node` takes apart, when every use of `node` is an
    index into it: `x.chunk(2, dim=1)`, a block returning two tensors."""
    users = list(node.users)
    if not users or _whole_size(node) or node.op == "placeholder":
        return None
    if not all(
        u.target is operator.getitem and isinstance(u.args[1], int) for u in users
    ):
        return None
    if (
        node.op == "call_method"
        and node.target == "chunk"
        or node.target is torch.chunk
    ):
        chunks = node.args[1] if len(node.args) > 1 else node.kwargs.get("chunks")
        return chunks if isinstance(chunks, int) else None
    if node.op == "call_module":
        return max(u.args[1] for u in users) + 1
    return None
