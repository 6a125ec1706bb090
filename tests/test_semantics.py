"""What `check` accepts computes what the spec says, and what it refuses torch
refuses too (or would compute something else): each refusal is shown against torch,
never against archdsl's own output."""

from __future__ import annotations

import pytest
from work_bounds import calls_at_most

from archdsl.errors import ArchError
from archdsl.pipeline import compile_spec, load_compiled
from archdsl.source import Source

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402


def errors(text: str) -> list[str]:
    """The error messages `check` gives for a spec's text (none when it passes)."""
    try:
        compile_spec(Source("<test>", text))
    except ArchError as exc:
        return [d.message for d in exc.errors]
    return []


def build(text: str):
    """The generated module of a spec that must pass `check`."""
    return load_compiled(compile_spec(Source("<test>", text)))


def refused(text: str, fragment: str) -> None:
    found = errors(text)
    assert any(fragment in message for message in found), found


# ---- Sequential's two forms ------------------------------------------------------------


def test_sequential_refuses_mixed_children_like_torch() -> None:
    with pytest.raises(TypeError):
        nn.Sequential(nn.Linear(2, 8), out=nn.Linear(8, 3))
    refused(
        "model M() {\n"
        "    net = Sequential(Linear(2, 8), out=Linear(8, 3))\n"
        "    forward(x: [N, 2]) = net(x)\n"
        "}\n",
        "either all named or all unnamed",
    )


@pytest.mark.parametrize("items", ["[1, 2]", "[c for c in chans]", "[0.5]"])
def test_sequential_refuses_splat_of_non_modules_like_torch(items: str) -> None:
    with pytest.raises(TypeError):
        nn.Sequential(*[1, 2])
    refused(
        "model M(chans: list[int] = [1, 2]) {\n"
        f"    net = Sequential(*{items})\n"
        "    forward(x: [N, 2]) = net(x)\n"
        "}\n",
        "`*` spreads this list into `Sequential`",
    )


def test_module_list_refuses_non_modules_like_torch() -> None:
    with pytest.raises(TypeError):
        nn.ModuleList([1, 2])
    refused(
        "model M() {\n"
        "    layers = ModuleList([1, 2])\n"
        "    fc = Linear(2, 2)\n"
        "    forward(x: [N, 2]) = fc(x)\n"
        "}\n",
        "`ModuleList` holds modules",
    )


def test_sequential_splat_of_modules_matches_torch() -> None:
    module = build(
        "model M(chans: list[int] = [4, 6, 3]) {\n"
        "    net = Sequential(*[Linear(a, b) for a, b in zip([4, 6], [6, 3])])\n"
        "    forward(x: [N, 4]) = net(x)\n"
        "}\n"
    )
    model = module.M()
    reference = nn.Sequential(nn.Linear(4, 6), nn.Linear(6, 3))
    reference.load_state_dict(
        {k.removeprefix("net."): v for k, v in model.state_dict().items()}
    )
    x = torch.randn(5, 4)
    torch.testing.assert_close(model(x), reference(x))


# ---- names a forward or a base's forward would use twice -------------------------------


def test_duplicate_forward_inputs_are_a_python_syntax_error() -> None:
    with pytest.raises(SyntaxError):
        compile("def forward(self, x, x):\n    return x\n", "<t>", "exec")
    refused(
        "model M() {\n"
        "    fc = Linear(2, 2)\n"
        "    forward(x: [N, 2], x: [N, 2]) = fc(x)\n"
        "}\n",
        "two inputs named `x`",
    )


def test_duplicate_targets_are_refused() -> None:
    refused(
        "block B() {\n"
        "    fc = Linear(2, 2)\n"
        "    forward(x) { return fc(x), x }\n"
        "}\n"
        "model M() {\n"
        "    b = B()\n"
        "    forward(x: [N, 2]) {\n"
        "        a, a = b(x)\n"
        "        return a\n"
        "    }\n"
        "}\n",
        "`a` is assigned twice",
    )


@pytest.mark.parametrize(
    ("statements", "fragment"),
    [
        ("input x: [N, 8]", "input name `x` is the base model's input"),
        ("outputs(x = layer3, y = layer4)", "output name `x`"),
        ("outputs(a = layer3, a = layer4)", "`a` already names"),
        ("input m: [N, 8]\n    input m: [N, 8]", "`m` already names"),
    ],
)
def test_base_forward_names_are_unique(statements: str, fragment: str) -> None:
    refused(
        f"model M extends torchvision.resnet18() {{\n    {statements}\n}}\n", fragment
    )


