"""A torch.nn layer back into its constructor call, from the attributes PyTorch stores.

Each argument of the layer's signature (archdsl's registry, itself checked against
torch) is read from the attribute of the same name. The call is then proven: the
layer is built again from it, on the meta device, and must have the same repr, the
same plain attributes and the same state_dict shapes as the original; otherwise the
import refuses the layer rather than guess.
"""

from __future__ import annotations

import functools

import torch
from torch import nn

from ..check.partials import PARTIAL
from ..ops.layers import layer as registry_layer
from ..ops.nn_signatures import OPAQUE, REQUIRED
from ..ops.vision_ops import CLASS_DEFAULTS
from .exprs import (
    NO_DEFAULT,
    Call,
    Inexpressible,
    Lit,
    Name,
    is_literal,
    without_defaults,
)

#: Arguments that say where tensors live, never part of a spec.
PLACEMENT = frozenset({"device", "dtype"})

#: Keyword arguments written positionally, as people write them (`Conv2d(3, 64, ...)`).
MAX_POSITIONAL = 2


#: Arguments a layer does not keep under their own name, read from what it builds
#: (the rebuild below proves each reading).
READERS = {
    ("SqueezeExcitation", "input_channels"): lambda m: m.fc1.in_channels,
    ("SqueezeExcitation", "squeeze_channels"): lambda m: m.fc1.out_channels,
}


def registry_class(module: nn.Module) -> type | None:
    """The registry layer `module` is an instance of (torch.nn's, torchvision.ops'),
    or None: a class of the user's or a torchvision model's own."""
    name = type(module).__name__
    entry = registry_layer(name)
    if entry is None:
        return None
    space, _, attr = entry.python.rpartition(".")
    home = nn if space == "nn" else _vision_ops() if space == "ops" else None
    found = getattr(home, attr, None) if home is not None else None
    return found if type(module) is found else None


def _vision_ops():
    try:
        from torchvision import ops
    except ImportError:
        return None
    return ops


def layer_call(module: nn.Module) -> Call:
    """The registry call that builds a layer like `module`; Inexpressible if none."""
    name = type(module).__name__
    cls = registry_class(module)
    if cls is None:
        raise Inexpressible(f"`{name}` is not a layer archdsl knows")
    entry = registry_layer(name)
    values = _values(module, entry.signature)
    for simplify in (True, False):
        call = _call(name, entry.signature, values, simplify)
        if _rebuilds(module, cls, call):
            return call
    raise Inexpressible(
        f"the arguments of `{name}` cannot be read back from its attributes"
    )


def _values(module: nn.Module, signature) -> dict[str, object]:
    values: dict[str, object] = {}
    for param in signature.params:
        if param.name in PLACEMENT or param.kind == "var":
            continue
        reader = READERS.get((type(module).__name__, param.name))
        if reader is not None:
            values[param.name] = reader(module)
        elif param.name == "bias" and isinstance(
            getattr(module, "bias", None), (torch.Tensor, type(None))
        ):
            values["bias"] = module.bias is not None
        elif hasattr(module, param.name):
            value = getattr(module, param.name)
            # a layer type argument (`activation=ReLU`) is kept as an instance
            values[param.name] = (
                layer_type(value) if isinstance(value, nn.Module) else value
            )
        elif param.default is REQUIRED:
            raise Inexpressible(f"`{type(module).__name__}` keeps no `{param.name}`")
    return values


def layer_type(instance: nn.Module) -> type | Call:
    """The layer type an argument held, as the instance it built shows it: the
    class, or `partial(SiLU, inplace=True)` where the instance was built with
    arguments other than its defaults (torchvision's `activation=partial(nn.SiLU,
    inplace=True)`); the class where those cannot be read back, for the rebuild
    to refuse."""
    try:
        call = without_defaults(layer_call(instance))
    except Inexpressible:
        return type(instance)
    if not call.args and not call.kwargs:
        return type(instance)
    return Call(PARTIAL, (Name(call.func), *call.args), call.kwargs)


def _call(name: str, signature, values: dict[str, object], simplify: bool) -> Call:
    args, kwargs = [], []
    for param in signature.params:
        if param.name not in values:
            continue
        value = _simplified(values[param.name]) if simplify else values[param.name]
        if isinstance(value, type):
            if CLASS_DEFAULTS.get((name, param.name)) != value.__name__:
                kwargs.append((param.name, Name(value.__name__)))
            continue
        if isinstance(value, Call):  # a partial
            kwargs.append((param.name, value))
            continue
        if not is_literal(value):
            raise Inexpressible(f"`{name}`'s `{param.name}` is {value!r}")
        if param.default is REQUIRED:
            if not kwargs and len(args) < MAX_POSITIONAL:
                args.append(Lit(value, param.name))
            else:
                kwargs.append((param.name, Lit(value, param.name)))
        else:  # every argument is a slot; emit.py leaves out those at their default
            default = NO_DEFAULT if param.default is OPAQUE else param.default
            kwargs.append((param.name, Lit(value, param.name, default)))
    return Call(name, tuple(args), tuple(kwargs))


def _simplified(value: object) -> object:
    """`(3, 3)` -> `3`: torch stores sizes as tuples whatever the caller wrote."""
    if isinstance(value, tuple) and value and all(v == value[0] for v in value):
        if isinstance(value[0], int) and not isinstance(value[0], bool):
            return value[0]
    if isinstance(value, list):
        return tuple(value) if all(isinstance(v, int) for v in value) else value
    return value


def _same(value: object, default: object) -> bool:
    return type(value) is type(default) and value == default


def _rebuilds(module: nn.Module, cls: type, call: Call) -> bool:
    args = [a.value for a in call.args]
    kwargs = {k: _value(v) for k, v in call.kwargs}
    try:
        with torch.device("meta"):
            rebuilt = cls(*args, **kwargs)
    except Exception:  # a wrong guess of an argument: try the next form
        return False
    # attributes set on the layer after it was built (Inception's `fc.stddev`,
    # read by its init) are left out: torch's own forward never reads them
    ours = _plain(rebuilt)
    theirs = {k: v for k, v in _plain(module).items() if k in ours}
    return (
        repr(rebuilt) == repr(module)
        and ours == theirs
        and _shapes(rebuilt) == _shapes(module)
    )


def _value(expr: object) -> object:
    if isinstance(expr, Name):  # a layer type
        return getattr(nn, expr.name)
    if isinstance(expr, Call):  # partial(SiLU, inplace=True)
        kind, *args = (_value(a) for a in expr.args)
        return functools.partial(kind, *args, **{k: _value(v) for k, v in expr.kwargs})
    return expr.value


def _plain(module: nn.Module) -> dict[str, object]:
    return {
        k: v
        for k, v in vars(module).items()
        if not k.startswith("_") and k != "training" and not isinstance(v, torch.Tensor)
    }


def _shapes(module: nn.Module) -> list[tuple[str, tuple[int, ...]]]:
    return [(k, tuple(v.shape)) for k, v in module.state_dict().items()]
