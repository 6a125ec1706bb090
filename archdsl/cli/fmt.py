"""`archdsl fmt`: rewrite .arch files in the one canonical layout."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from ..errors import ArchError, Diagnostic


def register(commands) -> argparse.ArgumentParser:
    fmt = commands.add_parser(
        "fmt",
        help="format .arch files in place",
        description="Rewrite .arch files in place in the canonical layout (lines of "
        "at most 88 columns, ruff's magic trailing commas, comments kept). A "
        "directory means every .arch file under it; `-` reads standard input and "
        "writes the formatted text to standard output. A file with a syntax error "
        "is reported and left alone.",
    )
    fmt.add_argument(
        "files", nargs="+", metavar="FILE", help=".arch file, directory or -"
    )
    fmt.add_argument(
        "--check",
        action="store_true",
        help="write nothing; list the files that would change and exit 1 if any",
    )
    fmt.add_argument(
        "--diff",
        action="store_true",
        help="write nothing; print a unified diff of each change to standard "
        "output and exit 1 if any",
    )
    fmt.set_defaults(run=run)
    return fmt


def run(args: argparse.Namespace) -> int:
    from ..fmt import format_text

    if args.files == ["-"]:
        print(format_text(sys.stdin.read(), "<stdin>"), end="")
        return 0
    found: list[Diagnostic] = []
    changed = unchanged = 0
    for path in _arch_files(args.files, found):
        try:
            text = _read(path)
            formatted = format_text(text, str(path))
        except ArchError as exc:
            found += exc.diagnostics
            continue
        if formatted == text:
            unchanged += 1
            continue
        changed += 1
        _apply(args, path, text, formatted)
    if found:
        from ..errors import render_all

        print(render_all(found), file=sys.stderr)
    print(_summary(args, changed, unchanged), file=sys.stderr)
    would_fail = (args.check or args.diff) and changed
    return 1 if found or would_fail else 0


def _apply(args: argparse.Namespace, path: Path, text: str, formatted: str) -> None:
    if args.diff:
        name = str(path)
        sys.stdout.writelines(
            difflib.unified_diff(
                text.splitlines(True), formatted.splitlines(True), name, name
            )
        )
    elif args.check:
        print(f"would reformat {path}", file=sys.stderr)
    else:
        from ..output import write_atomic

        write_atomic(path, formatted)


def _summary(args: argparse.Namespace, changed: int, unchanged: int) -> str:
    verb = "would be reformatted" if args.check or args.diff else "reformatted"
    return f"{_files(changed)} {verb}, {_files(unchanged)} left unchanged"


def _files(count: int) -> str:
    return f"{count} file{'' if count == 1 else 's'}"


def _arch_files(names: list[str], found: list[Diagnostic]) -> list[Path]:
    """The files named, with a directory standing for its .arch files (sorted)."""
    files: list[Path] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.arch") if p.is_file())
        elif path.exists() or path.suffix == ".arch":
            files.append(path)
        else:
            found.append(Diagnostic(f"no such file or directory: {name}"))
    return files


def _read(path: Path) -> str:
    from ..pipeline import read_source

    return read_source(path).text