# ---- names defined under a build-time condition ----------------------------------------


class _HalfDefined(nn.Module):
    """What a member defined in one branch only means in PyTorch."""

    def __init__(self, proj: bool) -> None:
        super().__init__()
        if proj:
            self.shortcut = nn.Conv2d(8, 8, 1)

    def forward(self, x):
        return self.shortcut(x)


CONDITIONAL_REFUSED = {
    "member used unconditionally": (
        "block A(proj: bool) {\n"
        "    if proj { shortcut = Conv2d(8, 8, 1) }\n"
        "    forward(x) = shortcut(x)\n"
        "}\n",
        "`shortcut` is defined only when `proj`",
    ),
    "member used under another condition": (
        "block A(a: bool, b: bool) {\n"
        "    if a { up = Conv2d(8, 8, 1) }\n"
        "    forward(x) {\n"
        "        if b { x = up(x) }\n"
        "        return x\n"
        "    }\n"
        "}\n",
        "`up` is defined only when `a`",
    ),
    "constant from one branch": (
        "block A(wide: bool) {\n"
        "    if wide { width = 64 }\n"
        "    conv = Conv2d(3, width, 3)\n"
        "    forward(x) = conv(x)\n"
        "}\n",
        "`width` is defined only when `wide`",
    ),
    "value from one branch": (
        "block A(p: bool) {\n"
        "    proj = Conv2d(8, 8, 1)\n"
        "    forward(x) {\n"
        "        if p { identity = proj(x) }\n"
        "        return x + identity\n"
        "    }\n"
        "}\n",
        "`identity` is defined only when `p`",
    ),
    "either of two conditions": (
        "block A(a: bool, b: bool) {\n"
        "    if a { up = Conv2d(8, 8, 1) }\n"
        "    forward(x) {\n"
        "        if a or b { return up(x) }\n"
        "        return x\n"
        "    }\n"
        "}\n",
        "`up` is defined only when `a`",
    ),
    "negated condition": (
        "block A(a: bool) {\n"
        "    if not a { up = Conv2d(8, 8, 1) }\n"
        "    forward(x) {\n"
        "        if a { return up(x) }\n"
        "        return x\n"
        "    }\n"
        "}\n",
        "`up` is defined only when not `a`",
    ),
}


def test_half_defined_member_fails_in_pytorch() -> None:
    with pytest.raises(AttributeError):
        _HalfDefined(False)(torch.randn(1, 8, 4, 4))


@pytest.mark.parametrize("case", sorted(CONDITIONAL_REFUSED))
def test_use_outside_the_defining_condition_is_refused(case: str) -> None:
    refused(*CONDITIONAL_REFUSED[case])


def test_conditions_no_parameter_can_change_are_decided() -> None:
    """`use_bn = True; if use_bn { bn = ... }`: `bn` always exists, and a member
    of the branch never taken never does."""
    text = (
        "block A(p: bool) {\n"
        "    use_bn = True\n"
        "    deep = use_bn\n"
        "    if use_bn { bn = BatchNorm2d(8) }\n"
        "    if deep { extra = Conv2d(8, 8, 1) } else { never = Conv2d(8, 8, 1) }\n"
        "    forward(x) = NEVER(extra(bn(x)))\n"
        "}\n"
        "model M() {\n"
        "    a = A(True)\n"
        "    forward(x: [N, 8, H, W]) = a(x)\n"
        "}\n"
    )
    refused(text.replace("NEVER", "never"), "`never` is defined only when not `deep`")
    model = build(text.replace("NEVER", "")).M().eval()
    x = torch.randn(2, 8, 4, 4)
    torch.testing.assert_close(model(x), model.a.extra(model.a.bn(x)))


