"""f-strings, dicts, ModuleDict and a named Sequential from a dict (issue 12,
item 4), held to torch: hand-written nn.Modules using nn.ModuleDict and
OrderedDict Sequentials give the same state_dict keys, order and shapes, and after
a strict load the same outputs; a key torch's add_module refuses is refused."""

from __future__ import annotations

import textwrap
from collections import OrderedDict

import pytest
from conftest import ROOT, fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

import archdsl
from archdsl.check.dicts import CONTAINER_ATTRIBUTES, key_problem
from archdsl.errors import ArchError
from archdsl.source import Source
from archdsl.syntax import parse_source, parse_source_via_tree

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

SPEC = ROOT / "specs" / "multitask.arch"


def load_text(tmp_path, text: str, name: str = "spec"):
    path = tmp_path / f"{name}.arch"
    path.write_text(textwrap.dedent(text))
    return archdsl.load(path)


def assert_same_model(generated: nn.Module, reference: nn.Module, *inputs) -> None:
    got, want = generated.state_dict(), reference.state_dict()
    assert list(got) == list(want)
    assert [t.shape for t in got.values()] == [t.shape for t in want.values()]
    generated.load_state_dict(want, strict=True)
    generated.eval()
    reference.eval()
    with torch.no_grad():
        torch.testing.assert_close(generated(*inputs), reference(*inputs),
                                   rtol=0, atol=0)  # fmt: skip


# ---- specs/multitask.arch against the PyTorch a person writes ---------------------


class ConvBlock(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.body = nn.Sequential(
            OrderedDict(
                [
                    ("conv", nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False)),
                    ("norm", nn.BatchNorm2d(out_ch)),
                    ("relu", nn.ReLU(inplace=True)),
                ]
            )
        )

    def forward(self, x):
        return self.body(x)


