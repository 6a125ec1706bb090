"""A torch.nn layer back into its constructor call, from the attributes PyTorch stores.

Each argument of the layer's signature (archdsl's registry, itself checked against
torch) is read from the attribute of the same name. The call is then proven: the
layer is built again from it, on the meta device, and must have the same repr, the
same plain attributes and the same state_dict shapes as the original; otherwise the
import refuses the layer rather than guess.
"""

from __future__ import annotations

import torch
from torch import nn

from ..ops.layers import layer as registry_layer
from ..ops.nn_signatures import OPAQUE, REQUIRED
from .exprs import NO_DEFAULT, Call, Inexpressible, Lit, is_literal

#: Arguments that say where tensors live, never part of a spec.
PLACEMENT = frozenset({"device", "dtype"})

#: Keyword arguments written positionally, as people write them (`Conv2d(3, 64, ...)`).
MAX_POSITIONAL = 2


def layer_call(module: nn.Module) -> Call:
    """The registry call that builds a layer like `module`; Inexpressible if none."""
    name = type(module).__name__
    entry = registry_layer(name)
    if entry is None or type(module) is not getattr(nn, name, None):
        raise Inexpressible(f"`{name}` is not a torch.nn layer archdsl knows")
    values = _values(module, entry.signature)
    for simplify in (True, False):
        call = _call(name, entry.signature, values, simplify)
        if _rebuilds(module, name, call):
            return call
    raise Inexpressible(
        f"the arguments of `{name}` cannot be read back from its attributes"
    )


def _values(module: nn.Module, signature) -> dict[str, object]:
    values: dict[str, object] = {}
    for param in signature.params:
        if param.name in PLACEMENT or param.kind == "var":
            continue
        if param.name == "bias" and isinstance(
            getattr(module, "bias", None), (torch.Tensor, type(None))
        ):
            values["bias"] = module.bias is not None
        elif hasattr(module, param.name):
            values[param.name] = getattr(module, param.name)
        elif param.default is REQUIRED:
            raise Inexpressible(f"`{type(module).__name__}` keeps no `{param.name}`")
    return values


def _call(name: str, signature, values: dict[str, object], simplify: bool) -> Call:
    args, kwargs = [], []
    for param in signature.params:
        if param.name not in values:
            continue
        value = _simplified(values[param.name]) if simplify else values[param.name]
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


def _rebuilds(module: nn.Module, name: str, call: Call) -> bool:
    args = [a.value for a in call.args]
    kwargs = {k: v.value for k, v in call.kwargs}
    try:
        with torch.device("meta"):
            rebuilt = getattr(nn, name)(*args, **kwargs)
    except Exception:  # a wrong guess of an argument: try the next form
        return False
    return (
        repr(rebuilt) == repr(module)
        and _plain(rebuilt) == _plain(module)
        and _shapes(rebuilt) == _shapes(module)
    )


def _plain(module: nn.Module) -> dict[str, object]:
    return {
        k: v
        for k, v in vars(module).items()
        if not k.startswith("_") and k != "training" and not isinstance(v, torch.Tensor)
    }


def _shapes(module: nn.Module) -> list[tuple[str, tuple[int, ...]]]:
    return [(k, tuple(v.shape)) for k, v in module.state_dict().items()]
