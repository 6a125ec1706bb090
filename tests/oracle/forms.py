"""PyTorch's own spellings in forward, for the program generator (language 0.2).

Expressions: slices of the features (`t[:, :k]`, `t[:, -k:]`, `t[:, ::2]`,
`t[..., :k]`, `t[None][0]`), slices of the symbolic height put back together
(`cat([t[:, :, : size(t, 2) // 2], t[:, :, size(t, 2) // 2 :]], dim=2)`,
`pad_like(t[:, :, 1:, 1:], t)`), and one piece of a `chunk`, `split` or `unbind`.
Statements: those pieces unpacked (`a, b = x.chunk(2, dim=1)`), `+=` and friends,
tuple assignment (a swap `a, b = b, a` included), and loops over a ModuleList or
Sequential member, chained or joined DenseNet's way (a forward-time list grown
with `append` and joined by `cat`), and `for _ in range(n)`.

Each form is spelled several ways: functions, tensor methods, `torch.` prefixes.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .exprs import ATOM, Bin, Expr, Lit, Raw, Var, sized, variables


def _pools() -> tuple[list[str], list[str]]:
    """programs.py's pools of value and build-time names (it imports this)."""
    from .programs import BUILD_NAMES, VALUE_NAMES

    return VALUE_NAMES, BUILD_NAMES


#: Loop variables holding modules, and forward-time lists.
LOOP_NAMES = ["layer", "blk", "stage", "mod"]
LIST_NAMES = ["features", "feats", "outs", "parts"]


def _cat(gen: Any, items: str, dim: int) -> str:
    prefix = gen.draw(st.sampled_from(["", "torch."]))
    spelled = gen.draw(st.sampled_from([f", {dim}", f", dim={dim}"]))
    return f"{prefix}cat({items}{spelled})"


def between(gen: Any, feat: Expr, lo: int) -> Expr | None:
    """A size k in [1, feat] (lo = 1: a head's length) or in [0, feat - 1] (lo
    = 0: a tail's start) in every environment; None where there is none."""
    top = Bin("-", feat, Lit(1 - lo)) if lo == 0 else feat
    if not gen.scope.ok(top, lo, 10**6):
        return None
    k = sized(gen.draw, gen.scope, lo, 8)
    if gen.scope.ok(Bin("-", top, k), 0, 10**6):
        return k
    return top if isinstance(top, (Var, Lit)) else Lit(lo)


def sliced(gen: Any, t: Any, tensor: type, form: str | None = None) -> Any:
    """`t` sliced, with its new feature count."""
    draw = gen.draw
    x, feat = t.expr.at(ATOM), t.feat
    forms = ["head", "tail", "last", "step", "none"]
    if t.rank == 4 and isinstance(t.expr, Var):
        forms += ["halves", "pad"]
    form = form or draw(st.sampled_from(forms))
    if form == "head":
        k = between(gen, feat, 1)
        if k is not None:
            index = (
                f"..., :{k.text()}"
                if t.rank == 2 and draw(st.booleans())
                else f":, :{k.text()}"
            )
            return tensor(Raw(f"{x}[{index}]"), k, t.rank)  # fmt: skip
    if form == "tail":
        k = between(gen, feat, 0)
        if k is not None:
            return tensor(Raw(f"{x}[:, {k.text()}:]"), Bin("-", feat, k), t.rank)
    if form == "last":
        k = between(gen, feat, 1)
        if k is not None:
            return tensor(Raw(f"{x}[:, -{k.at(ATOM)}:]"), k, t.rank)
    if form == "step":
        half = Bin("//", Bin("+", feat, Lit(1)), Lit(2))
        return tensor(Raw(f"{x}[:, ::2]"), half, t.rank)
    if form == "halves" and gen.layers.use_op("cat", "size"):
        name = t.expr.text()
        h = draw(st.sampled_from([f"size({name}, 2)", f"{name}.size(2)",
                                  f"{name}.shape[2]"]))  # fmt: skip
        items = f"[{name}[:, :, : {h} // 2], {name}[:, :, {h} // 2 :]]"
        return tensor(Raw(_cat(gen, items, 2)), feat, 4)
    if form == "pad" and gen.layers.use_op("pad_like"):
        name = t.expr.text()
        return tensor(Raw(f"pad_like({name}[:, :, 1:, 1:], {name})"), feat, 4)
    return tensor(Raw(f"{x}[None][0]"), feat, t.rank)


