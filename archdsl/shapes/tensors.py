"""What shape inference computes: tensors of (symbolic) shapes, summary rows, a
model's result, and the small helpers that tag where a tensor was made."""

from __future__ import annotations

from typing import Any

from ..errors import Diagnostic
from ..ops.shapes import Dims
from ..records import dataclass, field, replace
from ..source import Span
from .built import BlockModule


@dataclass
class Tensor:
    dims: Dims | None  # None: not even the rank is known
    origin: str = ""  # where it was made, for hints: "`down1(x1)` (line 56)"
    #: in a forward written out from a torchvision base: the replacement (or `at`
    #: rewrite) this was made by or from, where the base's own steps report
    cause: Span | None = None


UNKNOWN_TENSOR = Tensor(None)


@dataclass
class Row:
    """One module call, for `archdsl summary`."""

    path: str
    layer: str
    output: Dims | None
    params: Any
    depth: int


@dataclass
class Result:
    outputs: list[Tensor]
    rows: list[Row]
    params: Any  # the model's parameter count (int, symbolic, or UNKNOWN)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    model: BlockModule | None = None  # as evaluated for this inference

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


class InputShapeError(Exception):
    """An input shape given on the command line does not fit the declared one."""

    def __init__(self, message: str, span: Span | None) -> None:
        super().__init__(message)
        self.span = span  # the input's declaration


def tensor_list_op(op: str, left: Any, right: Any) -> list[Any] | None:
    """A list of tensors repeated or joined, as Python does it; None otherwise."""
    lists = [v for v in (left, right) if isinstance(v, list)]
    if not any(isinstance(item, Tensor) for v in lists for item in v):
        return None
    if op == "+" and len(lists) == 2:
        return [*left, *right]
    count = right if isinstance(left, list) else left
    if (
        op == "*"
        and len(lists) == 1
        and isinstance(count, int)
        and 0 <= count <= 10_000
    ):
        return lists[0] * count
    return None


def retagged(result: Any, **changes: Any) -> Any:
    """A call's output tensors (one, or a list) with `origin` or `cause` changed;
    tensors of unknown shape stay as they are."""
    if isinstance(result, list):
        return [retagged(r, **changes) for r in result]
    if isinstance(result, Tensor) and result.dims is not None:
        return replace(result, **changes)
    return result


def join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def origin(span: Span | None) -> str:
    if span is None:
        return "the base model"
    text = span.source.line(span.line)
    end = span.end_column if span.end_line == span.line else len(text) + 1
    return f"`{text[span.column - 1 : end - 1].strip()}` (line {span.line})"
