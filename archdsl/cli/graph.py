"""`archdsl graph`: a model's dataflow as a picture (SVG, PNG, PDF through
Graphviz's `dot`; DOT source; Mermaid), drawn from the checked spec and its shape
inference, never by running torch."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import ArchError, Diagnostic
from .model_args import infer, shown_name
from .options import positive, shape_options

#: What each output suffix is: a format `dot` draws, or source written as text.
DRAWN = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
TEXT = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}

#: The programs that draw, in the order they are looked for: Graphviz's own, then
#: graphviz-pure (a port of it, `pip install graphviz-pure`, part of archdsl[graph]).
PROGRAMS = ("dot", "graphviz-pure")

GET_DOT = (
    "pip install graphviz-pure (archdsl[graph] includes it), or install Graphviz "
    "(`apt-get install graphviz`, `brew install graphviz`); or write Mermaid, which "
    "needs no program (-o NAME.mmd)"
)


def register(commands) -> argparse.ArgumentParser:
    command = commands.add_parser(
        "graph",
        help="draw a model's dataflow, with shapes on the edges",
        description="Draw a model's dataflow from the spec: one node per module call "
        "and tensor op, edges labelled with the inferred shapes, blocks as clusters. "
        "-o names the file written; its suffix chooses the format: .svg, .png or "
        ".pdf (drawn by Graphviz's `dot` program; without one, the DOT source is "
        "written beside it as NAME.dot), .dot or .gv (DOT source), .mmd (Mermaid, "
        "for markdown). Default: SPEC's name with .svg, in the current directory.",
    )
    command.add_argument("spec", type=Path, metavar="SPEC")
    command.add_argument(
        "-o", "--output", type=Path, metavar="OUT",
        help="the file to write: OUT.svg, OUT.png, OUT.pdf, OUT.dot or OUT.mmd",
    )  # fmt: skip
    shape_options(command, "draw concrete shapes for this input (default: symbolic)")
    command.add_argument(
        "--depth", type=positive, default=2, metavar="N",
        help="open blocks as clusters down to N levels (default 2; 1: the model's "
        "own members, each one box)",
    )  # fmt: skip
    command.add_argument(
        "--dot", metavar="PROGRAM",
        help="the program that draws SVG, PNG and PDF (default: `dot` if found, else "
        "`graphviz-pure`)",
    )  # fmt: skip
    command.set_defaults(run=run)
    return command


def run(args: argparse.Namespace) -> int:
    from functools import partial

    from ..graph.layout import layout
    from ..graph.trace import Trace, Tracer
    from ..output import check_targets
    from ..pipeline import compile_spec

    output = args.output or Path(args.spec.with_suffix(".svg").name)
    suffix = output.suffix.lower()
    if suffix not in DRAWN and suffix not in TEXT:
        raise ArchError(
            [Diagnostic(f"-o {output}: cannot tell the format from `{suffix or output.name}`",
                        hint="end the name in .svg, .png, .pdf, .dot, .gv or .mmd")]
        )  # fmt: skip
    check_targets([output])
    compiled = compile_spec(args.spec)
    trace = Trace("")
    info, _, result = infer(compiled, args, engine=partial(Tracer, trace=trace))
    if result.errors:
        raise ArchError(result.diagnostics)
    trace.name = shown_name(info, args)
    picture = layout(trace, args.depth)
    if TEXT.get(suffix) == "mermaid":
        from ..graph.mermaid import to_mermaid

        _write(output, to_mermaid(picture, args.spec.name).encode())
        return 0
    _need_graphviz_package()
    from ..graph.dot import to_dot

    graph = to_dot(picture)
    if suffix in TEXT:
        _write(output, graph.source.encode())
        return 0
    program = find_program(args.dot)
    if program is None:
        source = output.with_suffix(".dot")
        _write(source, graph.source.encode())
        raise ArchError(
            [Diagnostic(f"no Graphviz `dot` program found to draw {output}; wrote its "
                        f"DOT source to {source} instead", hint=GET_DOT)]
        )  # fmt: skip
    _write(output, draw(graph.source, program, DRAWN[suffix]))
    return 0


def find_program(name: str | None) -> str | None:
    """The drawing program's path: `name`, or the first of PROGRAMS found on PATH or
    beside this Python (a virtual environment's bin/, active or not)."""
    here = str(Path(sys.executable).parent)
    search = os.pathsep.join([os.environ.get("PATH", ""), here])
    for candidate in (name,) if name else PROGRAMS:
        found = shutil.which(candidate, path=search)
        if found:
            return found
    if name:
        raise ArchError(
            [Diagnostic(f"--dot {name}: no such program", hint=GET_DOT)]
        )  # fmt: skip
    return None


def draw(source: str, program: str, fmt: str) -> bytes:
    """`source` laid out by `dot` (the engine; both programs take dot's flags)."""
    try:
        done = subprocess.run(
            [program, "-Kdot", f"-T{fmt}"], input=source.encode(), capture_output=True
        )
    except OSError as exc:
        raise ArchError([Diagnostic(f"cannot run {program}: {exc}")]) from None
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip()[:500]
        raise ArchError(
            [Diagnostic(f"{Path(program).name} could not draw -T{fmt}: {why}")]
        )
    return done.stdout


def _write(path: Path, data: bytes) -> None:
    from ..output import write_all

    def writer(tmp: Path) -> None:
        tmp.write_bytes(data)

    try:
        write_all([(path, writer)])
    except OSError as exc:
        raise ArchError(
            [Diagnostic(f"cannot write {path!s:.300}: {exc.strerror or exc}")]
        ) from None
    print(f"wrote {path}")


def _need_graphviz_package() -> None:
    try:
        import graphviz  # noqa: F401
    except ImportError:
        raise ArchError(
            [Diagnostic("drawing with Graphviz needs the `graphviz` Python package",
                        hint="pip install 'archdsl[graph]' (or write Mermaid: -o NAME.mmd)")]
        ) from None  # fmt: skip
