"""Build-time evaluation for shape inference: what each member *is*, with its sizes.

The checks before this stage know types ("a module", "an int"); shapes need values:
`Down(64, 128)` is a block whose `maxpool_conv` is a Sequential of a MaxPool2d(2)
and a DoubleConv(64, 128), and so on down to layers with their arguments bound.
This evaluates a definition's body for one set of parameter values the way the
generated constructor would, without torch. A parameter nobody gave becomes a
symbol (`n_classes`), so sizes stay expressions rather than unknowns.
"""

from __future__ import annotations

from typing import Any

from .. import ir
from ..check import types
from ..check.consts import COMPARE, EvalProblem, binary, range_length
from ..check.context import Context, DefInfo
from ..check.families import (
    CONSTANT_HINT,
    ClassRef,
    class_value,
    no_constant,
    shared_constants,
)
from ..check.limits import MAX_NESTING, describe_count, describe_gigabytes
from ..check.partials import PARTIAL, PartialRef
from ..check.state import is_holder
from ..errors import ArchError, Diagnostic, Note
from ..ops import BUILTINS, layer
from ..ops.shapes import UNKNOWN
from ..ops.signature import Signature, bind_arguments
from ..source import Span
from . import dims, values
from .built import (
    MODULE_TYPES,
    BaseModule,
    BlockModule,
    LayerModule,
    Module,
    SeqModule,
    label_of,
    layer_count,
)
from .dicts import DictEvaluation, takes_dict
from .loops import run_call, run_for, run_listcomp
from .params import count_parameters
from .state import named_state, state_tensor

#: What inference imports from here (the module kinds live in built.py, the
#: parameter counts in params.py).
__all__ = [
    "MODULE_TYPES",
    "BaseModule",
    "BlockModule",
    "EvalError",
    "Evaluator",
    "LayerModule",
    "Module",
    "SeqModule",
    "count_parameters",
    "label_of",
    "split_arguments",
]


class EvalError(ArchError):
    """What building the model would refuse, found by evaluating it: a value Python
    refuses (`1 // n` with n = 0), or a limit crossed with the sizes its callers
    give (`Wide(1000000)` holding a `Linear(n, n)`). One diagnostic, at the
    expression, with a note at each block call that led there."""


#: Calls shown as notes under an evaluation error, at most.
_MAX_NOTES = 5

#: Build-time values that arithmetic applies to (modules and symbols aside).
_OPERANDS = (int, float, str, list, tuple)


