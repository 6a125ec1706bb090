"""How long `archdsl lsp` takes to answer an edit of a 500-line spec with its
diagnostics, measured the way an editor meets it: a pygls client drives the server
over stdio, changes one line, and times until the server publishes diagnostics for
that version. Each kind of edit runs `--reps` times; medians and the 90th
percentile are printed and written to JSON (--json), with the load average.

    .venv/bin/python benchmarks/lsp_latency.py [--reps 30] [--json out.json] \
        [--tree "before=DIR" ...]

`--tree NAME=DIR` also runs the server from another source tree (an older commit
exported with `git archive`): one server per tree, the same edit sent to each in
turn, so the trees are compared side by side under the same load.

The spec: 36 residual blocks and one model chaining them all, with a declared
input (benchmarks/incremental_edits.py `every_block`). Edits: a default inside one
block (the common keystroke: archdsl.incremental checks that block and the model
again, and the model's shape inference reuses every other block's results), a
typo in a layer argument (an error: the whole spec is checked), and its fix.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

from incremental_edits import BLOCKS, every_block
from lsprotocol import types as lsp
from pygls.lsp.client import BaseLanguageClient

ROOT = Path(__file__).resolve().parents[1]


def spec_text(width: int = 16) -> str:
    """About 500 lines: every block used by one model (incremental_edits.py)."""
    return every_block(width)


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


async def _open(tree: Path, uri: str, text: str) -> Client:
    """A client talking to `archdsl lsp` run from `tree`, with the spec open."""
    client = Client()
    await client.start_io(sys.executable, "-m", "archdsl", "lsp", cwd=tree)
    await client.initialize_async(
        lsp.InitializeParams(capabilities=lsp.ClientCapabilities())
    )
    client.initialized(lsp.InitializedParams())
    client.versions[uri] = 1
    client.published[1] = asyncio.get_running_loop().create_future()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=uri, language_id="arch", version=1, text=text
            )
        )
    )
    assert await client.published[1] == [], "the benchmark spec must check clean"
    return client


EDITS = ("edit in one block", "typo (error)", "fix")


async def measure(reps: int, trees: dict[str, Path]) -> dict:
    uri = (Path.cwd() / "bench_500_lines.arch").as_uri()
    base = spec_text()
    clients = {name: await _open(tree, uri, base) for name, tree in trees.items()}
    times = {name: {edit: [] for edit in EDITS} for name in trees}
    version = 1
    for rep in range(reps):
        block = rep % BLOCKS
        edited = base.replace(f"block Res{block}(c: int, scale: float = 1.0)",
                              f"block Res{block}(c: int, scale: float = {rep + 2}.0)")  # fmt: skip
        typo = edited.replace("bias=False)", "bais=False)", 1)
        texts = (edited, typo, edited)
        for name, text, errors in zip(EDITS, texts, (0, 1, 0), strict=True):
            version += 1
            for tree, client in clients.items():  # the same edit, tree by tree
                seconds, diagnostics = await _edit(client, uri, version, text)
                assert bool(diagnostics) == errors, (tree, name, diagnostics)
                times[tree][name].append(seconds)
    for client in clients.values():
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    return {
        tree: {
            name: {
                "median_ms": round(statistics.median(values) * 1000, 2),
                "p90_ms": round(sorted(values)[int(len(values) * 0.9) - 1] * 1000, 2),
                "reps": len(values),
            }
            for name, values in edits.items()
        }
        for tree, edits in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument(
        "--tree", action="append", default=[], metavar="NAME=DIR",
        help="also run the server from this source tree, side by side",
    )  # fmt: skip
    args = parser.parse_args()
    trees = {"this tree": ROOT}
    trees |= {n: Path(d).resolve() for n, d in (t.split("=", 1) for t in args.tree)}
    lines = spec_text().count("\n")
    load_before = os.getloadavg()
    edits = asyncio.run(measure(args.reps, trees))
    results = {
        "spec_lines": lines,
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "edits": edits,
    }
    print(f"archdsl lsp: diagnostics after an edit of a {lines}-line spec")
    for tree, rows in edits.items():
        for name, row in rows.items():
            print(
                f"  {tree:<20} {name:<20} median {row['median_ms']:8.2f} ms"
                f"   p90 {row['p90_ms']:8.2f} ms"
            )
    print(f"  load average before {load_before}, after {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