def pieces(gen: Any, t: Any) -> tuple[str, list[Expr]] | None:
    """A call giving two tensors made from `t`: its text and their features."""
    draw = gen.draw
    x = t.expr.text()
    form = draw(st.sampled_from(["chunk", "split", "unbind"]))
    if form == "split" and gen.layers.use_op("split"):
        k = between(gen, Bin("-", t.feat, Lit(1)), 1)
        if k is not None:
            rest = Bin("-", t.feat, k)
            sections = f"[{k.text()}, {rest.text()}]"
            call = draw(st.sampled_from([f"split({x}, {sections}, dim=1)",
                                         f"{t.expr.at(ATOM)}.split({sections}, 1)"]))  # fmt: skip
            return call, [k, rest]
    other = gen.like(gen.tensor_expr(1), t).expr.text()
    if form == "unbind" and gen.layers.use_op("unbind", "stack"):
        call = draw(st.sampled_from([f"unbind(stack([{x}, {other}], dim=1), dim=1)",
                                     f"torch.stack(({x}, {other}), 1).unbind(1)"]))  # fmt: skip
        return call, [t.feat, t.feat]
    if gen.layers.use_op("chunk", "cat"):
        joined = _cat(gen, f"[{x}, {other}]", 1)
        call = draw(st.sampled_from([f"chunk({joined}, 2, dim=1)",
                                     f"{joined}.chunk(2, 1)"]))  # fmt: skip
        return call, [t.feat, t.feat]
    return None


def piece(gen: Any, t: Any, tensor: type) -> Any:
    """One piece of a chunk, split or unbind: `chunk(...)[1]`."""
    made = pieces(gen, t)
    if made is None:
        return t
    call, feats = made
    index = gen.draw(st.integers(0, 1))
    return tensor(Raw(f"{call}[{index}]"), feats[index], t.rank)


# ---- statements ------------------------------------------------------------------


def statement(gen: Any, out: list[str], indent: str) -> bool:
    """One of the forms below written to `out`; False where none fits here."""
    kinds = ["unpack", "augment", "tuple", "swap", "loop", "height"]
    if gen.program.options.inplace_anywhere:
        kinds += ["inplace_part", "inplace_part"]
    kind = gen.draw(st.sampled_from(kinds))
    return {"unpack": unpack, "augment": augment, "tuple": tuple_assign,
            "swap": swap, "loop": loop, "height": height,
            "inplace_part": inplace_part}[kind](gen, out, indent)  # fmt: skip


def inplace_part(gen: Any, out: list[str], indent: str) -> bool:
    """Relaxed programs: an in-place layer on a slice, a piece or a name bound by
    tuple assignment, the whole read again later (findings F20-F23): check must
    refuse it or the two agree."""
    names = named(gen)
    if not names:
        return False
    t = gen.draw(st.sampled_from(names))
    member = gen.names.fresh(_pools()[1], "m")
    gen.body.append(f"{member} = ReLU(inplace=True)")
    result = gen.names.fresh(_pools()[0], "v")
    form = gen.draw(st.sampled_from(["slice", "piece", "tuple"]))
    if form == "tuple":
        other = gen.names.fresh(_pools()[0], "v")
        out += [f"{indent}{result}, {other} = {t.expr.text()}, {t.expr.text()} * 2.0",
                f"{indent}{result} = {member}({result})"]  # fmt: skip
        gen.bind(other, t.feat, t.rank)
        gen.bind(result, t.feat, t.rank)
        return True
    part = sliced(gen, t, type(t)) if form == "slice" else piece(gen, t, type(t))
    out.append(f"{indent}{result} = {member}({part.expr.text()})")
    gen.bind(result, part.feat, part.rank)
    return True


def height(gen: Any, out: list[str], indent: str) -> bool:
    """A named image sliced along its symbolic height and put back together."""
    images = [t for t in named(gen) if t.rank == 4]
    if not images:
        return False
    t = gen.draw(st.sampled_from(images))
    form = gen.draw(st.sampled_from(["halves", "pad"]))
    value = sliced(gen, t, type(t), form)
    if value is t or value.expr.text().endswith("[None][0]"):
        return False
    out.append(f"{indent}{t.expr.text()} = {value.expr.text()}")
    return True


def unpack(gen: Any, out: list[str], indent: str) -> bool:
    source = gen.draw(st.sampled_from(gen.tensors))
    made = pieces(gen, source)
    if made is None:
        return False
    call, feats = made
    first = gen.value_name(source.rank)
    second = gen.names.fresh(_pools()[0], "v")
    out.append(f"{indent}{first}, {second} = {call}")
    gen.bind(first, feats[0], source.rank)
    gen.bind(second, feats[1], source.rank)
    return True


def named(gen: Any) -> list[Any]:
    return [t for t in gen.tensors if isinstance(t.expr, Var)]