class Evaluator(DictEvaluation):
    """Evaluates build-time expressions and definition bodies to values.

    Counts, as it goes, the modules and parameters the model builds with the
    values its callers give, and the steps of evaluation, against the limits.
    Before the first definition is built for real, a counting pass evaluates it
    with each block evaluated once per (definition, arguments) and its counts
    multiplied out, so a model too large to build (26 levels of blocks that each
    build the one below twice) is refused in microseconds, not built."""

    def __init__(self, ctx: Context, *, counting: bool = False) -> None:
        self.ctx = ctx
        self.limits = ctx.limits
        self.built = 0  # modules built so far, blocks of blocks included
        self.params = 0  # parameters of what was built, where the sizes are known
        self.steps = 0  # evaluation steps, against limits.max_steps
        #: block calls being evaluated, outermost first: (call text, span)
        self.calls: list[tuple[str, Span | None]] = []
        self.counting = counting
        #: > 0 inside a branch evaluated only to count it (see _count_branches)
        self.speculative = 0
        self.memo: dict[tuple, tuple[BlockModule, int, int]] = {}
        self.refused = False  # whether _refuse was called (see shapes/counting.py)
        #: layers built from plain values: (arguments bound, parameters), by
        #: values.call_key (the same values type-check and count the same)
        self.layers: dict[tuple, tuple[dict[str, Any], int]] = {}
        self.instances = 0  # definitions instantiated, the entry point included
        self.branched = False  # whether _count_branches counted an `if`'s branches
        self.top = ""  # the definition being evaluated, for messages

    # ---- limits ------------------------------------------------------------------------

    def _error(self, message: str, span: Span | None, hint: str | None = None):
        calls = [(n, w) for n, w in reversed(self.calls) if w != span]
        notes = [Note(f"in `{name}`, built here", where) for name, where in calls]
        if len(notes) > _MAX_NOTES:  # the innermost calls, and the outermost one
            skipped = len(notes) - _MAX_NOTES
            notes[_MAX_NOTES - 1 : -1] = [Note(f"... and {skipped} calls between")]
        return EvalError([Diagnostic(message, span, hint, notes=tuple(notes))])

    def _refuse(self, message: str, span: Span | None, hint: str | None = None):
        """What Python would raise building the model: an error, except in a
        branch whose condition is not known (counted, but perhaps never run),
        where the value is only not known (expr() turns ValueError into UNKNOWN)."""
        self.refused = True
        if self.speculative:
            return ValueError(message)
        return self._error(message, span, hint)

    def _step(self, count: int, span: Span | None) -> None:
        """Count work against limits.max_steps, for the whole check: every
        evaluator of one context (each model, each block with declared shapes,
        the counting passes) draws on the same budget."""
        self.steps += count
        self.ctx.eval_steps += count
        total = self.ctx.eval_steps
        if total > self.limits.max_steps:
            raise self._error(
                f"evaluating `{self.top}` takes more than "
                f"{describe_count(self.limits.max_steps)} steps",
                span,
                hint="the spec repeats too much work at build time",
            )

    def _add(self, modules: int, params: int, span: Span | None) -> None:
        """Count what a layer, a block or a base model builds, refusing at `span`
        when a limit is crossed."""
        self.built += modules
        self.params += params
        if self.built > self.limits.max_modules:
            raise self._error(
                f"`{self.top}` would build at least {describe_count(self.built)} "
                f"modules; the limit is {describe_count(self.limits.max_modules)}",
                span,
                hint="raise it with `--max-modules N` if you mean it",
            )
        if self.params > self.limits.max_params:
            gigabytes = describe_gigabytes(self.params)
            raise self._error(
                f"`{self.top}` would have about {describe_count(self.params)} "
                f"parameters ({gigabytes} GB as float32); the limit is "
                f"{describe_count(self.limits.max_params)}",
                span,
                hint="raise it with `--max-params N` if you mean it",
            )

    # ---- definitions -----------------------------------------------------------------

    def instantiate(
        self, info: DefInfo, bound: dict[str, Any], span: Span | None
    ) -> BlockModule:
        if not self.top:  # the entry point: count first, then build
            self.top = info.name
            if not self.counting:
                counted = self._count_first(info, bound, span)
                if counted is not None:
                    return counted
        self.instances += 1
        key = values.memo_key(info, bound) if self.counting else None
        if key is not None and key in self.memo:
            block, modules, params = self.memo[key]
            self._add(modules, params, span)
            return block
        before = (self.built, self.params)
        block = self._build(info, bound, span)
        if key is not None:
            self.memo[key] = (block, self.built - before[0], self.params - before[1])
        return block

    def _count_first(
        self, info: DefInfo, bound: dict[str, Any], span: Span | None
    ) -> BlockModule | None:
        """The counting pass before a build. For a definition built with its
        defaults, count_definitions ran the same pass: where it refused nothing,
        the pass here would take the same steps and refuse nothing either (when
        they fit the budget), so they are drawn without evaluating again. Where
        that pass built just what this build would (shapes/counting.py), its
        block is this build, with the steps it took drawn a second time: taken
        once, by a fresh evaluator, when those fit too; else None."""
        counted = None if bound else self.ctx.counted.get(info.name)
        limit = self.limits.max_steps
        if counted is None or self.ctx.eval_steps + counted.steps > limit:
            Evaluator(self.ctx, counting=True).instantiate(info, bound, span)
            return None
        self.ctx.eval_steps += counted.steps
        block = counted.block
        fresh = self.built == self.params == self.steps == 0
        if block is None or span is not counted.span or not fresh:
            return None
        if self.ctx.eval_steps + counted.steps > limit:
            return None
        counted.block = None  # one model, one owner
        self.ctx.eval_steps += counted.steps
        self.steps, self.built, self.params = counted.steps, *counted.built
        return block

    def _build(
        self, info: DefInfo, bound: dict[str, Any], span: Span | None
    ) -> BlockModule:
        env: dict[str, Any] = {}
        node = info.node
        for param in node.params:
            if param.name in bound:
                env[param.name] = bound[param.name]
            elif param.default is not None:
                env[param.name] = self.expr(param.default, env)
            else:
                env[param.name] = values.symbol_for(param)
        self._add(1, 0, span)
        block = BlockModule(info, env, span)
        if info.base is not None:
            self._add(0, values.known_count(info.base.tree.root.params), span)
            base = BaseModule(info.base.tree, "", span)
            for child in info.base.tree.root.children:
                env[child] = base.child((child,))
                block.members[child] = None
            block.base = base
        self.body(node.body, block)
        return block

    def body(self, stmts: tuple[ir.Node, ...], block: BlockModule) -> None:
        env = block.env
        for stmt in stmts:
            if isinstance(stmt, ir.Assign):
                self.assign(stmt, block)
            elif isinstance(stmt, ir.For):
                run_for(self, stmt, block)
            elif isinstance(stmt, ir.CallStmt):
                run_call(self, stmt, block)
            elif isinstance(stmt, ir.If):
                cond = values.truth(self.expr(stmt.cond, env))
                if cond is not None:
                    self.body(stmt.then if cond else stmt.orelse, block)
                else:  # only known at run time: what either branch sets is unknown
                    self._count_branches(stmt, block)
                    for inner in (*stmt.then, *stmt.orelse):
                        if isinstance(inner, ir.Assign) and len(inner.target) == 1:
                            env[inner.target[0]] = UNKNOWN
                            block.members[inner.target[0]] = None  # perhaps one

    def _count_branches(self, stmt: ir.If, block: BlockModule) -> None:
        """An `if` decided only when the model is built: while counting, the
        larger branch counts against the limits (a model too large one way is
        refused, whichever way it is built); each branch runs on a copy of the
        block, and what Python would refuse there is only not known."""
        if not self.counting:
            return
        self.branched = True
        start = (self.built, self.params)
        larger = [0, 0]
        self.speculative += 1
        try:
            for branch in (stmt.then, stmt.orelse):
                scratch = BlockModule(block.info, dict(block.env), block.span)
                self.body(branch, scratch)
                larger[0] = max(larger[0], self.built - start[0])
                larger[1] = max(larger[1], self.params - start[1])
                self.built, self.params = start
        finally:
            self.speculative -= 1
        self._add(larger[0], larger[1], stmt.span)

    def assign(self, stmt: ir.Assign, block: BlockModule) -> None:
        env = block.env
        value = self.expr(stmt.value, env)
        first, rest = stmt.target[0], stmt.target[1:]
        value = named_state(value, first)  # a parameter: hints name the member
        owner = env.get(first)
        if rest and isinstance(owner, BaseModule):  # `net.fc = ...`, `layer4.2.conv3`
            owner.replaced[".".join((owner.path, *rest)).strip(".")] = value
            return
        if isinstance(owner, BaseModule) and block.base is not None:
            block.base.replaced[first] = value  # `fc = ...` in an extends model
        env[first] = value
        if isinstance(value, MODULE_TYPES):
            block.members[first] = None
            _place(value)

    # ---- expressions -----------------------------------------------------------------

    def expr(self, node: ir.Node, env: dict[str, Any]) -> Any:
        if type(node) is ir.Constant:  # the commonest, as _const would
            self._step(1, node.span)
            return node.value
        method = getattr(self, f"_{node.kind}", None)
        if method is None:
            return UNKNOWN
        self._step(1, node.span)
        try:
            return method(node, env)
        except (TypeError, ValueError, ArithmeticError, IndexError, KeyError):
            return UNKNOWN

    def _const(self, node: ir.Constant, env) -> Any:
        return node.value

    def _name(self, node: ir.Name, env) -> Any:
        if node.id not in env and class_value(self.ctx, node.id) is not None:
            return ClassRef(node.id)  # a block or layer type as a value
        return env.get(node.id, UNKNOWN)

    def _path(self, node: ir.Path, env) -> Any:
        owner = self._name(ir.Name(id=node.parts[0]), env)
        if isinstance(owner, BaseModule):
            return owner.child(node.parts[1:])
        if isinstance(owner, ClassRef) and owner.name in self.ctx.defs:
            found = shared_constants(self.ctx.defs[owner.name].node)
            return found.get(node.parts[-1], UNKNOWN)  # `block.expansion`
        if isinstance(owner, ClassRef) and layer(owner.name) is not None:
            # a type parameter given a torch.nn layer: Python's AttributeError
            message = no_constant(owner.name, node.parts[-1])
            raise self._refuse(message, node.span, CONSTANT_HINT)
        return UNKNOWN

    def _list(self, node: ir.ListExpr, env) -> Any:
        return [self.expr(item, env) for item in node.items]

    def _tuple(self, node: ir.TupleExpr, env) -> Any:
        return tuple(self.expr(item, env) for item in node.items)

    def _listcomp(self, node: ir.ListComp, env) -> Any:
        return run_listcomp(self, node, env)  # shapes/loops.py

    def _binop(self, node: ir.BinOp, env) -> Any:
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        if isinstance(left, dims.Poly) or isinstance(right, dims.Poly):
            return values.symbolic(node.op, left, right)
        if not (isinstance(left, _OPERANDS) and isinstance(right, _OPERANDS)):
            return UNKNOWN  # modules, None: the checks reported the types
        try:
            result = binary(node.op, left, right, self.limits.max_items)
        except EvalProblem as problem:
            if problem.limit:
                raise self._error(problem.message, node.span, problem.hint) from None
            raise self._refuse(problem.message, node.span, problem.hint) from None
        if isinstance(result, (str, list, tuple)):
            self._step(len(result), node.span)  # building it is work
        return result

    def _unary(self, node: ir.UnaryOp, env) -> Any:
        value = self.expr(node.operand, env)
        if value is UNKNOWN:
            return UNKNOWN
        if node.op == "not":
            truth = values.truth(value)
            return UNKNOWN if truth is None else not truth
        return -value if node.op == "-" else value

    def _compare(self, node: ir.Compare, env) -> Any:
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        if isinstance(left, dims.Poly) or isinstance(right, dims.Poly):
            if node.op in ("==", "!=") and left == right:
                return node.op == "=="
            return UNKNOWN
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        return COMPARE[node.op](left, right)

    def _boolop(self, node: ir.BoolOp, env) -> Any:
        left = self.expr(node.left, env)
        truth = values.truth(left)
        if truth is None:
            return UNKNOWN
        if truth == (node.op == "or"):  # `0 and x` is 0, `[1] or x` is [1]
            return left
        return self.expr(node.right, env)

    def _ifexp(self, node: ir.IfExp, env) -> Any:
        cond = self.expr(node.cond, env)
        cond = values.truth(cond)
        if cond is None:
            return UNKNOWN
        return self.expr(node.then if cond else node.orelse, env)

    def _subscript(self, node: ir.Subscript, env) -> Any:
        if isinstance(node.index, ir.Slice):  # `widths[1:]`
            return values.sliced(self.expr(node.value, env), node.index, env, self.expr)
        value, index = self.expr(node.value, env), self.expr(node.index, env)
        if isinstance(value, dict):  # `cfgs[cfg]`: shapes/dicts.py
            return self.dict_item(value, index, node)
        if isinstance(value, SeqModule):
            value = [child for _, child in value.children]
        if not isinstance(value, (list, tuple)) or not isinstance(index, int):
            return UNKNOWN
        if not -len(value) <= index < len(value):
            raise self._refuse(
                f"index {index} is out of range for {len(value)} items",
                node.index.span,
            )
        return value[index]

    def _call(self, node: ir.Call, env) -> Any:
        func = node.func
        if isinstance(func, ir.Path):
            return self._torchvision(node, env)
        if not isinstance(func, ir.Name):
            return UNKNOWN
        if is_holder(node):  # `Parameter(zeros(1, 1, d))`: a tensor of that shape
            return state_tensor(node, lambda size: self.expr(size, env))
        name = func.id
        if name == PARTIAL and name not in env and name not in self.ctx.defs:
            return self._partial(node, env)
        held = env.get(name)
        if isinstance(held, ClassRef):  # `block(...)`: the type it holds
            name = held.name
        elif name in env and values.plain(held):  # a loop's `c(4)` with c = 4
            message = f"`{name}` holds {held!r:.40}, not a layer or block type"
            raise self._refuse(message, func.span, "only a type is called")
        if name == "OrderedDict":  # `Sequential(OrderedDict({...}))`
            return self.ordered_dict(node, env)
        found = layer(name)
        if found is not None:
            return self._layer(found.name, found.signature, node, env, held)
        info = self.ctx.defs.get(name)
        if info is not None:
            positional, keywords = self._arguments(node, env, held)
            params = [p.name for p in info.node.params]
            bound = dict(zip(params, positional, strict=False)) | keywords
            return self._enter(info, bound, node)
        if name in BUILTINS:
            positional, _ = self._arguments(node, env)
            return self._builtin(name, positional, node)
        return UNKNOWN

    def _enter(self, info: DefInfo, bound: dict[str, Any], node: ir.Call) -> Any:
        """A block or builder called with `bound`: evaluated with the call noted,
        so what goes wrong inside says where it was built from."""
        if len(self.calls) >= MAX_NESTING:
            raise self._error(
                f"blocks are nested more than {MAX_NESTING} levels deep here",
                node.span,
                hint="a real model nests a few levels; flatten the chain",
            )
        self.calls.append((values.call_text(node), node.span))
        try:
            if isinstance(info.node, ir.Builder):
                inner = {}
                for param in info.node.params:
                    inner[param.name] = (
                        bound[param.name]
                        if param.name in bound
                        else self.expr(param.default, inner)
                        if param.default is not None
                        else UNKNOWN
                    )
                return self.expr(info.node.body, inner)
            return self.instantiate(info, bound, node.span)
        finally:
            self.calls.pop()

    def _builtin(self, name: str, args: list[Any], node: ir.Call) -> Any:
        if any(not (values.plain(a) or isinstance(a, (list, tuple))) for a in args):
            return UNKNOWN
        if name == "range" and all(isinstance(a, int) for a in args):
            if len(args) == 3 and args[2] == 0:
                raise self._refuse("`range` step must not be zero", node.span)
            count = range_length(*args)
            if count > self.limits.max_items:
                raise self._error(
                    f"this range has {describe_count(count)} items; the limit "
                    f"is {describe_count(self.limits.max_items)}",
                    node.span,
                )
            self._step(count, node.span)
        try:
            return values.builtin(name, args)
        except (ValueError, OverflowError) as exc:  # int("x"), max([]), float(10**400)
            message = f"`{name}` refuses these arguments: {exc}"
            raise self._refuse(message, node.span) from None

    def _arguments(
        self, node: ir.Call, env, held: Any = None
    ) -> tuple[list[Any], dict[str, Any]]:
        """The call's arguments, after those a `partial` type it calls binds."""
        found = split_arguments(node, [self.expr(a.value, env) for a in node.args])
        return held.merged(*found) if isinstance(held, PartialRef) else found

    def _partial(self, node: ir.Call, env) -> Any:
        """`partial(SiLU, inplace=True)`: the type and its bound arguments."""
        kind, *rest = node.args
        held = self.expr(kind.value, env)
        if not isinstance(held, ClassRef):
            return UNKNOWN
        call = ir.Call(func=node.func, args=tuple(rest), span=node.span)
        positional, keywords = self._arguments(call, env, held)
        return PartialRef(held.name, positional, keywords)

    def _layer(self, name: str, sig: Signature, node: ir.Call, env, held=None) -> Any:
        positional, keywords = self._arguments(node, env, held)
        if takes_dict(name, positional):  # ModuleDict({...}), Sequential({...})
            return self.dict_container(name, positional, node)
        if sig.named_children or name == "ModuleList":
            items = positional[0] if name == "ModuleList" and positional else positional
            children = [(str(i), child) for i, child in enumerate(items or [])]
            children += list(keywords.items())
            for _, child in children:
                _place(child)
            return SeqModule(name, children, node.span)
        key = values.call_key(name, positional, keywords)
        kept = self.layers.get(key) if key is not None else None
        if kept is None:
            self._check_types(name, sig, positional, keywords, node)
            args = bind_arguments(sig, positional, keywords)
            count = values.known_count(layer_count(LayerModule(name, args, None)))
            if key is not None:
                self.layers[key] = kept = (args, count)
        else:
            args, count = kept
        module = LayerModule(name, dict(args), node.span)
        self._add(1, count, node.span)
        return module

    def _check_types(self, name, sig: Signature, positional, keywords, node) -> None:
        """Values as evaluated against the layer's parameter types: `2 ** n` is
        typed int but is 0.5 for n = -1, and an untyped block parameter may hold
        anything; torch would refuse `Linear(0.5, 3)` when the model is built."""
        given = list(zip(sig.positional, positional, strict=False))
        if keywords:
            given += [(p, keywords[p.name]) for p in sig.params if p.name in keywords]
        for param, value in given:
            actual = values.plain_type(value)
            if actual is None or types.accepts(param.types, actual):
                continue
            raise self._refuse(
                f"`{name}` argument `{param.name}` must be "
                f"{types.describe_expected(param.types)}, got {actual} ({value!r:.40})",
                node.span,
            )

    def _torchvision(self, node: ir.Call, env) -> Any:
        from ..check.base import base_tree

        scratch = Context()  # the checks have reported any problem already
        known_values = {k: v for k, v in env.items() if values.plain(v)}
        resolved = base_tree(scratch, node, known_values)
        if resolved is None:
            return UNKNOWN
        self._add(1, values.known_count(resolved[1].root.params), node.span)
        return BaseModule(resolved[1], "", node.span)


def split_arguments(
    node: ir.Call, values: list[Any]
) -> tuple[list[Any], dict[str, Any]]:
    """A call's evaluated arguments as (positional, keywords), `*xs` spread out."""
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    for arg, value in zip(node.args, values, strict=True):
        if isinstance(arg, ir.Splat):
            if not isinstance(value, (list, tuple)):
                raise ValueError("unknown splat")
            positional.extend(value)
        elif isinstance(arg, ir.Keyword):
            keywords[arg.name] = value
        else:
            positional.append(value)
    return positional, keywords


def _place(module: Any) -> None:
    """Count a place a module is put (a child, a member): one put in two places
    is one module to torch, counted once (params.py)."""
    if isinstance(module, (LayerModule, SeqModule, BlockModule)):
        module.parents += 1
