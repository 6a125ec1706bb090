"""Members and tensor operations for the program generator.

`Layers` writes members into a definition's body as its forward asks for them:
Linear, positional and named Sequential, Sequential with a comprehension splatted
in, blocks (with arguments positional, keyword or left to their defaults), members
chosen by `if`, and tensor ops whose shapes come back to `[N, F]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from . import convs
from .exprs import (
    Bin,
    Expr,
    Lit,
    Raw,
    Var,
    bool_expr,
    float_expr,
    sized,
    substitute,
    variables,
)

CHILD_NAMES = ["fc", "out", "relu", "x", "act", "norm", "proj", "cat",
               "identity", "layers", "block"]  # fmt: skip
# Loop variables may not be named like what a spec calls (the checker says so).
CALLED = {"cat", "stack", "flatten", "unsqueeze", "squeeze", "reshape", "permute",
          "transpose", "mean", "softmax", "relu", "sigmoid", "tanh", "interpolate",
          "adaptive_avg_pool2d", "pad_like", "range", "len", "min", "max", "abs",
          "int", "float", "zip", "enumerate"}  # fmt: skip


@dataclass
class Signature:
    name: str
    params: list[tuple[str, str, Expr | None]]  # name, type, default
    input_names: list[str]
    outputs: int
    p_in: str
    p_out: str
    rank: int = 2  # its tensors: [N, F] or images [N, C, H, W]

    @property
    def inputs(self) -> int:
        return len(self.input_names)


@dataclass
class Tensor:
    expr: Expr
    feat: Expr  # its feature (or channel) count, a build-time expression
    rank: int = 2


def feature_names(tensor: Tensor) -> set[str]:
    return variables(tensor.feat)


class Layers:
    def __init__(self, gen: Any, callees: list[Any]) -> None:
        self.gen = gen
        self.draw = gen.draw
        self.scope = gen.scope
        self.callees = callees
        self.arity: dict[str, int] = {}  # members taking two inputs: blocks
        self.input_names: dict[str, list[str]] = {}  # ... and their inputs' names
        #: members that always exist and hold parameters, for `freeze` patterns
        self.freezable: list[str] = []
        self.linears: set[str] = set()  # those that are a Linear themselves

    def freezable_weight(self, name: str) -> bool:
        return name in self.linears

    # ---- forward side --------------------------------------------------------------

    def same(self, a: Expr, b: Expr) -> bool:
        return a.values(self.scope.envs) == b.values(self.scope.envs)

    def call(self, tensor: Tensor) -> Tensor:
        """A new member applied to `tensor`."""
        if self.draw(st.integers(0, 2)) == 0:
            feat = tensor.feat
        else:
            feat = sized(self.draw, self.scope, 1, 8)
        return self.to(tensor, feat, force=True)

    def to(self, tensor: Tensor, feat: Expr, member: str | None = None,
           force: bool = False) -> Tensor:  # fmt: skip
        """`tensor` with `feat` features: as it is where it has them already (unless
        forced), else through a new member."""
        if member is None:
            if not force and self.same(tensor.feat, feat) and self.draw(st.booleans()):
                return tensor
            member, feat = self.member(tensor.feat, feat, not force, tensor.rank)
        args = [tensor.expr.text()]
        arity = self.arity.get(member, 1)
        names = self.input_names.get(member, [])
        for index in range(1, arity):
            arg = self.to(self.gen.leaf(tensor.rank), tensor.feat).expr.text()
            if index < len(names) and self.draw(st.booleans()):
                arg = f"{names[index]}={arg}"  # a keyword input: `blk(x, t1=y)`
            args.append(arg)
        return Tensor(Raw(f"{member}({', '.join(args)})"), feat, tensor.rank)

    def member(
        self, fi: Expr, fo: Expr, exact: bool, rank: int = 2
    ) -> tuple[str, Expr]:
        """A new member taking `fi` features to `fo` (or, for a block whose output
        defaults, to what the default gives): its name and output features."""
        pool = self.gen_build_names()
        single = [c for c in self.callees if c.sig.outputs == 1 and c.sig.rank == rank]
        callee = single and self.draw(st.booleans())
        conditional = not callee and self.draw(st.integers(0, 4)) == 0
        if conditional and not self.gen.program.options.conditional_mean:
            pool = [n for n in pool if n != "mean"]  # finding F8
        name = self.gen.names.fresh(pool, "m")
        if callee:
            callee = self.draw(st.sampled_from(single))
            text, fo = self.block_call(callee, fi, fo, exact)
            self.arity[name] = callee.sig.inputs
            self.input_names[name] = callee.sig.input_names
            self.gen.body.append(f"{name} = {text}")
            return name, fo
        if conditional:
            cond = bool_expr(self.draw, self.scope)
            self.gen.body += [f"if {cond.text()} {{", f"    {name} = {self.module(fi, fo, rank)}",
                              "} else {", f"    {name} = {self.module(fi, fo, rank)}", "}"]  # fmt: skip
            return name, fo
        text = self.module(fi, fo, rank)
        self.gen.body.append(f"{name} = {text}")
        if text.startswith(
            ("Linear(", "Sequential(Linear(", "Conv2d(", "Sequential(Conv2d(")
        ):
            self.freezable.append(name)
            if text.startswith(("Linear(", "Conv2d(")):
                self.linears.add(name)
        return name, fo

    def gen_build_names(self) -> list[str]:
        from .programs import BUILD_NAMES

        return BUILD_NAMES

    def conditional_member(self, feat: Expr, rank: int) -> tuple[str, str]:
        """A member made only under a build-time condition, for a forward that
        calls it under the same condition."""
        name = self.gen.names.fresh(self.gen_build_names(), "m")
        cond = bool_expr(self.draw, self.scope).text()
        self.gen.body += [
            f"if {cond} {{",
            f"    {name} = {self.module(feat, feat, rank)}",
            "}",
        ]
        if self.gen.program.options.relaxed and self.draw(st.booleans()):
            # Relaxed: called under another condition, which may hold where the
            # first does not (check must refuse what could then fail).
            return bool_expr(self.draw, self.scope).text(), name
        return cond, name

    def pooled(self, t: Tensor) -> Tensor:
        return convs.pooled(self, t, Tensor)

    def broadcast(self, image: Tensor, vector: Tensor) -> Tensor:
        return convs.broadcast(self, image, vector, Tensor)

    def pair_call(self, tensor: Tensor) -> tuple[str, Expr] | None:
        """A block returning two tensors, called on `tensor`: (call, features)."""
        pairs = [
            c for c in self.callees if c.sig.outputs == 2 and c.sig.rank == tensor.rank
        ]
        if not pairs:
            return None
        callee = self.draw(st.sampled_from(pairs))
        fo = sized(self.draw, self.scope, 1, 8)
        name = self.gen.names.fresh(self.gen_build_names(), "m")
        text, fo = self.block_call(callee, tensor.feat, fo, exact=False)
        self.gen.body.append(f"{name} = {text}")
        args = [tensor.expr.text()]
        for _ in range(callee.sig.inputs - 1):
            args.append(self.to(self.gen.leaf(tensor.rank), tensor.feat).expr.text())
        return f"{name}({', '.join(args)})", fo

    def op(self, tensor: Tensor) -> Tensor:
        name = self.draw(st.sampled_from(["relu", "sigmoid", "tanh", "softmax"]))
        if not self.use_op(name):
            return tensor
        dim = self.draw(st.sampled_from([", dim=1", ", 1", ", -1"]))
        args = tensor.expr.text() + (dim if name == "softmax" else "")
        return Tensor(Raw(f"{name}({args})"), tensor.feat, tensor.rank)

    def use_op(self, *names: str) -> bool:
        """Whether these tensor ops are free to call here; if so, they stay so (no
        later value or member of this definition takes their names)."""
        if any(n in self.gen.names.taken for n in names):
            return False
        self.gen.names.taken.update(names)
        return True

    def cat(self, a: Tensor, b: Tensor) -> Tensor:
        if not self.use_op("cat"):
            return a
        listed = f"[{a.expr.text()}, {b.expr.text()}]"
        last = ", dim=-1" if a.rank == 2 else ", dim=-3"
        dim = self.draw(st.sampled_from([", dim=1", ", 1", last]))
        return Tensor(Raw(f"cat({listed}{dim})"), Bin("+", a.feat, b.feat), a.rank)

    def comprehension(self, t: Tensor) -> Tensor:
        """`cat([m(t) * k for k in range(n)], dim=1)`: a comprehension in forward,
        its variable named like a parameter or constant where one can hide."""
        if not self.use_op("cat"):
            return t
        called = self.to(t, sized(self.draw, self.scope, 1, 4), force=True)
        feat = called.feat
        used = variables(feat) | variables(t.feat) | CALLED | self.gen.names.taken
        pool = [
            n
            for n in [*self.scope.types, "i", "j"]
            if n not in used or n in self.scope.types
        ]
        pool = [n for n in pool if n not in CALLED and n not in variables(t.feat)]
        var = self.draw(st.sampled_from(pool or ["_"]))
        count = sized(self.draw, self.scope, 1, 2)
        scaled = f" * {var}" if var != "_" and self.draw(st.booleans()) else ""
        source = self.draw(st.sampled_from([f"range({count.text()})", "[1, 2]"]))
        if source == "[1, 2]":
            count = Lit(2)
        elt = f"{called.expr.text()}{scaled}"
        text = f"cat([{elt} for {var} in {source}], dim=1)"
        return Tensor(Raw(text), Bin("*", count, feat), t.rank)

    def reshaped(self, t: Tensor) -> Tensor:
        """Shape operations that come back to `[N, F]` (or to the same image)."""
        if t.rank == 4:
            return convs.reshaped(self, t, Tensor)
        x = t.expr.text()
        forms = {
            ("flatten", "unsqueeze"): f"flatten(unsqueeze(input={x}, dim=2), 1)",
            ("squeeze", "unsqueeze"): f"squeeze(unsqueeze({x}, 1), dim=1)",
            ("cat", "flatten", "transpose", "unsqueeze"): f"flatten(transpose(cat(tensors=[unsqueeze({x}, 2)], dim=2), dim0=1, dim1=2), 1)",
            ("reshape",): f"reshape({x}, [-1, {t.feat.text()}])",
            ("flatten", "transpose", "unsqueeze"): f"flatten(transpose(unsqueeze({x}, 1), *[1, 2]), 1)",
            ("flatten", "permute", "unsqueeze"): f"flatten(permute(unsqueeze({x}, 2), [0, 2, 1]), start_dim=1)",
            ("mean", "stack"): f"mean(stack([{x}, {x} * 2.0], dim=1), dim=1)",
        }  # fmt: skip
        ops = self.draw(st.sampled_from(sorted(forms)))
        computed = not isinstance(t.feat, (Var, Lit))
        if (
            ops == ("reshape",)
            and computed
            and not self.gen.program.options.computed_reshape
        ):
            ops = ("flatten", "unsqueeze")
        if not self.use_op(*ops):
            return t
        return Tensor(Raw(forms[ops]), t.feat)

    # ---- build side -------------------------------------------------------------------

    def module(self, fi: Expr, fo: Expr, rank: int = 2) -> str:
        """A module expression (single input, single output) from fi to fo features."""
        if rank == 4:
            return convs.conv_module(self, fi, fo)
        draw = self.draw
        same = self.same(fi, fo)
        kinds = ["linear", "seq", "named", "splat", "inplace_seq"]
        kinds += ["act", "norm"] if same else []
        if same and self.gen.program.options.inplace_anywhere:
            kinds += ["inplace", "inplace"]
        kinds += ["builder"] if self.gen.program.builder else []
        kinds += ["block_seq"] if self.single(2) else []
        kind = draw(st.sampled_from(kinds))
        a, b = fi.text(), fo.text()
        if kind == "act":
            slope = float_expr(draw, self.scope, 1).text()
            acts = ["ReLU()", "Tanh()", "Identity()", "Dropout(0.5)", "GELU()",
                    f"LeakyReLU({slope})", f"ELU(alpha={slope})"]  # fmt: skip
            if self.gen.program.options.inplace_anywhere:
                acts.append("ReLU(inplace=True)")
            return draw(st.sampled_from(acts))
        if kind == "inplace":
            return "ReLU(inplace=True)"
        if kind == "norm":  # with and without their affine parameters
            return draw(st.sampled_from([
                f"LayerNorm({a})", f"LayerNorm({a}, bias=False)",
                f"LayerNorm({a}, elementwise_affine=False)", f"LayerNorm([{a}], eps=1e-3)",
                f"BatchNorm1d({a})", f"BatchNorm1d({a}, affine=False)",
            ]))  # fmt: skip
        if kind == "linear":
            return self.linear(a, b)
        if kind in ("seq", "inplace_seq"):
            act = draw(st.sampled_from(["ReLU()", "Tanh()", "Sigmoid()"]))
            # In place after a Linear: it only ever changes the Linear's own output.
            act = "ReLU(inplace=True)" if kind == "inplace_seq" else act
            return f"Sequential({self.linear(a, b)}, {act})"
        if kind == "named":
            pair = st.lists(
                st.sampled_from(CHILD_NAMES), min_size=2, max_size=2, unique=True
            )
            names = draw(pair)
            children = [f"{names[0]}={self.linear(a, b)}", f"{names[1]}=ReLU()"]
            return f"Sequential({', '.join(children)})"
        if kind == "builder":
            return self.builder_call(a, b)
        if kind == "block_seq":
            text, _ = self.block_call(
                draw(st.sampled_from(self.single(2))), fi, fo, True
            )
            return (
                f"Sequential({text}, {draw(st.sampled_from(['ReLU()', 'Identity()']))})"
            )
        return self.splat(fi, fo)

    def single(self, rank: int) -> list[Any]:
        """Blocks taking one tensor to one: those a Sequential may hold."""
        return [c for c in self.callees
                if c.sig.inputs == 1 and c.sig.outputs == 1 and c.sig.rank == rank]  # fmt: skip

    def builder_call(self, a: str, b: str) -> str:
        name, form = self.gen.program.builder
        extra = ""
        if self.draw(st.booleans()):
            if form == "depth":
                extra = f", {sized(self.draw, self.scope, 0, 2).text()}"
            else:
                extra = f", deep={bool_expr(self.draw, self.scope, 1).text()}"
        return f"{name}({a}, {b}{extra})"

    def linear(self, a: str, b: str) -> str:
        form = self.draw(st.integers(0, 3))
        if form == 0:
            return f"Linear(in_features={a}, out_features={b})"
        if form == 1:
            return (
                f"Linear({a}, {b}, bias={bool_expr(self.draw, self.scope, 1).text()})"
            )
        return f"Linear({a}, {b})"

    def splat(self, fi: Expr, fo: Expr) -> str:
        """`Sequential(Linear(fi, fo), *[... for v in ...])`, the comprehension's
        variable named like a parameter or constant where one is free to hide,
        over a range, a list literal, a list parameter or `enumerate` of one."""
        draw = self.draw
        pool = [*self.scope.types, "_", "i", "j"]
        pool = [n for n in pool if n not in variables(fo) | CALLED]
        var = draw(st.sampled_from(pool))
        b = fo.text()
        lists = [*self.scope.names("list"), "[1, 2]", "[3]"]
        iters = [f"range({sized(draw, self.scope, 0, 3).text()})", *lists]
        targets, source = var, draw(st.sampled_from(iters))
        second = [n for n in pool if n != var]
        if second and draw(st.integers(0, 3)) == 0:  # `for i, w in enumerate(ws)`
            targets = f"{var}, {draw(st.sampled_from(second))}"
            source = draw(st.sampled_from(["enumerate({0})", "zip({0}, {0})"]))
            source = source.format(draw(st.sampled_from(lists)))
        elt = draw(st.sampled_from([
            f"Linear({b}, {b}, bias={var} % 2 == 0)" if var != "_" else f"Linear({b}, {b})",
            f"Sequential(Linear({b}, {b}), ReLU())",
            f"Dropout({var} / 10)" if var != "_" else "Dropout(0.1)",
        ]))  # fmt: skip
        comp = f"[{elt} for {targets} in {source}]"
        return f"Sequential({self.linear(fi.text(), b)}, *{comp})"

    def block_call(
        self, callee: Any, fi: Expr, fo: Expr, exact: bool
    ) -> tuple[str, Expr]:
        """A call of a block taking fi features to fo (or to its default output),
        recording the environments it is built with."""
        draw = self.draw
        sig = callee.sig
        given: dict[str, Expr] = {sig.p_in: fi}
        defaults = dict((n, d) for n, _, d in sig.params)
        if exact or defaults[sig.p_out] is None or draw(st.booleans()):
            given[sig.p_out] = fo
        else:
            fo = substitute(defaults[sig.p_out], {sig.p_in: fi})
        for name, kind, _default in sig.params[2:]:
            if draw(st.booleans()):
                given[name] = {
                    "int": lambda: sized(draw, self.scope, 1, 4),
                    "bool": lambda: bool_expr(draw, self.scope, 1),
                    "float": lambda: Lit(draw(st.sampled_from([0.5, 3.0]))),
                }[kind]()  # fmt: skip
        args, positional = [], True
        for name, _, _ in sig.params:
            if name not in given:
                positional = False
                continue
            positional = positional and draw(st.integers(0, 2)) > 0
            args.append(
                given[name].text() if positional else f"{name}={given[name].text()}"
            )
        for env in self.scope.envs:
            inner = {}
            for name, _, default in sig.params:
                inner[name] = (
                    given[name].eval(env) if name in given else default.eval(inner)
                )
            callee.envs.append(inner)
        return f"{sig.name}({', '.join(args)})", fo
