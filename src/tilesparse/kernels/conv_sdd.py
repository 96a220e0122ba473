"""Sparse = dense (*) dense: the weight gradient of a block-sparse convolution on the nonzero blocks only,
implicit GEMM (no im2col buffer):

    dW[k, :, :, i, j] = sum over (n, oh, ow) of dY[n, r_k-block, oh, ow]^T x[n, c_k-block, ih, iw],
    ih = oh * step_h - pad_h + i * dil_h,  iw = ow * step_w - pad_w + j * dil_w.

(``step`` is the convolution's stride; ``stride_*`` names memory strides, as in every kernel file.)

One program per (dW group, tap): a group is a run of up to GROUP consecutive packed blocks of one block
row r (the layout's ``group_first``/``group_rows``). It reduces over batch x output pixels in BLOCK_P
chunks (fp32 accumulation), loading the chunk of dY's r-block once, gathering the GROUP x column blocks
at the tap's shifted pixels side by side, and doing one (bs x BLOCK_P) @ (BLOCK_P x GROUP*bs) MMA a
chunk: small blocks would leave the tensor cores idle one at a time. ``transposed`` computes
dW^T = x^T dY instead, (GROUP*bs x BLOCK_P) @ (BLOCK_P x bs), putting the wide side on the MMA's M
dimension (Hopper's warpgroup MMA needs M >= 64). Out-of-image input pixels are masked to zero. Taps run
fastest, so programs running together share the group's dY and x panels (kept in L2). When there are too
few (group, tap) pairs to fill the GPU, the reduction is split over ``split`` programs writing fp32
partial sums, added up afterwards. No dense dW exists at any point. Blocks of 8 pad dY's side to 16 in
registers.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import triton
import triton.language as tl

from ..backend import dot_precision, dot_upcast, new_output
from . import SHARED_MEMORY_BUDGET, shared_memory_budget
from .grouped_dw import gather_group_tile, group_blocks, group_mma, group_span, store_group

TARGET_PROGRAMS = 1024  # enough programs to fill a large GPU several times over


@dataclass(frozen=True)
class SddConfig:
    block_p: int
    split: int
    num_warps: int
    num_stages: int
    # The MMA's M side: False dY's block (bs), True the GROUP gathered x blocks (GROUP * bs).
    transposed: bool = False


def sdd_config(
    pixels: int, block_size: int, group_size: int, programs: int, element_size: int, budget: int = SHARED_MEMORY_BUDGET
) -> SddConfig:
    """Measured on an H100 for blocks 32 and 64 (scripts/tune_conv.py, 2026-11-26, the conv benchmark's shape
    at d=0.1): 64-pixel chunks from block 32 up, 32 below (unmeasured); 4 warps. ``programs``
    (groups x taps) below TARGET_PROGRAMS splits the reduction, keeping at least 8 chunks per program so
    the partial sums stay a small fraction of the traffic. The wide side goes on the MMA's M dimension when
    only it reaches Hopper's warpgroup MMA (M >= 64). The pipeline depth is cut to what fits in
    ``budget`` bytes of shared memory."""
    block_p = 64 if block_size >= 32 else 32
    block_p = min(block_p, max(16, triton.next_power_of_2(pixels)))
    split = max(1, min(triton.cdiv(TARGET_PROGRAMS, max(programs, 1)), pixels // (8 * block_p)))
    stage_bytes = block_p * (max(block_size, 16) + group_size * block_size) * element_size
    stages = max(1, min(4, budget // stage_bytes))
    transposed = block_size < 64 <= group_size * block_size
    return SddConfig(block_p=block_p, split=split, num_warps=4, num_stages=stages, transposed=transposed)


@triton.jit
def conv_backward_weight_kernel(
    # pointers
    dy_ptr, x_ptr, dw_ptr, row_ptr_ptr, block_cols_ptr, group_first_ptr, group_rows_ptr,
    # sizes
    P, H, W, OH, OW,
    step_h, step_w, pad_h, pad_w, dil_h, dil_w,
    # strides
    stride_dyn, stride_dyc, stride_dyh, stride_dyw,
    stride_xn, stride_xc, stride_xh, stride_xw,
    stride_dws, stride_dwk, stride_dwo, stride_dwi, stride_dwh, stride_dww,
    # meta
    BS: tl.constexpr, BS_PAD: tl.constexpr, GROUP: tl.constexpr, BLOCK_P: tl.constexpr,
    KH: tl.constexpr, KW: tl.constexpr, TRANSPOSED: tl.constexpr, INPUT_PRECISION: tl.constexpr,
    DOT_UPCAST: tl.constexpr,
):
    # Taps fastest: programs running together share a group's dY and x channel panels (kept in L2).
    pid = tl.program_id(0)
    pid_s = tl.program_id(1)
    group = pid // (KH * KW)
    tap = pid % (KH * KW)
    i = tap // KW
    j = tap % KW
    row, first, row_end = group_span(group_first_ptr, group_rows_ptr, row_ptr_ptr, group)
    blk, valid, col = group_blocks(block_cols_ptr, first, row_end, GROUP)

    offs_i = tl.arange(0, BS_PAD)  # dW rows (dY's side), padded for blocks of 8
    mask_i = offs_i < BS
    dy_chans = dy_ptr + (row * BS + offs_i)[None, :] * stride_dyc
    x_chans = x_ptr + (col[:, None] * BS + tl.arange(0, BS)[None, :]) * stride_xc  # (GROUP, BS)

    # -- reduce over batch x output pixels; with a split reduction, every num_programs(1)-th chunk
    if TRANSPOSED:
        acc = tl.zeros((GROUP * BS, BS_PAD), dtype=tl.float32)
    else:
        acc = tl.zeros((BS_PAD, GROUP * BS), dtype=tl.float32)
    for p0 in range(pid_s * BLOCK_P, P, tl.num_programs(1) * BLOCK_P):
        offs_p = p0 + tl.arange(0, BLOCK_P)
        mask_p = offs_p < P
        n = (offs_p // (OH * OW)).to(tl.int64)
        ohw = offs_p % (OH * OW)
        oh = ohw // OW
        ow = ohw % OW
        ih = oh * step_h - pad_h + i * dil_h
        iw = ow * step_w - pad_w + j * dil_w
        mask_x = mask_p & (ih >= 0) & (ih < H) & (iw >= 0) & (iw < W)
        dy_pixels = n * stride_dyn + oh.to(tl.int64) * stride_dyh + ow.to(tl.int64) * stride_dyw
        x_pixels = n * stride_xn + ih.to(tl.int64) * stride_xh + iw.to(tl.int64) * stride_xw
        dy_tile = tl.load(dy_chans + dy_pixels[:, None], mask=mask_p[:, None] & mask_i[None, :], other=0.0)
        x_tile = gather_group_tile(x_chans, x_pixels, mask_x, valid, BLOCK_P, GROUP, BS)
        acc = group_mma(acc, dy_tile, x_tile, TRANSPOSED, INPUT_PRECISION, DOT_UPCAST)

    # -- store the (out, in) slices of tap (i, j) of the GROUP packed blocks (or of their partial sums)
    dw_tap = dw_ptr + pid_s.to(tl.int64) * stride_dws + i * stride_dwh + j * stride_dww
    store_group(dw_tap, acc, blk.to(tl.int64) * stride_dwk, valid, stride_dwo, stride_dwi, BS, BS_PAD, GROUP,
                TRANSPOSED)


def conv2d_backward_weight(
    dy: torch.Tensor,
    x: torch.Tensor,
    row_ptr: torch.Tensor,
    block_cols: torch.Tensor,
    group_first: torch.Tensor,
    group_rows: torch.Tensor,
    block_size: int,
    group_size: int,
    kernel_size: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
    config: SddConfig | None = None,
) -> torch.Tensor:
    """Packed dW (nnz, bs, bs, kh, kw) in x's dtype; ``group_first/group_rows`` are runs of at most
    ``group_size`` blocks of one row; ``padding`` is (top, left)."""
    assert dy.dim() == 4 and x.dim() == 4 and group_first.numel() == group_rows.numel()
    n, _, h, w = x.shape
    oh, ow = dy.shape[2:]
    kh, kw = kernel_size
    nnz = block_cols.numel()
    dw = new_output((nnz, block_size, block_size, kh, kw), x.dtype, x.device)
    pixels = n * oh * ow
    if nnz == 0:
        return dw
    if pixels == 0:
        return dw.zero_()
    groups = group_first.numel()
    cfg = config or sdd_config(
        pixels, block_size, group_size, groups * kh * kw, x.element_size(), shared_memory_budget(x.device)
    )
    # A split reduction writes fp32 partial sums, one slice per program along the split axis.
    out = dw[None] if cfg.split == 1 else new_output((cfg.split, *dw.shape), torch.float32, x.device)
    conv_backward_weight_kernel[(groups * kh * kw, cfg.split)](
        dy, x, out, row_ptr, block_cols, group_first, group_rows,
        pixels, h, w, oh, ow,
        *stride, *padding, *dilation,
        *dy.stride(), *x.stride(), *out.stride(),
        BS=block_size, BS_PAD=max(block_size, 16), GROUP=group_size, BLOCK_P=cfg.block_p, KH=kh, KW=kw,
        TRANSPOSED=cfg.transposed, INPUT_PRECISION=dot_precision(x.dtype), DOT_UPCAST=dot_upcast(x.dtype),
        num_warps=cfg.num_warps, num_stages=cfg.num_stages,
    )
    return dw if cfg.split == 1 else dw.copy_(out.sum(0))
