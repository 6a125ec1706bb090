"""Shape inference: run a model's `forward` on shapes instead of tensors.

Each value gets a shape whose sizes are ints or expressions of the inputs' sizes
(`N`, `H`, `W`) and of parameters nobody fixed (`n_classes`). Every layer and op
contributes its registry rule (archdsl/ops/shapes/); blocks are entered with the
arguments their caller gave, so a problem inside a block is reported where it is
and, as a note, at each call that led there. A size that depends on the input is
only an error when it is wrong for every input; with a concrete input shape
(`--input-shape`) every size is an int and every check is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import ir
from ..check.base import image_channels
from ..check.context import Context, DefInfo
from ..errors import Diagnostic, Note
from ..gc_pause import no_gc_pauses
from ..ir.targets import UnpackProblem, unpack
from ..ir.walk import returns
from ..ops import BUILTINS, TENSOR_OPS
from ..ops.shapes import (
    OP_SHAPES,
    UNKNOWN,
    ArgumentProblem,
    Dims,
    ShapeDepends,
    ShapeProblem,
    Unknowable,
    broadcast,
    check_arguments,
    describe,
)
from ..ops.signature import bind_arguments
from ..records import replace
from ..source import Span
from . import dims
from .apply import ModuleCalls
from .built import MODULE_TYPES, BaseModule, BlockModule, LayerModule, SeqModule
from .dicts import apply_child, child_path, dotted_child, keyed_child
from .forward_loops import changed_by, run_append, run_for
from .forward_values import ForwardValues
from .inputs import unify
from .modules import Evaluator, split_arguments
from .params import count_parameters
from .tensors import (
    UNKNOWN_TENSOR,
    InputShapeError,  # noqa: F401 - the CLI imports it from here
    Result,
    Row,
    Tensor,
    join,
    origin,
    retagged,
    tensor_list_op,
)
from .values import truth


def infer_model(
    ctx: Context,
    info: DefInfo,
    params: dict[str, Any] | None = None,
    input_shapes: dict[str, tuple[int, ...]] | None = None,
    engine: Callable[..., Inference] | None = None,
) -> Result | None:
    """Shapes through `info`'s forward; None when its inputs' shapes are unknown
    (not declared and not given). `engine` makes the Inference that runs it (a
    subclass that records more: archdsl/graph/trace.py)."""
    forward = info.forward
    if forward is None:
        return None
    bound = dict(params or {})
    declared = [_declared(info, inp) for inp in forward.inputs]
    sizes: dict[str, int] = {}
    if input_shapes is not None:
        unify(info, forward, declared, input_shapes, bound, sizes)
    given = input_shapes or {}
    if any(
        s is None and i.name not in given
        for i, s in zip(forward.inputs, declared, strict=True)
    ):
        return None  # where shapes would start is unknown
    run = (engine or Inference)(ctx, concrete=input_shapes is not None, sizes=sizes)
    try:
        with no_gc_pauses():
            return _run(run, info, forward, bound, declared, given)
    except RecursionError:  # a last resort: check_nesting bounds the depth
        why = Diagnostic(
            f"shapes of `{info.name}` were not inferred: its blocks nest too deeply",
            info.node.span,
            severity="warning",
        )
        return Result([UNKNOWN_TENSOR], [], UNKNOWN, [why])


def argument_diagnostics(
    ctx: Context, info: DefInfo, model: BlockModule | None = None
) -> list[Diagnostic]:
    """Arguments torch would refuse in the layers a model builds (groups that do not
    divide the channels, a negative count): found whether or not its inputs'
    shapes are known, at the line where each layer is made. `model`: the model as
    inference evaluated it, when it ran."""
    if model is None:
        try:
            with no_gc_pauses():
                model = Evaluator(ctx).instantiate(info, {}, info.node.span)
        except RecursionError:
            return []
    found = []
    for who, layer in _layers(model, None, set()):
        try:
            check_arguments(layer.name, layer.args)
        except ShapeProblem as problem:
            found.append(
                Diagnostic(f"{who} {problem.message}", layer.span, problem.hint)
            )
        except (Unknowable, TypeError, ValueError, KeyError, IndexError):
            continue
    return found


def _layers(module: Any, name: str | None, seen: set[int]):
    """(how diagnostics name it, layer) for every layer under `module`, once each."""
    if id(module) in seen:
        return
    seen.add(id(module))
    if isinstance(module, LayerModule):
        who = f"`{name}` ({module.name})" if name and name != module.name else None
        yield who or f"`{module.name}`", module
    elif isinstance(module, SeqModule):
        for _, child in module.children:
            yield from _layers(child, None, seen)
    elif isinstance(module, BlockModule):
        for member in module.members:
            yield from _layers(module.env.get(member), member, seen)


def _run(run, info, forward, bound, declared, given) -> Result:
    """Every input has a shape given or declared (infer_model made sure)."""
    model = run.evaluator.instantiate(info, bound, info.node.span)
    tensors = [
        Tensor(
            tuple(given[inp.name])
            if inp.name in given
            else run.declared_dims(shape, model),
            f"input `{inp.name}`",
        )
        for inp, shape in zip(forward.inputs, declared, strict=True)
    ]
    outputs = run.forward(model, tensors, "")
    return Result(
        outputs if isinstance(outputs, list) else [outputs],
        run.rows,
        count_parameters(model),
        run.all_diagnostics(),
        model,
    )


def _declared(info: DefInfo, inp: ir.Input) -> ir.Shape | None:
    if inp.shape is not None:
        return inp.shape
    if info.base is not None and inp.name == info.forward.inputs[0].name:  # type: ignore[union-attr]
        channels = _dim(image_channels(info))
        return ir.Shape(dims=(_dim("N"), channels, _dim("H"), _dim("W")))  # images
    return None


def _dim(value: int | str) -> ir.Dim:
    return ir.Dim(value=value)


class Inference(ForwardValues, ModuleCalls):
    def __init__(self, ctx: Context, concrete: bool, sizes: dict[str, int]) -> None:
        self.ctx = ctx
        self.evaluator = Evaluator(ctx)
        self.concrete = concrete
        self.sizes = sizes
        self.rows: list[Row] = []
        self.diagnostics: list[Diagnostic] = []
        self.frames: list[Note] = []  # the calls that led to what runs now
        self._reported: set[tuple[object, str]] = set()
        self._counted: set[object] = set()
        self._row_at: dict[str, Row] = {}  # the first row for each module path
        self._report_at: Span | None = None  # see call(): a base step's problems
        #: an error inside a block, by line: the first call that hit it, and the
        #: outermost calls that hit it again (seven branches of one bad block)
        self._first_at: dict[Span, int] = {}
        self._again: dict[int, list[Note]] = {}

    def all_diagnostics(self) -> list[Diagnostic]:
        """The diagnostics, each error inside a block once, with a note naming the
        other calls that fail on the same line."""
        found = list(self.diagnostics)
        for index, calls in self._again.items():
            named = ", ".join(_call_named(note) for note in calls)
            also = Note(f"the same line fails in {len(calls)} more call(s): {named}")
            found[index] = replace(found[index], notes=(*found[index].notes, also))
        return found

    def declared_dims(self, shape: ir.Shape, model: BlockModule) -> Dims:
        out = []
        for dim in shape.dims:
            value = dim.value
            if isinstance(value, int):
                out.append(value)
            elif value in model.env and not isinstance(model.env[value], MODULE_TYPES):
                out.append(model.env[value])
            else:
                out.append(self.sizes.get(value, dims.symbol(value)))
        return tuple(out)

    # ---- diagnostics -------------------------------------------------------------------

    def report(self, message: str, span: Span | None, hint: str | None,
               severity: str = "error") -> None:  # fmt: skip
        span = self._report_at or span
        key = (span, message)
        if key in self._reported:
            return
        self._reported.add(key)
        if severity == "error" and self.frames and span is not None:
            first = self._first_at.setdefault(span, len(self.diagnostics))
            if first != len(self.diagnostics):
                self._again.setdefault(first, []).append(self.frames[0])
                return
        self.diagnostics.append(
            Diagnostic(
                message, span, hint, severity, notes=tuple(reversed(self.frames))
            )  # type: ignore[arg-type]
        )

    # ---- forward -----------------------------------------------------------------------

    def forward(self, block: BlockModule, inputs: list[Tensor], path: str) -> Any:
        forward = block.info.forward
        if forward is None or len(forward.inputs) != len(inputs):
            return UNKNOWN_TENSOR
        values: dict[str, Any] = {
            inp.name: tensor for inp, tensor in zip(forward.inputs, inputs, strict=True)
        }
        result = self.stmts(forward.body, values, block, path)
        return UNKNOWN_TENSOR if result is None else result

    def stmts(self, stmts, values, block, path) -> Any:
        for stmt in stmts:
            if isinstance(stmt, ir.FAssign):
                value = self.expr(stmt.value, values, block, path)
                if len(stmt.targets) == 1:
                    values[stmt.targets[0]] = value
                else:
                    self.unpack(stmt.targets, value, values, stmt.value.span)
            elif isinstance(stmt, ir.FReturn):
                results = [self.expr(v, values, block, path) for v in stmt.values]
                if len(results) == 1:
                    return results[0]
                return results
            elif isinstance(stmt, ir.FFor):
                result = run_for(self, stmt, values, block, path)
                if result is not None:
                    return result
            elif isinstance(stmt, ir.FCall):
                run_append(self, stmt, values, block, path)
            elif isinstance(stmt, ir.FIf):
                cond = self.branch_taken(stmt, values, block, path)
                if cond is not None:  # Python's truth: `if 1`, `if widths`
                    result = self.stmts(
                        stmt.then if cond else stmt.orelse, values, block, path
                    )
                    if result is not None:
                        return result
                elif _branch_returns(stmt):
                    return UNKNOWN_TENSOR  # chosen by a value known only at run time
                else:  # neither branch is checked; what they set is unknown after
                    for target in changed_by((*stmt.then, *stmt.orelse)):
                        values[target] = UNKNOWN_TENSOR
        return None

    def expr(self, node: ir.Node, values, block: BlockModule, path: str) -> Any:
        if isinstance(node, ir.Name):
            if node.id in values:
                return values[node.id]
            return block.env.get(node.id, UNKNOWN)
        if isinstance(node, (ir.ListExpr, ir.TupleExpr)):
            return [self.expr(item, values, block, path) for item in node.items]
        if isinstance(node, ir.Call):
            return self.call(node, values, block, path)
        if isinstance(node, ir.BinOp):
            left = self.expr(node.left, values, block, path)
            right = self.expr(node.right, values, block, path)
            joined = tensor_list_op(node.op, left, right)
            if joined is not None:  # `[t] * 3`, `[a] + [b]`: lists of tensors
                return joined
            if not isinstance(left, Tensor) and not isinstance(right, Tensor):
                return self.scalar(node, values, block)  # `[-1, c // 2]`
            return self.binop(node, left, right)
        if isinstance(node, ir.ListComp):
            return self.comprehension(node, values, block, path)
        if isinstance(node, ir.UnaryOp):
            operand = self.expr(node.operand, values, block, path)
            if isinstance(operand, Tensor):
                return operand
            return self.scalar(node, values, block)
        if isinstance(node, ir.Subscript):
            return self.subscript(node, values, block, path)
        if isinstance(node, ir.IfExp):
            cond = truth(self.scalar(node.cond, values, block))
            if cond is not None:
                return self.expr(
                    node.then if cond else node.orelse, values, block, path
                )
            return UNKNOWN_TENSOR
        return self.scalar(node, values, block)

    def comprehension(self, node: ir.ListComp, values, block, path: str) -> Any:
        """`[fc(x) * k for k in range(3)]` in forward: the loop runs at build time,
        each item on shapes."""
        out: list[Any] = []
        if not self._clauses(node, 0, values, block, path, out):
            return UNKNOWN_TENSOR
        return out

    def _clauses(self, node: ir.ListComp, index: int, values, block, path, out) -> bool:
        """The clauses from `index` on, as Python nests them; False when an
        iterable or a filter is known only when the model runs."""
        if index == len(node.clauses):
            out.append(self.expr(node.elt, values, block, path))
            return True
        clause = node.clauses[index]
        if isinstance(clause, ir.CompIf):
            keep = truth(self.scalar(clause.cond, values, block))
            if keep is None:
                return False
            return not keep or self._clauses(node, index + 1, values, block, path, out)
        items = self.scalar(clause.iter, values, block)
        if not isinstance(items, (list, tuple, range)):
            return False
        for item in items:
            try:
                bound = unpack(clause.targets, item, UNKNOWN)
            except UnpackProblem:
                return False  # the evaluator of the block refuses it
            inner = {**values, **bound}
            if not self._clauses(node, index + 1, inner, block, path, out):
                return False
        return True

    def binop(self, node: ir.BinOp, left: Any, right: Any) -> Any:
        tensors = [v for v in (left, right) if isinstance(v, Tensor)]
        if not tensors:
            return UNKNOWN
        if len(tensors) == 1 or left.dims is None or right.dims is None:
            return tensors[0] if len(tensors) == 1 else UNKNOWN_TENSOR
        try:
            result = broadcast(left.dims, right.dims)
        except ShapeDepends as problem:
            self.warn_depends(f"`{node.op}`", problem, node.span)
            result = problem.result
        except ShapeProblem as problem:
            self.report(
                f"`{node.op}` {problem.message}",
                node.span,
                f"{problem.hint}; the left side comes from {left.origin}, the right "
                f"side from {right.origin}",
            )
            return UNKNOWN_TENSOR
        return Tensor(result, origin(node.span))

    # ---- calls -------------------------------------------------------------------------

    def call(self, node: ir.Call, values, block: BlockModule, path: str) -> Any:
        args = [self.expr(a.value, values, block, path) for a in node.args]
        written = _written_out(block)
        if written is None:
            return self._call(node, args, values, block, path)
        if node.span != written:  # a replacement's line, or an `at` rewrite's
            result = self._call(node, args, values, block, path)
            return retagged(result, cause=node.span) if node.span else result
        # one of the base's own steps: written at the `extends` line
        cause = next((a.cause for a in args if isinstance(a, Tensor) and a.cause), None)
        outer = self._report_at
        self._report_at = cause or outer
        try:
            result = self._call(node, args, values, block, path)
        finally:
            self._report_at = outer
        name = node.func.dotted if isinstance(node.func, ir.Path) else node.func.id
        changes: dict[str, Any] = {
            "origin": f"the base's `{name}` (line {written.line})"
        }
        if cause is not None:  # else what the step's output already carries
            changes["cause"] = cause
        return retagged(result, **changes)

    def _call(self, node: ir.Call, args, values, block: BlockModule, path: str) -> Any:
        func = node.func
        if isinstance(func, ir.Path):
            owner = block.env.get(func.parts[0])
            module = (
                owner.child(func.parts[1:])
                if isinstance(owner, BaseModule)
                else dotted_child(owner, func.parts[1:])  # `blocks.conv`: dicts.py
            )
            return apply_child(self, block, module, args, node.span, path, func.dotted)
        if isinstance(func, ir.Subscript):  # `blocks["conv"](x)`: shapes/dicts.py
            where, child = keyed_child(self, func, values, block)
            if not isinstance(child, MODULE_TYPES):
                return UNKNOWN_TENSOR
            return apply_child(self, block, child, args, node.span, path, where)
        if not isinstance(func, ir.Name):
            return UNKNOWN_TENSOR
        if func.id in values:  # a loop's module (`for layer in children()`)
            member = values[func.id]
            if not isinstance(member, MODULE_TYPES):
                return UNKNOWN_TENSOR
            where = child_path(block, member, func.id)  # `stages.stage1`, not `stage`
            return apply_child(self, block, member, args, node.span, path, where)
        member = block.env.get(func.id)
        if isinstance(member, MODULE_TYPES):
            args = self.by_position(node, args, member)  # `gate(g=d5, x=x4)`
            return self.apply(member, args, node.span, join(path, func.id), func.id)
        if func.id in block.info.members:  # built under a condition not known here
            return UNKNOWN_TENSOR  # never the tensor op of the same name (`mean`)
        if func.id in TENSOR_OPS:
            return self.op(func.id, node, args)
        if func.id in BUILTINS:
            return self.evaluator.expr(node, block.env)
        return UNKNOWN_TENSOR

    def op(self, name: str, node: ir.Call, args: list[Any]) -> Any:
        try:
            positional, keywords = split_arguments(node, args)
        except ValueError:
            return UNKNOWN_TENSOR
        bound = bind_arguments(TENSOR_OPS[name].signature, positional, keywords)
        if TENSOR_OPS[name].gives == "sizes":
            return self.size_values(bound)
        return self.run_op(name, bound, node.span, args)

    def run_op(
        self, name: str, bound: dict[str, Any], span: Span | None, args: list[Any]
    ) -> Any:
        op = TENSOR_OPS[name]
        tensor_params = [
            p.name
            for p in op.signature.params
            if p.types in (("tensor",), ("tensors",))
        ]
        inputs = []
        for name_ in tensor_params:
            value = bound.pop(name_, UNKNOWN)
            if isinstance(value, list):
                if not value or not all(
                    isinstance(v, Tensor) and v.dims is not None for v in value
                ):
                    return UNKNOWN_TENSOR
                inputs.append([v.dims for v in value])
            elif isinstance(value, Tensor) and value.dims is not None:
                inputs.append(value.dims)
            else:
                return UNKNOWN_TENSOR
        return self.run_rule(
            OP_SHAPES[name], bound, inputs, span, f"`{name}`", tensors=args
        )

    def run_rule(self, rule, args, inputs, span, who: str, tensors,
                 defined_at: Span | None = None) -> Any:  # fmt: skip
        try:
            result = rule(args, *inputs)
        except ArgumentProblem as problem:
            self.report_argument(who, problem, span, defined_at)
            return UNKNOWN_TENSOR
        except ShapeProblem as problem:
            self.report(f"{who} {problem.message}", span, self._hint(problem, tensors))
            return UNKNOWN_TENSOR
        except ShapeDepends as problem:
            self.warn_depends(who, problem, span)
            if problem.result is None:
                return UNKNOWN_TENSOR
            result = problem.result
        except (
            Unknowable,
            TypeError,
            ValueError,
            KeyError,
            IndexError,
            ZeroDivisionError,
        ):
            return UNKNOWN_TENSOR
        if isinstance(result, tuple) and result and isinstance(result[0], tuple):
            return [Tensor(r, origin(span)) for r in result]
        if len(inputs) == 1 and result == inputs[0] and isinstance(tensors[0], Tensor):
            return Tensor(result, tensors[0].origin)  # ReLU, BatchNorm: not news
        return Tensor(result, origin(span))

    def report_argument(self, who: str, problem: ArgumentProblem, span,
                        defined_at: Span | None) -> None:  # fmt: skip
        """Shown where the layer is made; the call that revealed it is a note."""
        if defined_at is None or defined_at == span:
            self.report(f"{who} {problem.message}", span, problem.hint)
            return
        self.frames.append(Note(f"{who} is called here", span))
        try:
            self.report(f"{who} {problem.message}", defined_at, problem.hint)
        finally:
            self.frames.pop()

    def warn_depends(self, who: str, problem: ShapeDepends, span) -> None:
        """Sizes that agree for some inputs only: a warning, since the user may
        feed only those (`--input-shape` makes it exact)."""
        hint = "check it for the size you use: `--input-shape`"
        self.report(
            f"{who} {problem.message}",
            span,
            f"{problem.hint}; {hint}" if problem.hint else hint,
            severity="warning",
        )

    def _hint(self, problem: ShapeProblem, tensors: list[Any]) -> str | None:
        parts = [problem.hint] if problem.hint else []
        flat = [t for v in tensors for t in (v if isinstance(v, list) else [v])]
        shown = [t for t in flat if isinstance(t, Tensor) and t.dims is not None]
        if len(shown) == 1:
            parts.append(
                f"the input {describe(shown[0].dims)} comes from {shown[0].origin}"
            )
        if self.concrete and self.sizes:
            given = ", ".join(f"{k}={v}" for k, v in self.sizes.items())
            parts.append(f"for the input size given ({given})")
        return "; ".join(parts) or None


def _branch_returns(stmt: ir.FIf) -> bool:
    return any(True for _ in returns((stmt,)))


def _call_named(note: Note) -> str:
    """ "in `b2` (ConvBN), called here" at line 15 -> "`b2` (line 15)"."""
    name = note.message.removeprefix("in ").split(" (", 1)[0]
    return f"{name} (line {note.span.line})" if note.span else name


def _written_out(block: BlockModule) -> Span | None:
    """For a model that extends a base without a forward of its own: the span its
    written-out forward gives the base's steps (the `extends` clause)."""
    forward = block.info.forward
    if block.base is None or forward is None:
        return None
    if any(isinstance(s, ir.Forward) for s in block.info.node.body):
        return None
    return forward.span
