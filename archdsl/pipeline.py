"""The stages in order: parse -> lower -> check -> generate -> load."""

from __future__ import annotations

import linecache
import sys
import types
from dataclasses import dataclass
from pathlib import Path

from . import ir
from .check import Context, Limits
from .check import check as run_checks
from .codegen import generate_module
from .errors import ArchError, Diagnostic
from .gc_pause import no_gc_pauses
from .imports import resolve_imports
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


def read_source(spec: str | Path, *, name: str = "<string>") -> Source:
    """A path to a `.arch` file, or the text of one (anything containing a newline or
    a brace is taken as text)."""
    if isinstance(spec, Path) or ("\n" not in spec and "{" not in spec):
        path = Path(spec)
        try:
            return Source.from_file(path)
        except FileNotFoundError:
            raise ArchError([Diagnostic(f"no such file: {path}")]) from None
        except UnicodeDecodeError as exc:
            raise ArchError(
                [Diagnostic(f"{path} is not UTF-8 text ({exc.reason})")]
            ) from None
        except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ArchError(
                [Diagnostic(f"cannot read {path!s:.200}: {reason}")]
            ) from None
    return Source(name, spec)


def parse(spec: str | Path) -> ir.Program:
    """Parse and lower one spec (its imports are not followed)."""
    return parse_source(read_source(spec))


def compile_spec(spec: str | Path | Source, limits: Limits | None = None) -> Compiled:
    source = spec if isinstance(spec, Source) else read_source(spec)
    with no_gc_pauses():
        program = resolve_imports(parse_source(source), source)
        return Compiled(source, program, run_checks(program, limits))


def generate(spec: str | Path | Source, limits: Limits | None = None) -> str:
    """The generated Python module for a spec."""
    compiled = compile_spec(spec, limits)
    return generate_module(compiled.program, compiled.context, compiled.source)


def load(spec: str | Path, *, name: str = "<string>") -> types.ModuleType:
    """Compile a spec and import the generated code as a module, without writing a
    file. Tracebacks show the generated lines: the code is registered in linecache
    under a file name that says where it came from."""
    return load_compiled(compile_spec(read_source(spec, name=name)))


def load_compiled(compiled: Compiled) -> types.ModuleType:
    """load() for a spec already compiled (instantiate and export need both)."""
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
    from .weights import load_weights

    compiled = compile_spec(spec)
    info = model_info(compiled, model)
    built = getattr(load_compiled(compiled), info.name)(*args, **kwargs)
    named = info.weights
    if weights is None and named is not None:
        weights = Path(compiled.source.path).parent / named.path
    if weights is None:
        return (built.to(device) if device is not None else built), None
    report = load_weights(
        built,
        weights,
        strict=strict if strict is not None else (named.strict if named else True),
        allow_pickle=allow_pickle
        if allow_pickle is not None
        else (named.allow_pickle if named else False),
    )
    return (built.to(device) if device is not None else built), report


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
    if info is None or info.kind != "model":
        raise ArchError([Diagnostic(f"{compiled.source.path} has no model `{name}`")])
    return info
