"""Options and values that several commands share: -p, --input-shape, limits, --force,
and how diagnostics are reported."""

from __future__ import annotations

import argparse
import math
import sys

from ..errors import ArchError, Diagnostic, render_all


def force_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--force",
        action="store_true",
        help="overwrite files that archdsl did not generate",
    )


def param_option(command, help_text: str) -> None:
    command.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=help_text,
    )


def shape_options(command: argparse.ArgumentParser, help_shape: str) -> None:
    command.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="[NAME=]1,3,224,224",
        help=help_shape,
    )
    param_option(command, "a model parameter's value (for sizes that depend on it)")
    if not any(a.dest == "model" for a in command._actions):
        command.add_argument(
            "--model", help="which model (default: the spec's only one)"
        )


#: The resource limits a user may raise: (field of Limits, what it counts)
LIMIT_OPTIONS = (("max_params", "parameters"), ("max_modules", "modules built"))


def limit_options(command: argparse.ArgumentParser) -> None:
    from ..check import Limits

    for field, what in LIMIT_OPTIONS:
        default = getattr(Limits(), field)
        command.add_argument(
            f"--{field.replace('_', '-')}",
            type=positive,
            default=default,
            metavar="N",
            help=f"refuse a model with more {what} (default {default:,})",
        )


def limits(args: argparse.Namespace):
    from ..check import Limits

    return Limits(**{field: getattr(args, field) for field, _ in LIMIT_OPTIONS})


def positive(text: str) -> int:
    """A whole number, 1 or more: a limit (a negative one would turn it off) or
    --depth (0 would show an empty table)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number, 1 or more")
    return value


def parse_shape(item: str, example: str) -> tuple[str, tuple[int, ...]]:
    """`x=1,3,224,224` -> ("x", (1, 3, 224, 224)); the name may be empty."""
    name, _, dims = item.rpartition("=")
    try:
        shape = tuple(int(d) for d in dims.split(","))
    except ValueError:
        raise ArchError(
            [Diagnostic(f"--input-shape {item!r}: write {example}")]
        ) from None
    if any(d < 0 for d in shape):
        raise ArchError(
            [Diagnostic(f"--input-shape {item!r}: sizes cannot be negative")]
        )
    return name, shape


#: How deeply a -p list may nest: a list[int] needs one level.
MAX_PARAM_NESTING = 8


def parse_param(item: str) -> tuple[str, object]:
    name, sep, text = item.partition("=")
    if not sep or not name.isidentifier():
        raise ArchError([Diagnostic(f"--param {item[:80]!r}: write NAME=VALUE")])
    number = _parse_number(item, text)
    if number is not None:
        return name, number
    if text in ("True", "False", "true", "false"):  # as written in specs, or in JSON
        return name, text in ("True", "true")
    if text.startswith("["):  # a list[int] parameter: -p widths=[64,128]
        return name, _parse_list(item, text)
    return name, text


def _parse_number(item: str, text: str) -> int | float | None:
    """An int or a finite float, as a spec would hold it; None if not a number. A
    literal a spec could not hold is refused, never turned into `inf`."""
    digits = text.strip().removeprefix("-").removeprefix("+").replace("_", "")
    try:
        return int(text)
    except ValueError:
        if digits.isdigit():  # Python refuses ints of over 4,300 digits
            raise ArchError(
                [Diagnostic(f"--param {item[:80]!r}: the integer is too large")]
            ) from None
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        raise ArchError(
            [Diagnostic(f"--param {item[:80]!r}: {text[:40]} is not a finite number")]
        )
    return value


def _parse_list(item: str, text: str) -> list:
    # Nesting is measured before json reads it: JSON thousands deep would exhaust
    # the recursion limit, and no parameter type nests so.
    depth = deepest = 0
    for char in text:
        depth += {"[": 1, "]": -1}.get(char, 0)
        deepest = max(deepest, depth)
    value = None
    if deepest <= MAX_PARAM_NESTING:
        import json  # here and in report(): a plain `archdsl check` needs no json

        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            value = None
    if not isinstance(value, list) or not all(
        isinstance(v, (int, float, str)) for v in value
    ):
        raise ArchError(
            [Diagnostic(f"--param {item[:80]!r}: write a list as [1, 2, 3]")]
        )
    return value


def report(diagnostics: list[Diagnostic], args: argparse.Namespace) -> None:
    if getattr(args, "format", "text") == "json":
        import json

        print(json.dumps([d.to_json() for d in diagnostics], indent=2))
    elif diagnostics:
        print(render_all(diagnostics), file=sys.stderr)
