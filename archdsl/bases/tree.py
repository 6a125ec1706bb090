"""A base model's module tree, learned by building it on the `meta` device.

Nothing is allocated: parameters are meta tensors, and one forward of a
1x3x224x224 meta tensor records the shape arriving at and leaving every submodule
(check time only; generated code never uses hooks). What was learned is cached as
JSON, keyed by the torchvision version, so later checks need not import torch.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from dataclasses import asdict, dataclass, field

from ..cache import cache_dir
from ..errors import did_you_mean
from ..output import write_atomic
from .catalog import family_of

SAMPLE_INPUT = (1, 3, 224, 224)

Shape = tuple[int, ...]


class BaseError(Exception):
    """A base model that cannot be built with the arguments given."""

    def __init__(
        self, message: str, hint: str | None = None, keyword: str | None = None
    ):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.keyword = keyword  # the offending keyword argument, when there is one


@dataclass(frozen=True)
class SubModule:
    path: str  # "" for the model itself
    type: str  # class name: `Conv2d`, `Bottleneck`, `Sequential`
    children: tuple[str, ...]
    input: Shape | None  # shape arriving at its forward for SAMPLE_INPUT
    output: Shape | None
    params: int  # parameters it owns, its children's included


@dataclass
class BaseTree:
    builder: str
    modules: dict[str, SubModule] = field(default_factory=dict)
    kwargs: dict[str, object] = field(default_factory=dict)  # the builder's arguments

    def get(self, path: str) -> SubModule | None:
        return self.modules.get(path)

    @property
    def root(self) -> SubModule:
        return self.modules[""]

    def paths(self) -> list[str]:
        return [p for p in self.modules if p]


def load_tree(builder: str, kwargs: dict[str, object]) -> BaseTree:
    """The tree of `torchvision.models.<builder>(**kwargs)`; BaseError if it cannot
    be built. Cached on disk; building costs one torchvision import (~4 s)."""
    tree = cached_json(
        cache_file(builder, kwargs),
        lambda: _build(builder, kwargs),
        _to_json,
        _from_json,
    )
    tree.kwargs = dict(kwargs)
    return tree


def cached_json(path, build, encode, decode):
    """`decode` of the JSON at `path`, else what `build()` makes, then stored there
    as `encode` gives it. A damaged file is rebuilt; a cache that cannot be written
    (or no cache, `path` None) only costs time."""
    if path is not None and path.exists():
        try:
            return decode(json.loads(path.read_text()))
        except (ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)
    value = build()
    if path is not None:
        try:
            write_atomic(path, json.dumps(encode(value)))
        except OSError:
            pass
    return value


def cache_file(builder: str, kwargs: dict[str, object], suffix: str = ""):
    from importlib import metadata  # ~20 ms to import: only specs with a base pay

    try:
        version = metadata.version("torchvision")
    except metadata.PackageNotFoundError:
        return None
    folder = cache_dir("bases", f"torchvision-{version}")
    if folder is None:
        return None
    key = json.dumps(sorted(kwargs.items()), default=repr)
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return folder / f"{builder}-{digest}{suffix}.json"


def _build(builder: str, kwargs: dict[str, object]) -> BaseTree:
    try:
        import torch
        from torchvision import models
    except ImportError as exc:
        raise BaseError(
            f"extending torchvision models needs torch and torchvision ({exc.name} "
            "is not installed)",
            hint="pip install 'archdsl[torch]'",
        ) from None
    family = family_of(builder)
    assert family is not None, builder
    _check_keywords(getattr(models, family.cls), kwargs)
    _check_counts(kwargs)
    try:
        with torch.device("meta"):
            model = getattr(models, builder)(**kwargs)
    except Exception as exc:  # noqa: BLE001 - torchvision's refusals take any form
        # (a RuntimeError from a negative size, an AssertionError, a ValueError):
        # each is the builder refusing the spec's arguments, never a crash of ours
        only = next(iter(kwargs)) if len(kwargs) == 1 else None
        raise BaseError(
            f"torchvision's `{builder}` rejects these arguments: {exc}", keyword=only
        ) from None
    return _record(builder, model, torch)


#: Keyword arguments that count something: torchvision builds (or fails to build)
#: a model with 0 or -5 classes deep inside, with no word about which argument.
_COUNTS = ("num_classes",)


def _check_counts(kwargs: dict[str, object]) -> None:
    for name in _COUNTS:
        value = kwargs.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value >= 1:
            continue
        raise BaseError(
            f"`{name}` must be at least 1, got {value}",
            hint="the classifier has one output per class",
            keyword=name,
        )


def _check_keywords(cls: type, kwargs: dict[str, object]) -> None:
    accepted = [
        p.name
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.kind is p.KEYWORD_ONLY or p.kind is p.POSITIONAL_OR_KEYWORD
    ]
    accepted = [name for name in accepted if name != "self"]
    for name in kwargs:
        if name not in accepted:
            raise BaseError(
                f"`{cls.__name__}` takes no argument `{name}`",
                hint=did_you_mean(name, accepted)
                or f"it takes {', '.join(f'`{a}`' for a in accepted)}",
                keyword=name,
            )


def _record(builder: str, model, torch) -> BaseTree:
    shapes: dict[str, tuple[Shape | None, Shape | None]] = {}

    def hook(path):
        def record(module, args, output):
            first = args[0] if args else None
            shapes.setdefault(path, (_shape(first), _shape(output)))

        return record

    named = list(model.named_modules())
    handles = [module.register_forward_hook(hook(path)) for path, module in named]
    try:
        model.eval()
        with torch.no_grad():
            model(torch.empty(SAMPLE_INPUT, device="meta"))
    except Exception:  # noqa: BLE001 - shapes are a bonus; paths are still right
        pass
    finally:
        for handle in handles:
            handle.remove()
    tree = BaseTree(builder)
    for path, module in named:
        seen_in, seen_out = shapes.get(path, (None, None))
        tree.modules[path] = SubModule(
            path,
            type(module).__name__,
            tuple(name for name, _ in module.named_children()),
            seen_in,
            seen_out,
            sum(p.numel() for p in module.parameters()),
        )
    return tree


def _shape(value) -> Shape | None:
    shape = getattr(value, "shape", None)
    return tuple(int(d) for d in shape) if shape is not None else None


def _to_json(tree: BaseTree) -> dict:
    return {
        "builder": tree.builder,
        "modules": [asdict(m) for m in tree.modules.values()],
    }


def _from_json(data: dict) -> BaseTree:
    tree = BaseTree(data["builder"])
    for item in data["modules"]:
        tree.modules[item["path"]] = SubModule(
            item["path"],
            item["type"],
            tuple(item["children"]),
            tuple(item["input"]) if item["input"] is not None else None,
            tuple(item["output"]) if item["output"] is not None else None,
            int(item["params"]),
        )
    return tree
