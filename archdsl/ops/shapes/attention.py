"""Multi-head attention and transformer layers."""

from __future__ import annotations

from .core import Args, Dims, ShapeProblem, _rank, check_size, describe


def _same_batch(q: Dims, other: Dims, batch_first: bool, what: str) -> None:
    """`other` (a key, value or memory) has the query's rank and, batched, its
    batch size; torch refuses anything else."""
    if len(other) != len(q):
        raise ShapeProblem(
            f"expects the {what} to have the query's rank ({len(q)}-d), receives "
            f"{describe(other)}"
        )
    if len(q) == 3:
        at = 0 if batch_first else 1
        check_size(q[at], other[at], f"as the {what}'s batch size (dim {at})")


def multihead_attention(a: Args, q: Dims, k: Dims, v: Dims) -> tuple[Dims, Dims]:
    _rank(q, 2, 3)
    check_size(a["embed_dim"], q[-1], "features (embed_dim, the last dimension)")
    batch_first = a.get("batch_first") is True
    _same_batch(q, k, batch_first, "key")
    _same_batch(q, v, batch_first, "value")
    check_size(a.get("kdim") or a["embed_dim"], k[-1], "key features (kdim)")
    check_size(a.get("vdim") or a["embed_dim"], v[-1], "value features (vdim)")
    at = 1 if batch_first and len(q) == 3 else 0  # where the positions are
    length, source = q[at], k[at]
    check_size(source, v[at], "value positions (as many as the key has)")
    # a learned key/value bias and a zero attention each add one source position
    source = source + int(a.get("add_bias_kv") is True)
    source = source + int(a.get("add_zero_attn") is True)
    if len(q) == 2:
        return q, (length, source)
    return q, ((q[0] if batch_first else q[1]), length, source)


def transformer_layer(a: Args, x: Dims, *memory: Dims) -> Dims:
    _rank(x, 2, 3)
    check_size(a["d_model"], x[-1], "features (d_model, the last dimension)")
    for source in memory:  # a decoder's memory: the encoder's output
        _same_batch(x, source, a.get("batch_first") is True, "memory")
        check_size(a["d_model"], source[-1], "memory features (d_model)")
    return x
