"""The oracle's property for one spec: generated module and interpreter agree.

`disagreements()` builds the model twice under the same seed, from the generated
code and from the interpreter, and lists every way they differ: state_dict keys
(names and order), initial values, which parameters are frozen, outputs on random
inputs in eval mode after the interpreter loads the generated model's state, the
caller's input tensors left as they were, and `summary`'s output shapes and
parameter count against the built model's.
"""

from __future__ import annotations

from typing import Any

import torch

from archdsl.ops.shapes.core import UNKNOWN
from archdsl.pipeline import compile_spec, load_compiled, model_info
from archdsl.shapes import dims
from archdsl.shapes.infer import infer_model

from .interpreter import Interpreter


def _tensors(result: Any) -> list[torch.Tensor]:
    return list(result) if isinstance(result, tuple) else [result]


def disagreements(
    text: Any,
    model: str | None,
    kwargs: dict[str, Any],
    shapes: list[tuple[int, ...]],
    seed: int = 0,
    args: tuple[Any, ...] = (),
) -> list[str]:
    """Every difference found, as sentences (empty when the two agree). The model
    is built with `args` positionally and `kwargs` by name."""
    threads = torch.get_num_threads()
    # One thread: on a shared, loaded machine torch's thread pool spins (a small
    # convolution took 100 times as long with two threads as with one).
    torch.set_num_threads(1)
    try:
        return _disagreements(text, model, kwargs, shapes, seed, args)
    finally:
        torch.set_num_threads(threads)


def _disagreements(text, model, kwargs, shapes, seed, args) -> list[str]:
    compiled = compile_spec(text)
    info = model_info(compiled, model)
    torch.manual_seed(seed)
    generated = getattr(load_compiled(compiled), info.name)(*args, **kwargs).eval()
    torch.manual_seed(seed)
    oracle = Interpreter(compiled).build(info.name, *args, **kwargs).eval()
    found = _compare_state(generated, oracle)
    if found:
        return found
    oracle.load_state_dict(generated.state_dict(), strict=True)
    torch.manual_seed(seed + 1)
    inputs = [torch.randn(shape) for shape in shapes]
    given = [t.clone() for t in inputs]
    calls = _record_calls(generated)
    with torch.no_grad():
        expected = _tensors(oracle(*[t.clone() for t in inputs]))
        actual = _tensors(generated(*given))
    calls.remove()
    if not all(torch.equal(a, b) for a, b in zip(given, inputs, strict=True)):
        found.append("the generated model changed its caller's input tensors")
    found += _compare_outputs("eval", actual, expected)
    if not found:
        found += _compare_training(generated, oracle, inputs, seed)
    model, fixed = _model_of(compiled, info)
    if fixed is None:  # a variant's arguments not known at check time: no summary
        return found
    bound = dict(zip([p.name for p in model.node.params], args, strict=False))
    found += _compare_summary(
        compiled,
        model,
        {**fixed, **bound, **kwargs},
        shapes,
        generated,
        actual,
        calls.shapes,
    )
    return found


def _model_of(compiled, info):
    """The model `summary` works on for `info` and the parameters it fixes: a
    variant's root model with the variant's arguments, as `archdsl summary
    --model resnet50` reads them."""
    if info.kind != "variant":
        return info, {}
    from archdsl.check.families import variant_params, variant_root

    root, _ = variant_root(compiled.context, info.node)
    return compiled.context.defs[root], variant_params(compiled.context, info)


def _compare_outputs(mode: str, actual, expected) -> list[str]:
    found = []
    if len(actual) != len(expected):
        found.append(f"{len(actual)} outputs generated, {len(expected)} interpreted")
    for index, (a, b) in enumerate(zip(actual, expected, strict=False)):
        if a.shape != b.shape or not torch.equal(a, b):
            diff = (a - b).abs().max().item() if a.shape == b.shape else "shape"
            found.append(
                f"{mode} output {index}: generated {tuple(a.shape)}, interpreted "
                f"{tuple(b.shape)}, max difference {diff}"
            )
    return found


def _compare_training(generated, oracle, inputs, seed: int) -> list[str]:
    """One training step's forward and backward: dropout draws the same numbers
    under the same seed when the same operations run in the same order; the
    gradients of every parameter and the norms' updated statistics must agree.
    Gradients to the float rounding of summing branches in another order (the
    interpreter's graph has a clone at each call), outputs exactly."""
    generated.train()
    oracle.train()
    results, failures = [], []
    for who, model in (("the generated model", generated), ("the interpreter", oracle)):
        torch.manual_seed(seed + 2)
        try:
            outputs = _tensors(model(*[t.clone() for t in inputs]))
            learned = [o.sum() for o in outputs if o.requires_grad]
            if learned:
                sum(learned).backward()
        except (RuntimeError, ValueError) as exc:  # e.g. changed in place, batch 1
            failures.append(f"{who} failed a training step: {str(exc).splitlines()[0]}")
            continue
        results.append(outputs)
    if len(failures) == 2:
        return []  # torch refuses this step whichever way it is written
    if failures:
        return [f"train: {failures[0]}"]
    found = _compare_outputs("train", *[[o.detach() for o in r] for r in results])
    theirs = dict(oracle.named_parameters())
    for name, param in generated.named_parameters():
        mine, other = param.grad, theirs[name].grad
        if (mine is None) != (other is None) or (
            mine is not None and not _close(mine, other)
        ):
            found.append(f"train: the gradient of `{name}` differs")
    buffers = dict(oracle.named_buffers())
    for name, buffer in generated.named_buffers():
        if not torch.equal(buffer, buffers[name]):
            found.append(f"train: buffer `{name}` differs after the step")
    return found


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    scale = max(1.0, a.abs().max().item())
    return bool((a - b).abs().max().item() <= 1e-5 * scale)


