"""The dataflow of a model, recorded while shape inference runs its forward.

Inference (archdsl/shapes/infer.py) already walks every module call and tensor op
with the shapes flowing between them; `Tracer` is that same walk, noting which call
made each tensor and which calls read it. Nothing is built and torch is never
imported: the picture is the checked IR's, not a trace of a PyTorch run.

Each call makes fresh output tensors (copies of what inference returns), so a
tensor's identity names the one step that made it. A call that runs others inside
(a block, a Sequential, a torchvision stage entered step by step) also remembers,
for each output, the tensor made inside: drawn open as a cluster, its output edge
starts at that inner step (archdsl/graph/layout.py).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from .. import ir
from ..records import dataclass, field, replace
from ..shapes.built import BlockModule, label_of
from ..shapes.infer import Inference, infer_model
from ..shapes.tensors import Result, Tensor, join


@dataclass(eq=False)
class Step:
    """One node of the dataflow: a model input or output, a module call or an op."""

    id: str  # n1, n2, ... in the order inference reached them: deterministic
    kind: str  # "input", "output", "module", "op", or "value" (a parameter, ...)
    name: str  # the member or op as written: `down1`, `cat`, `+`, input `x`
    layer: str = ""  # a module's type: `Down`, `Conv2d`
    path: str = ""  # a module's place in the model: `down1.maxpool_conv.0`
    params: Any = None  # a module's parameter count: int, symbolic, "shared"
    line: int | None = None
    column: int | None = None  # 1-based, where the call is written: the callee
    parent: Step | None = None  # the call it runs inside; None: the model's forward
    children: list[Step] = field(default_factory=list)
    inputs: list[Tensor] = field(default_factory=list)

    @property
    def depth(self) -> int:
        """0 for the model's own members and ops, 1 inside those, ..."""
        return 0 if self.parent is None else self.parent.depth + 1


@dataclass(eq=False)
class Made:
    """Where a tensor came from: its step, which output it is, and for a call that
    ran others, the tensor its inside made (None for a layer's own output)."""

    step: Step
    index: int
    inner: Tensor | None


@dataclass
class Trace:
    name: str  # the model's
    steps: list[Step] = field(default_factory=list)  # every step, in order
    made: dict[int, Made] = field(default_factory=dict)  # by id() of a tensor
    #: the tensors recorded, kept alive so that no id() is reused
    tensors: list[Tensor] = field(default_factory=list)
    result: Result | None = None

    def top(self) -> list[Step]:
        return [s for s in self.steps if s.parent is None]


def trace_model(ctx, info, params=None, input_shapes=None) -> Trace:
    """The dataflow of `info`'s forward, for these parameters and input shapes
    (infer_model's arguments). The trace's `result` is inference's, diagnostics
    included: None when the inputs' shapes are unknown."""
    trace = Trace(info.name)
    trace.result = infer_model(
        ctx, info, params, input_shapes, engine=partial(Tracer, trace=trace)
    )
    return trace


