"""What the language server knows about one document: the check's diagnostics, the
definitions it can jump to, and the shapes shape inference gives each value (the
same walk `archdsl graph` draws), worked out from `compile_spec` on the editor's
text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from ..errors import ArchError, Diagnostic
from ..source import Source

#: Hover lists a value's shape in each call of its block, up to this many.
MAX_SHOWN = 6


@dataclass
class Hover:
    text: str  # markdown
    line: int  # 1-based: the step's line


@dataclass
class Analysis:
    source: Source
    diagnostics: list[Diagnostic] = field(default_factory=list)
    program: object | None = None  # ir.Program when the text parsed

    @classmethod
    def of(cls, path: str, text: str, workspace=None) -> Analysis:
        """Diagnostics from `workspace` (archdsl.incremental's, which re-checks
        only what an edit touched) when there is one, else from a full check."""
        source = Source(path, text)
        if workspace is not None:
            update = workspace.update(path, text)
            return cls(source, list(update.diagnostics), update.program)
        try:
            compiled = _compile(source)
        except ArchError as exc:
            return cls(source, list(exc.diagnostics))
        analysis = cls(source, list(compiled.context.diagnostics), compiled.program)
        analysis.__dict__["compiled"] = compiled  # the cached_property, computed
        return analysis

    @cached_property
    def compiled(self):
        """The whole pipeline's result (for shapes), worked out on first use: hover
        needs it, typing does not. None when the spec has errors."""
        if any(d.severity == "error" for d in self.diagnostics):
            return None
        try:
            return _compile(self.source)
        except ArchError:
            return None

    # ---- definitions ------------------------------------------------------
    def definition(self, name: str):
        """The span of the block, builder or model `name` (imported ones too)."""
        program = self.program or self._parsed()
        for definition in getattr(program, "definitions", []):
            if definition.name == name and definition.span is not None:
                return definition.span
        return None

    def _parsed(self):
        from ..syntax import parse_source

        try:
            return parse_source(self.source)
        except ArchError:
            return None

    # ---- shapes -----------------------------------------------------------
    @cached_property
    def steps(self) -> list:
        """Every step of every model of this file's forward, with its output
        tensors: [(step, [tensor, ...])]."""
        if self.compiled is None:
            return []
        from ..graph.trace import trace_model
        from ..pipeline import model_info

        found = []
        for definition in self.compiled.program.definitions:
            if definition.kind != "model" or definition.span is None:
                continue
            if definition.span.path != self.source.path:
                continue
            try:
                trace = trace_model(
                    self.compiled.context, model_info(self.compiled, definition.name)
                )
            except ArchError:
                continue
            outputs: dict[int, dict[int, object]] = {}
            for tensor in trace.tensors:
                made = trace.made.get(id(tensor))
                if made is not None:
                    outputs.setdefault(id(made.step), {}).setdefault(made.index, tensor)
            for step in trace.steps:
                made = sorted(outputs.get(id(step), {}).items())
                found.append((step, [tensor for _, tensor in made]))
        return found

    def hover(self, word: str, line: int, column: int | None = None) -> Hover | None:
        """The shape and parameter count of the value or member `word` as used on
        `line` (1-based) at `column` (1-based, where the word starts: of two calls
        on one line, the one under the cursor), or of the member wherever its
        forward calls it."""
        calls = [(s, t) for s, t in self.steps if s.line == line]
        named = [(s, t) for s, t in calls if s.name == word]
        here = [(s, t) for s, t in named if s.column == column]
        named = here or named
        if not named and calls and word in _assigned(self.source.line(line)):
            # `x1 = inc(x)`: the value the line makes, in each call of its block
            last = {id(step.parent): (step, made) for step, made in calls}
            named = list(last.values())
        if not named:
            named = [
                (s, t) for s, t in self.steps if s.name == word and s.kind == "module"
            ]
        if not named:
            return None
        return Hover(_describe(word, named), named[0][0].line or line)


def _compile(source: Source):
    from ..pipeline import compile_spec

    return compile_spec(source)


def _assigned(text: str) -> set[str]:
    match = re.match(r"\s*([A-Za-z_]\w*(\s*,\s*[A-Za-z_]\w*)*)\s*(=|[-+*/%]+=)", text)
    if not match:
        return set()
    return {name.strip() for name in match.group(1).split(",")}


def _describe(word: str, steps: list) -> str:
    lines: list[str] = []
    for step, tensors in steps:
        shapes = ", ".join(_shape(t.dims) for t in tensors) or "unknown"
        what = f"`{word}`" + (f": `{step.layer}`" if step.layer else "")
        line = f"{what} → `{shapes}`"
        if step.params not in (None, ""):
            line += f" · {_count(step.params)} parameters"
        if line not in lines:
            lines.append(line)
    if len(lines) > MAX_SHOWN:  # a block called many times
        lines[MAX_SHOWN:] = [f"... and {len(lines) - MAX_SHOWN} more calls"]
    return "\n\n".join(lines)


def _shape(dims) -> str:
    if dims is None:
        return "[?]"
    return "[" + ", ".join(str(d) for d in dims) + "]"


def _count(params) -> str:
    return f"{params:,}" if isinstance(params, int) else str(params)