class _record_calls:  # noqa: N801 - used as a function that returns a handle
    """Forward hooks recording each submodule call's output shape, by path."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.shapes: dict[str, list[Any]] = {}
        self.handles = [
            module.register_forward_hook(self._hook(path))
            for path, module in model.named_modules()
            if path
        ]

    def _hook(self, path: str):
        def hook(module, inputs, output):
            shape = tuple(output.shape) if isinstance(output, torch.Tensor) else None
            self.shapes.setdefault(path, []).append(shape)

        return hook

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def _compare_state(generated: torch.nn.Module, oracle: torch.nn.Module) -> list[str]:
    found = []
    ours, theirs = generated.state_dict(), oracle.state_dict()
    if list(ours) != list(theirs):
        return [f"state_dict keys: generated {list(ours)}, interpreted {list(theirs)}"]
    for key, value in ours.items():
        if value.shape != theirs[key].shape or not torch.equal(value, theirs[key]):
            found.append(f"`{key}` differs at initialisation under the same seed")
    frozen = [n for n, p in generated.named_parameters() if not p.requires_grad]
    expected = [n for n, p in oracle.named_parameters() if not p.requires_grad]
    if frozen != expected:
        found.append(f"frozen: generated {frozen}, interpreted {expected}")
    return found


def _compare_summary(compiled, info, kwargs, shapes, generated, actual, calls):
    """`archdsl summary`'s figures, worked out from the spec, against the model:
    for the concrete input, the outputs, the total and every row (a module call:
    its parameters and output shape); for the declared input, the symbolic
    outputs evaluated at the input's sizes."""
    names = [i.name for i in info.forward.inputs]
    result = infer_model(
        compiled.context, info, kwargs, dict(zip(names, shapes, strict=True))
    )
    if result is None:
        return ["summary: no shapes inferred for a concrete input"]
    found = [f"summary: {d.message}" for d in result.errors]
    real = sum(p.numel() for p in generated.parameters())
    if result.params != real:
        found.append(f"summary counts {result.params} parameters, the model has {real}")
    inferred = [t.dims for t in result.outputs]
    if not _all_fit(inferred, [tuple(t.shape) for t in actual]):
        shown = [tuple(t.shape) for t in actual]
        found.append(f"summary infers outputs {inferred}, the model gives {shown}")
    found += _compare_rows(result.rows, generated, calls)
    return found + _compare_symbolic(compiled, info, kwargs, shapes, actual)


def _fits(inferred, real: tuple[int, ...]) -> bool:
    """An inferred shape against the real one: equal, where a size summary shows
    as `?` (not known) matching any (it says it does not know, it does not lie)."""
    if inferred is None or len(inferred) != len(real):
        return False
    return all(a is UNKNOWN or a == b for a, b in zip(inferred, real, strict=True))


def _all_fit(inferred: list, real: list) -> bool:
    return len(inferred) == len(real) and all(
        _fits(a, b) for a, b in zip(inferred, real, strict=True)
    )


def _compare_rows(rows, generated, calls) -> list[str]:
    found = []
    seen: dict[str, int] = {}
    for row in rows:
        try:
            module = generated.get_submodule(row.path)
        except AttributeError:
            found.append(f"summary row `{row.path}` names no module of the model")
            continue
        real = sum(p.numel() for p in module.parameters())
        # A module called again shows "shared parameters": counted once, first.
        if isinstance(row.params, int) and row.params != real:
            found.append(
                f"summary row `{row.path}`: {row.params} parameters, not {real}"
            )
        index = seen.get(row.path, 0)
        seen[row.path] = index + 1
        made = calls.get(row.path, [])
        if (
            index < len(made)
            and made[index] is not None
            and not _fits(row.output, made[index])
        ):
            found.append(
                f"summary row `{row.path}`: {row.output}, the call gave {made[index]}"
            )
    return found


def _compare_symbolic(compiled, info, kwargs, shapes, actual) -> list[str]:
    """The shapes inferred from the declared input (N, H, W as symbols), at the
    sizes the concrete input has."""
    result = infer_model(compiled.context, info, kwargs)
    if result is None:
        return []
    env: dict[str, int] = {}
    for inp, shape in zip(info.forward.inputs, shapes, strict=True):
        # A base model's image input is [N, 3, H, W] without a declaration.
        names = [d.value for d in inp.shape.dims] if inp.shape else ["N", 3, "H", "W"]
        for name, size in zip(names, shape, strict=False):
            if isinstance(name, str):
                env[name] = size
    found = []
    for index, (tensor, real) in enumerate(zip(result.outputs, actual, strict=False)):
        if tensor.dims is None:
            found.append(f"symbolic summary: output {index} has no shape")
            continue
        sizes = tuple(d if d is UNKNOWN else dims.evaluate(d, env) for d in tensor.dims)
        if not _fits(sizes, tuple(real.shape)):
            found.append(
                f"symbolic summary: output {index} is {tensor.dims}, at {env} "
                f"{sizes}, the model gives {tuple(real.shape)}"
            )
    return found
