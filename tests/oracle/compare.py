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

from archdsl.pipeline import compile_spec, load_compiled, model_info
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
) -> list[str]:
    """Every difference found, as sentences (empty when the two agree)."""
    compiled = compile_spec(text)
    info = model_info(compiled, model)
    torch.manual_seed(seed)
    generated = getattr(load_compiled(compiled), info.name)(**kwargs).eval()
    torch.manual_seed(seed)
    oracle = Interpreter(compiled).build(info.name, **kwargs).eval()
    found = _compare_state(generated, oracle)
    if found:
        return found
    oracle.load_state_dict(generated.state_dict(), strict=True)
    torch.manual_seed(seed + 1)
    inputs = [torch.randn(shape) for shape in shapes]
    given = [t.clone() for t in inputs]
    with torch.no_grad():
        expected = _tensors(oracle(*[t.clone() for t in inputs]))
        actual = _tensors(generated(*given))
    if not all(torch.equal(a, b) for a, b in zip(given, inputs, strict=True)):
        found.append("the generated model changed its caller's input tensors")
    if len(actual) != len(expected):
        found.append(f"{len(actual)} outputs generated, {len(expected)} interpreted")
    for index, (a, b) in enumerate(zip(actual, expected, strict=False)):
        if a.shape != b.shape or not torch.equal(a, b):
            diff = (a - b).abs().max().item() if a.shape == b.shape else "shape"
            found.append(
                f"output {index}: generated {tuple(a.shape)}, interpreted "
                f"{tuple(b.shape)}, max difference {diff}"
            )
    found += _compare_summary(compiled, info, kwargs, shapes, generated, actual)
    return found


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


def _compare_summary(compiled, info, kwargs, shapes, generated, actual) -> list[str]:
    """`archdsl summary`'s figures, worked out from the spec, against the model."""
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
    if inferred != [tuple(t.shape) for t in actual]:
        shown = [tuple(t.shape) for t in actual]
        found.append(f"summary infers outputs {inferred}, the model gives {shown}")
    return found
