"""`archdsl lsp`: a language server over stdio (pygls). Every open document is
checked on each change with the same diagnostics as `archdsl check` (notes become
related information); hover shows a value's or member's inferred shape and
parameter count; go-to-definition finds blocks, builders, models and imported
names; completion offers torch.nn layers with their signatures; formatting is
`archdsl fmt`."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from lsprotocol import types as lsp
from pygls.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from ..errors import ArchError, Diagnostic
from ..source import text_lines
from .analysis import Analysis

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ArchServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("archdsl", __version__)
        self.analyses: dict[str, Analysis] = {}
        self.latest: dict[str, int] = {}  # the newest version of each document
        self.incremental = _incremental_workspace()

    def analyse(self, uri: str) -> Analysis:
        document = self.workspace.get_text_document(uri)
        analysis = self.analyses.get(uri)
        if analysis is None or analysis.source.text != document.source:
            path = to_fs_path(uri) or uri
            analysis = Analysis.of(path, document.source, self.incremental)
            self.analyses[uri] = analysis
        return analysis

    def publish(self, uri: str) -> None:
        analysis = self.analyse(uri)
        found = [_diagnostic(d, analysis) for d in analysis.diagnostics]
        self.publish_diagnostics(uri, found)


def _incremental_workspace():
    """archdsl.incremental's Workspace: re-checks only what an edit touched."""
    try:
        from ..incremental import Workspace
    except ImportError:
        return None
    return Workspace()