def test_uses_under_the_same_condition_build_and_match_torch() -> None:
    module = build(
        "block Up(bilinear: bool) {\n"
        "    if bilinear {\n"
        '        up = Upsample(scale_factor=2, mode="nearest")\n'
        "        k = 1\n"
        "    } else {\n"
        "        up = ConvTranspose2d(8, 8, 2, stride=2)\n"
        "        k = 3\n"
        "    }\n"
        "    conv = Conv2d(8, 8, k, padding=k // 2)\n"
        "    if not bilinear { extra = Conv2d(8, 8, 1) }\n"
        "    forward(x) {\n"
        "        if bilinear { return conv(up(x)) }\n"
        "        y = up(x)\n"
        "        if not bilinear { y = extra(y) }\n"
        "        return conv(y)\n"
        "    }\n"
        "}\n"
        "model M(bilinear: bool = False) {\n"
        "    up = Up(bilinear)\n"
        "    forward(x: [N, 8, H, W]) = up(x)\n"
        "}\n"
    )
    x = torch.randn(2, 8, 5, 6)
    for bilinear in (False, True):
        model = module.M(bilinear=bilinear).eval()
        up = model.up
        expected = up.conv(up.up(x) if bilinear else up.extra(up.up(x)))
        assert up.conv.kernel_size == ((1, 1) if bilinear else (3, 3))
        assert hasattr(up, "extra") is not bilinear
        torch.testing.assert_close(model(x), expected)


# ---- freeze patterns -------------------------------------------------------------------

_FREEZE_SPEC = (
    "block Stage(c: int) {\n"
    "    conv = Conv2d(c, c, 3, bias=False)\n"
    "    bn = BatchNorm2d(c)\n"
    "    forward(x) = bn(conv(x))\n"
    "}\n"
    "model M() {\n"
    "    stem = Conv2d(3, 8, 3)\n"
    "    stage = Stage(8)\n"
    "    head = Sequential(Linear(8, 2), ReLU())\n"
    "    FREEZE\n"
    "    forward(x: [N, 3, H, W]) = stage(stem(x))\n"
    "}\n"
)

_BASE_FREEZE_SPEC = (
    "model M extends torchvision.resnet18() {\n"
    "    fc = Sequential(Linear(512, 10), ReLU(), Linear(10, 3))\n"
    "    FREEZE\n"
    "}\n"
)

FREEZE_PATTERNS = {
    _FREEZE_SPEC: ["stem.weight", "stem.bias", "stage.*", "stage.conv.weight", "*.bn.*",
                   "head.0.*", "stage.cnv.*", "stem.kernel", "stag.*", "*.running_mean",
                   "heads.*"],
    _BASE_FREEZE_SPEC: ["conv1.*", "layer1.*", "*.bn2.*", "fc.0.*", "layer4.1.conv2.weight",
                        "layr1.*", "bn1.kernel", "layer5.*", "fc.weight"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "pattern"),
    [(spec, p) for spec, patterns in FREEZE_PATTERNS.items() for p in patterns],
)
def test_freeze_pattern_is_accepted_iff_it_matches_a_torch_parameter(
    spec: str, pattern: str
) -> None:
    from fnmatch import fnmatchcase

    pytest.importorskip("torchvision")
    model = build(spec.replace("FREEZE", "")).M()
    matches = any(fnmatchcase(n, pattern) for n, _ in model.named_parameters())
    found = errors(spec.replace("FREEZE", f"freeze({pattern!r})".replace("'", '"')))
    assert (not found) == matches, (pattern, found)


# ---- sequences of tensors in forward ---------------------------------------------------


def test_tuples_repeated_lists_and_indexed_results_match_torch() -> None:
    module = build(
        "model M() {\n"
        "    fc = Linear(2, 2)\n"
        "    attn = MultiheadAttention(4, 2, batch_first=True)\n"
        "    forward(x: [N, 2], q: [N, 5, 4]) {\n"
        "        a = fc(x)\n"
        "        y = cat((a, x), dim=1)\n"
        "        z = cat([a] * 3, dim=1)\n"
        "        w = stack([a] + [x, a], dim=0)\n"
        "        o = attn(q, q, q)[0]\n"
        "        return y, z, w, o, attn(q, q, q)[1]\n"
        "    }\n"
        "}\n"
    )
    model = module.M().eval()
    x, q = torch.randn(3, 2), torch.randn(3, 5, 4)
    a = model.fc(x)
    out, weights = model.attn(q, q, q)
    expected = (
        torch.cat((a, x), dim=1),
        torch.cat([a, a, a], dim=1),
        torch.stack([a, x, a], dim=0),
        out,
        weights,
    )
    got = model(x, q)
    for g, e in zip(got, expected, strict=True):
        torch.testing.assert_close(g, e)


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("attn(q, q, q)[2]", "index 2 is out of range"),
        ("cat([q] * 1.5, dim=1)", "cannot combine"),
    ],
)
def test_bad_tensor_sequences_are_refused(expr: str, fragment: str) -> None:
    with pytest.raises((IndexError, TypeError)):
        q = torch.randn(1, 5, 4)
        (nn.MultiheadAttention(4, 2, batch_first=True)(q, q, q)[2]
         if "attn" in expr else torch.cat([q] * 1.5, dim=1))  # fmt: skip
    refused(
        "model M() {\n"
        "    attn = MultiheadAttention(4, 2, batch_first=True)\n"
        f"    forward(q: [N, 5, 4]) = {expr}\n"
        "}\n",
        fragment,
    )


