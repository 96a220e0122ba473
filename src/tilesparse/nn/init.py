"""Initialisers for a packed block-sparse weight ``(nnz, block_size, block_size)`` under a Layout.

Like ``torch.nn.init`` they work in place, without autograd, and return the tensor; none of them builds
the dense weight. An output unit of a sparse layer sees only ``row_count * block_size`` inputs, its real
fan-in: ``fan_in_uniform_`` scales by it, so a layer at 3% density starts with the output scale of its
dense counterpart instead of a variance about 33 times smaller.
"""

from __future__ import annotations

import math

import torch

from ..layout import Layout

__all__ = ["fan_in", "fan_in_uniform_", "identity_", "orthogonal_", "row_norms", "weight_norm_"]

LINEAR_GAIN = 1 / math.sqrt(3)  # nn.Linear's default: kaiming_uniform_ with a = sqrt(5)


def _check(weight: torch.Tensor, layout: Layout) -> None:
    if not isinstance(layout, Layout):
        raise TypeError(f"expected layout to be a tilesparse.Layout, got {type(layout).__name__}")
    layout.check_blocks(weight, "weight")


def _accumulate_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


def fan_in(layout: Layout) -> torch.Tensor:
    """The real fan-in of every output unit, ``(out_features,)`` int64: its block row's count x block_size."""
    bs = layout.block_size
    return (layout.row_counts() * bs).repeat_interleave(bs)


def fan_in_uniform_(
    weight: torch.Tensor, layout: Layout, bias: torch.Tensor | None = None, gain: float = LINEAR_GAIN
) -> torch.Tensor:
    """Uniform init with standard deviation ``gain / sqrt(fan_in)`` per output unit, ``fan_in`` the real one.

    The default ``gain`` is nn.Linear's, so on a full layout both draw from the same distribution;
    ``gain=torch.nn.init.calculate_gain("relu")`` gives He init. ``bias``, if given, is drawn from
    ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` per unit, as nn.Linear does; units of a block row with no
    blocks have no weights, and their bias is set to zero (nn.Linear's rule for fan_in 0).
    """
    _check(weight, layout)
    bs = layout.block_size
    out_features = layout.shape[0]
    if bias is not None and tuple(bias.shape) != (out_features,):
        raise ValueError(f"expected bias of shape ({out_features},), got {tuple(bias.shape)}")
    counts = (layout.row_counts() * bs).to(weight.device, _accumulate_dtype(weight.dtype))
    inv_sqrt = torch.where(counts > 0, counts.clamp(min=1).rsqrt(), 0.0)  # per block row
    rows = layout.tables(weight.device).block_rows.long()
    with torch.no_grad():
        bound = (math.sqrt(3) * gain * inv_sqrt)[rows].view(-1, 1, 1)
        weight.uniform_(-1, 1).mul_(bound.to(weight.dtype))
        if bias is not None:
            bias.uniform_(-1, 1).mul_(inv_sqrt.repeat_interleave(bs).to(bias.device, bias.dtype))
    return weight


def identity_(weight: torch.Tensor, layout: Layout, gain: float = 1.0) -> torch.Tensor:
    """``gain`` times the identity on every diagonal block ``(r, r)`` the layout has, zero elsewhere."""
    _check(weight, layout)
    t = layout.tables(weight.device)
    diagonal = t.block_rows == t.block_cols
    eye = torch.eye(layout.block_size, dtype=weight.dtype, device=weight.device)
    with torch.no_grad():
        weight.zero_()
        weight[diagonal] = gain * eye
    return weight


def orthogonal_(weight: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
    """Every block an independent random orthogonal matrix (Haar-distributed), times ``gain``."""
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"expected weight to be a torch.Tensor, got {type(weight).__name__}")
    if weight.dim() != 3 or weight.shape[1] != weight.shape[2]:
        raise ValueError(f"expected packed blocks (nnz, block_size, block_size), got shape {tuple(weight.shape)}")
    if weight.shape[0] == 0:
        return weight
    draw = torch.randn(weight.shape, dtype=_accumulate_dtype(weight.dtype), device=weight.device)
    q, r = torch.linalg.qr(draw)
    # Fixing the signs of R's diagonal makes Q uniform over the orthogonal group.
    q = q * torch.diagonal(r, dim1=-2, dim2=-1).sign().unsqueeze(-2)
    with torch.no_grad():
        weight.copy_(gain * q)
    return weight


def row_norms(weight: torch.Tensor, layout: Layout) -> torch.Tensor:
    """The L2 norm of every output unit's row of the weight, ``(out_features,)``, from the packed blocks.

    Differentiable; computed in fp32 (fp64 for fp64 weights). Units of empty block rows give zero.
    """
    _check(weight, layout)
    n_rows = layout.blocks_shape[0]
    rows = layout.tables(weight.device).block_rows.long()
    squares = weight.to(_accumulate_dtype(weight.dtype)).square().sum(-1)  # (nnz, bs): one row of a block
    total = squares.new_zeros(n_rows, layout.block_size).index_add(0, rows, squares)
    return total.sqrt().flatten()


def weight_norm_(weight: torch.Tensor, layout: Layout, gain: float | torch.Tensor = 1.0) -> torch.Tensor:
    """Scale every output unit's row of the weight to L2 norm ``gain`` (a float, or one per output unit).

    Rows that are all zero (empty block rows included) are left as they are.
    """
    _check(weight, layout)
    out_features = layout.shape[0]
    with torch.no_grad():
        norms = row_norms(weight, layout)
        target = torch.as_tensor(gain, dtype=norms.dtype, device=norms.device)
        if target.dim() > 1 or (target.dim() == 1 and tuple(target.shape) != (out_features,)):
            raise ValueError(f"expected gain to be a float or of shape ({out_features},), got {tuple(target.shape)}")
        scale = torch.where(norms > 0, target / norms.clamp(min=torch.finfo(norms.dtype).tiny), 1.0)
        rows = layout.tables(weight.device).block_rows.long()
        scale = scale.view(layout.blocks_shape[0], layout.block_size)[rows].unsqueeze(-1)  # (nnz, bs, 1)
        weight.mul_(scale.to(weight.dtype))
    return weight
