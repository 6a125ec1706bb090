"""What the checks share: the diagnostics found so far and what they learned."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import ir
from ..errors import Diagnostic
from ..records import dataclass, field
from ..source import Span
from .guards import EVERYWHERE, Guards
from .limits import Limits

if TYPE_CHECKING:  # loaded only for specs that extend a base model (bases/__init__)
    from ..bases import BaseTree, SubModule


@dataclass
class ModuleRef:
    """What a module-valued expression builds, as far as callers need to know."""

    label: str  # for messages: `Conv2d`, `DoubleConv`, `Sequential`
    inputs: int | None = 1  # tensors its forward takes; None when unknown
    outputs: int | None = 1  # tensors it returns; None when unknown
    callable: bool = True
    definition: str | None = None  # the block/model it instantiates, if any
    #: a torchvision model, or a submodule of one: its tree and this module's path
    tree: BaseTree | None = None
    prefix: str = ""
    #: it changes its (first) input in place: `ReLU(inplace=True)`
    inplace: bool = False
    #: a Sequential's first child: the Sequential changes its input when that does
    first: ModuleRef | None = None
    #: a Sequential's children by state_dict name; None when `*` spreads some
    children: tuple[tuple[str, ModuleRef | None], ...] | None = None

    # written out (archdsl/records.py's shared one is slower): one per call checked
    def __init__(self, label: str, inputs: int | None = 1, outputs: int | None = 1,
                 callable: bool = True, definition: str | None = None,
                 tree: BaseTree | None = None, prefix: str = "", inplace: bool = False,
                 first: ModuleRef | None = None,
                 children: tuple[tuple[str, ModuleRef | None], ...] | None = None,
                 ) -> None:  # fmt: skip
        self.label, self.inputs, self.outputs = label, inputs, outputs
        self.callable, self.definition, self.tree = callable, definition, tree
        self.prefix, self.inplace, self.first = prefix, inplace, first
        self.children = children

    def subpath(self, parts: tuple[str, ...]) -> str:
        """The tree path of `member.a.b`: `parts` are the parts after the member."""
        return ".".join(p for p in (self.prefix, *parts) if p)


@dataclass
class Value:
    type: str  # see check/types.py; "tensor" and "tensors" in forward
    module: ModuleRef | None = None
    #: tensors in a forward value: 2 for `return a, b` results; None when known
    #: only at run time (`split(x, 2)` over a dim whose size is a symbol)
    arity: int | None = 1

    # written out (archdsl/records.py's shared one is slower): one per name bound
    def __init__(self, type: str, module: ModuleRef | None = None,
                 arity: int | None = 1) -> None:  # fmt: skip
        self.type, self.module, self.arity = type, module, arity


@dataclass
class Symbol:
    name: str
    kind: str  # param, const, member, loop, input, value
    value: Value
    span: Span | None
    #: the `if` conditions under which it is defined (check/guards.py)
    guards: Guards = EVERYWHERE

    # written out (archdsl/records.py's shared one is slower): one per name bound
    def __init__(self, name: str, kind: str, value: Value, span: Span | None,
                 guards: Guards = EVERYWHERE) -> None:  # fmt: skip
        self.name, self.kind, self.value = name, kind, value
        self.span, self.guards = span, guards


@dataclass
class BaseInfo:
    """`model M extends torchvision.<builder>(...)`: what checks learned of the base."""

    builder: str
    call: ir.Call
    tree: BaseTree


@dataclass(frozen=True)
class WeightsSpec:
    """`weights("file.safetensors", strict=False, allow_pickle=False)`."""

    path: str
    strict: bool = True
    allow_pickle: bool = False


@dataclass
class DefInfo:
    """What the checks learned about one block, model or builder; codegen reads it."""

    node: ir.Block | ir.Model | ir.Builder
    inputs: tuple[str, ...] = ()
    outputs: int = 1
    #: what `forward` returns in training mode where that differs (`if training {
    #: return x, aux2, aux1 }`); None when it returns the same in both modes
    train_outputs: int | None = None
    members: dict[str, Symbol] = field(default_factory=dict)
    consts: dict[str, Symbol] = field(default_factory=dict)
    #: build-time names (parameters, constants) that `forward` reads: stored on self
    stored: list[str] = field(default_factory=list)
    #: forward values that hold run-time numbers, not tensors (`n, c, h, w =
    #: size(x)`): codegen writes them inline, as it does build-time values
    scalars: set[str] = field(default_factory=set)
    #: other definitions this one builds, with where (for the recursion check)
    uses: dict[str, Span | None] = field(default_factory=dict)
    #: build-time names whose values are known at check time (literal defaults,
    #: constants computed from them)
    known: dict[str, object] = field(default_factory=dict)
    #: constants among `known` that no parameter can change (`use_bn = True`)
    fixed: set[str] = field(default_factory=set)
    base: BaseInfo | None = None  # a model that extends a torchvision model
    #: the forward codegen writes: the spec's own, or one made from the base's steps
    forward: ir.Forward | None = None
    weights: WeightsSpec | None = None
    freeze: tuple[str, ...] = ()
    #: children named at build time (`add_module(...)` in its body: check/loops.py)
    named_children: bool = False
    #: constants given a new value after their first (in a loop, typically)
    reassigned: set[str] = field(default_factory=set)
    #: a builder's result type: "module" (`_make_layer`), or a value's (`int`)
    returns: str = "module"
    #: forward's loop variables that hold modules (`for layer in children()`)
    loop_modules: set[str] = field(default_factory=set)
    #: `init { ... }` statements, in body order, inside `if`s too (check/init.py)
    inits: list[ir.Init] = field(default_factory=list)
    #: each freeze pattern with where it was written (check/freeze.py)
    freeze_spans: list[tuple[str, Span | None]] = field(default_factory=list)
    #: what its constructor builds, counted against the limits (check/limits.py)
    modules_built: int = 0
    params_built: int = 0
    #: submodules of torchvision models replaced in this definition, in order:
    #: (tree, the submodule replaced, the new module expression)
    replacements: list[tuple[BaseTree, SubModule, ir.Node]] = field(
        default_factory=list
    )
    #: what each replacement builds, by the replaced submodule's path
    replaced_refs: dict[str, ModuleRef | None] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def kind(self) -> str:
        return self.node.kind


@dataclass
class Context:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    defs: dict[str, DefInfo] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    #: steps of build-time evaluation so far in this check, against
    #: limits.max_steps (shapes/modules.py: every evaluator of the check draws on it)
    eval_steps: int = 0
    #: what the counting pass (shapes/counting.py) found for each definition
    #: built with its defaults, where nothing was refused: a build of one of them
    #: draws its steps instead of counting it again (Evaluator._count_first)
    counted: dict[str, Any] = field(default_factory=dict)
    #: layer calls of literal arguments that bound cleanly, and what they build
    #: (check/build.py's BuildChecker._layer_call)
    layer_calls: dict[tuple, tuple[int, int, bool]] = field(default_factory=dict)
    #: what a check may take from the check before (check/memo.py's CheckMemo,
    #: for the editor's re-checks: archdsl.incremental); None for a check alone
    memo: object | None = None

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)

    def error(self, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(message, span, hint))

    def warning(self, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(message, span, hint, severity="warning"))
