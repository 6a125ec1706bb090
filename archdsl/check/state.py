"""Parameters and buffers as members (issue 12, item 7):

    class_token = Parameter(zeros(1, 1, hidden_dim))
    pos_embedding = Parameter(empty(1, seq_length, hidden_dim).normal_(std=0.02))
    layer_scale = Parameter(ones(dim, 1, 1) * layer_scale_value)
    mask = Buffer(ones(8, 8), persistent=False)

`Parameter` and `Buffer` are torch's `nn.Parameter` and `nn.Buffer`: assigned to a
member, each registers the tensor under the member's name, so its state_dict key
is where PyTorch puts it. The tensor is made by a torch factory (`zeros`, `ones`,
`empty`, `full`, `rand`, `randn`, also spelt `torch.zeros`), maybe filled in place
(`.normal_(...)`, `.uniform_(...)`, `.fill_(...)`, `.zero_()`) or scaled by a
build-time number. In `forward` the member is a tensor of that shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import ir
from ..ops.nn_signatures import REQUIRED
from ..ops.signature import Signature
from . import types
from .calls import bind
from .context import Value

if TYPE_CHECKING:
    from .build import BuildChecker

#: What a `Parameter(...)`/`Buffer(...)` call is, at build time.
STATE = "state"

_TENSOR = ("data", "pos", REQUIRED, ("any",), None)
#: torch.nn.Parameter(data, requires_grad) and torch.nn.Buffer(data, persistent)
HOLDERS: dict[str, tuple[tuple, ...]] = {
    "Parameter": (_TENSOR, ("requires_grad", "pos", True, ("bool",), None)),
    "Buffer": (_TENSOR, ("persistent", "kw", True, ("bool",), None)),
}

#: Factories taking the sizes (separately or as one list): torch.zeros(2, 3).
SIZED = frozenset({"zeros", "ones", "empty", "rand", "randn"})
#: torch.full(size, fill_value): the size as one list.
FULL = "full"

_SELF = ("self", "pos", REQUIRED, ("any",), None)
#: In-place fills, as Tensor methods: `t.normal_(std=0.02)` (lowered to
#: `normal_(t, std=0.02)`), with Tensor's own parameter names.
FILLS: dict[str, tuple[tuple, ...]] = {
    "normal_": (
        _SELF,
        ("mean", "pos", 0.0, ("float",), None),
        ("std", "pos", 1.0, ("float",), None),
    ),
    "uniform_": (
        _SELF,
        ("from", "pos", 0.0, ("float",), None),
        ("to", "pos", 1.0, ("float",), None),
    ),
    "fill_": (_SELF, ("value", "pos", REQUIRED, ("float",), None)),
    "zero_": (_SELF,),
}

_SCALING = ("*", "/", "+", "-")


def called(expr: ir.Node) -> str | None:
    """`zeros` for `zeros(...)`, `torch.zeros(...)`, `nn.Parameter(...)`."""
    if not isinstance(expr, ir.Call):
        return None
    func = expr.func
    if isinstance(func, ir.Name):
        return func.id
    if isinstance(func, ir.Path) and func.parts[:-1] in (
        ("torch",),
        ("nn",),
        ("torch", "nn"),
    ):
        return func.parts[-1]
    return None


def is_holder(expr: ir.Node) -> bool:
    """A `Parameter(...)` or `Buffer(...)` call."""
    return called(expr) in HOLDERS


def is_tensor_maker(expr: ir.Node) -> bool:
    """A factory call or an in-place fill of one: codegen spells these."""
    name = called(expr)
    return name in SIZED or name == FULL or name in FILLS


def tensor_sizes(expr: ir.Node) -> list[ir.Node] | None:
    """The size expressions of the tensor `expr` makes, or None if it makes none
    this module understands. `ones(d, 1, 1)` -> [d, 1, 1]; `full([2, 3], 0.5)` ->
    [2, 3]; fills and scaling keep the shape."""
    name = called(expr)
    if isinstance(expr, ir.BinOp) and expr.op in _SCALING:
        left, right = tensor_sizes(expr.left), tensor_sizes(expr.right)
        return left if right is None else right if left is None else None
    if not isinstance(expr, ir.Call) or name is None:
        return None
    positional = expr.positional
    if name in FILLS:
        return tensor_sizes(positional[0]) if positional else None
    if name == FULL:
        return _listed(positional[:1])
    if name in SIZED:
        return _listed(positional)
    return None


def _listed(args: list[ir.Node]) -> list[ir.Node] | None:
    if len(args) == 1 and isinstance(args[0], (ir.ListExpr, ir.TupleExpr)):
        return list(args[0].items)
    return list(args) if args else None


# ---- checks ---------------------------------------------------------------------------


def check_holder(checker: BuildChecker, call: ir.Call) -> Value:
    """`Parameter(t, requires_grad=False)`, `Buffer(t, persistent=False)`."""
    name = called(call)
    assert name in HOLDERS
    data = call.positional[0] if call.positional else None
    values = [
        Value("any") if arg.value is data else checker.expr(arg.value)
        for arg in call.args
    ]
    bind(checker.ctx, name, Signature.from_table(HOLDERS[name]), call, values)
    if data is not None:
        _check_tensor(checker, data)
    return Value(STATE)


def _check_tensor(checker: BuildChecker, expr: ir.Node) -> None:
    ctx = checker.ctx
    if isinstance(expr, ir.BinOp) and expr.op in _SCALING:
        tensors = [s for s in (expr.left, expr.right) if tensor_sizes(s) is not None]
        if len(tensors) == 1:
            _check_tensor(checker, tensors[0])
            other = expr.right if tensors[0] is expr.left else expr.left
            _number(checker, other)
            return
    name = called(expr)
    if isinstance(expr, ir.Call) and name in FILLS:
        first = expr.positional[0] if expr.positional else None
        values = [
            Value("any") if arg.value is first else checker.expr(arg.value)
            for arg in expr.args
        ]
        bind(ctx, f"Tensor.{name}", Signature.from_table(FILLS[name]), expr, values)
        if first is not None:
            _check_tensor(checker, first)
        return
    sizes = tensor_sizes(expr)
    if sizes is None:
        ctx.error(
            "a parameter or buffer starts from a tensor made by `zeros`, `ones`, "
            "`empty`, `full`, `rand` or `randn`",
            expr.span,
            hint="for example `Parameter(zeros(1, 1, hidden_dim))`",
        )
        return
    for size in sizes:
        value = checker.expr(size)
        if not types.accepts(("int",), value.type):
            ctx.error(
                f"a tensor size is a whole number, got {types.describe(value.type)}",
                size.span,
            )
    if name == FULL:
        if len(expr.positional) != 2:
            ctx.error("`full` takes a size and a fill value", expr.span)
        else:
            _number(checker, expr.positional[1])


def _number(checker: BuildChecker, expr: ir.Node) -> None:
    value = checker.expr(expr)
    if not types.accepts(("float",), value.type):
        checker.ctx.error(
            f"a tensor is scaled by a number, got {types.describe(value.type)}",
            expr.span,
        )


def state_dims(expr: ir.Call, evaluate) -> tuple[object, ...] | None:
    """The shape a holder's tensor has, its sizes evaluated by `evaluate` (build
    time: ints, or UNKNOWN); None when it is not understood."""
    data = expr.positional[0] if expr.positional else None
    sizes = tensor_sizes(data) if data is not None else None
    if sizes is None:
        return None
    return tuple(evaluate(size) for size in sizes)