class Tracer(Inference):
    """Shape inference that records a `Trace` as it goes."""

    def __init__(self, *args: Any, trace: Trace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trace = trace
        self._open: list[Step] = []  # the calls being run, outermost first
        self._returned: Any = None  # what the last forward returned, before retagging
        self._called: Any = None  # what the last call returned, before retagging

    # ---- recording ---------------------------------------------------------------------

    def _step(self, kind: str, name: str, inputs: list[Tensor], **fields: Any) -> Step:
        """A new step inside the call being run, reading `inputs`."""
        for tensor in inputs:
            if id(tensor) not in self.trace.made:
                self._value(tensor)
        parent = self._open[-1] if self._open else None
        step = Step(f"n{len(self.trace.steps) + 1}", kind, name, parent=parent,
                    inputs=inputs, **fields)  # fmt: skip
        self.trace.steps.append(step)
        if parent is not None:
            parent.children.append(step)
        return step

    def _made(self, step: Step, result: Any, inner: Any, index: int = 0) -> Any:
        """`result` as `step`'s outputs: each tensor a fresh copy that names it."""
        if isinstance(result, list):
            inners = inner if isinstance(inner, list) else [None] * len(result)
            return [
                self._made(step, r, i, index + n)
                for n, (r, i) in enumerate(zip(result, inners, strict=False))
            ]
        if not isinstance(result, Tensor):
            return result
        copy = replace(result)
        known_inner = (
            inner
            if isinstance(inner, Tensor) and id(inner) in self.trace.made
            else None
        )
        self.trace.made[id(copy)] = Made(step, index, known_inner)
        self.trace.tensors.append(copy)
        return copy

    def _value(self, tensor: Tensor) -> None:
        """A tensor no step made (a parameter or buffer read in forward, or one made
        where no step is recorded): a node of its own, named by where it was made,
        so that the edges from it are drawn all the same."""
        step = self._step("value", _named(tensor.origin), [])
        self.trace.made[id(tensor)] = Made(step, 0, None)
        self.trace.tensors.append(tensor)

    # ---- the walk ----------------------------------------------------------------------

    def forward(self, block: BlockModule, inputs: list[Tensor], path: str) -> Any:
        top = not self._open and not self.trace.steps
        if top:
            inputs = self._inputs(block, inputs)
        result = super().forward(block, inputs, path)
        self._returned = result
        if top:
            self._outputs(block, result)
        return result

    def apply(self, module, args, span, path: str, callee: str) -> Any:
        tensors = [a for a in args if isinstance(a, Tensor)]
        step = self._step("module", callee, tensors, layer=label_of(module), path=path,
                          **_where(span))  # fmt: skip
        first_row = len(self.rows)
        self._open.append(step)
        self._returned = None
        try:
            result = super().apply(module, args, span, path, callee)
        finally:
            self._open.pop()
        step.params = next(
            (row.params for row in self.rows[first_row:] if row.path == path), None
        )
        if not step.children:
            return self._made(step, result, None)
        inner = self._returned if isinstance(module, BlockModule) else result
        return self._made(step, result, inner)

    def call(self, node: ir.Call, values, block: BlockModule, path: str) -> Any:
        """A call's result, which inference may hand on retagged (copies that say
        where a base's step is written): the copies name the same step."""
        self._called = None
        result = super().call(node, values, block, path)
        self._alias(result, self._called)
        return result

    def _call(self, node: ir.Call, args, values, block, path: str) -> Any:
        first = len(self.trace.steps)
        result = super()._call(node, args, values, block, path)
        if len(self.trace.steps) == first and _tensors([result]):
            # inference stopped short of a module or op (a member whose value is
            # not known here): the call is still a step, of an unknown layer
            name = _callee(node)
            member = name.split(".")[0] in block.info.members
            step = self._step("module" if member else "op", name, _tensors(args),
                              layer="?" if member else "", path=join(path, name),
                              **_where(node.span))  # fmt: skip
            result = self._made(step, result, None)
        self._called = result
        return result

    def _alias(self, result: Any, original: Any) -> None:
        if isinstance(result, list) and isinstance(original, list):
            for r, o in zip(result, original, strict=False):
                self._alias(r, o)
        elif result is not original and id(original) in self.trace.made:
            self.trace.made[id(result)] = self.trace.made[id(original)]
            self.trace.tensors.append(result)

    def run_op(self, name: str, bound, span, args: list[Any]) -> Any:
        step = self._step("op", name, _tensors(args), line=span.line if span else None)
        return self._made(step, super().run_op(name, bound, span, args), None)

    def tensor_subscript(self, node: ir.Subscript, tensor: Tensor, values, block):
        """`x[:, :c]`: an op, named by its index as written."""
        result = super().tensor_subscript(node, tensor, values, block)
        written = node.span.text() if node.span else None
        before = node.value.span.text() if node.value.span else None
        name = written[len(before) :] if written and before else "[...]"
        step = self._step(
            "op", name, [tensor], line=node.span.line if node.span else None
        )
        return self._made(step, result, None)

    def binop(self, node: ir.BinOp, left: Any, right: Any) -> Any:
        result = super().binop(node, left, right)
        if not isinstance(result, Tensor):
            return result
        line = node.span.line if node.span else None
        step = self._step("op", node.op, _tensors([left, right]), line=line)
        return self._made(step, result, None)

    def _inputs(self, block: BlockModule, inputs: list[Tensor]) -> list[Tensor]:
        forward = block.info.forward
        names = [i.name for i in forward.inputs] if forward else []
        made = []
        for name, tensor in zip(names, inputs, strict=False):
            step = self._step("input", name, [])
            made.append(self._made(step, tensor, None))
        return made

    def _outputs(self, block: BlockModule, result: Any) -> None:
        values = result if isinstance(result, list) else [result]
        names = _returned_names(block.info.forward, len(values))
        for name, value in zip(names, values, strict=True):
            if isinstance(value, Tensor):
                self._step("output", name, [value])


def _callee(node: ir.Call) -> str:
    if isinstance(node.func, ir.Path):
        return node.func.dotted
    return node.func.id if isinstance(node.func, ir.Name) else "?"


def _tensors(values: list[Any]) -> list[Tensor]:
    """The tensors among a call's arguments, lists of tensors (`cat`) opened."""
    found = []
    for value in values:
        if isinstance(value, list):
            found += _tensors(value)
        elif isinstance(value, Tensor):
            found.append(value)
    return found


def _returned_names(forward: ir.Forward | None, count: int) -> list[str]:
    """What the model's outputs are called: the names its last `return` gives them
    (`return x10, x1000`), else `output` (`output 1`, `output 2`, ...): also where
    a name is an input's too (`x = f(x)`; `return x`), which would read as one."""
    returns = [s for s in forward.body if isinstance(s, ir.FReturn)] if forward else []
    inputs = {i.name for i in forward.inputs} if forward else set()
    if returns and len(returns[-1].values) == count:
        names = [v.id if isinstance(v, ir.Name) else "" for v in returns[-1].values]
        if all(names) and len(set(names)) == count and not inputs & set(names):
            return names
    if count == 1:
        return ["output"]
    return [f"output {n}" for n in range(1, count + 1)]


def _named(origin: str) -> str:
    """How inference describes where a tensor was made ("parameter `token`",
    "`zeros(1, d)` (line 4)") as a node's name: without the line and backticks."""
    code = origin.rpartition(" (line ")[0] if origin.endswith(")") else origin
    return code.replace("`", "") or "a tensor"


def _where(span) -> dict[str, int | None]:
    """A step's line and column: where an editor's hover finds it."""
    if span is None:
        return {"line": None, "column": None}
    return {"line": span.line, "column": span.column}
