"""What to import: a torchvision builder, or the user's own class or factory, built
while every module's constructor arguments are recorded.

`torchvision.resnet50(num_classes=10)` names a builder of torchvision.models;
`path/to/file.py:UNet(3, 2)` and `package.module:factory()` name user code, which is
imported (and so run) only because the target asks for it. Arguments are Python
literals, read with `ast.literal_eval`, never evaluated.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import inspect
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..errors import ArchError, Diagnostic
from .exprs import is_literal


@dataclass
class Built:
    model: nn.Module
    #: id(module) -> the arguments its class's __init__ received (literal ones only)
    arguments: dict[int, dict[str, object]]
    #: the TARGET as given, for the spec's header
    target: str
    #: what the spec calls the model: the class, or a factory's name in CamelCase
    name: str
    #: the class or function called (None for torchvision's builders)
    factory: object = None


def build_target(target: str, *, meta: bool = True) -> Built:
    """Build the target, torchvision's on the meta device unless `meta` is False."""
    source, call = _split(target)
    func, args, kwargs = _parse_call(call, target)
    factory = _resolve(source, func, target)
    # torchvision's models are built on the meta device: nothing is allocated (user
    # code is built as it is written, where it may need real tensors)
    on_meta = meta and source is None
    device = torch.device("meta") if on_meta else contextlib.nullcontext()
    with recording() as arguments, device:
        try:
            model = factory(*args, **kwargs)
        except Exception as exc:  # the user's own code failed: say so, no traceback
            raise _error(f"`{call}` failed: {type(exc).__name__}: {exc}") from exc
    if not isinstance(model, nn.Module):
        raise _error(f"`{call}` gave a {type(model).__name__}, not an nn.Module")
    name = (
        func
        if isinstance(factory, type)
        else "".join(w.capitalize() for w in func.split("_"))
    )
    return Built(
        model, arguments, target, name, factory if source is not None else None
    )


def _split(target: str) -> tuple[str | None, str]:
    if target.startswith("torchvision."):
        name = target.removeprefix("torchvision.").removeprefix("models.")
        return None, name
    source, colon, call = target.rpartition(":")
    if not colon or not source:
        raise _error(
            f"cannot read the target `{target}`",
            "give `torchvision.NAME(...)`, `path/to/file.py:Class(...)` or "
            "`package.module:factory(...)`",
        )
    return source, call


def _parse_call(call: str, target: str) -> tuple[str, list, dict]:
    try:
        tree = ast.parse(call.strip(), mode="eval").body
        if isinstance(tree, ast.Name):
            return tree.id, [], {}
        if not isinstance(tree, ast.Call) or not isinstance(tree.func, ast.Name):
            raise ValueError("not a call of a name")
        args = [ast.literal_eval(a) for a in tree.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in tree.keywords if k.arg}
    except (SyntaxError, ValueError) as exc:
        raise _error(
            f"cannot read `{call}` in the target `{target}`: {exc}",
            "write a name and literal arguments: `UNet(3, 2, bilinear=False)`",
        ) from exc
    return tree.func.id, args, kwargs


def _resolve(source: str | None, func: str, target: str):
    if source is None:
        from torchvision import models

        builder = getattr(models, func, None)
        if builder is None or func not in models.list_models():
            raise _error(f"torchvision has no model builder `{func}`")
        return builder
    module = _load_file(source) if source.endswith(".py") else _load_module(source)
    found = getattr(module, func, None)
    if found is None or not callable(found):
        raise _error(f"`{source}` has no class or function `{func}`")
    return found


def _load_file(path: str):
    file = Path(path)
    if not file.is_file():
        raise _error(f"no such file: {path}")
    name = f"_archdsl_import_{file.stem}"
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # classes look themselves up here (fx, inspect)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise _error(f"importing {path} failed: {type(exc).__name__}: {exc}") from exc
    return module


def _load_module(name: str):
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise _error(f"importing `{name}` failed: {type(exc).__name__}: {exc}") from exc


@contextmanager
def recording():
    """Record, for every module built inside, the arguments its own class's
    `__init__` received: read from that frame when it reaches `nn.Module.__init__`
    (through `super().__init__()`), before the constructor body runs on."""
    arguments: dict[int, dict[str, object]] = {}
    original = nn.Module.__init__

    def init(self, *args, **kwargs):
        frame = _outermost_init(self, sys._getframe(1))
        if frame is not None and id(self) not in arguments:
            arguments[id(self)] = _frame_arguments(frame)
        original(self, *args, **kwargs)

    nn.Module.__init__ = init
    try:
        yield arguments
    finally:
        nn.Module.__init__ = original


def _outermost_init(module: nn.Module, frame):
    found = None
    while frame is not None and frame.f_code.co_name == "__init__":
        names = frame.f_code.co_varnames
        if not names or frame.f_locals.get(names[0]) is not module:
            break
        found, frame = frame, frame.f_back
    return found


def _frame_arguments(frame) -> dict[str, object]:
    """The literal arguments, and the literal fields of a config object among the
    others (torchvision's `MBConv(cnf, ...)` reads `cnf.input_channels`), so that
    parameters match them (`input_channels // 4`); a field an argument already
    names is left out."""
    info = inspect.getargvalues(frame)
    values = {name: info.locals.get(name) for name in info.args[1:]}
    found = {k: v for k, v in values.items() if is_literal(v)}
    for value in values.values():
        fields = getattr(value, "__dict__", None)
        if is_literal(value) or not fields or callable(value):
            continue  # a module, a function, a factory: not a record of values
        for name, field in fields.items():
            if not name.startswith("_") and is_literal(field):
                found.setdefault(name, field)
    return found


def _error(message: str, hint: str | None = None) -> ArchError:
    return ArchError([Diagnostic(message, hint=hint)])
