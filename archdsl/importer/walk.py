"""The module tree as `.arch` definitions: one block per Python class (one per
structure, when instances of a class differ in structure), a builder per
Sequential subclass, `Sequential(...)` and layer calls for torch.nn's own modules.

A definition is made when its class is first met, from all of the model's
instances of that class at once, so its parameters come from what differs between
them (params.py); each instance is then built by a call with its own values.
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from dataclasses import dataclass, field

import torch
from torch import nn

from .bases import builder_call, closest
from .exprs import (
    Call,
    Inexpressible,
    ListE,
    Lit,
    literals,
    replace_literals,
    shape_key,
)
from .forward import Forward, convert, convert_modes
from .layers import layer_call, registry_class
from .lists import ChildLoop, Joins, joined_dim, member_loop, take_joined
from .modes import merged, traced_modes, training_only
from .optional import merge
from .params import Param, infer
from .residual import merge_forwards
from .tables import table_of
from .target import Built


@dataclass
class Definition:
    kind: str  # "block", "builder" or "model"
    name: str
    params: list[Param]
    members: list[tuple[str, object]] = field(default_factory=list)
    forward: Forward | None = None
    problems: list[str] = field(default_factory=list)
    python: str = ""  # where the class is written, for diagnostics
    body: object = None  # a builder's expression
    extends: Call | None = None  # a torchvision model it changes


@dataclass
class _Template:
    module: nn.Module
    members: list[tuple[str, object]]
    forward: Forward | None
    problems: list[str]
    body: object = None
    graph: object = None  # the traced forward (optional.py compares structures)

    def expressions(self) -> list[object]:
        found = [e for _, e in self.members]
        if self.body is not None:
            found.append(self.body)
        if self.forward is not None:
            found += [e for _, e in self.forward.statements]
            found += list(self.forward.returns)
        return found

    def key(self) -> str:
        members = [(n, shape_key(e)) for n, e in self.members]
        body = shape_key(self.body) if self.body is not None else None
        if self.forward is None:
            return repr((members, body, None))
        forward = (
            self.forward.inputs,
            [(t, shape_key(e)) for t, e in self.forward.statements],
            [shape_key(r) for r in self.forward.returns],
        )
        return repr((members, body, forward))


class Walk:
    def __init__(self, built: Built) -> None:
        self.built = built
        self.user_code = not built.target.startswith("torchvision.")
        self.definitions: list[Definition] = []
        self.calls: dict[int, Call] = {}
        self.names: set[str] = set()
        self.in_progress: set[type] = set()
        self.joins = Joins()
        self.instances: dict[type, list[nn.Module]] = defaultdict(list)
        for module in built.model.modules():
            self.instances[type(module)].append(module)

    def run(self) -> list[Definition]:
        """The definitions, each after those it uses; the model last, its
        parameters the root's constructor arguments with the values used as
        defaults, so the spec builds the imported model as it stands."""
        root = self.built.model
        shared = _shared(root)
        if shared:  # a spec builds each member anew: the sharing would be lost
            raise Inexpressible(f"one module is used under several names: {shared}")
        if self.user_code:
            base = closest(root, self.built.arguments.get(id(root), {}))
            if base is not None and base[2]:
                return self._extends(root, base)
        template = self._template(root)
        arguments = self.built.arguments.get(id(root), {})
        slots = [lit for e in template.expressions() for lit in literals(e)]
        inferred = infer(type(root), [slots], [arguments])
        params = [
            Param(p.name, p.type, inferred.values[0][p.name]) for p in inferred.params
        ]
        model = Definition("model", self._name(type(root).__name__), params)
        self._fill(model, template, inferred.slots)
        model.python = _where(type(root))
        self.definitions.append(model)
        return self.definitions

    def _extends(self, root: nn.Module, base) -> list[Definition]:
        """A torchvision model with submodules replaced: `extends` and the paths."""
        builder, kwargs, replaced = base
        model = Definition("model", self._name(self.built.name), [])
        model.extends = builder_call(builder, kwargs)
        model.python = _where(type(root))
        for path in replaced:
            try:
                model.members.append((path, self.expr_of(root.get_submodule(path))))
            except Inexpressible as exc:
                model.problems.append(f"`{path}`: {exc}")
        self.definitions.append(model)
        return self.definitions

    # ---- one module, as its caller writes it --------------------------------------

    def expr_of(self, module: nn.Module) -> object:
        kind = type(module)
        if kind is nn.Sequential:
            return _sequential("Sequential", module, self.expr_of)
        if kind is nn.ModuleList:
            return Call("ModuleList", (ListE(tuple(self.expr_of(m) for m in module)),))
        if registry_class(module) is not None:
            return layer_call(module)
        if kind.__module__.startswith("torch.nn."):
            raise Inexpressible(f"`{kind.__name__}` is not a layer archdsl knows")
        if self.user_code and id(module) not in self.calls:
            base = closest(module, self.built.arguments.get(id(module), {}), exact=True)
            if base is not None:  # `net = torchvision.resnet50()`
                self.calls[id(module)] = builder_call(base[0], base[1])
        if id(module) not in self.calls:
            self._define(kind)
        return self.calls[id(module)]

    def _define(self, kind: type) -> None:
        if kind in self.in_progress:
            raise Inexpressible(f"`{kind.__name__}` contains itself")
        self.in_progress.add(kind)
        try:
            templates = [self._template(m) for m in self.instances[kind]]
        finally:
            self.in_progress.discard(kind)
        groups: dict[str, list[_Template]] = {}
        for template in templates:
            groups.setdefault(template.key(), []).append(template)
        ordered = sorted(groups.values(), key=len, reverse=True)
        if self._merged(kind, ordered):
            return
        found = merge_forwards(kind, ordered, self._arguments_of)
        if found is not None:  # residual.py; the other structures as before
            self._define_merged(kind, found[0])
            for n, group in enumerate(found[1], start=1):
                self._define_group(kind, group, n, ordered[0][0])
            return
        for n, group in enumerate(ordered):
            self._define_group(kind, group, n, ordered[0][0])

    def _define_group(self, kind: type, group: list[_Template], n: int, main) -> None:
        builder = group[0].body is not None
        name = self._name(
            kind.__name__ if n == 0 else _variant(kind, group[0], main, n)
        )
        arguments = [self.built.arguments.get(id(t.module), {}) for t in group]
        if len(group) == 1:  # one instance: a config object's fields tell nothing
            arguments = [_own_arguments(kind, arguments[0])]  # apart (target.py)
        slots = [[lit for e in t.expressions() for lit in literals(e)] for t in group]
        inferred = infer(kind, slots, arguments)
        definition = Definition(
            "builder" if builder else "block", name, inferred.params
        )
        definition.python = _where(kind)
        self._fill(definition, group[0], inferred.slots)
        for template, values in zip(group, inferred.values, strict=True):
            self.calls[id(template.module)] = _call(name, inferred.params, values)
        self.definitions.append(definition)

    def _arguments_of(self, module: nn.Module) -> dict[str, object]:
        return self.built.arguments.get(id(module), {})

    def _merged(self, kind: type, groups: list[list[_Template]]) -> bool:
        """One block for structures that differ by optional members (optional.py)."""
        merged = merge(kind, groups, self._arguments_of)
        if merged is None:
            return False
        self._define_merged(kind, merged)
        return True

    def _define_merged(self, kind: type, merged) -> None:
        name = self._name(kind.__name__)
        definition = Definition("block", name, merged.inferred.params)
        definition.python = _where(kind)
        definition.members = merged.members
        definition.forward = merged.forward
        for template, values in zip(
            merged.templates, merged.inferred.values, strict=True
        ):
            self.calls[id(template.module)] = _call(
                name, merged.inferred.params, values
            )
        self.definitions.append(definition)

    def _fill(self, definition: Definition, template: _Template, slots: list) -> None:
        """The definition's members and forward: the template with its slots replaced."""
        new = iter(slots)
        definition.members = [
            (n, replace_literals(e, new)) for n, e in template.members
        ]
        if template.body is not None:
            definition.body = replace_literals(template.body, new)
        if template.forward is not None:
            forward = template.forward
            statements = [(t, replace_literals(e, new)) for t, e in forward.statements]
            returns = tuple(replace_literals(r, new) for r in forward.returns)
            definition.forward = Forward(
                forward.inputs, statements, returns, forward.notes
            )
        definition.problems += template.problems

    def _template(self, module: nn.Module) -> _Template:
        kind = type(module)
        if isinstance(module, nn.Sequential) and kind.forward is nn.Sequential.forward:
            body = _sequential("Sequential", module, self.expr_of)
            return _Template(module, [], None, [], body)
        members, problems = _tensors(module), []
        for name, child in module.named_children():
            try:
                members.append((name, self.expr_of(child)))
            except Inexpressible as exc:
                problems.append(f"member `{name}`: {exc}")
        taken = {n for n, _ in members} | set(self.built.arguments.get(id(module), {}))
        members = [(n, table_of(n, e, taken) or e) for n, e in members]  # VGG's
        forward, more, graph = self._forward(module)
        if forward is not None and any(
            isinstance(e, ChildLoop) for _, e in forward.statements
        ):
            members = member_loop(members)  # DenseNet's blocks
        return _Template(module, members, forward, problems + more, graph=graph)

    def _forward(self, module: nn.Module) -> tuple[Forward | None, list[str], object]:
        try:
            graph, evaluated = traced_modes(module)
        except Exception as exc:  # what fx cannot trace, whatever it raises
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            return (
                None,
                [
                    f"forward cannot be traced by torch.fx ({type(exc).__name__}: {first})"
                ],
                None,
            )
        members = {name for name, _ in module.named_children()}
        members |= {
            n
            for n, t in (*module._parameters.items(), *module._buffers.items())
            if t is not None
        }
        forward, problems = self._convert(graph, module, members)
        if evaluated is not None and forward is not None:  # modes.py
            other, problems = self._convert(evaluated, module, members)
            extra = training_only(graph, evaluated)

            def together():
                if extra is None:
                    return None
                return convert_modes(graph, evaluated, members, extra)

            forward = merged(forward, other, together) if other is not None else None
        return forward, problems, graph

    def _convert(self, graph, module: nn.Module, members: set[str]):
        # lists of tensors (DenseNet), restructured as lists.py says
        taken = members | {n.name for n in graph.nodes if n.op == "placeholder"}
        loop = self.joins.child_loop(graph, module, taken)
        if loop is not None:
            return loop, []
        if module is not self.built.model and joined_dim(graph) is not None:
            take_joined(graph)
        self.joins.join_arguments(graph, module)
        return convert(graph, members)

    def _name(self, wanted: str) -> str:
        name, n = wanted, 1
        while name in self.names:
            n += 1
            name = f"{wanted}{n}"
        self.names.add(name)
        return name


