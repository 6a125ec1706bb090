"""Image tensors `[N, C, H, W]` for the program generator.

Every size-keeping convolution torch has a way to write (padding 1 for a 3x3,
`padding="same"`, dilation 2 with padding 2, 1x1, a stride-1 transposed 3x3 with
padding 1), norms and pools, and operations that come back to the same shape (a
pool padded back with `pad_like`, an upsample pooled back, permutes, transposes).
Inside one definition all image tensors share their height and width, so nothing
here needs to know them; `pooled` and `broadcast` go between `[N, C]` and images.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .exprs import Expr, Raw, bool_expr, variables


def conv(layers: Any, a: str, b: str) -> str:
    draw = layers.draw
    forms = [
        f"Conv2d({a}, {b}, kernel_size=3, padding=1)",
        f"Conv2d({a}, {b}, 3, padding=1, bias={bool_expr(draw, layers.scope, 1).text()})",
        f"Conv2d({a}, {b}, 1)",
        f'Conv2d({a}, {b}, kernel_size=3, padding="same")',
        f"Conv2d(in_channels={a}, out_channels={b}, kernel_size=3, padding=2, dilation=2)",
        f"Conv2d({a}, {b}, (1, 3), padding=(0, 1))",
        f"ConvTranspose2d({a}, {b}, 3, padding=1)",
    ]  # fmt: skip
    return draw(st.sampled_from(forms))


def conv_module(layers: Any, fi: Expr, fo: Expr) -> str:
    """A module from fi to fo channels that keeps the height and width."""
    draw = layers.draw
    same = layers.same(fi, fo)
    kinds = ["conv", "seq", "named", "splat"] + (["act", "norm"] if same else [])
    kinds += ["block_seq"] if layers.single(4) else []
    kind = draw(st.sampled_from(kinds))
    a, b = fi.text(), fo.text()
    if kind == "act":
        acts = ["ReLU()", "Identity()", "Dropout2d(0.5)", "Hardswish()", "SiLU()"]
        return draw(st.sampled_from(acts))
    if kind == "norm":
        return draw(st.sampled_from([
            f"BatchNorm2d({a})", f"BatchNorm2d({a}, affine=False)",
            f"BatchNorm2d({a}, track_running_stats=False)", f"GroupNorm(1, {a})",
            f"GroupNorm(1, {a}, affine=False)", f"InstanceNorm2d({a}, affine=True)",
            f"InstanceNorm2d({a})", f"InstanceNorm2d({a}, track_running_stats=True)",
        ]))  # fmt: skip
    if kind == "conv":
        return conv(layers, a, b)
    if kind == "seq":  # the classic conv, norm, in-place ReLU
        return f"Sequential({conv(layers, a, b)}, BatchNorm2d({b}), ReLU(inplace=True))"
    if kind == "named":
        names = draw(st.lists(st.sampled_from(["conv", "bn", "relu", "out", "x"]),
                              min_size=3, max_size=3, unique=True))  # fmt: skip
        return (f"Sequential({names[0]}={conv(layers, a, b)}, "
                f"{names[1]}=BatchNorm2d({b}), {names[2]}=ReLU())")  # fmt: skip
    if kind == "block_seq":
        callee = draw(st.sampled_from(layers.single(4)))
        text, _ = layers.block_call(callee, fi, fo, True)
        return f"Sequential({text}, ReLU())"
    # The loop variable must not hide a name the element reads (`fo`'s).
    var = draw(st.sampled_from([n for n in ["_", "i", "j"] if n not in variables(fo)]))
    count = draw(st.integers(0, 2))
    elt = f"Sequential(Conv2d({b}, {b}, 3, padding=1), BatchNorm2d({b}), ReLU())"
    return f"Sequential({conv(layers, a, b)}, *[{elt} for {var} in range({count})])"


def reshaped(layers: Any, t: Any, tensor: type) -> Any:
    """Operations that come back to the same image shape."""
    draw = layers.draw
    x = t.expr.text()
    form = draw(
        st.sampled_from(["pool", "upsample", "permute", "transpose", "squeeze"])
    )
    if form == "pool":  # half size, padded back to the input's size
        if not layers.use_op("pad_like"):
            return t
        pool = draw(st.sampled_from(["MaxPool2d(2)", "AvgPool2d(2)",
                                     "MaxPool2d(kernel_size=2, stride=2, ceil_mode=True)"]))  # fmt: skip
        name = layers.gen.names.fresh([], "pool")
        layers.gen.body.append(f"{name} = {pool}")
        return tensor(Raw(f"pad_like({name}({x}), {x})"), t.feat, 4)
    if form == "upsample":  # twice the size, pooled back
        if not layers.use_op("interpolate"):
            return t
        name = layers.gen.names.fresh([], "pool")
        layers.gen.body.append(f"{name} = MaxPool2d(2)")
        mode = draw(st.sampled_from(['', ', mode="nearest"', ', mode="bilinear"',
                                     ', mode="bilinear", align_corners=True']))  # fmt: skip
        modes = [n for n in layers.scope.names("str")
                 if all(env[n] in ("nearest", "bilinear") for env in layers.scope.envs)]  # fmt: skip
        if modes and draw(st.booleans()):  # the mode a string parameter holds
            mode = f", mode={draw(st.sampled_from(modes))}"
        return tensor(Raw(f"{name}(interpolate({x}, scale_factor=2{mode}))"), t.feat, 4)
    if form == "permute":
        if not layers.use_op("permute"):
            return t
        return tensor(
            Raw(f"permute(permute({x}, [0, 2, 3, 1]), [0, 3, 1, 2])"), t.feat, 4
        )
    if form == "transpose":
        if not layers.use_op("transpose"):
            return t
        return tensor(Raw(f"transpose(transpose({x}, 1, 3), *[1, 3])"), t.feat, 4)
    if not layers.use_op("squeeze", "unsqueeze"):
        return t
    return tensor(Raw(f"squeeze(unsqueeze({x}, 1), dim=1)"), t.feat, 4)


def pooled(layers: Any, t: Any, tensor: type) -> Any:
    """An image to `[N, C]`: global pooling, by a layer or by `mean`."""
    draw = layers.draw
    x = t.expr.text()
    form = draw(st.sampled_from(["functional", "mean", "layer"]))
    if form == "functional" and layers.use_op("flatten", "adaptive_avg_pool2d"):
        return tensor(Raw(f"flatten(adaptive_avg_pool2d({x}, 1), 1)"), t.feat, 2)
    if form == "mean" and layers.use_op("mean"):
        dims = draw(st.sampled_from(["[2, 3]", "dim=(2, 3)", "(-1, -2)"]))
        return tensor(Raw(f"mean({x}, {dims})"), t.feat, 2)
    name = layers.gen.names.fresh([], "pool")
    layer = draw(st.sampled_from(["AdaptiveAvgPool2d((1, 1))", "AdaptiveMaxPool2d(1)"]))
    layers.gen.body.append(f"{name} = Sequential({layer}, Flatten())")
    return tensor(Raw(f"{name}({x})"), t.feat, 2)


def broadcast(layers: Any, image: Any, vector: Any, tensor: type) -> Any:
    """`image * unsqueeze(unsqueeze(v, 2), 3)`: a per-channel scale (squeeze and
    excitation), `vector` having the image's channels."""
    draw = layers.draw
    v = vector.expr.text()
    if draw(st.booleans()) and layers.use_op("unsqueeze"):
        scale = f"unsqueeze(unsqueeze({v}, 2), 3)"
    elif layers.use_op("reshape"):
        scale = f"reshape({v}, [-1, {image.feat.text()}, 1, 1])"
    else:
        return image
    op = draw(st.sampled_from(["*", "+"]))
    return tensor(Raw(f"({image.expr.text()} {op} {scale})"), image.feat, 4)
