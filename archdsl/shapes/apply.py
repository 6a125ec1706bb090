"""Calling a module on shapes: a layer's rule, a Sequential child by child, a
block's forward (entered with a note at the call), a torchvision base's fitted rule
or, where something inside it was replaced, its children step by step. Each call
adds a row to `archdsl summary`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import bases
from ..errors import Note
from ..ops import TENSOR_OPS
from ..ops.shapes import LAYER_SHAPES
from ..ops.signature import bind_arguments
from ..source import Span
from .built import BaseModule, BlockModule, LayerModule, SeqModule, label_of
from .params import count_parameters
from .tensors import UNKNOWN_TENSOR, Row, Tensor, join, origin, retagged

if TYPE_CHECKING:
    from ..bases import SubModule


class ModuleCalls:
    """The module-calling half of `Inference` (archdsl/shapes/infer.py), which
    provides `forward`, `run_rule`, `run_op`, `frames` and the row tables."""

    def apply(self, module: Any, args: list[Any], span: Span | None, path: str,
              callee: str) -> Any:  # fmt: skip
        tensors = [a for a in args if isinstance(a, Tensor)]
        if len(tensors) != len(args) or any(t.dims is None for t in tensors):
            return UNKNOWN_TENSOR
        rows = [*self._parent_rows(module, path), self._row(module, path)]
        result = self._apply(module, tensors, span, path, callee)
        first = result[0] if isinstance(result, list) and result else result
        for row in rows:  # a parent entered child by child gives its last child's
            row.output = first.dims if isinstance(first, Tensor) else None
        return result

    def _row(self, module: Any, path: str) -> Row:
        """A summary row for a module call; its output is filled in after."""
        params: Any = "shared"
        if _identity(module) not in self._counted:
            self._counted.add(_identity(module))
            params = count_parameters(module)
        row = Row(path, label_of(module), None, params, path.count("."))
        self.rows.append(row)
        self._row_at.setdefault(path, row)
        return row

    def _parent_rows(self, module: Any, path: str) -> list[Row]:
        """Rows for the base submodules that a forward enters child by child (a
        tap at `features.5`, a wrapper's `body.layer1(x)`): each gets one, before
        its first child, with its own parameters."""
        if not (isinstance(module, BaseModule) and module.path and "." in path):
            return []
        parent = BaseModule(
            module.tree, module.path.rpartition(".")[0], module.span, module.replaced
        )
        parent_path = path.rpartition(".")[0]
        above = self._parent_rows(parent, parent_path)
        row = self._row_at.get(parent_path)
        if row is None:
            row = self._row(parent, parent_path)
        return [*above, row]

    def _apply(
        self, module: Any, tensors: list[Tensor], span, path: str, callee: str
    ) -> Any:
        if isinstance(module, LayerModule):
            rule = LAYER_SHAPES.get(module.name)
            if rule is None:
                return UNKNOWN_TENSOR
            who = (
                f"`{callee}` ({module.name})"
                if callee != module.name
                else f"`{callee}`"
            )
            dims = [t.dims for t in tensors]
            return self.run_rule(
                rule, module.args, dims, span, who, tensors,
                defined_at=module.span,
            )  # fmt: skip
        if isinstance(module, SeqModule):
            if module.kind != "Sequential":
                return UNKNOWN_TENSOR
            return self._sequence(module, tensors, span, path, callee)
        if isinstance(module, BlockModule):
            self.frames.append(
                Note(f"in `{callee}` ({module.info.name}), called here", span)
            )
            try:
                result = self.forward(module, tensors, path)
            finally:
                self.frames.pop()
            # a block's outputs, as its callers see them: made by the call
            return retagged(result, origin=origin(span), cause=None)
        if isinstance(module, BaseModule):
            return self._base(module, tensors, span, path, callee)
        return UNKNOWN_TENSOR

    def _sequence(self, module: SeqModule, tensors, span, path, callee) -> Any:
        if len(tensors) != 1:
            return UNKNOWN_TENSOR
        value: Any = tensors[0]
        self.frames.append(Note(f"in `{callee}` (Sequential), called here", span))
        try:
            for name, child in module.children:
                if not isinstance(value, Tensor) or value.dims is None:
                    return UNKNOWN_TENSOR
                # a block is named by its place (`layer2.0`), a layer by its type
                label = (
                    f"{callee}.{name}"
                    if isinstance(child, BlockModule)
                    else label_of(child)
                )
                value = self.apply(
                    child,
                    [value],
                    getattr(child, "span", span),
                    f"{path}.{name}",
                    label,
                )
        finally:
            self.frames.pop()
        return value

    def _base(self, module: BaseModule, tensors, span, path, callee) -> Any:
        node = module.tree.get(module.path)
        if node is None or len(tensors) != 1:
            return UNKNOWN_TENSOR
        inside = f"{module.path}."
        if any(not module.path or p.startswith(inside) for p in module.replaced):
            # something inside was replaced: run its children step by step
            return self._base_steps(module, node, tensors[0], span, path)
        x = tensors[0].dims
        from .base_rules import base_rule  # base models only: loads bases/probe.py

        rule = base_rule(module.tree, module.path)
        if rule is None or x is None:
            return UNKNOWN_TENSOR
        return self.run_rule(
            rule, {}, [x], span, f"`{callee}` ({node.type})", tensors=tensors
        )

    def _base_steps(
        self, module: BaseModule, node: SubModule, x: Tensor, span, path
    ) -> Any:
        if module.path == "":
            family = bases.family_of(module.tree.builder)
            steps = family.steps if family else ()
        elif node.type == "Sequential":
            steps = tuple(
                bases.Step(module=f"{module.path}.{c}") for c in node.children
            )
        else:
            return UNKNOWN_TENSOR
        value: Any = x
        for step in steps:
            if not isinstance(value, Tensor) or value.dims is None:
                return UNKNOWN_TENSOR
            if step.module:
                relative = step.module[len(module.path) :].lstrip(".")
                child = module.child(tuple(relative.split(".")))
                value = self.apply(child, [value], span, join(path, relative), relative)
            else:
                signature = TENSOR_OPS[step.op].signature
                bound = bind_arguments(signature, [value, *step.args], {})
                value = self.run_op(step.op, bound, span, [value])
        return value


def _identity(module: Any) -> object:
    """What makes two calls the same module: submodules of a base are made afresh
    at each lookup, so they are told apart by their base instance and path."""
    if isinstance(module, BaseModule):
        return (id(module.replaced), module.path)
    return id(module)
