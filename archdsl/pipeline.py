"""The stages in order: parse -> lower -> check -> generate -> load."""

from __future__ import annotations

import sys
import types
from pathlib import Path

from . import ir
from .check import Context, Limits
from .check import check as run_checks
from .errors import ArchError, Diagnostic
from .gc_pause import no_gc_pauses
from .imports import resolve_imports
from .records import dataclass
from .source import Source
from .syntax import parse_source


@dataclass
class Compiled:
    source: Source
    program: ir.Program  # with imported definitions merged in
    context: Context

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.context.diagnostics if d.severity == "warning"]


def read_source(
    spec: str | Path | None = None, *, text: str | None = None, name: str = "<string>"
) -> Source:
    """The source of a spec: `text=` is spec text (reported as `name`); a `Path` is
    always a file; a `str` is a file's path unless it holds a newline, which no
    path a person types does (so `"exp{1}.arch"` is a file)."""
    if (spec is None) == (text is None):
        raise TypeError("give a spec's path, or its text as text=...")
    if text is not None:
        return Source(name, text)
    if isinstance(spec, Path) or "\n" not in spec:
        return _read_file(Path(spec))
    return Source(name, spec)


def _read_file(path: Path) -> Source:
    try:
        return Source.from_file(path)
    except FileNotFoundError:
        hint = (
            "to compile spec text, pass it as text=..."
            if "{" in str(path) and not str(path).endswith(".arch")
            else None
        )
        raise ArchError(
            [Diagnostic(f"no such file: {path!s:.300}", hint=hint)]
        ) from None
    except UnicodeDecodeError as exc:
        raise ArchError(
            [Diagnostic(f"{path} is not UTF-8 text ({exc.reason})")]
        ) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ArchError([Diagnostic(f"cannot read {path!s:.200}: {reason}")]) from None


def parse(spec: str | Path | None = None, *, text: str | None = None) -> ir.Program:
    """Parse and lower one spec (its imports are not followed)."""
    return parse_source(read_source(spec, text=text))


def compile_spec(
    spec: str | Path | Source | None = None,
    limits: Limits | None = None,
    *,
    text: str | None = None,
) -> Compiled:
    """Parse, resolve imports and check a spec: a path, a Source, or `text=`."""
    source = spec if isinstance(spec, Source) else read_source(spec, text=text)
    with no_gc_pauses():
        program = resolve_imports(parse_source(source), source)
        return Compiled(source, program, run_checks(program, limits))


def generate(
    spec: str | Path | Source | None = None,
    limits: Limits | None = None,
    *,
    text: str | None = None,
) -> str:
    """The generated Python module for a spec."""
    from .codegen import generate_module  # `archdsl check` never imports codegen

    compiled = compile_spec(spec, limits, text=text)
    return generate_module(compiled.program, compiled.context, compiled.source)


def load(
    spec: str | Path | None = None, *, text: str | None = None, name: str = "<string>"
) -> types.ModuleType:
    """Compile a spec (a path, or its text as `text=`) and import the generated code
    as a module, without writing a file. Tracebacks show the generated lines: the
    code is registered in linecache under a file name that says where it came from."""
    return load_compiled(compile_spec(read_source(spec, text=text, name=name)))


def load_compiled(compiled: Compiled) -> types.ModuleType:
    """load() for a spec already compiled (instantiate and export need both)."""
    import linecache  # (loads tokenize: not for a check)

    from .codegen import generate_module

    source = compiled.source

    code = generate_module(compiled.program, compiled.context, source)
    stem = Path(source.path).stem if source.path != "<string>" else "spec"
    module_name = f"archdsl_generated.{_identifier(stem)}"
    filename = f"<archdsl:{source.path}>.py"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    module = types.ModuleType(module_name)
    module.__file__ = filename
    sys.modules[module_name] = module  # classes pickle and inspect like any module's
    exec(compile(code, filename, "exec"), module.__dict__)  # noqa: S102 - our own output
    return module


