"""`archdsl export SPEC --onnx OUT.onnx`: a spec's model as ONNX, with the spec's own
input and output names.

Example inputs come from the shapes the spec declares (`forward(x: [N, 3, H, W])`):
`N` is 1, `H` and `W` are 224, other names are the model's parameters (their
defaults); `--input-shape x=1,3,128,128` overrides any of them. Needs the `onnx`
extra (onnx and onnxscript; onnxruntime to check the file).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from . import ir
from .check.context import DefInfo
from .errors import ArchError, Diagnostic
from .ir.walk import returns
from .output import WEIGHTS_MARK, write_all
from .pipeline import Compiled, compile_spec, load_compiled, missing_params, model_info

#: What a dimension named so stands for in an example input.
CONVENTIONAL_DIMS = {"N": 1, "B": 1, "C": 3, "H": 224, "W": 224}
#: A forward input without a declared shape, as torchvision models take.
IMAGE = (1, 3, 224, 224)


def input_shapes(
    info: DefInfo,
    overrides: dict[str, tuple[int, ...]],
    params: dict[str, object] | None = None,
) -> dict[str, tuple[int, ...]]:
    forward = info.forward
    assert forward is not None
    shapes = {}
    for inp in forward.inputs:
        if inp.name in overrides:
            shapes[inp.name] = overrides[inp.name]
        elif inp.shape is None:
            shapes[inp.name] = IMAGE
        else:
            shapes[inp.name] = tuple(
                _dim(info, inp, d, params or {}) for d in inp.shape.dims
            )
    unknown = set(overrides) - set(shapes)
    if unknown:
        raise ArchError(
            [Diagnostic(f"`{info.name}` has no input {', '.join(sorted(unknown))}")]
        )
    return shapes


def _dim(info: DefInfo, inp: ir.Input, dim: ir.Dim, params: dict) -> int:
    if isinstance(dim.value, int):
        return dim.value
    value = params.get(dim.value, info.known.get(dim.value))
    value = CONVENTIONAL_DIMS.get(dim.value) if value is None else value
    if not isinstance(value, int):
        raise ArchError(
            [
                Diagnostic(
                    f"no size for `{dim.value}` in the shape of input `{inp.name}`",
                    dim.span,
                    hint=f"give one: `--input-shape {inp.name}=1,...`",
                )
            ]
        )
    return value


def _check_shapes(compiled, info: DefInfo, params: dict, shapes: dict) -> None:
    """The example inputs checked as `archdsl check --input-shape` would, against
    the model as built: its parameters' defaults count, so an input shape that
    contradicts one is an error here, not a failure inside the exporter."""
    from .shapes.infer import InputShapeError, infer_model

    defaults = {
        p.name: info.known[p.name] for p in info.node.params if p.name in info.known
    }
    try:
        result = infer_model(compiled.context, info, {**defaults, **params}, shapes)
    except InputShapeError as exc:
        raise ArchError([Diagnostic(str(exc), exc.span or info.node.span)]) from None
    if result is not None and result.errors:
        raise ArchError(result.errors)


def output_names(info: DefInfo, inputs: list[str]) -> list[str]:
    """The names the forward returns (`return x10, x1000`, taps' names), made unique
    and distinct from the inputs; `output`, `output_1`, ... otherwise."""
    forward = info.forward
    assert forward is not None
    returned = next(returns(forward.body))
    names: list[str] = []
    for index, value in enumerate(returned.values):
        name = value.id if isinstance(value, ir.Name) else ""
        if not name or name in inputs or name in names:
            name = "output" if len(returned.values) == 1 else f"output_{index}"
        names.append(name)
    return names


def export_onnx(
    spec: str | Path | Compiled,
    out: Path,
    model: str | None = None,
    overrides: dict[str, tuple[int, ...]] | None = None,
    params: dict[str, object] | None = None,
) -> tuple[list[str], list[str]]:
    """Write the ONNX file, marked as archdsl's (so a later export may replace it);
    returns its input and output names. `params` are the model's arguments (those
    without a default are required)."""
    try:
        import onnxscript  # noqa: F401 - torch's exporter needs it
        import torch
    except ImportError as exc:
        raise ArchError(
            [
                Diagnostic(
                    f"ONNX export needs {exc.name}",
                    hint="pip install 'archdsl[torch,onnx]'",
                )
            ]
        ) from None
    compiled = spec if isinstance(spec, Compiled) else compile_spec(spec)
    info = model_info(compiled, model)
    params = params or {}
    missing_params(info, params)
    shapes = input_shapes(info, overrides or {}, params)
    _check_shapes(compiled, info, params, shapes)
    inputs = list(shapes)
    outputs = output_names(info, inputs)
    try:
        built = getattr(load_compiled(compiled), info.name)(**params).eval()
    except TypeError as exc:
        raise ArchError(
            [Diagnostic(f"cannot build `{info.name}` without arguments: {exc}")]
        ) from None
    examples = tuple(torch.randn(shape) for shape in shapes.values())
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the exporter's progress
            program = torch.onnx.export(
                built, examples, input_names=inputs, output_names=outputs,
                dynamo=True, verbose=False,
            )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - the exporter raises many types
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise ArchError(
            [Diagnostic(f"ONNX export of `{info.name}` failed: {first}",
                        info.node.span)]
        ) from None  # fmt: skip
    program.model.metadata_props[WEIGHTS_MARK[0]] = WEIGHTS_MARK[1]
    # One self-contained file (weights inside), written whole or not at all.
    try:
        write_all([(out, lambda tmp: program.save(str(tmp), external_data=False))])
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ArchError([Diagnostic(f"cannot write {out!s:.300}: {reason}")]) from None
    return inputs, outputs
