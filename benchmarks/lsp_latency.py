"""How long `archdsl lsp` takes to answer an edit of a 500-line spec with its
diagnostics, measured the way an editor meets it: a pygls client drives the server
over stdio, changes one line, and times until the server publishes diagnostics for
that version. Each kind of edit runs `--reps` times; medians and the 90th
percentile are printed and written to JSON (--json).

    .venv/bin/python benchmarks/lsp_latency.py [--reps 30] [--json out.json]

Edits: a number inside one block (the common keystroke: only that block's
definition is parsed and checked again by archdsl.incremental), a typo in a layer
argument (an error: the whole spec is checked), and its fix.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import BaseLanguageClient

BLOCKS = 36


def spec_text(width: int = 16) -> str:
    """About 500 lines: BLOCKS residual blocks of 11 lines and a model chaining them,
    with a declared input so that shapes are inferred through every block."""
    lines = []
    for i in range(BLOCKS):
        lines += [
            f"block Res{i}(c: int, scale: float = 1.0) {{",
            "    conv1 = Conv2d(c, c, kernel_size=3, padding=1, bias=False)",
            "    bn1 = BatchNorm2d(c)",
            "    relu = ReLU(inplace=True)",
            f"    conv2 = Conv2d(c, c, kernel_size=3, padding={1}, bias=False)",
            "    bn2 = BatchNorm2d(c)",
            "    forward(x) {",
            "        out = relu(bn1(conv1(x)))",
            "        return relu(bn2(conv2(out)) * scale + x)",
            "    }",
            "}",
            "",
        ]
    lines.append("model Deep() {")
    lines += [f"    r{i} = Res{i}({width})" for i in range(BLOCKS)]
    lines.append(f"    forward(x: [N, {width}, H, W]) {{")
    lines += [f"        x = r{i}(x)" for i in range(BLOCKS)]
    lines += ["        return x", "    }", "}", ""]
    return "\n".join(lines)


class Client(BaseLanguageClient):
    def __init__(self) -> None:
        super().__init__("archdsl-bench", "0")
        self.published: dict[int, asyncio.Future] = {}
        self.versions: dict[str, int] = {}

        @self.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: lsp.PublishDiagnosticsParams) -> None:
            future = self.published.get(self.versions.get(params.uri, 0))
            if future is not None and not future.done():
                future.set_result(params.diagnostics)


async def _edit(
    client: Client, uri: str, version: int, text: str
) -> tuple[float, list]:
    client.versions[uri] = version
    future = client.published[version] = asyncio.get_running_loop().create_future()
    start = time.perf_counter()
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeEvent_Type2(text=text)],
        )
    )
    diagnostics = await future
    return time.perf_counter() - start, diagnostics


async def measure(reps: int) -> dict:
    client = Client()
    await client.start_io(sys.executable, "-m", "archdsl", "lsp")
    await client.initialize_async(
        lsp.InitializeParams(capabilities=lsp.ClientCapabilities())
    )
    client.initialized(lsp.InitializedParams())
    uri = (Path.cwd() / "bench_500_lines.arch").as_uri()
    base = spec_text()
    client.versions[uri] = 1
    client.published[1] = asyncio.get_running_loop().create_future()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=uri, language_id="arch", version=1, text=base
            )
        )
    )
    assert await client.published[1] == [], "the benchmark spec must check clean"
    times: dict[str, list[float]] = {
        "edit in one block": [],
        "typo (error)": [],
        "fix": [],
    }
    version = 1
    for rep in range(reps):
        block = rep % BLOCKS
        edited = base.replace(f"block Res{block}(c: int, scale: float = 1.0)",
                              f"block Res{block}(c: int, scale: float = {rep + 2}.0)")  # fmt: skip
        typo = edited.replace("bias=False)", "bais=False)", 1)
        for name, text, errors in (
            ("edit in one block", edited, False),
            ("typo (error)", typo, True),
            ("fix", edited, False),
        ):
            version += 1
            seconds, diagnostics = await _edit(client, uri, version, text)
            assert bool(diagnostics) == errors, (name, diagnostics)
            times[name].append(seconds)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {
        name: {
            "median_ms": round(statistics.median(values) * 1000, 2),
            "p90_ms": round(sorted(values)[int(len(values) * 0.9) - 1] * 1000, 2),
            "reps": len(values),
        }
        for name, values in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    lines = spec_text().count("\n")
    results = {"spec_lines": lines, "edits": asyncio.run(measure(args.reps))}
    print(f"archdsl lsp: diagnostics after an edit of a {lines}-line spec")
    for name, row in results["edits"].items():
        print(
            f"  {name:<20} median {row['median_ms']:8.2f} ms   p90 {row['p90_ms']:8.2f} ms"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
