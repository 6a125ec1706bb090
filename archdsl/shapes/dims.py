"""Symbolic sizes: integer polynomials over named sizes (`N`, `H`, `n_classes`) and
floor divisions of them, kept in one canonical form so equal sizes compare equal.

A convolution turns `H` into `(H + 2*p - k) // s + 1`; two downsamplings of the same
input must meet as the same expression for `x + skip` to be accepted. The rules that
make that so are exact for integers (every atom is integer-valued):

    (c*q*X + b) // c     == q*X + b // c            (whole multiples leave the floor)
    (g*X + r) // (g*c)   == (X + r // g) // c       (common factors cancel)
    (X // a + r) // c    == (X + r*a) // (a*c)      (nested floors merge)

so `(H - 1) // 2 + 1` and `(H + 1) // 2` are one expression, and `H // 2 // 2` is
`H // 4`. Plain ints stay ints: a fully concrete shape never builds an expression.
"""

from __future__ import annotations

import math
from functools import total_ordering
from typing import TYPE_CHECKING

from ..records import dataclass

if TYPE_CHECKING:
    from fractions import Fraction

#: A monomial: the sorted atoms multiplied together; () is the constant term.
Monomial = tuple["Atom", ...]


@total_ordering
@dataclass(frozen=True)
class Sym:
    name: str

    def __str__(self) -> str:
        return self.name

    def __lt__(self, other: object) -> bool:
        return _atom_key(self) < _atom_key(other)  # type: ignore[arg-type]


@total_ordering
@dataclass(frozen=True)
class Floor:
    num: Poly
    den: int

    def __str__(self) -> str:
        return f"{_grouped(self.num)} // {self.den}"

    def __lt__(self, other: object) -> bool:
        return _atom_key(self) < _atom_key(other)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ParamSym(Sym):
    """A model parameter nobody gave (`extra`): an int that may be 0, where an
    input's size (`N`, `H`) is at least 1. Never equal to the Sym of that name."""

    def __lt__(self, other: object) -> bool:
        return _atom_key(self) < _atom_key(other)  # type: ignore[arg-type]


Atom = Sym | Floor


def _atom_key(atom: Atom) -> tuple[int, str, int]:
    if isinstance(atom, Sym):
        return (0, atom.name, isinstance(atom, ParamSym))
    return (1, str(atom), 0)


def least(atom: Sym) -> int:
    """The smallest value a symbol takes: 0 for a parameter, 1 for a size."""
    return 0 if isinstance(atom, ParamSym) else 1


