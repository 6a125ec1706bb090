"""In-place layers: a value read after a layer changed it in place.

Values in `forward` are names: `y = relu(x); return x + y` means relu(x) + x. With
`relu = ReLU(inplace=True)` PyTorch overwrites x's storage, so the generated model
computes 2 * relu(x) (and changes its caller's tensor). This pass follows which
names share storage (a name assigned from another, a view such as `flatten`, an
in-place layer's result) and refuses a read of a name whose storage an in-place
layer changed after the name was bound. A block whose forward changes one of its
inputs in place changes its caller's tensor: its calls count as in-place too."""

from __future__ import annotations

from itertools import count
from typing import Any

from .. import ir
from ..bases.catalog import KEEPS_OUTPUT_BLOCKS
from ..ir.walk import children
from ..ops import TENSOR_OPS, layer
from ..ops.layers import SAVES_OUTPUT, SAVES_OUTPUT_INPLACE
from ..ops.signature import Signature
from ..records import dataclass, field
from ..source import Span
from .arguments import argument_for
from .context import Context, DefInfo, ModuleRef

#: Layers whose output is their input, or a view of it (Dropout returns its input
#: unchanged in eval mode): an in-place layer after them changes their input too.
VIEW_LAYERS = frozenset(
    {"Identity", "Flatten", "Unflatten", "Dropout", "Dropout1d", "Dropout2d",
     "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"}
)  # fmt: skip

#: Layers whose output is their input or a view of it in training too: what they
#: pass on autograd may keep (`Sequential(Block(...), Identity())`, the oracle's F26).
PASS_THROUGH = frozenset({"Identity", "Flatten", "Unflatten"})

#: Tensor operations that return a view of their first argument, or views of its
#: parts (`chunk`, `split`, `unbind`): a part shares its whole's storage here, so
#: changing a piece in place changes the whole (and the other pieces count as
#: changed too: torch refuses to train through a changed piece of these anyway).
VIEW_OPS = frozenset(
    {"flatten", "unsqueeze", "squeeze", "reshape", "permute", "transpose", "view",
     "expand", "contiguous", "chunk", "split", "unbind"}
)  # fmt: skip
#: Those giving several views: torch refuses to train through a piece of theirs
#: changed in place ("a view ... of a function that returns multiple views").
PIECE_OPS = frozenset({"chunk", "split", "unbind"})


def is_inplace(sig: Signature, call: ir.Call) -> bool:
    """Whether a layer call builds a layer that may work in place: `inplace=True`,
    or any `inplace` argument but a literal False (a parameter's default can be
    overridden by the caller, so only a literal is known for every build)."""
    if sig.param("inplace") is None:
        return False
    expr = argument_for(sig, call, "inplace")
    return expr is not None and not (isinstance(expr, ir.Constant) and not expr.value)


def spread_first(arg: ir.Node, ctx: Context) -> ModuleRef | None:
    """The first module of `*[ReLU(inplace=True) for ...]` or `*[a, b]`, as far as
    the in-place check needs it (the list's type says only "modules")."""
    value = arg.value if isinstance(arg, ir.Splat) else None
    if isinstance(value, ir.ListComp):
        value = value.elt
    elif isinstance(value, ir.ListExpr) and value.items:
        value = value.items[0]
    if not isinstance(value, ir.Call) or not isinstance(value.func, ir.Name):
        return None
    name = value.func.id
    if name in ctx.defs:
        return ModuleRef(name, definition=name)
    found = layer(name)
    if found is None:
        return None
    first = None
    if found.signature.named_children and value.args:
        first = spread_first(value.args[0], ctx)
    return ModuleRef(name, inplace=is_inplace(found.signature, value), first=first)


@dataclass
class _Change:
    who: str  # `relu` (ReLU(inplace=True))
    span: Span | None
    hint: str | None = None


@dataclass
class _Result:
    """A value being computed: the storage it shares (None: new storage) and the
    reads of names it was made from (an in-place layer consumes those)."""

    storage: int | None = None
    reads: list[int] = field(default_factory=list)
    #: a tuple's items (`a, b = x, y` binds each name to its item's storage)
    items: list[_Result] | None = None
    piece: str | None = None  # a piece of `chunk`, `split` or `unbind`: which

    # written out (archdsl/records.py's shared one is slower): one per expression
    def __init__(self, storage: int | None = None, reads: list[int] | None = None,
                 items: list[_Result] | None = None, piece: str | None = None,
                 ) -> None:  # fmt: skip
        self.storage, self.items, self.piece = storage, items, piece
        self.reads = [] if reads is None else reads


