"""`archdsl lsp` driven over stdio by a real LSP client (pytest-lsp, on pygls's
client): diagnostics at the right range as a spec is edited, then none once it is
fixed; hover shows inferred shapes and parameter counts; go-to-definition,
completion and formatting."""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from conftest import ROOT  # noqa: E402
from lsprotocol import types as lsp  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

UNET = ROOT / "specs" / "unet.arch"


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "archdsl", "lsp"]),
)
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(), root_uri=ROOT.as_uri()
        )
    )
    yield
    await lsp_client.shutdown_session()


BROKEN = """model M() {
    fc = Linear(4, 2, biass=True)
    forward(x: [N, 4]) = fc(x)
}
"""
FIXED = BROKEN.replace("biass", "bias")


async def _diagnostics(client: LanguageClient, uri: str) -> list[lsp.Diagnostic]:
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return client.diagnostics[uri]


@pytest.mark.asyncio
async def test_diagnostics_follow_the_edits(client: LanguageClient, tmp_path):
    uri = (tmp_path / "m.arch").as_uri()
    item = lsp.TextDocumentItem(uri=uri, language_id="arch", version=1, text=BROKEN)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
    found = await _diagnostics(client, uri)
    assert len(found) == 1
    assert "no parameter `biass`" in found[0].message
    assert found[0].severity == lsp.DiagnosticSeverity.Error
    column = BROKEN.splitlines()[1].index("biass")
    assert found[0].range.start == lsp.Position(line=1, character=column)

    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[lsp.TextDocumentContentChangeEvent_Type2(text=FIXED)],
        )
    )
    assert await _diagnostics(client, uri) == []


async def _open(client: LanguageClient, path) -> str:
    uri = path.as_uri()
    text = path.read_text(encoding="utf-8")
    item = lsp.TextDocumentItem(uri=uri, language_id="arch", version=1, text=text)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
    await _diagnostics(client, uri)
    return uri


def _position(path, needle: str, offset: int = 0) -> lsp.Position:
    for number, line in enumerate(path.read_text().splitlines()):
        if needle in line:
            return lsp.Position(line=number, character=line.index(needle) + offset)
    raise AssertionError(needle)


@pytest.mark.asyncio
async def test_hover_shows_the_inferred_shape(client: LanguageClient):
    uri = await _open(client, UNET)
    at = _position(UNET, "x2 = down1(x1)")
    result = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=at)
    )
    assert result is not None
    # down1 halves the input's height and width: the same rule `archdsl summary`
    # prints, 128 channels, with its parameter count
    assert "`x2`: `Down` → `[N, 128, H // 2, W // 2]`" in result.contents.value
    torch = pytest.importorskip("torch")
    import archdsl

    with torch.device("meta"):  # the count from the built model: torch's own
        unet = archdsl.load(UNET).UNet(n_channels=3, n_classes=2)
    count = sum(p.numel() for p in unet.down1.parameters())
    assert f"· {count:,} parameters" in result.contents.value

    # inside a block: the value in each of the four calls of Up
    at = _position(UNET, "x1 = pad_like(", offset=1)
    result = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=at)
    )
    assert result.contents.value.split("\n\n") == [
        f"`x1` → `[N, {c}, {h}, {w}]`"
        for c, h, w in [
            (512, "H // 8", "W // 8"),
            (256, "H // 4", "W // 4"),
            (128, "H // 2", "W // 2"),
            (64, "H", "W"),
        ]
    ]


@pytest.mark.asyncio
async def test_definition_completion_and_formatting(client: LanguageClient):
    uri = await _open(client, UNET)
    at = _position(UNET, "inc = DoubleConv(", offset=len("inc = "))
    where = await client.text_document_definition_async(
        lsp.DefinitionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=at
        )
    )
    assert where.uri == uri
    assert where.range.start.line == _position(UNET, "block DoubleConv").line

    items = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=at
        )
    )
    conv = next(i for i in items.items if i.label == "Conv2d")
    assert conv.detail.startswith(
        "Conv2d(in_channels, out_channels, kernel_size, stride=1"
    )
    shown = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=at)
    )
    assert "block DoubleConv(in_ch: int, out_ch: int" in shown.contents.value
    block = next(i for i in items.items if i.label == "DoubleConv")
    assert (
        block.detail
        == "block DoubleConv(in_ch: int, out_ch: int, mid_ch: int = out_ch)"
    )

    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            options=lsp.FormattingOptions(tab_size=4, insert_spaces=True),
        )
    )
    assert edits == []  # the spec is formatted already


NOTED = """block B(c: int) {
    fc = Linear(c, 2)
    forward(x) = fc(x)
}

model M() {
    b = B(3)
    forward(x: [N, 4]) = b(x)
}
"""


