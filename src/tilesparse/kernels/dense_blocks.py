"""Packed blocks to a dense matrix and back, one pass each: the copies of the dense paths (``linear_dense``,
``conv_dense``).

Blocks are ``(nnz, BS, BW)``: BS rows by BW columns (``BW = BS`` for linear; ``BS x kh x kw`` for conv, whose
dense weight ``(K, C, kh, kw)`` is a ``(K, C x kh x kw)`` matrix in which block k is a BS x (BS x kh x kw)
rectangle). PyTorch's zero fill plus indexed copy took 0.27-0.29 ms for an 8192^2 fp16 weight on an H100 and its
indexed gather 0.21-0.22 ms; these kernels 0.09-0.11 and 0.05-0.07 ms (``scripts/probe_dense_path.py --parts``).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from ..backend import new_output

DENSIFY_COLS = 256  # columns of the dense matrix a densify program writes
GATHER_ELEMENTS = 2048  # elements of packed blocks a gather program moves (at least one block row)


def block_index_map(block_rows: torch.Tensor, block_cols: torch.Tensor, out_blocks: int, in_blocks: int):
    """(out_blocks, in_blocks) int32: the packed index of each block, -1 where the layout has none. A few MB
    where the dense matrix is hundreds: built per call rather than kept on every Layout."""
    index = torch.full((out_blocks * in_blocks,), -1, dtype=torch.int32, device=block_rows.device)
    index[block_rows.long() * in_blocks + block_cols.long()] = torch.arange(
        block_rows.numel(), dtype=torch.int32, device=block_rows.device)
    return index


@triton.jit
def densify_kernel(blocks_ptr, index_ptr, dense_ptr, width, in_blocks, BS: tl.constexpr, BW: tl.constexpr,
                   ROWS: tl.constexpr, COLS: tl.constexpr):
    """dense[ROWS x COLS tile] = the packed blocks it covers, zeros where the layout has none (every element
    written, so no zero fill first). ROWS divides BS: the tile lies in one block row."""
    offs_m = tl.program_id(0) * ROWS + tl.arange(0, ROWS)
    offs_n = tl.program_id(1) * COLS + tl.arange(0, COLS)
    mask_n = offs_n < width
    r = tl.program_id(0) * ROWS // BS
    k = tl.load(index_ptr + r * in_blocks + offs_n // BW, mask=mask_n, other=-1)  # packed block of each column
    present = (k >= 0)[None, :] & mask_n[None, :]
    src = blocks_ptr + (k.to(tl.int64) * (BS * BW))[None, :] + ((offs_m % BS) * BW)[:, None] + (offs_n % BW)[None, :]
    tile = tl.load(src, mask=present, other=0.0)
    dst = dense_ptr + offs_m.to(tl.int64)[:, None] * width + offs_n[None, :]
    tl.store(dst, tile, mask=mask_n[None, :])


def densify(blocks: torch.Tensor, block_rows: torch.Tensor, block_cols: torch.Tensor, out_blocks: int,
            in_blocks: int) -> torch.Tensor:
    """The dense (out_blocks x BS, in_blocks x BW) matrix of packed ``blocks`` (nnz, BS, BW): block k at
    (block_rows[k], block_cols[k]), zeros elsewhere."""
    _, bs, bw = blocks.shape
    dense = new_output((out_blocks * bs, in_blocks * bw), blocks.dtype, blocks.device)
    if dense.numel():
        index = block_index_map(block_rows, block_cols, out_blocks, in_blocks)
        rows = min(bs, 32)
        grid = (out_blocks * bs // rows, triton.cdiv(in_blocks * bw, DENSIFY_COLS))
        densify_kernel[grid](blocks.contiguous(), index, dense, in_blocks * bw, in_blocks, BS=bs, BW=bw, ROWS=rows,
                             COLS=DENSIFY_COLS)
    return dense


@triton.jit
def gather_blocks_kernel(dense_ptr, block_rows_ptr, block_cols_ptr, out_ptr, total_rows, stride_d, BS: tl.constexpr,
                         BW: tl.constexpr, BW_PAD: tl.constexpr, ROWS: tl.constexpr):
    """out (nnz, BS, BW) from a dense matrix: a program moves ROWS consecutive block rows of the packed output
    (seen as (nnz x BS, BW)), contiguous where it stores."""
    offs_r = tl.program_id(0) * ROWS + tl.arange(0, ROWS)
    offs_c = tl.arange(0, BW_PAD)
    mask = (offs_r < total_rows)[:, None] & (offs_c < BW)[None, :]
    k = offs_r // BS
    r = tl.load(block_rows_ptr + k, mask=offs_r < total_rows, other=0)
    c = tl.load(block_cols_ptr + k, mask=offs_r < total_rows, other=0)
    src = dense_ptr + (r.to(tl.int64) * BS + offs_r % BS)[:, None] * stride_d + (c * BW)[:, None] + offs_c[None, :]
    tile = tl.load(src, mask=mask)
    tl.store(out_ptr + offs_r.to(tl.int64)[:, None] * BW + offs_c[None, :], tile, mask=mask)


def gather_blocks(dense: torch.Tensor, block_rows: torch.Tensor, block_cols: torch.Tensor, block_size: int,
                  block_width: int | None = None) -> torch.Tensor:
    """The layout's blocks of a dense matrix (row stride any, columns contiguous), packed (nnz, BS, BW);
    BW = ``block_width``, the block size by default."""
    bs, bw, nnz = block_size, block_width or block_size, block_rows.numel()
    out = new_output((nnz, bs, bw), dense.dtype, dense.device)
    if nnz:
        bw_pad = triton.next_power_of_2(bw)
        rows = max(1, GATHER_ELEMENTS // bw_pad)
        grid = (triton.cdiv(nnz * bs, rows),)
        gather_blocks_kernel[grid](dense, block_rows, block_cols, out, nnz * bs, dense.stride(0), BS=bs, BW=bw,
                                   BW_PAD=bw_pad, ROWS=rows)
    return out