#: A value with no storage and no reads (a constant, a build-time name, what is
#: not a tensor): one shared, as no _Result is changed once made.
_NOTHING = _Result()


class _Flow:
    """One walk over one forward."""

    def __init__(self, pass_: InplacePass, info: DefInfo) -> None:
        self.pass_ = pass_
        self.ctx = pass_.ctx
        self.info = info
        self.ids = pass_.ids
        self.storage: dict[str, int] = {}  # value name -> storage id
        self.stale: dict[str, _Change] = {}  # names whose storage changed since
        self.input_of: dict[int, int] = {}  # storage id -> index of the input
        self.mutated: dict[int, str] = {}  # inputs changed in place, and by what
        self.mutated_at: dict[int, Span | None] = {}  # ... and where
        self.reads: list[tuple[str, int, Span | None]] = []  # in this statement
        self.changes: list[tuple[int, set[int], _Change]] = []  # in this statement
        self.reported: set[tuple[str, Span | None]] = set()
        #: storage autograd keeps for a backward that reads it, and who made it
        self.saved: dict[int, str] = {}
        self.returns_kept = False  # a return gives such storage (`tanh(fc(x))`)
        self.pieces: dict[str, str] = {}  # names holding a piece, and of what op

    def run(self, forward: ir.Forward) -> dict[int, str]:
        for index, inp in enumerate(forward.inputs):
            self.storage[inp.name] = next(self.ids)
            self.input_of[self.storage[inp.name]] = index
        self.stmts(forward.body)
        return self.mutated

    def stmts(self, stmts: tuple[ir.Node, ...]) -> None:
        for stmt in stmts:
            if isinstance(stmt, ir.FIf):
                self._if(stmt)
                continue
            if isinstance(stmt, ir.FFor):  # twice: the second pass reads the first's
                self.stmts(stmt.body + stmt.body)
                continue
            if isinstance(stmt, ir.FCall):  # `features.append(y)`: reads only
                self.eval(stmt.call)
                self._finish_statement()
                continue
            values = stmt.values if isinstance(stmt, ir.FReturn) else (stmt.value,)
            results = [self.eval(v) for v in values]
            if isinstance(stmt, ir.FReturn) and len(results) == 1:
                kept = results[0].storage in self.saved
                self.returns_kept = self.returns_kept or kept
            self._finish_statement()
            if isinstance(stmt, ir.FAssign):
                self._bind(stmt.targets, results[0])

    def _if(self, stmt: ir.FIf) -> None:
        before = (dict(self.storage), dict(self.stale))
        self.stmts(stmt.then)
        then = (self.storage, self.stale)
        self.storage, self.stale = dict(before[0]), dict(before[1])
        self.stmts(stmt.orelse)
        # either branch may have run: a name stale in one is stale after the `if`;
        # a name bound to different storage in each keeps one of them, the model's
        # input where one branch left the input there (a change through the name
        # may change the caller's tensor)
        for name in then[0].keys() | self.storage.keys():
            if then[0].get(name) != self.storage.get(name):
                self.storage[name] = self._either(
                    then[0].get(name), self.storage.get(name)
                )
        for name, change in then[1].items():
            self.stale.setdefault(name, change)

    def _either(self, then: int | None, orelse: int | None) -> int:
        """The storage to follow for a name one branch bound to `then` and the
        other to `orelse`: an input's first, then the branch that bound it."""
        for storage in (then, orelse):
            if storage in self.input_of:
                return storage
        return then or orelse or 0

    def _bind(self, targets: tuple[str, ...], result: _Result) -> None:
        items = (
            result.items if result.items and len(result.items) == len(targets) else None
        )
        for index, target in enumerate(targets):
            self.stale.pop(target, None)
            # one name: the value's storage; several: each item's (a tuple), or
            # the whole's for every piece (`a, b = chunk(x, 2)`)
            shared = items[index].storage if items else result.storage
            self.storage[target] = shared if shared is not None else next(self.ids)
            piece = items[index].piece if items else result.piece
            if piece:
                self.pieces[target] = piece
            else:
                self.pieces.pop(target, None)

    def _finish_statement(self) -> None:
        """Report reads of changed storage: before this statement, or within it by
        a change that did not consume that very read (`x + relu(x)`)."""
        if not self.changes and not self.stale:  # nothing changed: nothing to say
            self.reads = []
            return
        for index, (name, storage, span) in enumerate(self.reads):
            change = self.stale.get(name)
            if change is None:
                change = next(
                    (c for s, consumed, c in self.changes
                     if s == storage and index not in consumed),
                    None,
                )  # fmt: skip
            if change is not None and (name, span) not in self.reported:
                self.reported.add((name, span))
                self._report(name, change, span)
        for storage, _, change in self.changes:
            for name, bound in self.storage.items():
                if bound == storage:
                    self.stale.setdefault(name, change)
        self.reads, self.changes = [], []

    def _report(self, name: str, change: _Change, span: Span | None) -> None:
        line = f" (line {change.span.line})" if change.span else ""
        self.ctx.error(
            f"`{name}` is read after {change.who} changed it in place{line}",
            span,
            hint=change.hint
            or "pass `inplace=False` to that layer, or give it a value you do not "
            f"read again (PyTorch would compute with the changed `{name}`)",
        )

    # ---- expressions, in Python's order of evaluation ------------------------------

    def eval(self, expr: ir.Node) -> _Result:
        if isinstance(expr, ir.Name):
            storage = self.storage.get(expr.id)
            if storage is None:
                return _NOTHING  # a build-time name
            self.reads.append((expr.id, storage, expr.span))
            return _Result(
                storage, [len(self.reads) - 1], piece=self.pieces.get(expr.id)
            )
        if isinstance(expr, ir.Call):
            return self._call(expr)
        if isinstance(expr, ir.IfExp):
            return self._ifexp(expr)
        if isinstance(expr, ir.Subscript):  # `x[:, :c]`, `chunk(x, 2)[0]`: a view
            whole = self.eval(expr.value)
            self.eval(expr.index)
            return _Result(whole.storage, whole.reads, piece=whole.piece)
        if isinstance(expr, ir.TupleExpr):
            items = [self.eval(item) for item in expr.items]
            return _Result(None, [r for i in items for r in i.reads], items)
        if isinstance(expr, ir.ListComp):  # twice: a second item reads a changed value
            for clause in expr.clauses:
                self.eval(
                    clause.iter if isinstance(clause, ir.CompFor) else clause.cond
                )
            self.eval(expr.elt)
            self.eval(expr.elt)
            return _NOTHING
        for child in children(expr):
            self.eval(child)
        return _NOTHING

    def _ifexp(self, expr: ir.IfExp) -> _Result:
        """`a if c else b`: one side runs, so a change on one side cannot reach a
        read on the other."""
        self.eval(expr.cond)
        reads, changes = len(self.reads), len(self.changes)
        then = self.eval(expr.then)
        middle_reads, middle_changes = len(self.reads), len(self.changes)
        orelse = self.eval(expr.orelse)
        for _, consumed, _ in self.changes[changes:middle_changes]:
            consumed.update(range(middle_reads, len(self.reads)))
        for _, consumed, _ in self.changes[middle_changes:]:
            consumed.update(range(reads, middle_reads))
        storage = then.storage if then.storage is not None else orelse.storage
        return _Result(storage, then.reads + orelse.reads)

    def _call(self, call: ir.Call) -> _Result:
        args = [self.eval(a.value) for a in call.args]
        func = call.func
        member = isinstance(func, ir.Name) and func.id in self.info.members
        if isinstance(func, ir.Name) and not member and func.id in TENSOR_OPS:
            if func.id in PIECE_OPS and args:
                return _Result(args[0].storage, args[0].reads, piece=func.id)
            if func.id in VIEW_OPS and args:
                return args[0]
            return self._made(func, TENSOR_OPS[func.id].saves_output)
        ref = self._module_of(func)
        if ref is None:
            return _NOTHING
        for index in self.pass_.mutated_inputs(ref):
            who = f"`{_label(func)}` ({self.pass_.describe(ref)})"
            if index < len(args) and args[index].piece:
                self._refuse_piece(who, args[index].piece, call.span)
            if index < len(args) and args[index].storage is not None:
                own = ref.tree is not None  # the base's own layer: not the spec's
                self._check_saved(args[index].storage, who, call.span, own)
                change = _Change(who, call.span, _hint(ref, _label(func)))
                self.changes.append(
                    (args[index].storage, set(args[index].reads), change)
                )
                if args[index].storage in self.input_of:
                    self.mutated.setdefault(self.input_of[args[index].storage], who)
                    self.mutated_at.setdefault(
                        self.input_of[args[index].storage], call.span
                    )
        aliased = ref.inplace or (ref.label in VIEW_LAYERS and not ref.definition)
        saves = self.pass_.keeps_output(_resolve(ref))
        if aliased and args:
            if not saves:
                return args[0]
            storage = args[0].storage or next(self.ids)  # an unnamed tensor too
            self.saved[storage] = f"`{_label(func)}`"
            return _Result(storage, args[0].reads)
        return self._made(func, saves)

    def _made(self, func: ir.Node, saves_output: bool) -> _Result:
        """A new tensor; autograd keeps it when its maker's backward reads it."""
        if not saves_output:
            return _NOTHING
        storage = next(self.ids)
        self.saved[storage] = f"`{_label(func)}`"
        return _Result(storage)

    def _refuse_piece(self, who: str, op: str, span: Span | None) -> None:
        if ("piece", span) in self.reported:
            return
        self.reported.add(("piece", span))
        self.ctx.error(
            f"{who} changes in place a piece of `{op}`, one of several views of one "
            "tensor: training would fail",
            span,
            hint="pass `inplace=False` to that layer (PyTorch refuses to change "
            "in place a view made by a function that returns several)",
        )

    def _check_saved(
        self, storage: int, who: str, span: Span | None, base_layer: bool
    ) -> None:
        """Changing in place what autograd kept for a backward fails the first
        training step (eval would run): `act(sigmoid(x))` with an in-place act."""
        maker = self.saved.get(storage)
        if maker is None or ("saved", span) in self.reported:
            return
        self.reported.add(("saved", span))
        self.ctx.error(
            f"{who} changes in place the output of {maker}, which autograd keeps "
            "for the backward pass: training would fail",
            span,
            hint=(
                "it is the base's own layer, built in place: add one of your own "
                "(`act = ReLU()`) and call that"
                if base_layer
                else "pass `inplace=False` to that layer"
            )
            + " (PyTorch raises 'modified by an inplace operation' at the first "
            "backward)",
        )

    def _module_of(self, func: ir.Node) -> ModuleRef | None:
        name = func.id if isinstance(func, ir.Name) else None
        if isinstance(func, ir.Path):
            name = func.parts[0]
        symbol = self.info.members.get(name) if name else None
        ref = symbol.value.module if symbol is not None else None
        if ref is not None and isinstance(func, ir.Path) and ref.tree is not None:
            node = ref.tree.get(ref.subpath(func.parts[1:]))
            return (
                ModuleRef(node.type, tree=ref.tree, prefix=node.path) if node else None
            )
        return ref


