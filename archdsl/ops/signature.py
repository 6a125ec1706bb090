"""Signatures as data: what a layer, op, block or builder accepts."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from ..records import dataclass
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

    # What calls read of a signature, worked out on first use and kept on the
    # (frozen) instance: every layer call of a spec binds against one of ~200.

    def param(self, name: str) -> ParamSpec | None:
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, ParamSpec]:
        named: dict[str, ParamSpec] = {}
        for p in self.params:
            if p.kind != "var":
                named.setdefault(p.name, p)  # the first of a name, as Python binds
        return named

    @cached_property
    def positional(self) -> tuple[ParamSpec, ...]:
        return tuple(p for p in self.params if p.kind == "pos")

    @cached_property
    def variadic(self) -> ParamSpec | None:
        return next((p for p in self.params if p.kind == "var"), None)

    @cached_property
    def defaults(self) -> dict[str, Any]:
        """The literal defaults by name (what bind_arguments starts from)."""
        return {
            p.name: p.default
            for p in self.params
            if p.default not in (REQUIRED, OPAQUE) and p.kind != "var"
        }

    @cached_property
    def positional_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.positional)

    @cached_property
    def names(self) -> frozenset[str]:
        """Every parameter's name, the variadic one's too."""
        return frozenset(p.name for p in self.params)

    @cached_property
    def required_names(self) -> tuple[str, ...]:
        """The parameters a call must give, in order."""
        return tuple(p.name for p in self.params if p.required)

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
    args = sig.defaults.copy()
    args.update(zip(sig.positional_names, positional, strict=False))
    args.update(keywords)
    return args
