"""Pure-PyTorch block-sparse products: gather, batched matmul, segment sum; W is never densified.

Memory and time grow with the number of nonzero blocks. Low-precision inputs are computed in fp32 and
the result cast back, so the CPU path accumulates like the kernels do.
"""

from __future__ import annotations

import functools

import torch

from ..layout import LayoutTables


def autocast_off(fn):
    """Run with autocast off: the op was already cast once, its internals keep their chosen precision."""

    @functools.wraps(fn)
    def wrapper(first, *args, **kwargs):
        with torch.autocast(first.device.type, enabled=False):
            return fn(first, *args, **kwargs)

    return wrapper


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


def linear_dsd(
    x: torch.Tensor,
    blocks: torch.Tensor,
    out_blocks: int,
    gather_idx: torch.Tensor,
    scatter_idx: torch.Tensor,
    transpose_blocks: bool,
) -> torch.Tensor:
    """y[:, j-block] = sum over packed blocks k of x[:, gather_idx[k]-block] @ B_k, scattered to j = scatter_idx[k].

    ``B_k = blocks[k].T`` when ``transpose_blocks`` (forward: y = x W^T), else ``blocks[k]`` (dX = dY W).
    """
    m, in_width = x.shape
    bs = blocks.shape[-1]
    ct = compute_dtype(x.dtype)
    xb = x.to(ct).reshape(m, in_width // bs, bs)
    w = blocks.to(ct)
    if transpose_blocks:
        w = w.transpose(1, 2)
    gathered = xb.index_select(1, gather_idx.long()).transpose(0, 1)  # (nnz, m, bs)
    partial = torch.bmm(gathered, w)  # (nnz, m, bs)
    y = torch.zeros((out_blocks, m, bs), dtype=ct, device=x.device)
    y.index_add_(0, scatter_idx.long(), partial)
    return y.transpose(0, 1).reshape(m, out_blocks * bs).to(x.dtype)


@autocast_off
def linear_forward(x: torch.Tensor, blocks: torch.Tensor, tables: LayoutTables, out_blocks: int) -> torch.Tensor:
    """y = x @ W^T for a (M, in_features) x."""
    return linear_dsd(x, blocks, out_blocks, tables.block_cols, tables.block_rows, transpose_blocks=True)


@autocast_off
def linear_backward_input(dy: torch.Tensor, blocks: torch.Tensor, tables: LayoutTables, in_blocks: int) -> torch.Tensor:
    """dX = dY @ W for a (M, out_features) dY."""
    return linear_dsd(dy, blocks, in_blocks, tables.block_rows, tables.block_cols, transpose_blocks=False)


@autocast_off
def linear_backward_weight(dy: torch.Tensor, x: torch.Tensor, tables: LayoutTables, block_size: int) -> torch.Tensor:
    """dW on the nonzero blocks only: dW_k = dY[:, r_k-block]^T @ x[:, c_k-block], packed (nnz, bs, bs)."""
    m = x.shape[0]
    bs = block_size
    ct = compute_dtype(x.dtype)
    dyb = dy.to(ct).reshape(m, dy.shape[1] // bs, bs)
    xb = x.to(ct).reshape(m, x.shape[1] // bs, bs)
    dy_k = dyb.index_select(1, tables.block_rows.long()).permute(1, 2, 0)  # (nnz, bs, m)
    x_k = xb.index_select(1, tables.block_cols.long()).transpose(0, 1)  # (nnz, m, bs)
    return torch.bmm(dy_k, x_k).to(x.dtype)
