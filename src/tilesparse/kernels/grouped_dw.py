"""Pieces the two weight-gradient kernels (linear_sdd, conv_sdd) share: a program owns a dW group, a run of up
to GROUP consecutive packed blocks of one block row (the layout's ``group_first``/``group_rows``), gathers
x's GROUP column blocks side by side, multiplies them against dY's row block in one MMA and stores the GROUP
blocks. Inlined into each kernel by Triton."""

from __future__ import annotations

import triton
import triton.language as tl


@triton.jit
def group_span(group_first_ptr, group_rows_ptr, row_ptr_ptr, group):
    """The group's block row, its first packed block and the end of the row's packed blocks."""
    first = tl.load(group_first_ptr + group)
    row = tl.load(group_rows_ptr + group).to(tl.int64)
    row_end = tl.load(row_ptr_ptr + row + 1)
    return row, first, row_end


@triton.jit
def group_blocks(block_cols_ptr, first, row_end, GROUP: tl.constexpr):
    """The group's GROUP packed blocks, which of them lie in the row, and their block columns (0 past it)."""
    blk = first + tl.arange(0, GROUP)
    valid = blk < row_end
    col = tl.load(block_cols_ptr + blk, mask=valid, other=0).to(tl.int64)
    return blk, valid, col


@triton.jit
def gather_group_tile(col_ptrs, row_offs, row_mask, valid, ROWS: tl.constexpr, GROUP: tl.constexpr,
                      BS: tl.constexpr):
    """x's GROUP column blocks for ROWS rows, side by side: (ROWS, GROUP * BS). ``col_ptrs`` (GROUP, BS)
    points at each block's columns, ``row_offs`` (ROWS) are the rows' offsets; blocks past the row read 0."""
    tile = tl.load(
        col_ptrs[None, :, :] + row_offs[:, None, None],
        mask=row_mask[:, None, None] & valid[None, :, None], other=0.0,
    )
    return tl.reshape(tile, (ROWS, GROUP * BS))


@triton.jit
def group_mma(acc, dy_tile, x_tile, TRANSPOSED: tl.constexpr, INPUT_PRECISION: tl.constexpr,
              DOT_UPCAST: tl.constexpr):
    """acc (BS_PAD, GROUP*BS) += dY_tile^T @ x_tile, or with TRANSPOSED acc (GROUP*BS, BS_PAD) += x_tile^T @
    dY_tile (the wide side on the MMA's M: Hopper's warpgroup MMA needs M >= 64)."""
    if DOT_UPCAST:
        dy_tile, x_tile = dy_tile.to(tl.float32), x_tile.to(tl.float32)
    if TRANSPOSED:
        acc = tl.dot(tl.trans(x_tile), dy_tile, acc, input_precision=INPUT_PRECISION)
    else:
        acc = tl.dot(tl.trans(dy_tile), x_tile, acc, input_precision=INPUT_PRECISION)
    return acc


@triton.jit
def store_group(dw_ptr, acc, blk_offs, valid, stride_out, stride_in, BS: tl.constexpr, BS_PAD: tl.constexpr,
                GROUP: tl.constexpr, TRANSPOSED: tl.constexpr):
    """Store an accumulator of ``group_mma`` (tile gather order) as the GROUP blocks: block g's element (out,
    in) at ``dw_ptr + blk_offs[g] + out * stride_out + in * stride_in``; blocks past the row are skipped."""
    offs_i = tl.arange(0, BS_PAD)  # out: dY's side, padded for blocks of 8
    offs_j = tl.arange(0, BS)  # in: x's side
    mask_i = offs_i < BS
    if TRANSPOSED:  # acc[g * BS + in, out]
        acc = tl.reshape(acc, (GROUP, BS, BS_PAD))
        ptrs = dw_ptr + blk_offs[:, None, None] + offs_j[None, :, None] * stride_in + offs_i[None, None, :] * stride_out
        mask = valid[:, None, None] & mask_i[None, None, :]
    else:  # acc[out, g * BS + in]
        acc = tl.reshape(acc, (BS_PAD, GROUP, BS))
        ptrs = dw_ptr + blk_offs[None, :, None] + offs_i[:, None, None] * stride_out + offs_j[None, None, :] * stride_in
        mask = mask_i[:, None, None] & valid[None, :, None]
    tl.store(ptrs, acc.to(dw_ptr.dtype.element_ty), mask=mask)