def augment(gen: Any, out: list[str], indent: str) -> bool:
    """`x += expr`: written out as `x = x + expr`, never in place."""
    names = named(gen)
    if not names:
        return False
    target = gen.draw(st.sampled_from(names))
    value = gen.like(gen.tensor_expr(1), target)
    op = gen.draw(st.sampled_from(["+=", "-=", "*="]))
    out.append(f"{indent}{target.expr.text()} {op} {value.expr.text()}")
    return True


def tuple_assign(gen: Any, out: list[str], indent: str) -> bool:
    """`a, b = f(x), g(y)`: both sides evaluated before either name is bound."""
    first, second = gen.tensor_expr(2), gen.tensor_expr(1)
    a = gen.value_name(first.rank)
    b = gen.value_name(second.rank)
    if a == b:
        b = gen.names.fresh(_pools()[0], "v")
    if any(t.expr.text() == b for t in gen.tensors if t.rank != second.rank):
        return False  # a name keeps its rank
    out.append(f"{indent}{a}, {b} = {first.expr.text()}, {second.expr.text()}")
    gen.bind(a, first.feat, first.rank)
    gen.bind(b, second.feat, second.rank)
    return True


def swap(gen: Any, out: list[str], indent: str) -> bool:
    """`a, b = b, a`: two values of one rank trade places."""
    for rank in (2, 4):
        same = [t for t in named(gen) if t.rank == rank]
        if len(same) >= 2:
            a, b = gen.draw(st.permutations(same))[:2]
            out.append(f"{indent}{a.expr.text()}, {b.expr.text()} = "
                       f"{b.expr.text()}, {a.expr.text()}")  # fmt: skip
            a_feat, b_feat = a.feat, b.feat
            gen.bind(a.expr.text(), b_feat, rank)
            gen.bind(b.expr.text(), a_feat, rank)
            return True
    return False


def loop(gen: Any, out: list[str], indent: str) -> bool:
    """A loop in forward over a ModuleList or Sequential member (built by a
    comprehension or a build-time `for` with `append`), or over `range(n)`."""
    names = named(gen)
    if not names:
        return False
    draw = gen.draw
    t = draw(st.sampled_from(names))
    v, feat, rank = t.expr.text(), t.feat, t.rank
    count = sized(draw, gen.scope, 1, 3)
    form = draw(st.sampled_from(["chain", "dense", "range"]))
    if form == "dense" and not gen.layers.use_op("cat"):
        form = "chain"
    if form == "range":  # one member applied n times
        member, _ = gen.layers.member(feat, feat, True, rank)
        step = gen.layers.to(t, feat, member).expr.text()
        out += [f"{indent}for _ in range({count.text()}) {{",
                f"{indent}    {v} = {step}", f"{indent}}}"]  # fmt: skip
        return True
    container = gen.names.fresh(_pools()[1], "m")
    kind = draw(st.sampled_from(["ModuleList", "Sequential"]))
    var = gen.names.fresh([n for n in ["i", "j", "k"] if n not in variables(feat)], "i")
    layer = gen.names.fresh(LOOP_NAMES, "layer")
    if form == "chain":
        element = gen.layers.module(feat, feat, rank)
        if draw(st.booleans()):
            listed = f"[{element} for {var} in range({count.text()})]"
            spread = listed if kind == "ModuleList" else f"*{listed}"
            gen.body.append(f"{container} = {kind}({spread})")
        else:
            gen.body += [f"{container} = {kind}()",
                         f"for {var} in range({count.text()}) {{",
                         f"    {container}.append({element})", "}"]  # fmt: skip
        out += [f"{indent}for {layer} in {container} {{",
                f"{indent}    {v} = {layer}({v})", f"{indent}}}"]  # fmt: skip
        return True
    f = feat.at(ATOM)
    grows = (f"Linear({f} * ({var} + 1), {f})" if rank == 2 else
             f"Conv2d({f} * ({var} + 1), {f}, 3, padding=1)")  # fmt: skip
    gen.body += [f"{container} = {kind}()", f"for {var} in range({count.text()}) {{",
                 f"    {container}.append({grows})", "}"]  # fmt: skip
    listed = gen.names.fresh(LIST_NAMES, "feats")
    result = gen.value_name(rank)
    out += [f"{indent}{listed} = [{v}]", f"{indent}for {layer} in {container} {{",
            f"{indent}    {listed}.append({layer}({_cat(gen, listed, 1)}))",
            f"{indent}}}", f"{indent}{result} = {_cat(gen, listed, 1)}"]  # fmt: skip
    gen.bind(result, Bin("*", feat, Bin("+", count, Lit(1))), rank)
    return True