def _shared(root: nn.Module) -> str:
    """`a` and `b` for a module that is both (weights tied), else ''."""
    seen: dict[int, str] = {}
    for name, module in root.named_modules(remove_duplicate=False):
        if id(module) in seen and name:
            return f"`{seen[id(module)]}` and `{name}`"
        seen.setdefault(id(module), name)
    return ""


def _tensors(module: nn.Module) -> list[tuple[str, object]]:
    """The module's own parameters and buffers as members, by shape: their values
    come from the state a user loads (the original's initialisation is not
    imported). They come first, as in the state_dict, whatever the Python's order."""
    members: list[tuple[str, object]] = []
    for name, tensor in module._parameters.items():
        if tensor is not None:
            members.append((name, Call("Parameter", (_zeros(tensor),))))
    for name, tensor in module._buffers.items():
        if tensor is not None:
            keep = (
                ()
                if name not in module._non_persistent_buffers_set
                else (("persistent", Lit(False)),)
            )
            members.append((name, Call("Buffer", (_zeros(tensor),), keep)))
    return members


def _zeros(tensor) -> Call:
    if tensor.dtype not in (torch.float32,):
        raise Inexpressible(f"holds a {tensor.dtype} tensor")
    return Call("zeros", tuple(Lit(d, "size") for d in tensor.shape))