class MultiTask(nn.Module):
    def __init__(self, widths=(16, 32, 64), num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(
            OrderedDict(
                [
                    ("conv0", nn.Conv2d(3, widths[0], 3, padding=1)),
                    ("pool0", nn.MaxPool2d(2)),
                ]
            )
        )
        self.stages = nn.ModuleDict()
        for i in range(len(widths) - 1):
            name = "stage%d" % (i + 1)  # noqa: UP031 (as torchvision writes it)
            self.stages[name] = ConvBlock(widths[i], widths[i + 1])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.heads = nn.ModuleDict(
            {
                "classes": nn.Linear(widths[-1], num_classes),
                "depth": nn.Linear(widths[-1], 1),
            }
        )

    def forward(self, x):
        x = self.stem(x)
        for stage in self.stages.values():
            x = stage(x)
        x = torch.flatten(self.pool(x), 1)
        return self.heads["classes"](x), self.heads["depth"](x)


@pytest.mark.parametrize("widths", [[16, 32, 64], [8, 8, 16, 24, 32]])
def test_multitask_matches_a_hand_written_module_dict_model(widths):
    generated = archdsl.load(SPEC).MultiTask(widths, 7)
    reference = MultiTask(widths, 7)
    assert_same_model(generated, reference, torch.randn(2, 3, 32, 40))
    assert list(generated.stages) == [f"stage{i + 1}" for i in range(len(widths) - 1)]


# ---- forward over a ModuleDict: items(), values(), keys and keyed calls -----------


FORWARDS = {
    "items": "for name, layer in blocks.items() {\n            x = layer(x)\n        }",
    "values": "for layer in blocks.values() {\n            x = layer(x)\n        }",
    "keys": "for name in blocks {\n            x = blocks[name](x)\n        }",
    "keys()": "for name in blocks.keys() {\n            x = blocks[name](x)\n        }",
}


@pytest.mark.parametrize("loop", sorted(FORWARDS))
def test_forward_loops_over_a_module_dict_in_insertion_order(tmp_path, loop):
    """Keys out of alphabetical order: the loop must follow insertion order, as
    nn.ModuleDict does."""
    spec = f"""
    model Chain(n: int = 4) {{
        blocks = ModuleDict({{f"b{{9 - i}}": Linear(3 + i, 4 + i) for i in range(n)}})
        last = ModuleDict({{"z": Linear(3 + n, 2), "a": Tanh()}})
        forward(x: [N, 3]) {{
            {FORWARDS[loop]}
            return last["a"](last["z"](x))
        }}
    }}
    """

    class Chain(nn.Module):
        def __init__(self, n=4):
            super().__init__()
            self.blocks = nn.ModuleDict()
            for i in range(n):
                self.blocks["b%d" % (9 - i)] = nn.Linear(3 + i, 4 + i)  # noqa: UP031
            self.last = nn.ModuleDict({"z": nn.Linear(3 + n, 2), "a": nn.Tanh()})

        def forward(self, x):
            for layer in self.blocks.values():
                x = layer(x)
            return self.last["a"](self.last["z"](x))

    module = load_text(tmp_path, spec, f"chain_{loop.strip('()')}")
    assert_same_model(module.Chain(), Chain(), torch.randn(5, 3))
    code = archdsl.generate(tmp_path / f"chain_{loop.strip('()')}.arch")
    assert "self.blocks" in code and "for " in code  # a loop, not unrolled
    assert code.count("self.blocks[") <= 1


def test_named_sequential_from_a_dict_comprehension(tmp_path):
    """torchvision's `_DenseBlock` idiom: children named `denselayer1...` in a loop."""
    spec = """
    model Dense(n: int = 3) {
        features = Sequential({
            f"denselayer{i + 1}": Linear(4, 4) for i in range(n)
        })
        head = Sequential(OrderedDict({"norm": LayerNorm(4), "fc": Linear(4, 2)}))
        forward(x: [N, 4]) = head(features(x))
    }
    """

    class Dense(nn.Module):
        def __init__(self, n=3):
            super().__init__()
            self.features = nn.Sequential()
            for i in range(n):
                name = "denselayer%d" % (i + 1)  # noqa: UP031 (torchvision)
                self.features.add_module(name, nn.Linear(4, 4))
            self.head = nn.Sequential(
                OrderedDict([("norm", nn.LayerNorm(4)), ("fc", nn.Linear(4, 2))])
            )

        def forward(self, x):
            return self.head(self.features(x))

    module = load_text(tmp_path, spec)
    for n in (1, 3, 12):
        assert_same_model(module.Dense(n), Dense(n), torch.randn(2, 4))


# ---- f-strings: the same text as Python's own f-strings -----------------------------


@pytest.mark.parametrize(
    "field, values",
    [
        ("i + 1", range(0, 12)),
        ("i:02d", range(0, 120, 7)),
        ("i:>4", range(0, 3)),
        ("i * 2 + 1:03d", range(0, 5)),
        ("i * 1.5:.0f", range(0, 5)),
        ("i:x", range(250, 260)),
    ],
)
def test_fstring_keys_are_pythons_fstrings(tmp_path, field, values):
    """The keys of the generated model are what Python's f-string makes of the
    same text (the oracle: `eval` of the f-string, in this test only)."""
    values = list(values)
    spec = f"""
    model Named(items: list[int] = {values}) {{
        layers = ModuleDict({{f"x{{{field}}}y": Identity() for i in items}})
        forward(x: [N, 2]) = x
    }}
    """
    model = load_text(tmp_path, spec).Named()
    expected = [eval(f'f"x{{{field}}}y"', {"i": i}) for i in values]  # noqa: S307
    assert list(model.layers) == list(dict.fromkeys(expected))


def test_fstring_lowers_alike_in_one_pass_and_through_the_tree():
    text = 'model M(i: int = 3) {\n    a = f"p{i + 1:02d}{{q}}\\t"\n    forward(x) = x\n}\n'
    source = Source("m.arch", text)
    assert parse_source(source) == parse_source_via_tree(source)
    assign = parse_source(source).definitions[0].body[0]
    field = assign.value.parts[1]
    assert field.spec == "02d"
    assert field.value.left.span.column == 13  # where `i` is written


# ---- keys torch refuses are refused ----------------------------------------------


NAMES = ["conv0", "denselayer12", "0", "a-b", "a.b", "", "keys", "items", "append",
         "forward", "training", "state_dict", "cuda", "pop", "_x"]  # fmt: skip


@pytest.mark.parametrize("container", ["ModuleDict", "Sequential"])
@pytest.mark.parametrize("name", NAMES)
def test_key_problems_are_torchs(container, name):
    """Every name torch's add_module refuses in this container is refused; `_x`,
    which torch allows, is refused as members starting with `_` are."""
    build = {
        "ModuleDict": lambda: nn.ModuleDict({name: nn.ReLU()}),
        "Sequential": lambda: nn.Sequential(OrderedDict({name: nn.ReLU()})),
    }[container]
    try:
        build()
        torch_refuses = False
    except KeyError:
        torch_refuses = True
    refused = key_problem(name, container) is not None
    assert refused == torch_refuses or (name == "_x" and refused)


@pytest.mark.parametrize("container", sorted(CONTAINER_ATTRIBUTES))
def test_container_methods_are_torchs(container):
    own = set(dir(getattr(nn, container))) - set(dir(nn.Module))
    public = {n for n in own if not n.startswith("_")}
    assert CONTAINER_ATTRIBUTES[container] == public


@pytest.mark.parametrize(
    "body, message",
    [
        ('d = ModuleDict({f"a{i % 2}": ReLU() for i in range(3)})',
         'the key "a0" is given twice'),
        ('d = ModuleDict({f"a.{i}": ReLU() for i in range(3)})', 'cannot contain "."'),
        ('d = Sequential({f"append": ReLU() for i in range(1)})',
         "a method of Sequential"),
    ],
)  # fmt: skip
def test_computed_keys_are_checked_when_evaluated(tmp_path, body, message):
    path = tmp_path / "keys.arch"
    path.write_text(f"model M {{\n    {body}\n    forward(x) = x\n}}\n")
    with pytest.raises(ArchError) as info:
        archdsl.check(path)
    assert message in str(info.value)


def test_fstring_quotes_are_written_so_python_3_10_reads_them(tmp_path):
    """Strings inside a field take the other quote, and a `"` in the text makes the
    f-string single-quoted: this Python (3.11) compiles only that."""
    spec = """
    model Quoted(tag: str = "x") {
        a = ModuleDict({f"l{tag + 'y'}{i}": Identity() for i in range(2)})
        b = ModuleDict({f'say "{tag}" {{ok}}': Identity()})
        forward(x: [N, 2]) = x
    }
    """
    model = load_text(tmp_path, spec).Quoted("t")
    assert list(model.a) == ["lty0", "lty1"]
    assert list(model.b) == ['say "t" {ok}']


def test_torchvisions_ordered_dict_of_pairs(tmp_path):
    """`OrderedDict([("conv0", ...), ...])`, pasted from torchvision's DenseNet,
    and a comprehension of pairs: the same keys and outputs as that code."""
    spec = """
    model Stem(n: int = 3) {
        features = Sequential(OrderedDict([
            ("conv0", Conv2d(3, 8, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", BatchNorm2d(8)),
            ("relu0", ReLU(inplace=True)),
            ("pool0", MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        fcs = Sequential(OrderedDict([(f"fc{i}", Linear(8, 8)) for i in range(n)]))
        forward(x: [N, 3, H, W]) = fcs(flatten(adaptive_avg_pool2d(features(x), 1), 1))
    }
    """

    class Stem(nn.Module):
        def __init__(self, n=3):
            super().__init__()
            self.features = nn.Sequential(
                OrderedDict(
                    [
                        ("conv0", nn.Conv2d(3, 8, 7, stride=2, padding=3, bias=False)),
                        ("norm0", nn.BatchNorm2d(8)),
                        ("relu0", nn.ReLU(inplace=True)),
                        ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
                    ]
                )
            )
            self.fcs = nn.Sequential(
                OrderedDict([(f"fc{i}", nn.Linear(8, 8)) for i in range(n)])
            )

        def forward(self, x):
            x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
            return self.fcs(torch.flatten(x, 1))

    module = load_text(tmp_path, spec)
    assert_same_model(module.Stem(4), Stem(4), torch.randn(2, 3, 40, 36))


_ATTRIBUTES = sorted({*dir(nn.ModuleDict), *dir(nn.Sequential)} - {"__init__"})


@fuzz_settings(150)
@given(
    keys=st.lists(
        st.one_of(
            st.text(alphabet="ab0._-", max_size=4),
            st.sampled_from([a for a in _ATTRIBUTES if not a.startswith("__")]),
        ),
        min_size=1,
        max_size=4,
    ),
    container=st.sampled_from(["ModuleDict", "Sequential"]),
    computed=st.booleans(),
)
def test_keys_are_refused_exactly_where_torch_refuses_them(keys, container, computed):
    """A spec's keys, literal or made by a comprehension, pass `archdsl.check`
    exactly when torch builds the container from them without an error (and the
    dict has no key twice, which Python would silently drop; names starting with
    `_` are refused as members' are)."""
    build = {
        "ModuleDict": lambda d: nn.ModuleDict(d),
        "Sequential": lambda d: nn.Sequential(OrderedDict(d)),
    }[container]
    try:
        build({k: nn.ReLU() for k in keys})
        torch_builds = True
    except KeyError:
        torch_builds = False
    expected = torch_builds and len(set(keys)) == len(keys)
    expected = expected and not any(k.startswith("_") for k in keys)
    literal = ", ".join(f'"{k}": ReLU()' for k in keys)
    given = (
        f"{{k: ReLU() for k in [{', '.join(repr(k) for k in keys)}]}}"
        if computed
        else f"{{{literal}}}"
    )
    text = f"model M {{\n    d = {container}({given})\n    forward(x) = x\n}}\n"
    try:
        archdsl.check(text=text)
        passed = True
    except ArchError:
        passed = False
    assert passed == expected, text


# ---- a dict of build-time values: torchvision's VGG config table -------------------


@pytest.mark.parametrize("cfg", ["A", "B", "D", "E"])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_a_config_table_dict_builds_torchvisions_vgg_features(
    tmp_path, cfg, batch_norm
):
    """torchvision's own `cfgs` dict, pasted, indexed by a parameter: the layers
    equal `torchvision.models.vgg.make_layers(cfgs[cfg], batch_norm)`."""
    vgg = pytest.importorskip("torchvision.models.vgg")
    table = ",\n".join(f'            "{k}": {v!r}' for k, v in vgg.cfgs.items())
    spec = f"""
    model Features(cfg: str = "A", batch_norm: bool = False) {{
        cfgs = {{
{table.replace("'", '"')},
        }}
        features = Sequential()
        in_channels = 3
        for v in cfgs[cfg] {{
            if v == "M" {{
                features.append(MaxPool2d(kernel_size=2, stride=2))
            }} else {{
                features.append(Conv2d(in_channels, v, kernel_size=3, padding=1))
                if batch_norm {{
                    features.append(BatchNorm2d(v))
                }}
                features.append(ReLU(inplace=True))
                in_channels = v
            }}
        }}
        forward(x: [N, 3, H, W]) = features(x)
    }}
    """

    class Features(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = vgg.make_layers(vgg.cfgs[cfg], batch_norm)

        def forward(self, x):
            return self.features(x)

    module = load_text(tmp_path, spec)
    generated = module.Features(cfg, batch_norm)
    assert_same_model(generated, Features(), torch.randn(1, 3, 32, 32))


def test_a_key_the_table_does_not_hold_is_refused(tmp_path):
    path = tmp_path / "table.arch"
    path.write_text(
        'model M(cfg: str = "C") {\n    cfgs = {"A": 1, "B": 2}\n'
        "    fc = Linear(4, cfgs[cfg])\n    forward(x: [N, 4]) = fc(x)\n}\n"
    )
    with pytest.raises(ArchError, match="the dict has no key 'C'"):
        archdsl.check(path)
