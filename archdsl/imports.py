"""`import "x.arch"`: merge the definitions of imported files into one program.

`import "x.arch"` brings in every name `x.arch` has (its own definitions and what it
imported by name); `from "x.arch" import A` brings in `A` alone. Either way the
definitions those names build on come along, so the generated module has them, but
only the imported names may be used by the importing spec."""

from __future__ import annotations

from pathlib import Path

from . import ir
from .errors import ArchError, Diagnostic, did_you_mean
from .ir.walk import walk_expr
from .records import dataclass
from .source import Source
from .syntax import parse_source


@dataclass
class _Resolved:
    """One file with its imports followed."""

    definitions: list[ir.Node]  # everything it needs, imported ones first
    visible: set[str]  # the names it defines or imported: what others may import


def resolve_imports(program: ir.Program, source: Source) -> ir.Program:
    """The program with the imported definitions first, in import order. Paths
    resolve relative to the importing file; cycles, missing files and names a
    file lacks are diagnostics."""
    if not program.imports:
        return program
    resolved = _resolve(program, source, stack=[_key(source)], cache={})
    return program.model_copy(update={"definitions": tuple(resolved.definitions)})


def _key(source: Source) -> str:
    return str(Path(source.path).resolve()) if source.path != "<string>" else "<string>"


def _resolve(program, source, stack, cache) -> _Resolved:
    base = Path(source.path).parent if source.path != "<string>" else Path.cwd()
    imported: dict[tuple[str, str], ir.Node] = {}
    granted: dict[str, ir.Import] = {}  # a visible imported name -> its import
    hidden: dict[str, ir.Import] = {}  # a name brought in only as a dependency
    for imp in program.imports:
        key = str(_import_path(imp, base))
        if key in stack:
            raise ArchError(
                [Diagnostic(f"import cycle through `{imp.path}`", imp.span)]
            )
        if key not in cache:
            cache[key] = _resolve_file(imp, Path(key), [*stack, key], cache)
        lib = cache[key]
        chosen = lib.visible if imp.names is None else _named(imp, lib)
        for definition in _with_dependencies(chosen, lib.definitions):
            imported.setdefault(_identity(definition), definition)
            if definition.name not in chosen:
                hidden.setdefault(definition.name, imp)
        granted.update(dict.fromkeys(chosen, imp))
    own = list(program.definitions)
    hidden = {n: i for n, i in hidden.items() if n not in granted}
    _check_clashes(own, imported, hidden)
    _check_hidden_uses(own, hidden)
    return _Resolved([*imported.values(), *own], set(granted) | {d.name for d in own})


def _identity(definition: ir.Node) -> tuple[str, str]:
    span = definition.span
    return (span.path if span is not None else "", definition.name)


def _import_path(imp: ir.Import, base: Path) -> Path:
    """The imported file, links followed; only a `.arch` file may be imported, so a
    link to any other file is refused before a byte of it is read (and shown)."""
    if not imp.path.endswith(".arch"):
        raise ArchError(
            [Diagnostic(f"cannot import `{imp.path}`: only .arch files are imported",
                        imp.span)]
        )  # fmt: skip
    try:
        path = (base / imp.path).resolve()
    # ValueError: a NUL in the path; RuntimeError: a symlink loop (Python < 3.13)
    except (OSError, ValueError, RuntimeError) as exc:
        reason = "a symlink loop" if isinstance(exc, RuntimeError) else str(exc)
        raise ArchError(
            [Diagnostic(f"cannot import `{imp.path}`: {reason}", imp.span)]
        ) from None
    if path.suffix != ".arch":
        raise ArchError(
            [Diagnostic(f"cannot import `{imp.path}`: it is a link to a file that is "
                        "not a .arch file", imp.span,
                        hint="only .arch files are imported")]
        )  # fmt: skip
    return path


def _resolve_file(imp: ir.Import, path: Path, stack, cache) -> _Resolved:
    try:
        imported = Source.from_file(path)
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        reason = getattr(exc, "strerror", None) or str(exc)
        if isinstance(exc, UnicodeDecodeError):
            reason = f"not UTF-8 text ({exc.reason})"
        raise ArchError(
            [Diagnostic(f"cannot import `{imp.path}`: {reason}", imp.span)]
        ) from None
    return _resolve(parse_source(imported), imported, stack, cache)


def _named(imp: ir.Import, lib: _Resolved) -> set[str]:
    missing = [name for name in imp.names or () if name not in lib.visible]
    if missing:
        raise ArchError(
            [Diagnostic(f"`{imp.path}` defines no `{name}`", imp.span,
                        hint=did_you_mean(name, lib.visible)
                        or f"it has {', '.join(f'`{n}`' for n in sorted(lib.visible)) or 'nothing'}")
             for name in missing]
        )  # fmt: skip
    return set(imp.names or ())


def _with_dependencies(names: set[str], definitions: list[ir.Node]) -> list[ir.Node]:
    """The definitions named, and those they build (transitively), in file order.
    A dependency is any name in a definition that names another definition."""
    by_name = {d.name: d for d in definitions}
    needed, todo = set(), [n for n in names if n in by_name]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        if isinstance(by_name[name], ir.Variant):  # `model resnet50 = ResNet(...)`
            todo.append(by_name[name].model)
        for node in walk_expr(by_name[name]):
            if isinstance(node, ir.Name) and node.id in by_name:
                todo.append(node.id)
            elif isinstance(node, ir.Path) and node.parts[0] in by_name:
                todo.append(node.parts[0])  # `Bottleneck.expansion`
    return [d for d in definitions if d.name in needed]


def _check_clashes(own, imported, hidden) -> None:
    """A local definition named like one an import brought in only as a dependency
    would be two classes of one name in the generated module."""
    found = []
    for definition in own:
        imp = hidden.get(definition.name)
        if imp is not None:
            found.append(
                Diagnostic(
                    f"`{definition.name}` is also defined in `{imp.path}`, and "
                    f"{', '.join(f'`{n}`' for n in imp.names or ())}, imported from "
                    "there, builds on it",
                    definition.span,
                    hint="rename one of them",
                )
            )
    names = [name for _, name in imported]
    for name in sorted({n for n in names if names.count(n) > 1 and n in hidden}):
        found.append(
            Diagnostic(f"two imported files each define `{name}`, which what is "
                       "imported from them uses", hidden[name].span,
                       hint="rename one of them")
        )  # fmt: skip
    if found:
        raise ArchError(found)


def _check_hidden_uses(own, hidden) -> None:
    """A name an import brought in only as a dependency is not this file's to use."""
    found = []
    for definition in own:
        for node in walk_expr(definition):
            if (
                isinstance(node, ir.Call)
                and isinstance(node.func, ir.Name)
                and node.func.id in hidden
            ):
                imp = hidden[node.func.id]
                found.append(
                    Diagnostic(
                        f"`{node.func.id}` is not imported: this file imports only "
                        f"{', '.join(f'`{n}`' for n in imp.names or ())} from "
                        f"`{imp.path}`",
                        node.func.span or node.span,
                        hint=f'add it: from "{imp.path}" import '
                        f"{', '.join([*(imp.names or ()), node.func.id])}",
                    )
                )
    if found:
        raise ArchError(found)
