"""Build-time values known at check time: literals and arithmetic over them.

Used where a check needs a number rather than a type (a base model's keyword
arguments, the features a new head expects). Anything not known is UNKNOWN and the
check that asked simply says nothing.

`binary` is the one place build-time arithmetic is done, here and in the evaluator
of shape inference (shapes/modules.py): it refuses, before computing anything, a
result that would be too large to hold (`(10 ** 10000) ** 10000`, a list doubled
forty times), and it turns what Python would refuse (`1 // 0`) into an EvalProblem
the caller reports at the expression."""

from __future__ import annotations

import operator

from .. import ir

UNKNOWN = object()

#: Python's arithmetic, by the spelling of its operator (the evaluator of shape
#: inference applies the same table to symbolic sizes).
BINARY_OPS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
}  # fmt: skip

#: The largest build-time integer, in bits: 2**4096 is far beyond any size, and far
#: below what makes Python's arithmetic (or its int-to-str conversion) slow.
MAX_INT_BITS = 4096
#: The longest build-time string or list (Limits.max_items says the same for lists
#: when a check has its limits at hand).
MAX_LENGTH = 1_000_000
#: The longest string or list const_value builds: longer ones are checked by length
#: (binary) but not kept, so many constants cannot add up to gigabytes at check
#: time; the evaluator of shapes counts what it builds against its step budget.
KEPT_LENGTH = 10_000