class Poly:
    """Sum of coefficient * monomial; never a plain constant (that is an int)."""

    __slots__ = ("terms", "_hash")

    def __init__(self, terms: dict[Monomial, int]) -> None:
        self.terms = tuple(sorted((m, c) for m, c in terms.items() if c))
        self._hash = hash(self.terms)

    # ---- construction --------------------------------------------------------------

    @staticmethod
    def symbol(name: str) -> Poly:
        return Poly({(Sym(name),): 1})

    @staticmethod
    def parameter(name: str) -> Poly:
        return Poly({(ParamSym(name),): 1})

    @property
    def const(self) -> int:
        return dict(self.terms).get((), 0)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Poly) and self.terms == other.terms

    def __hash__(self) -> int:
        return self._hash

    # ---- arithmetic ----------------------------------------------------------------

    def __add__(self, other: object) -> Size:
        other_terms = _terms(other)
        if other_terms is None:
            return NotImplemented
        merged = dict(self.terms)
        for mono, coeff in other_terms:
            merged[mono] = merged.get(mono, 0) + coeff
        return _make(merged)

    __radd__ = __add__

    def __neg__(self) -> Size:
        return _make({m: -c for m, c in self.terms})

    def __sub__(self, other: object) -> Size:
        if _terms(other) is None:
            return NotImplemented
        return self + (-other)  # type: ignore[operator]

    def __rsub__(self, other: object) -> Size:
        return (-self) + other

    def __mul__(self, other: object) -> Size:
        other_terms = _terms(other)
        if other_terms is None:
            return NotImplemented
        product: dict[Monomial, int] = {}
        for m1, c1 in self.terms:
            for m2, c2 in other_terms:
                mono = tuple(sorted(m1 + m2))
                product[mono] = product.get(mono, 0) + c1 * c2
        return _make(product)

    __rmul__ = __mul__

    def __floordiv__(self, other: object) -> Size:
        if not isinstance(other, int) or isinstance(other, bool) or other <= 0:
            return NotImplemented
        return floordiv(self, other)

    def evaluate(self, env: dict[str, int]) -> int | None:
        total = 0
        for mono, coeff in self.terms:
            value = coeff
            for atom in mono:
                part = _evaluate_atom(atom, env)
                if part is None:
                    return None
                value *= part
            total += value
        return total

    @property
    def symbols(self) -> set[str]:
        found: set[str] = set()
        for mono, _ in self.terms:
            for atom in mono:
                found |= {atom.name} if isinstance(atom, Sym) else atom.num.symbols
        return found

    def __str__(self) -> str:
        parts: list[str] = []
        for mono, coeff in sorted(self.terms, key=lambda t: t[0] == ()):
            # a floor after a leading minus is grouped: -((H + 1) // 2), which is
            # not -(H + 1) // 2 in Python
            grouped = len(mono) > 1 or abs(coeff) != 1 or (coeff < 0 and not parts)
            text = "*".join(_factor(a, grouped) for a in mono)
            if not mono:
                text = str(abs(coeff))
            elif abs(coeff) != 1:
                text = f"{abs(coeff)}*{text}"
            sign = "-" if coeff < 0 else "+"
            parts.append(
                f"{sign} {text}" if parts else f"-{text}" if coeff < 0 else text
            )
        return " ".join(parts)

    __repr__ = __str__


#: A size: a known int or a symbolic polynomial.
Size = int | Poly