def _identifier(stem: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in stem)
    return cleaned if cleaned and not cleaned[0].isdigit() else f"spec_{cleaned}"


def instantiate(
    spec: str | Path,
    model: str | None = None,
    *args: object,
    weights: str | Path | None = None,
    strict: bool | None = None,
    allow_pickle: bool | None = None,
    device: object = None,
    **kwargs: object,
):
    """Build a spec's model and load its weights: the file named by `weights`, else
    the one the spec names (`weights("x.safetensors")`, relative to the spec), then
    move it to `device` ("cuda", "cpu", a torch.device) when one is given.
    Returns `(model, report)`; the report is None when no weights were loaded."""
    compiled = compile_spec(spec)
    info = model_info(compiled, model)
    built, report = build_model(
        compiled, info, args, kwargs,
        weights=weights, strict=strict, allow_pickle=allow_pickle,
    )  # fmt: skip
    return (built.to(device) if device is not None else built), report


def build_model(
    compiled: Compiled,
    info,
    args: tuple = (),
    kwargs: dict | None = None,
    *,
    weights: str | Path | None = None,
    strict: bool | None = None,
    allow_pickle: bool | None = None,
):
    """instantiate() for a spec already compiled and a model already chosen."""
    from .weights import load_weights

    built = getattr(load_compiled(compiled), info.name)(*args, **(kwargs or {}))
    named = info.weights
    if weights is None and named is not None:
        weights = spec_weights_path(compiled, info)
    if weights is None:
        return built, None
    report = load_weights(
        built,
        weights,
        strict=strict if strict is not None else (named.strict if named else True),
        allow_pickle=allow_pickle
        if allow_pickle is not None
        else (named.allow_pickle if named else False),
    )
    return built, report


def spec_weights_path(compiled: Compiled, info) -> Path:
    """The file a model's `weights(...)` names, relative to the spec; a missing one
    is a diagnostic at that line (no torch needed to say so)."""
    path = Path(compiled.source.path).parent / info.weights.path
    if not path.is_file():
        statement = next(
            (s for s in info.node.body if isinstance(s, ir.Weights)), info.node
        )
        raise ArchError(
            [Diagnostic(f"`{info.name}` loads weights from {path}, which is not a file",
                        statement.span,
                        hint="paths in `weights(...)` are relative to the spec")]
        )  # fmt: skip
    return path


def missing_params(info, given: dict[str, object]) -> None:
    """ArchError naming the model's parameters that have no default and no value
    in `given` (the command line's `-p`): the model cannot be built without them."""
    missing = [
        p.name for p in info.node.params if p.default is None and p.name not in given
    ]
    if missing:
        names = ", ".join(f"`{name}`" for name in missing)
        example = " ".join(f"-p {name}=VALUE" for name in missing)
        raise ArchError(
            [Diagnostic(f"`{info.name}` has no default for {names}; building it needs "
                        f"{'a value' if len(missing) == 1 else 'values'}",
                        info.node.span, hint=f"give {example}")]
        )  # fmt: skip


def model_info(compiled: Compiled, name: str | None):
    own = [
        d.name
        for d in compiled.program.definitions
        if d.kind == "model" and d.span is not None
        and d.span.path == compiled.source.path
    ]  # fmt: skip
    if name is None:
        if len(own) != 1:
            listed = ", ".join(f"`{n}`" for n in own) or "none"
            raise ArchError(
                [
                    Diagnostic(
                        f"{compiled.source.path} defines models {listed}; "
                        "say which to build"
                    )
                ]  # fmt: skip
            )
        name = own[0]
    info = compiled.context.defs.get(name)
    if info is None or info.kind not in ("model", "variant"):  # resnet50 too
        raise ArchError([Diagnostic(f"{compiled.source.path} has no model `{name}`")])
    return info