def test_freeze_names_of_deeply_reused_blocks_take_bounded_time() -> None:
    """26 levels of blocks that each build two of the level below: 2**26 layers,
    whose names are not listed one by one (nor those of a recursive block)."""
    lines = ["block B0() {\n    fc = Linear(2, 2)\n    forward(x) = fc(x)\n}"]
    lines += [
        f"block B{i}() {{\n    a = B{i - 1}()\n    b = B{i - 1}()\n"
        "    forward(x) = b(a(x))\n}"
        for i in range(1, 27)
    ]
    lines.append(
        'model M() {\n    top = B26()\n    freeze("top.a.zz.*")\n'
        "    forward(x: [N, 2]) = top(x)\n}\n"
    )
    recursive = (
        "block A() {\n    a = A()\n    b = A()\n    forward(x) = b(a(x))\n}\n"
        'model M() {\n    t = A()\n    freeze("t.q.*")\n'
        "    forward(x: [N, 2]) = t(x)\n}\n"
    )
    for text in ("\n".join(lines), recursive):
        # 2**26 names listed one by one would take over 67 million calls; the
        # names a suggestion is drawn from are capped (5.8 million calls today)
        with calls_at_most(20_000_000):
            found = errors(text)
        assert any("matches no parameter" in m for m in found), found


def test_member_named_like_a_tensor_op_built_under_a_condition_is_the_member() -> None:
    """Shape inference does not know which branch built `mean` (the condition has
    no default): it is the member all the same, never the tensor op `mean`."""
    module = build(
        "model M(h: int, flag: bool) {\n"
        "    if flag { mean = Linear(h, 5) } else { mean = Linear(h, 5) }\n"
        "    fc = Linear(5, 2)\n"
        "    forward(x: [N, h]) = fc(mean(x))\n"
        "}\n"
    )
    model = module.M(h=3, flag=True)
    x = torch.randn(4, 3)
    torch.testing.assert_close(model(x), model.fc(model.mean(x)))


@pytest.mark.parametrize(
    "condition", ["not False", "True or False", "1 < 2", "True if False else True", "1"]
)
def test_conditions_of_literals_are_decided(condition) -> None:
    """Oracle finding F12: a condition of literals only was left undecided, so a
    member made under it was 'defined only when' it held; it always does."""
    text = (
        f"model M(k: int = 2) {{\n    if {condition} {{\n        fc = Linear(4, 4)\n"
        "    }\n    forward(x: [N, 4]) = fc(x)\n}\n"
    )
    model = build(text).M()
    x = torch.randn(2, 4)
    assert torch.equal(model(x), model.fc(x))


def test_a_condition_a_caller_can_change_stays_undecided() -> None:
    text = (
        "model M(k: int = 2) {\n    if k > 1 {\n        fc = Linear(4, 4)\n"
        "    }\n    forward(x: [N, 4]) = fc(x)\n}\n"
    )
    refused(text, "`fc` is defined only when `k > 1`")


def test_a_member_is_usable_under_a_conjunction_of_its_condition() -> None:
    """`if a and b` holds `a`: torch builds and runs every combination."""
    module = build(
        "block A(a: bool, b: bool) {\n"
        "    if a { up = Conv2d(8, 8, 1) }\n"
        "    forward(x) {\n"
        "        if a and b { return up(x) }\n"
        "        return x\n"
        "    }\n"
        "}\n"
        "model M(a: bool = True, b: bool = True) {\n"
        "    blk = A(a, b)\n"
        "    forward(x: [N, 8, H, W]) = blk(x)\n"
        "}\n"
    )
    x = torch.randn(1, 8, 3, 3)
    for a in (False, True):
        for b in (False, True):
            assert module.M(a, b)(x).shape == x.shape