def _sequential(func: str, module: nn.Module, expr_of) -> Call:
    names = [name for name, _ in module.named_children()]
    children = [expr_of(child) for _, child in module.named_children()]
    if names == [str(i) for i in range(len(names))]:
        return Call(func, tuple(children))
    if not all(n.isidentifier() for n in names):
        raise Inexpressible(f"a Sequential's children are named {names}")
    return Call(func, (), tuple(zip(names, children, strict=True)))


def _call(name: str, params: list[Param], values: dict[str, object]) -> Call:
    """The call that builds one instance. Every parameter is a slot, those with a
    default as keywords (emit.py leaves out the ones at their default), so that
    callers differing only in such a value still share one structure."""
    args, kwargs = [], []
    for param in params:
        value = values[param.name]
        if not param.has_default:
            args.append(Lit(value, param.name))
        else:
            kwargs.append((param.name, Lit(value, param.name, param.default)))
    return Call(name, tuple(args), tuple(kwargs))


def _variant(kind: type, template: _Template, main: _Template, n: int) -> str:
    """`BottleneckDownsample`: the class name and the members only this variant has."""
    extra = [m for m, _ in template.members if m not in dict(main.members)]
    words = "".join(part.capitalize() for m in extra for part in m.split("_"))
    if not words or len(extra) > 2:
        return f"{kind.__name__}{n + 1}"
    return f"{kind.__name__}{words}"


def _own_arguments(kind: type, arguments: dict[str, object]) -> dict[str, object]:
    """The arguments `kind`'s constructor names itself, without the fields read
    from a config object among them."""
    try:
        own = inspect.signature(kind.__init__).parameters
    except (TypeError, ValueError):
        return arguments
    return {k: v for k, v in arguments.items() if k in own}


def _where(kind: type) -> str:
    try:
        file = inspect.getsourcefile(kind) or "?"
        line = inspect.getsourcelines(kind)[1]
    except (TypeError, OSError):
        return kind.__qualname__
    return f"{file}:{line}"
