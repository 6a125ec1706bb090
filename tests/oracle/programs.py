"""A hypothesis strategy for valid, well-typed `.arch` programs.

`programs()` draws a model and up to three blocks (each block only builds blocks
after it, so there is no recursion), then writes their text. Shapes are valid by
construction: every tensor is `[N, F]`, and the generator tracks each tensor's
feature count as a build-time expression (`Expr`) evaluated in every environment
its definition is instantiated with, so a `Linear` always receives what it expects.

Names are drawn from pools that collide with what generated code uses (`out`, `x`,
`relu`, `cat`, `identity`, `forward`, `state_dict`, ...); a name means one thing in
one definition, so programs stay unambiguous while exercising every collision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from . import forms
from .exprs import (
    STRINGS,
    Bin,
    Builtin,
    Cmp,
    Cond,
    Expr,
    Lit,
    Neg,
    Raw,
    Scope,
    Var,
    bool_expr,
    float_expr,
    parenthesized,
    sized,
)
from .layers import Layers, Signature, Tensor

# Names generated code itself uses or that read like its own: forward values may
# take any of these (the checker accepts them); build-time names the second pool.
VALUE_NAMES = ["out", "x", "y", "z", "relu", "cat", "identity", "to",
               "state_dict", "Linear", "Sequential", "ReLU", "dim", "shape",
               "k", "mean", "flatten", "result", "out_1", "x_1", "h", "input_1"]  # fmt: skip
BUILD_NAMES = ["out", "y", "relu", "cat", "identity", "dim", "shape", "k", "i",
               "mean", "flatten", "block", "model", "spec", "result", "out_1", "x_1",
               "os", "sys", "math", "np", "h", "n", "c", "tanh", "sigmoid"]  # fmt: skip
DEF_NAMES = ["out", "x", "identity", "cuda", "to", "state_dict",
             "parameters", "modules", "children", "add_module", "register_buffer",
             "block", "model", "spec", "result", "Blk", "Stage", "x_1"]  # fmt: skip


@dataclass
class Options:
    """Program features that hit a known, not yet fixed bug are switched off here
    (tests/test_oracle.py says which); the property itself filters nothing."""

    forward_comprehension: bool = False  # cat([... for k in ...]) (finding F2)
    computed_reshape: bool = False  # reshape(x, [-1, a + b]) (finding F7)
    conditional_mean: bool = False  # a member `mean` chosen by `if` (finding F8)
    inplace_anywhere: bool = False  # ReLU(inplace=True) on any value (finding F11)
    #: programs that may be invalid: a member called under another condition than
    #: the one it was made under (check must refuse those that can fail, and the
    #: rest must agree); with `one_branch_constants`, constants set in one branch
    #: only and read regardless (finding F15)
    relaxed: bool = False
    one_branch_constants: bool = False
    #: a constant made under `if c` and read in forward under the same `if c`: valid
    #: (finding F15)
    conditional_constants: bool = False
    #: PyTorch's spellings (tests/oracle/forms.py): slices, chunk/split/unbind,
    #: `+=`, tuple assignment, loops over ModuleList/Sequential members
    torch_forms: bool = True


@dataclass
class Generated:
    text: str
    model: str
    kwargs: dict[str, Any]
    shapes: list[tuple[int, ...]]
    args: tuple[Any, ...] = ()  # the first parameters, given positionally


@dataclass
class Definition:
    sig: Signature
    envs: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""


class Names:
    """Fresh names from a pool, never one already taken in the same scope."""

    def __init__(self, draw, taken: set[str]) -> None:
        self.draw = draw
        self.taken = taken

    def fresh(self, pool: list[str], stem: str = "v") -> str:
        free = [n for n in pool if n not in self.taken]
        if free and self.draw(st.integers(0, 3)) > 0:
            name = self.draw(st.sampled_from(free))
        else:
            index = len(self.taken)
            while f"{stem}{index}" in self.taken:
                index += 1
            name = f"{stem}{index}"
        self.taken.add(name)
        return name


@st.composite
def programs(draw, options: Options | None = None) -> Generated:
    return ProgramGen(draw, options or Options()).program()


class ProgramGen:
    def __init__(self, draw, options: Options) -> None:
        self.draw = draw
        self.options = options
        self.global_names = Names(draw, set())
        self.blocks: list[Definition] = []
        self.builder: tuple[str, str] | None = None  # name, form

    def builder_text(self) -> str:
        """A builder: a module expression without a class level of its own."""
        name, form = self.builder  # type: ignore[misc]
        if form == "depth":
            return (f"builder {name}(i: int, o: int, n: int = 1) =\n    Sequential(Linear(i, o), "
                    "*[Sequential(ReLU(inplace=True), Linear(o, o)) for _ in range(n)])")  # fmt: skip
        return (f"builder {name}(i: int, o: int, deep: bool = False) = "
                "Sequential(Linear(i, o), Tanh()) if deep else Linear(i, o)")  # fmt: skip

    def program(self) -> Generated:
        draw = self.draw
        names = [
            self.global_names.fresh(DEF_NAMES, "Block")
            for _ in range(draw(st.sampled_from([0, 1, 1, 2, 2, 3])))
        ]
        model_name = self.global_names.fresh(DEF_NAMES + ["Net"], "Model")
        if draw(st.booleans()):
            name = self.global_names.fresh(DEF_NAMES, "make")
            self.builder = (name, draw(st.sampled_from(["depth", "deep"])))
        for name in names:
            self.blocks.append(Definition(self.signature(name)))
        params, kwargs, env = self.model_params()
        scope = Scope([env])
        for name, type_, _ in params:
            scope.types[name] = type_
        inputs = [("x" if draw(st.booleans()) else None), None][
            : draw(st.integers(1, 2))
        ]
        body = DefinitionGen(
            self, scope, self.blocks, inputs, None, outputs=draw(st.integers(1, 2))
        )
        model_text = body.write(
            f"model {model_name}{_params_text(params)}", declared=True
        )
        batch, height, width = (draw(st.integers(lo, 3)) for lo in (1, 2, 2))
        shapes = [
            (batch, feat.eval(env), height, width)[:rank]
            for feat, rank in zip(body.input_feats, body.input_ranks, strict=True)
        ]
        texts = []
        for index, block in enumerate(self.blocks):
            if not block.envs:
                continue
            gen = DefinitionGen(self, _block_scope(block), self.blocks[index + 1 :],
                                block.sig.input_names, block.sig, block.sig.outputs)  # fmt: skip
            block.text = gen.write(
                f"block {block.sig.name}{_params_text(block.sig.params)}"
            )
            texts.append(block.text)
        if self.builder is not None:
            texts.insert(draw(st.integers(0, len(texts))), self.builder_text())
        if draw(st.booleans()):
            texts.reverse()  # definitions may come in any order
        text = "\n\n".join([*texts, model_text]) + "\n"
        given = draw(st.integers(0, len(params)))  # these by position, the rest by name
        args = tuple(env[name] for name, _, _ in params[:given])
        for name, _, _ in params[:given]:
            kwargs.pop(name, None)
        return Generated(text, model_name, kwargs, shapes, args)

    def signature(self, name: str) -> Signature:
        """A block's parameters: input and output features first, then extras with
        defaults that may refer to earlier parameters."""
        draw = self.draw
        names = Names(draw, set(self.global_names.taken))
        p_in, p_out = names.fresh(BUILD_NAMES, "a"), names.fresh(BUILD_NAMES, "b")
        out_default = draw(st.sampled_from([None, None, Var(p_in), Builtin("min", (Bin("*", Var(p_in), Lit(2)), Lit(12))),
                                            Builtin("max", (Lit(1), Bin("//", Var(p_in), Lit(2))))]))  # fmt: skip
        params: list[tuple[str, str, Expr | None]] = [
            (p_in, "int", None),
            (p_out, "int", out_default),
        ]
        if out_default is not None or draw(st.booleans()):
            for _ in range(draw(st.integers(0, 2))):
                kind = draw(st.sampled_from(["int", "bool", "float"]))
                default = {
                    "int": draw(st.sampled_from([Lit(2), Bin("+", Var(p_in), Lit(1)), Bin("%", Var(p_out), Lit(3))])),
                    "bool": draw(st.sampled_from([Lit(True), Lit(False), Cmp(">", Var(p_in), Lit(2))])),
                    "float": Lit(draw(st.sampled_from([0.5, 2.0, 1.25]))),
                }[kind]  # fmt: skip
                params.append((names.fresh(BUILD_NAMES, "p"), kind, default))
        inputs = [names.fresh(VALUE_NAMES, "t") for _ in range(draw(st.integers(1, 2)))]
        rank = draw(st.sampled_from([2, 2, 4]))
        return Signature(
            name, params, inputs, draw(st.integers(1, 2)), p_in, p_out, rank
        )

    def model_params(self):
        """The model's parameters: feature sizes, flags and scales, some with
        defaults (literal or from earlier ones), some given as keyword arguments."""
        draw = self.draw
        names = Names(draw, set(self.global_names.taken))
        params, kwargs, env = [], {}, {}
        for kind in [
            "int",
            *draw(
                st.lists(
                    st.sampled_from(["int", "bool", "float", "list", "str"]), max_size=3
                )
            ),
        ]:
            name = names.fresh(BUILD_NAMES, "m")
            value = {"int": draw(st.integers(1, 6)), "bool": draw(st.booleans()),
                     "float": draw(st.sampled_from([0.5, 1.5, -2.0])),
                     "list": draw(st.lists(st.integers(1, 5), max_size=3)),
                     "str": draw(st.sampled_from(STRINGS))}[kind]  # fmt: skip
            earlier = [n for n, t, _ in params if t == "int"]
            choice = draw(st.integers(0, 3))
            if choice == 0:
                default = None
                kwargs[name] = value
            elif choice == 1 and kind == "int" and earlier:
                default = Bin("+", Var(draw(st.sampled_from(earlier))), Lit(1))
                value = default.eval(env)
            else:
                default = Lit(value)
            env[name] = value
            params.append((name, kind, default))
        # Parameters without a default come first, as Python requires.
        params.sort(key=lambda p: p[2] is not None)
        return params, kwargs, env


def _params_text(params) -> str:
    items = []
    for name, kind, default in params:
        typed = f"{name}: {'list[int]' if kind == 'list' else kind}"
        if kind == "bool" and isinstance(default, Lit):
            typed = name  # untyped: the type comes from the literal
        items.append(typed if default is None else f"{typed} = {default.text()}")
    return "(" + ", ".join(items) + ")"


def _block_scope(block: Definition) -> Scope:
    scope = Scope(block.envs)
    for name, type_, _ in block.sig.params:
        scope.types[name] = type_
    return scope


class DefinitionGen:
    """One definition's body and forward, drawn together: the forward asks for
    members as it needs them, and each member is written into the body."""

    def __init__(
        self, program: ProgramGen, scope: Scope, callees, inputs, sig, outputs: int
    ) -> None:
        self.program = program
        self.draw = program.draw
        self.scope = scope
        taken = set(program.global_names.taken) | set(scope.types)
        self.names = Names(self.draw, taken)
        self.layers = Layers(self, callees)
        self.body: list[str] = []
        self.forward: list[str] = []
        self.sig = sig
        self.outputs = outputs
        self.input_names = []
        for name in inputs:
            if name is None or name in self.names.taken:
                name = self.names.fresh(VALUE_NAMES, "t")
            self.names.taken.add(name)
            self.input_names.append(name)
        if sig is None:
            self.input_feats = [self._model_input_feat() for _ in self.input_names]
            self.input_ranks = [self.draw(st.sampled_from([2, 4])) for _ in inputs]
        else:
            self.input_feats = [Var(sig.p_in) for _ in self.input_names]
            self.input_ranks = [sig.rank for _ in inputs]
        self.tensors = [
            Tensor(Var(n), f, r)
            for n, f, r in zip(
                self.input_names, self.input_feats, self.input_ranks, strict=True
            )
        ]

    def _model_input_feat(self) -> Expr:
        ints = self.scope.names("int")
        if ints and self.draw(st.booleans()):
            return Var(self.draw(st.sampled_from(ints)))
        return Lit(self.draw(st.integers(1, 6)))

    def write(self, header: str, declared: bool = False) -> str:
        draw = self.draw
        for _ in range(draw(st.integers(0, 2))):
            self.constant()
        for _ in range(draw(st.integers(1, 4))):
            self.statement(self.forward, "        ")
        returns = self.returns()
        declare = declared or draw(st.integers(0, 3)) == 0  # blocks may declare too
        inputs = ", ".join(
            (f"{n}: [N, {f.text()}" + (", H, W]" if r == 4 else "]")) if declare else n
            for n, f, r in zip(
                self.input_names, self.input_feats, self.input_ranks, strict=True
            )
        )
        if declared and self.layers.freezable and draw(st.booleans()):
            chosen = draw(st.sampled_from(self.layers.freezable))
            pattern = draw(
                st.sampled_from([f"{chosen}.*", f"{chosen}*", f"*{chosen}.weight"])
            )
            if not pattern.endswith("weight") or self.layers.freezable_weight(chosen):
                self.body.append(f'freeze("{pattern}")')
        lines = [header + " {", *("    " + line for line in self.body)]
        if not self.forward and len(returns) == 1 and draw(st.booleans()):
            lines.append(f"    forward({inputs}) = {returns[0]}")
        else:
            lines.append(f"    forward({inputs}) {{")
            lines += self.forward
            lines.append(f"        return {', '.join(returns)}")
            lines.append("    }")
        return "\n".join([*lines, "}"])

    def constant(self) -> None:
        kind = self.draw(st.sampled_from(["int", "int", "bool", "float"]))
        expr = {"int": lambda: sized(self.draw, self.scope, 1, 8),
                "bool": lambda: bool_expr(self.draw, self.scope),
                "float": lambda: float_expr(self.draw, self.scope)}[kind]()  # fmt: skip
        name = self.names.fresh(BUILD_NAMES, "c")
        if (
            self.program.options.one_branch_constants
            and self.draw(st.integers(0, 2)) == 0
        ):
            # Relaxed: set in one branch only, read after it regardless.
            cond = bool_expr(self.draw, self.scope).text()
            self.scope.add(name, kind, expr)
            self.body += [f"if {cond} {{", f"    {name} = {expr.text()}", "}"]
            return
        self.scope.add(name, kind, expr)
        self.body.append(f"{name} = {expr.text()}")

    # ---- forward ---------------------------------------------------------------------

    def statement(self, out: list[str], indent: str) -> None:
        draw = self.draw
        kind = draw(
            st.sampled_from(
                [
                    "assign",
                    "assign",
                    "assign",
                    "unpack",
                    "if",
                    "if_one",
                    "if_const",
                    "torch_form",
                    "torch_form",
                ]  # fmt: skip
            )
        )
        if kind == "torch_form" and self.program.options.torch_forms:
            if forms.statement(self, out, indent):
                return
        if kind == "unpack":
            source = draw(st.sampled_from(self.tensors))
            pair = self.layers.pair_call(source)
            if pair is not None:
                call, feat = pair
                targets = [self.value_name(source.rank), self.value_name(source.rank)]
                if targets[0] == targets[1]:
                    targets[1] = self.names.fresh(VALUE_NAMES, "v")
                out.append(f"{indent}{targets[0]}, {targets[1]} = {call}")
                for target in targets:
                    self.bind(target, feat, source.rank)
                return
        if kind == "if":  # if / else if / else, each branch binding the same value
            then = self.tensor_expr(2)
            branches = [then] + [
                self.like(self.tensor_expr(1), then)
                for _ in range(draw(st.integers(1, 2)))
            ]
            target = self.value_name(then.rank)
            keyword = "if"
            for index, branch in enumerate(branches):
                last = index == len(branches) - 1
                head = (
                    "" if last else f"{keyword} {bool_expr(draw, self.scope).text()} "
                )
                opening = (
                    f"{indent}{head}{{" if index == 0 else f"{indent}}} else {head}{{"
                )
                out += [opening, f"{indent}    {target} = {branch.expr.text()}"]
                keyword = "if"
            out.append(f"{indent}}}")
            self.bind(target, then.feat, then.rank)
            return
        if kind == "if_const" and self.program.options.conditional_constants:
            # A constant made under a condition, read in forward under the same one.
            this = draw(st.sampled_from(self.tensors))
            cond = bool_expr(draw, self.scope).text()
            name = self.names.fresh(BUILD_NAMES, "c")
            self.body += [
                f"if {cond} {{",
                f"    {name} = {float_expr(draw, self.scope).text()}",
                "}",
            ]
            out += [f"{indent}if {cond} {{", f"{indent}    {this.expr.text()} = {this.expr.text()} * {name}", f"{indent}}}"]  # fmt: skip
            return
        if kind == "if_one":  # rebinding an existing value under a build-time condition
            this = draw(st.sampled_from(self.tensors))
            if isinstance(this.expr, Var):
                cond, member = self.layers.conditional_member(this.feat, this.rank)
                value = self.layers.to(this, this.feat, member)
                out += [f"{indent}if {cond} {{", f"{indent}    {this.expr.name} = {value.expr.text()}", f"{indent}}}"]  # fmt: skip
                return
        value = self.tensor_expr(2)
        target = self.value_name(value.rank)
        out.append(f"{indent}{target} = {value.expr.text()}")
        self.bind(target, value.feat, value.rank)

    def bind(self, name: str, feat: Expr, rank: int) -> None:
        """`name` now holds a tensor of `feat` features (its old value is gone)."""
        self.tensors = [t for t in self.tensors if t.expr.name != name]  # type: ignore[attr-defined]
        self.tensors.append(Tensor(Var(name), feat, rank))

    def leaf(self, rank: int) -> Tensor:
        """A named value of this rank, or a vector pooled from an image value (an
        image value exists whenever an image does: every image comes from one)."""
        named = [t for t in self.tensors if t.rank == rank]
        if not named and rank == 2:
            return self.layers.pooled(self.leaf(4))
        return self.draw(st.sampled_from(named))

    def like(self, tensor: Tensor, model: Tensor) -> Tensor:
        """`tensor` made the shape of `model`: pooled to a vector, or replaced by
        an image value, then to the same features."""
        if tensor.rank != model.rank:
            tensor = self.layers.pooled(tensor) if model.rank == 2 else self.leaf(4)
        return self.layers.to(tensor, model.feat)

    def value_name(self, rank: int) -> str:
        """A new value, or sometimes an existing one of the same rank rebound
        (`x = fc(x)`): a name never changes rank, so an image name always exists
        where images do."""
        same = [t for t in self.tensors if t.rank == rank]
        if same and self.draw(st.integers(0, 3)) == 0:
            return self.draw(st.sampled_from(same)).expr.name  # type: ignore[attr-defined]
        return self.names.fresh(VALUE_NAMES, "v")

    def returns(self) -> list[str]:
        results = []
        for _ in range(self.outputs):
            start = self.draw(st.sampled_from(self.tensors))
            if self.sig is not None:
                start = self.like(
                    start,
                    Tensor(Var(self.sig.p_out), Var(self.sig.p_out), self.sig.rank),
                )
            elif self.draw(st.booleans()):
                start = self.tensor_expr(1)
            results.append(start.expr.text())
        return results

    def tensor_expr(self, depth: int) -> Tensor:
        """A tensor expression with its feature count: member calls, tensor ops,
        arithmetic with other tensors and with build-time scalars, at every
        precedence level."""
        draw = self.draw
        if depth <= 0 or draw(st.integers(0, 3)) == 0:
            return draw(st.sampled_from(self.tensors))
        kind = draw(
            st.sampled_from(
                [
                    "layer",
                    "layer",
                    "op",
                    "arith",
                    "scalar",
                    "ifexp",
                    "cat",
                    "shape",
                    "pick",
                    "comp",
                    "slice",
                    "piece",
                    "pool",
                    "broadcast",
                ]  # fmt: skip
            )
        )
        inner = self.tensor_expr(depth - 1)
        if kind == "layer":
            return self.layers.call(inner)
        if kind == "op":
            return self.layers.op(inner)
        if kind == "arith":
            other = self.like(self.tensor_expr(depth - 1), inner)
            op = draw(st.sampled_from(["+", "-", "*"]))
            pair = (inner, other) if draw(st.booleans()) else (other, inner)
            expr = parenthesized(draw, Bin(op, pair[0].expr, pair[1].expr))
            return Tensor(expr, inner.feat, inner.rank)
        if kind == "scalar":
            return self.scalar(inner)
        if kind == "ifexp":
            other = self.like(self.tensor_expr(depth - 1), inner)
            expr = Cond(inner.expr, bool_expr(draw, self.scope, 1), other.expr)
            return Tensor(expr, inner.feat, inner.rank)
        if kind == "cat":
            other = self.tensor_expr(depth - 1)
            if other.rank != inner.rank:
                other = self.like(other, inner)
            return self.layers.cat(inner, other)
        if kind == "pool":
            return self.layers.pooled(inner) if inner.rank == 4 else inner
        if kind == "broadcast":
            if inner.rank != 4:
                return inner
            vector = self.like(
                self.tensor_expr(depth - 1), Tensor(inner.feat, inner.feat, 2)
            )
            return self.layers.broadcast(inner, vector)
        if kind == "pick":  # one of a block's two outputs: `pair(x)[1]`
            pair = self.layers.pair_call(inner)
            if pair is None:
                return inner
            picked = Raw(f"{pair[0]}[{draw(st.integers(0, 1))}]")
            return Tensor(picked, pair[1], inner.rank)
        if kind in ("slice", "piece"):
            if not self.program.options.torch_forms:
                return inner
            if kind == "slice":
                return forms.sliced(self, inner, Tensor)
            return forms.piece(self, inner, Tensor)
        if kind == "comp":
            return (
                self.layers.comprehension(inner)
                if self.program.options.forward_comprehension
                else inner
            )
        return self.layers.reshaped(inner)

    def scalar(self, tensor: Tensor) -> Tensor:
        draw = self.draw
        factor = float_expr(draw, self.scope)
        form = draw(st.sampled_from(["t*s", "s*t", "t+s", "s-t", "t/s", "-t"]))
        if form == "-t":
            expr: Expr = Neg(tensor.expr)
        elif form == "t/s":
            expr = Bin("/", tensor.expr, Bin("+", Bin("*", factor, factor), Lit(1.0)))
        elif form in ("t*s", "t+s"):
            expr = Bin(form[1], tensor.expr, factor)
        else:
            expr = Bin(form[1], factor, tensor.expr)
        return Tensor(parenthesized(draw, expr), tensor.feat, tensor.rank)


__all__ = ["Generated", "Options", "programs"]
