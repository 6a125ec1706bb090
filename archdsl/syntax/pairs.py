"""torchvision's spelling of a named Sequential, `OrderedDict([("conv0", ...),
("norm0", ...)])`, read as the dict it makes: `OrderedDict({"conv0": ...})`. A list
of (key, module) pairs, or a comprehension of them, becomes a DictExpr or a
DictComp, so the checks, shapes and codegen know one form (codegen writes the
dict)."""

from __future__ import annotations

from .. import ir


def ordered_pairs(call: ir.Call) -> ir.Call:
    """`call` with its list of pairs as a dict, when it is `OrderedDict([...])`
    of two-item tuples written out; else `call` unchanged."""
    func = call.func
    if not (isinstance(func, ir.Name) and func.id == "OrderedDict"):
        return call
    if len(call.args) != 1 or not isinstance(call.args[0], ir.Positional):
        return call
    given = call.args[0].value
    as_dict = _pairs(given)
    if as_dict is None:
        return call
    arg = ir.Positional(value=as_dict, span=given.span)
    return ir.Call(func=func, args=(arg,), span=call.span)


def _pairs(given: ir.Node) -> ir.Node | None:
    if isinstance(given, ir.ListExpr) and all(_pair(i) for i in given.items):
        return ir.DictExpr(
            keys=tuple(item.items[0] for item in given.items),  # type: ignore[attr-defined]
            values=tuple(item.items[1] for item in given.items),  # type: ignore[attr-defined]
            span=given.span,
        )
    if isinstance(given, ir.ListComp) and _pair(given.elt):
        key, value = given.elt.items  # type: ignore[attr-defined]
        return ir.DictComp(key=key, value=value, clauses=given.clauses, span=given.span)
    return None


def _pair(item: ir.Node) -> bool:
    return isinstance(item, ir.TupleExpr) and len(item.items) == 2