class EvalProblem(Exception):
    """Python (or a limit) refuses this build-time operation."""

    def __init__(
        self, message: str, hint: str | None = None, limit: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        #: True: a resource limit (Python would compute it, slowly or not at all);
        #: False: Python itself raises
        self.limit = limit


def plain_number(value: object) -> bool:
    return isinstance(value, (int, float))  # bool is an int, as in Python


def check_int(value: int) -> int:
    """`value` itself, or EvalProblem when it is larger than a build-time int may be."""
    bits = value.bit_length()
    if bits > MAX_INT_BITS:
        raise EvalProblem(
            f"this value has {bits:,} bits; build-time integers are limited to "
            f"{MAX_INT_BITS:,}",
            hint="sizes and counts are far smaller; check the arithmetic",
            limit=True,
        )
    return value


def _least_bits(op: str, left: int, right: int) -> int:
    """A lower bound on the bits of `left op right` (for `*` and `**` of ints, with
    `right` >= 0 for `**`), computed without doing it: when even this is over the
    limit the result is refused; otherwise the result is at most about twice the
    limit, cheap to compute and then measured exactly."""
    a, b = abs(left).bit_length(), abs(right).bit_length()
    if op == "**":
        return (a - 1) * right + 1 if abs(left) > 1 else 0
    return a + b - 1 if left and right else 0


def result_length(op: str, left: object, right: object) -> int | None:
    """The length of `left op right` when it is a string, list or tuple made by
    `*` or `+`, computed without building it; None otherwise."""
    sized = (str, list, tuple)
    if op == "*":
        seq, count = (left, right) if isinstance(left, sized) else (right, left)
        if isinstance(seq, sized) and isinstance(count, int):
            return len(seq) * max(0, count)
    elif op == "+" and isinstance(left, sized) and isinstance(right, sized):
        return len(left) + len(right)
    return None


def check_length(op: str, left: object, right: object, max_length: int) -> None:
    """`[x] * n`, `"ab" * n`, `a + b` of lists, strings or tuples: refused when
    the result would be longer than `max_length`, before it is built."""
    length = result_length(op, left, right)
    if length is not None and length > max_length:
        text = isinstance(left, str) or isinstance(right, str)
        what = "string would have" if text else "list would have"
        unit = "characters" if text else "items"
        raise EvalProblem(
            f"this {what} {length:,} {unit}; the limit is {max_length:,}",
            limit=True,
        )


def binary(op: str, left: object, right: object, max_length: int = MAX_LENGTH):
    """`left op right` as Python computes it, for build-time values; EvalProblem
    where Python would raise or the result would be too large to hold."""
    check_length(op, left, right, max_length)
    ints = all(isinstance(v, int) for v in (left, right))
    if ints and (op == "*" or (op == "**" and right >= 0)):  # type: ignore[operator]
        bits = _least_bits(op, left, right)  # type: ignore[arg-type]
        if bits > MAX_INT_BITS:
            raise EvalProblem(
                f"this is too large to compute: at least {bits:,} bits, and "
                f"build-time integers are limited to {MAX_INT_BITS:,}",
                hint="sizes and counts are far smaller; check the arithmetic",
                limit=True,
            )
    try:
        result = BINARY_OPS[op](left, right)
    except ZeroDivisionError:
        raise EvalProblem(f"division by zero (`{op}` with 0 on the right)") from None
    except OverflowError as exc:
        raise EvalProblem(f"the result is too large: {exc}") from None
    if isinstance(result, int):
        check_int(result)
    elif isinstance(result, complex):  # (-8) ** 0.5 in Python
        raise EvalProblem("the result is a complex number")
    return result


def range_length(*args: int) -> int:
    """len(range(*args)) without len(), which raises OverflowError past
    sys.maxsize (`range(10**30)`): a length to compare with a limit, not to build.
    ValueError for a step of 0, as range() raises."""
    items = range(*args)
    step = items.step
    if step > 0:
        return max(0, (items.stop - items.start + step - 1) // step)
    return max(0, (items.start - items.stop - step - 1) // -step)


def const_value(expr: ir.Node, known: dict[str, object]) -> object:
    """The value of `expr` when it is computable from literals and `known` names."""
    if isinstance(expr, ir.Constant):
        return expr.value
    if isinstance(expr, ir.Name):
        return known.get(expr.id, UNKNOWN)
    if isinstance(expr, (ir.ListExpr, ir.TupleExpr)):
        items = [const_value(item, known) for item in expr.items]
        if any(item is UNKNOWN for item in items):
            return UNKNOWN
        return items if isinstance(expr, ir.ListExpr) else tuple(items)
    if isinstance(expr, ir.UnaryOp):
        value = const_value(expr.operand, known)
        if expr.op == "not":
            return UNKNOWN if value is UNKNOWN else not value
        return (
            (-value if expr.op == "-" else +value) if plain_number(value) else UNKNOWN
        )
    if isinstance(expr, (ir.BoolOp, ir.Compare, ir.IfExp)):
        return _logic_value(expr, known)
    if isinstance(expr, ir.DictExpr):  # a table of build-time values
        keys = [const_value(k, known) for k in expr.keys]
        values = [const_value(v, known) for v in expr.values]
        if UNKNOWN in keys or UNKNOWN in values or not all(_hashable(k) for k in keys):
            return UNKNOWN
        return dict(zip(keys, values, strict=True))
    if isinstance(expr, ir.FString):
        try:
            return fstring_value(expr, lambda part: const_value(part, known))
        except (ValueError, TypeError):  # a spec that does not fit: check/dicts.py
            return UNKNOWN
    if isinstance(expr, ir.BinOp) and expr.op in BINARY_OPS:
        left, right = const_value(expr.left, known), const_value(expr.right, known)
        if not all(isinstance(v, _OPERANDS) for v in (left, right)):
            return UNKNOWN
        try:
            value = binary(expr.op, left, right)
        except (EvalProblem, TypeError):  # reported where the expression is typed
            return UNKNOWN
        return value if not _long(value) else UNKNOWN
    return UNKNOWN


_OPERANDS = (int, float, str, list, tuple)
#: Comparisons as Python makes them (the evaluator in shapes/modules.py uses these too).
COMPARE = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def _logic_value(expr: ir.Node, known: dict[str, object]) -> object:
    """`and`, `or`, comparisons and `a if c else b` over known values, with Python's
    truth and short-circuit (`False and x` is False whatever x is)."""
    if isinstance(expr, ir.IfExp):
        cond = const_value(expr.cond, known)
        if cond is UNKNOWN:
            return UNKNOWN
        return const_value(expr.then if cond else expr.orelse, known)
    left = const_value(expr.left, known)
    if isinstance(expr, ir.BoolOp):
        if left is UNKNOWN:
            return UNKNOWN
        decided = (not left) if expr.op == "and" else bool(left)
        return left if decided else const_value(expr.right, known)
    right = const_value(expr.right, known)
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    try:
        return COMPARE[expr.op](left, right)
    except TypeError:  # `1 < "a"`: reported where the expression is typed
        return UNKNOWN


def _hashable(value: object) -> bool:
    return isinstance(value, (bool, int, float, str, tuple)) or value is None


def _long(value: object) -> bool:
    return isinstance(value, (str, list, tuple)) and len(value) > KEPT_LENGTH


def fstring_value(expr: ir.FString, value_of) -> object:
    """The text of an f-string whose fields `value_of` knows; UNKNOWN otherwise.
    ValueError when a spec does not fit its value (Python raises it too)."""
    pieces = []
    for part in expr.parts:
        if isinstance(part, ir.Constant):
            pieces.append(part.value)
            continue
        value = value_of(part.value)
        if not isinstance(value, (bool, int, float, str)) and value is not None:
            return UNKNOWN
        pieces.append(format(value, part.spec))
    return "".join(pieces)