server = ArchServer()


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: ArchServer, params: lsp.DidOpenTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: ArchServer, params: lsp.DidChangeTextDocumentParams) -> None:
    """Checks the latest text only: edits that arrived while an earlier check ran
    are all taken in (each handler yields once) before one check of the last."""
    uri, version = params.text_document.uri, params.text_document.version
    ls.latest[uri] = version
    await asyncio.sleep(0)
    if ls.latest.get(uri) == version:
        ls.publish(uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: ArchServer, params: lsp.DidCloseTextDocumentParams) -> None:
    analysis = ls.analyses.pop(params.text_document.uri, None)
    if analysis is not None and ls.incremental is not None:
        ls.incremental.close(analysis.source.path)
    ls.publish_diagnostics(params.text_document.uri, [])


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: ArchServer, params: lsp.HoverParams) -> lsp.Hover | None:
    analysis = ls.analyse(params.text_document.uri)
    word, span = _word_at(analysis.source.text, params.position)
    if not word:
        return None
    found = analysis.hover(word, params.position.line + 1, span.start.character + 1)
    if found is not None:
        text = found.text
    else:  # a layer's or a definition's signature
        signature = _layer_signature(word) or _header(analysis.definition(word))
        if signature is None:
            return None
        text = f"```\n{signature}\n```"
    return lsp.Hover(
        contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
        range=span,
    )


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(ls: ArchServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    analysis = ls.analyse(params.text_document.uri)
    imported = _import_path_at(analysis.source, params.position)
    if imported is not None:  # `import "blocks.arch"`: the file itself
        start = lsp.Position(line=0, character=0)
        return lsp.Location(
            uri=from_fs_path(imported), range=lsp.Range(start=start, end=start)
        )
    word, _ = _word_at(analysis.source.text, params.position)
    span = analysis.definition(word) if word else None
    if span is None:
        return None
    return lsp.Location(
        uri=_uri(span.path, params.text_document.uri), range=_range(span)
    )


@server.feature(
    lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["("])
)
def completion(ls: ArchServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    from ..ops.nn_signatures import NN_SIGNATURES

    items = [
        lsp.CompletionItem(
            label=name,
            kind=lsp.CompletionItemKind.Class,
            detail=_signature(name, rows),
            documentation=f"torch.nn.{name}",
        )
        for name, rows in NN_SIGNATURES.items()
    ]
    program = ls.analyse(params.text_document.uri).program
    for node in getattr(program, "definitions", ()):
        if node.kind in ("block", "builder") and node.span is not None:
            items.append(
                lsp.CompletionItem(
                    label=node.name,
                    kind=lsp.CompletionItemKind.Function,
                    detail=_header(node.span),
                )
            )
    return lsp.CompletionList(is_incomplete=False, items=items)


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def formatting(
    ls: ArchServer, params: lsp.DocumentFormattingParams
) -> list[lsp.TextEdit] | None:
    from ..fmt import format_text

    document = ls.workspace.get_text_document(params.text_document.uri)
    try:
        formatted = format_text(document.source, document.path)
    except ArchError:
        return None  # a syntax error: the diagnostics already say where
    if formatted == document.source:
        return []
    end = lsp.Position(line=len(document.lines), character=0)
    whole = lsp.Range(start=lsp.Position(line=0, character=0), end=end)
    return [lsp.TextEdit(range=whole, new_text=formatted)]


# ---- conversions ------------------------------------------------------------------
def _diagnostic(diagnostic: Diagnostic, analysis: Analysis) -> lsp.Diagnostic:
    """A diagnostic in another file (an imported one) is shown at the top."""
    span = diagnostic.span
    here = span is not None and span.path == analysis.source.path
    message = diagnostic.message
    if span is not None and not here:
        message = f"{span}: {message}"
    if diagnostic.hint:
        message += f"\nhint: {diagnostic.hint}"
    severity = (
        lsp.DiagnosticSeverity.Warning
        if diagnostic.severity == "warning"
        else lsp.DiagnosticSeverity.Error
    )
    related = [
        lsp.DiagnosticRelatedInformation(
            location=lsp.Location(
                uri=from_fs_path(note.span.path) or "", range=_range(note.span)
            ),
            message=note.message,
        )
        for note in diagnostic.notes
        if note.span is not None
    ]
    return lsp.Diagnostic(
        range=_range(span) if here else _range(None),
        message=message,
        severity=severity,
        source="archdsl",
        related_information=related or None,
    )


def _range(span) -> lsp.Range:
    if span is None:
        start = lsp.Position(line=0, character=0)
        return lsp.Range(start=start, end=start)
    return lsp.Range(
        start=lsp.Position(line=span.line - 1, character=span.column - 1),
        end=lsp.Position(line=span.end_line - 1, character=span.end_column - 1),
    )


def _uri(path: str, fallback: str) -> str:
    return from_fs_path(path) or fallback


def _word_at(text: str, position: lsp.Position) -> tuple[str, lsp.Range | None]:
    lines = text_lines(text)
    if position.line >= len(lines):
        return "", None
    line = lines[position.line]
    for match in _WORD.finditer(line):
        if match.start() <= position.character <= match.end():
            start = lsp.Position(line=position.line, character=match.start())
            end = lsp.Position(line=position.line, character=match.end())
            return match.group(), lsp.Range(start=start, end=end)
    return "", None


_IMPORT = re.compile(r'^\s*(?:import|from)\s+("[^"]*"|\'[^\']*\')')


def _import_path_at(source, position: lsp.Position) -> str | None:
    """The file an import names, when the cursor is on its quoted path."""
    match = _IMPORT.match(source.line(position.line + 1))
    if match is None or not match.start(1) <= position.character < match.end(1):
        return None
    target = Path(source.path).parent / match.group(1)[1:-1]
    return str(target) if target.is_file() else None


def _signature(name: str, rows) -> str:
    from ..ops.nn_signatures import OPAQUE, REQUIRED

    params = []
    for param, kind, default, _types, _choices in rows:
        if kind == "var":
            params.append(f"*{param}")
        elif default == REQUIRED:
            params.append(param)
        elif default == OPAQUE:
            params.append(f"{param}=...")
        else:
            params.append(f"{param}={default!r}")
    return f"{name}({', '.join(params)})"


def _header(span) -> str | None:
    """A definition's first line: `block Down(in_ch: int, out_ch: int)`."""
    if span is None:
        return None
    return span.source.line(span.line).strip().removesuffix("{").strip()


def _layer_signature(name: str) -> str | None:
    from ..ops.nn_signatures import NN_SIGNATURES

    rows = NN_SIGNATURES.get(name)
    return None if rows is None else _signature(name, rows)


def main() -> None:
    server.start_io()