def floordiv(value: Size, den: int) -> Size:
    """`value // den` for a positive `den`, in canonical form."""
    if isinstance(value, int):
        return value // den
    if den == 1:
        return value
    outside: dict[Monomial, int] = {}
    inside: dict[Monomial, int] = {}
    for mono, coeff in value.terms:
        whole, rest = divmod(coeff, den)
        outside[mono] = whole
        if rest:
            inside[mono] = rest
    rest_const = inside.pop((), 0)
    if not inside:
        return _make(outside)  # 0 <= rest_const < den: nothing of it survives
    common = math.gcd(den, *inside.values())
    if common > 1:
        inside = {m: c // common for m, c in inside.items()}
        rest_const //= common
        den //= common
    floored = _merge_nested(inside, rest_const, den)
    return _make(outside) + floored


def _merge_nested(inside: dict[Monomial, int], const: int, den: int) -> Size:
    """`(X // a + r) // den` is `(X + r*a) // (a*den)`."""
    if den == 1:
        return _make({**inside, (): const})
    (mono, coeff), *others = inside.items()
    if not others and coeff == 1 and len(mono) == 1 and isinstance(mono[0], Floor):
        inner = mono[0]
        return floordiv(inner.num + const * inner.den, inner.den * den)
    num = _make({**inside, (): const})
    assert isinstance(num, Poly)
    return Poly({(Floor(num, den),): 1})


def ceildiv(value: Size, den: int) -> Size:
    return floordiv(value + (den - 1), den)


def _make(terms: dict[Monomial, int]) -> Size:
    poly = Poly(terms)
    if not poly.terms:
        return 0
    if len(poly.terms) == 1 and poly.terms[0][0] == ():
        return poly.terms[0][1]
    return poly


def _terms(value: object) -> tuple[tuple[Monomial, int], ...] | None:
    if isinstance(value, Poly):
        return value.terms
    if isinstance(value, int) and not isinstance(value, bool):
        return (((), value),)
    return None


def _evaluate_atom(atom: Atom, env: dict[str, int]) -> int | None:
    if isinstance(atom, Sym):
        return env.get(atom.name)
    num = atom.num.evaluate(env)
    return None if num is None else num // atom.den


def _factor(atom: Atom, in_product: bool) -> str:
    return f"({atom})" if isinstance(atom, Floor) and in_product else str(atom)


def _grouped(poly: Poly) -> str:
    text = str(poly)
    return f"({text})" if len(poly.terms) > 1 or " " in text else text


def symbol(name: str) -> Poly:
    return Poly.symbol(name)


def parameter(name: str) -> Poly:
    """An int parameter nobody gave: a symbol that may be 0 (see ParamSym)."""
    return Poly.parameter(name)


def evaluate(size: Size, env: dict[str, int]) -> int | None:
    return size if isinstance(size, int) else size.evaluate(env)


def show(size: object) -> str:
    return str(size) if isinstance(size, (int, Poly)) else "?"


# ---- deciding that a size can never be zero --------------------------------------------

#: A real-valued polynomial over symbols: monomial (sorted symbols) -> coefficient
#: (a Fraction).
_Bound = dict[tuple[Sym, ...], "Fraction"]


def never_zero(size: Size) -> bool:
    """Whether `size` is nonzero for every value of its symbols (sizes >= 1,
    parameters >= 0).

    Sound, not complete: each floor is replaced by the linear bound that makes the
    expression smallest (or largest), and the bound is shown positive (or negative)
    when all its non-constant coefficients share that sign and it holds with every
    symbol at its least value. `H - H // 2` is at least `H / 2`, so never zero; `H - 2*(H // 2)`
    is zero for even H, and nothing is claimed."""
    if isinstance(size, int):
        return size != 0
    low, high = _bounds(size)
    if low is not None and _positive_everywhere(low):
        return True
    return high is not None and _positive_everywhere({m: -c for m, c in high.items()})


def at_least(size: Size, k: int) -> bool:
    """Whether `size` is at least `k` for every value of its symbols (sound, not
    complete, as never_zero)."""
    rest = size - (k - 1)
    if isinstance(rest, int):
        return rest > 0
    low, _ = _bounds(rest)
    return low is not None and _positive_everywhere(low)


def _bounds(poly: Poly) -> tuple[_Bound | None, _Bound | None]:
    # Exact arithmetic for the bounds; imported here, as few specs need bounds (and
    # fractions imports decimal: a cold check pays for neither, issue 15).
    from fractions import Fraction

    low: _Bound = {}
    high: _Bound = {}
    for mono, coeff in poly.terms:
        floors = [a for a in mono if isinstance(a, Floor)]
        names = tuple(sorted(a for a in mono if isinstance(a, Sym)))
        if not floors:
            _add(low, names, Fraction(coeff))
            _add(high, names, Fraction(coeff))
            continue
        if len(mono) != 1:
            return None, None  # a floor times something: no linear bound here
        inner_low, inner_high = _bounds(floors[0].num)
        if inner_low is None or inner_high is None:
            return None, None
        den = floors[0].den
        # floor(P/d) lies in [P/d - (d-1)/d, P/d]
        lower = {m: c / den for m, c in inner_low.items()}
        _add(lower, (), -Fraction(den - 1, den))
        upper = {m: c / den for m, c in inner_high.items()}
        for target, source in ((low, lower if coeff > 0 else upper),
                               (high, upper if coeff > 0 else lower)):  # fmt: skip
            for m, c in source.items():
                _add(target, m, c * coeff)
    return low, high


def _add(bound: _Bound, mono: tuple[Sym, ...], coeff: Fraction) -> None:
    bound[mono] = bound.get(mono, 0) + coeff


def _positive_everywhere(bound: _Bound) -> bool:
    """Positive for all symbols at or above their least values: non-negative
    slopes (so the least values give the least total), positive there."""
    if any(c < 0 for m, c in bound.items() if m):
        return False
    return sum(c * math.prod(least(a) for a in m) for m, c in bound.items()) > 0