@pytest.mark.asyncio
async def test_notes_are_related_information(client: LanguageClient, tmp_path):
    path = tmp_path / "noted.arch"
    path.write_text(NOTED)
    uri = path.as_uri()
    item = lsp.TextDocumentItem(uri=uri, language_id="arch", version=1, text=NOTED)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
    (found,) = await _diagnostics(client, uri)
    assert "expects 3 input features" in found.message
    assert found.range.start == lsp.Position(line=2, character=17)
    (note,) = found.related_information
    assert note.message == "in `b` (B), called here"
    assert note.location.uri == uri
    assert note.location.range.start == lsp.Position(line=7, character=25)


@pytest.mark.asyncio
async def test_imported_names_and_members(client: LanguageClient, tmp_path):
    (tmp_path / "blocks.arch").write_text(
        "block Blk(c: int) {\n    fc = Linear(c, c)\n    forward(x) = fc(x)\n}\n"
    )
    main = tmp_path / "main.arch"
    main.write_text(
        'from "blocks.arch" import Blk\n\nmodel M() {\n    b = Blk(4)\n'
        "    forward(x: [N, 4]) = b(x)\n}\n"
    )
    uri = await _open(client, main)
    assert client.diagnostics[uri] == []
    document = lsp.TextDocumentIdentifier(uri=uri)
    where = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=document, position=_position(main, "Blk(4)"))
    )
    assert where.uri == (tmp_path / "blocks.arch").as_uri()
    assert where.range.start.line == 0
    on_path = _position(main, "blocks.arch")
    where = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=document, position=on_path)
    )
    assert where.uri == (tmp_path / "blocks.arch").as_uri()
    # a member, where it is made: the shape its forward call gives, and 4 * 4 + 4
    # parameters (Linear(4, 4))
    result = await client.text_document_hover_async(
        lsp.HoverParams(text_document=document, position=_position(main, "b = Blk"))
    )
    assert result.contents.value == "`b`: `Blk` → `[N, 4]` · 20 parameters"


@pytest.mark.asyncio
async def test_formatting_is_archdsl_fmt(client: LanguageClient, tmp_path):
    from archdsl.fmt import format_text

    ugly = "model M() { fc = Linear(4,2) ; forward(x: [N, 4]) = fc( x ) }\n"
    uri = (tmp_path / "ugly.arch").as_uri()
    item = lsp.TextDocumentItem(uri=uri, language_id="arch", version=1, text=ugly)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
    await _diagnostics(client, uri)
    (edit,) = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            options=lsp.FormattingOptions(tab_size=4, insert_spaces=True),
        )
    )
    assert edit.range.start == lsp.Position(line=0, character=0)
    assert edit.range.end == lsp.Position(line=1, character=0)  # the whole text
    assert edit.new_text == format_text(ugly)


@pytest.mark.asyncio
async def test_quick_edits_end_with_the_last_text(client: LanguageClient, tmp_path):
    uri = (tmp_path / "typing.arch").as_uri()
    item = lsp.TextDocumentItem(uri=uri, language_id="arch", version=1, text=FIXED)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
    assert await _diagnostics(client, uri) == []
    last = FIXED.replace("bias", "biasss")
    for version, text in enumerate([BROKEN, FIXED, BROKEN, last], start=2):
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(
                    uri=uri, version=version
                ),
                content_changes=[lsp.TextDocumentContentChangeEvent_Type2(text=text)],
            )
        )
    for _ in range(4):  # earlier versions may or may not be reported on the way
        found = await _diagnostics(client, uri)
        if found and "biasss" in found[0].message:
            break
    assert "no parameter `biasss`" in found[0].message


TWO_CALLS = """\
model Pools() {
    pool = MaxPool2d(2)
    forward(x: [N, 3, 32, 32]) {
        return pool(x), pool(pool(x))
    }
}
"""


@pytest.mark.asyncio
async def test_hover_tells_apart_two_calls_on_one_line(
    client: LanguageClient, tmp_path
):
    spec = tmp_path / "pools.arch"
    spec.write_text(TWO_CALLS)
    uri = await _open(client, spec)
    shown = []
    for offset in (0, len("pool(x), "), len("pool(x), pool(")):
        at = _position(spec, "pool(x), pool(pool(x))", offset=offset + 1)
        result = await client.text_document_hover_async(
            lsp.HoverParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri), position=at
            )
        )
        shown.append(result.contents.value)
    torch = pytest.importorskip("torch")
    x = torch.zeros(1, 3, 32, 32)
    pool = torch.nn.MaxPool2d(2)
    sizes = [pool(x).shape[-1], pool(pool(x)).shape[-1], pool(x).shape[-1]]
    # the first call counts the layer's parameters; later ones share them
    counts = ["0", "shared", "shared"]
    assert shown == [
        f"`pool`: `MaxPool2d` → `[N, 3, {s}, {s}]` · {n} parameters"
        for s, n in zip(sizes, counts, strict=True)
    ]
