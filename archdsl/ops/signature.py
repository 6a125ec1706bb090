"""Signatures as data: what a layer, op, block or builder accepts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .nn_signatures import OPAQUE, REQUIRED

ParamKind = Literal["pos", "kw", "var"]


@dataclass(frozen=True)
class ParamSpec:
    name: str
    kind: ParamKind = "pos"
    default: object = REQUIRED
    types: tuple[str, ...] = ("any",)
    choices: tuple[str, ...] | None = None

    @property
    def required(self) -> bool:
        return self.default == REQUIRED and self.kind != "var"


@dataclass(frozen=True)
class Signature:
    params: tuple[ParamSpec, ...]
    #: `Sequential(fc1=Linear(...), ...)`: keywords name children (the OrderedDict form)
    named_children: bool = False

    @classmethod
    def from_table(
        cls, rows: tuple[tuple, ...], named_children: bool = False
    ) -> Signature:
        return cls(tuple(ParamSpec(*row) for row in rows), named_children)

    def param(self, name: str) -> ParamSpec | None:
        return next(
            (p for p in self.params if p.name == name and p.kind != "var"), None
        )

    @property
    def positional(self) -> list[ParamSpec]:
        return [p for p in self.params if p.kind == "pos"]

    @property
    def variadic(self) -> ParamSpec | None:
        return next((p for p in self.params if p.kind == "var"), None)

    def describe(self) -> str:
        parts = []
        for p in self.params:
            text = f"*{p.name}" if p.kind == "var" else p.name
            if not p.required and p.kind != "var":
                text += "=..." if p.default == OPAQUE else f"={p.default!r}"
            parts.append(text)
        return "(" + ", ".join(parts) + ")"


def bind_arguments(
    sig: Signature, positional: list[Any], keywords: dict[str, Any]
) -> dict[str, Any]:
    """A layer's or op's argument values by parameter name, with torch's literal
    defaults filled in (what the shape and parameter rules read)."""
    args: dict[str, Any] = {
        p.name: p.default
        for p in sig.params
        if p.default not in (REQUIRED, OPAQUE) and p.kind != "var"
    }
    args.update(zip([p.name for p in sig.positional], positional, strict=False))
    args.update(keywords)
    return args