def _resolve(ref: ModuleRef) -> ModuleRef:
    """A member that is a torchvision submodule, as the layer it is."""
    if ref.tree is None or not ref.prefix:
        return ref
    node = ref.tree.get(ref.prefix)
    if node is None:
        return ModuleRef(ref.label)
    if node.type == "Sequential":  # `layer3`: what its last block keeps, it keeps
        children = tuple(
            (c, _resolve(ModuleRef(c, tree=ref.tree, prefix=f"{ref.prefix}.{c}")))
            for c in node.children
        )
        return ModuleRef("Sequential", children=children)
    return _base_ref(node.type)


def _base_ref(type_: str) -> ModuleRef:
    """A torchvision submodule: its activations are built with `inplace=True`."""
    found = layer(type_)
    inplace = found is not None and found.signature.param("inplace") is not None
    return ModuleRef(type_, inplace=inplace)


def _hint(ref: ModuleRef, label: str) -> str | None:
    if ref.tree is None:
        return None
    return (
        f"torchvision builds `{label}` with inplace=True: tap `{label}` itself or a "
        "later step, or rewrite it with `at`"
    )


def _label(func: ir.Node) -> str:
    return func.dotted if isinstance(func, ir.Path) else getattr(func, "id", "?")


class InplacePass:
    """Which inputs each definition's forward changes in place, computed once."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.ids = count(1)  # storage ids; never 0, so always true
        self.summaries: dict[str, dict[int, str]] = {}
        self.kept: dict[str, bool] = {}  # a definition's forward returns kept storage
        self.changed_at: dict[str, dict[int, Span | None]] = {}

    def summary(self, name: str) -> dict[int, str]:
        """The inputs a definition's forward changes in place, and by what."""
        if name not in self.summaries:
            self.summaries[name] = {}  # recursion was refused already
            info = self.ctx.defs.get(name)
            if info is not None and info.forward is not None:
                found = self._flow(info)
                self.summaries[name], self.kept[name], self.changed_at[name] = found
        return self.summaries[name]

    def _flow(self, info: DefInfo) -> tuple[dict[int, str], bool, dict]:
        """A forward's walk: what it changes, whether it returns what autograd
        keeps, where it changes its inputs. A walk that found nothing wrong is
        kept for the next check of an edited spec (check/memo.py)."""
        memo: Any = self.ctx.memo
        found = memo and memo.reuse_flow(info)
        if found:
            return found
        first = len(self.ctx.diagnostics)
        flow = _Flow(self, info)
        found = (flow.run(info.forward), flow.returns_kept, flow.mutated_at)
        if memo is not None and len(self.ctx.diagnostics) == first:
            memo.keep_flow(info, found)
        return found

    def keeps_output(self, ref: ModuleRef) -> bool:
        """Whether what `ref` returns is kept by autograd for its backward: a layer
        of SAVES_OUTPUT, a Sequential whose last child's is, a block whose forward
        returns such a value."""
        if ref.definition is not None:
            self.summary(ref.definition)
            return self.kept.get(ref.definition, False)
        if ref.children:  # the last child's, through children that pass it on
            for _, child in reversed(ref.children):
                if child is None:
                    return False
                child = _resolve(child)
                if child.label not in PASS_THROUGH or child.definition:
                    return self.keeps_output(child)
            return False
        if ref.inplace:
            return ref.label in SAVES_OUTPUT_INPLACE
        return ref.label in SAVES_OUTPUT or ref.label in KEEPS_OUTPUT_BLOCKS

    def mutated_inputs(self, ref: ModuleRef) -> frozenset[int]:
        ref = _resolve(ref)
        if ref.inplace:
            return frozenset({0})
        if ref.first is not None:
            return self.mutated_inputs(ref.first) & {0}
        if ref.definition is not None and ref.definition in self.ctx.defs:
            return frozenset(self.summary(ref.definition))
        return frozenset()

    def describe(self, ref: ModuleRef) -> str:
        if ref.tree is not None:
            return f"torchvision's {_resolve(ref).label}(inplace=True)"
        if ref.inplace:
            return f"{ref.label}(inplace=True)"
        if ref.first is not None:
            return f"{ref.label}, whose first layer is {self.describe(ref.first)}"
        inner = self.summary(ref.definition) if ref.definition else {}
        if inner:
            return f"{ref.label}, whose forward passes its input to {inner[min(inner)]}"
        return ref.label


def check_inplace(ctx: Context, program: ir.Program) -> None:
    """The pass (see PASSES): every forward, once; only for a sound program."""
    if ctx.has_errors:
        return
    flow = InplacePass(ctx)
    for name, info in ctx.defs.items():
        changed = flow.summary(name)
        if info.kind == "model" and info.forward is not None:
            _model_inputs_kept(ctx, info, changed, flow.changed_at.get(name, {}))


def _model_inputs_kept(
    ctx: Context, info: DefInfo, changed: dict[int, str], where: dict
) -> None:
    """A model's forward must not change its caller's tensors: `model(x)` leaves
    `x` as it was, whatever the layers inside do (a block may change a value its
    model made; the model's own inputs belong to the caller)."""
    inputs = info.forward.inputs
    for index, who in sorted(changed.items()):
        name = inputs[index].name if index < len(inputs) else "?"
        ctx.error(
            f"{who} changes the model's input `{name}` in place: the caller's "
            "tensor would change",
            where.get(index),
            hint="pass `inplace=False` to that layer, or apply it to a value the "
            "model made",
        )
