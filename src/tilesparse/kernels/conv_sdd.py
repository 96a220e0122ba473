"""Sparse = dense (*) dense: the weight gradient of a block-sparse convolution on the nonzero blocks only,
implicit GEMM (no im2col buffer):

    dW[k, :, :, i, j] = sum over (n, oh, ow) of dY[n, r_k-block, oh, ow]^T x[n, c_k-block, ih, iw],
    ih = oh * step_h - pad_h + i * dil_h,  iw = ow * step_w - pad_w + j * dil_w.

(``step`` is the convolution's stride; ``stride_*`` names memory strides, as in every kernel file.)

One program per (packed block, tap) reduces over batch x output pixels in BLOCK_P chunks (fp32
accumulation); out-of-image input pixels are masked to zero. When there are too few (block, tap) pairs to
fill the GPU, the reduction is split over ``split`` programs writing fp32 partial sums, added up afterwards.
No dense dW exists at any point. Blocks of 8 are padded to 16 in registers.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import triton
import triton.language as tl

from ..backend import dot_precision, dot_upcast, new_output
from . import SHARED_MEMORY_BUDGET

TARGET_PROGRAMS = 1024  # enough programs to fill a large GPU several times over


@dataclass(frozen=True)
class SddConfig:
    block_p: int
    split: int
    num_warps: int
    num_stages: int


def sdd_config(pixels: int, block_size: int, programs: int, element_size: int) -> SddConfig:
    """A first guess, not yet measured on a GPU: 32-pixel chunks for blocks <= 16, else 64; 4 warps.
    ``programs`` (blocks x taps) below TARGET_PROGRAMS splits the reduction, keeping at least 8 chunks
    per program so the partial sums stay a small fraction of the traffic. The pipeline depth is cut to
    what fits in shared memory."""
    block_p = 32 if block_size <= 16 else 64
    block_p = min(block_p, max(16, triton.next_power_of_2(pixels)))
    split = max(1, min(triton.cdiv(TARGET_PROGRAMS, max(programs, 1)), pixels // (8 * block_p)))
    stage_bytes = 2 * block_p * max(block_size, 16) * element_size
    stages = max(1, min(4, SHARED_MEMORY_BUDGET // stage_bytes))
    return SddConfig(block_p=block_p, split=split, num_warps=4, num_stages=stages)


@triton.jit
def conv_backward_weight_kernel(
    # pointers
    dy_ptr, x_ptr, dw_ptr, block_rows_ptr, block_cols_ptr,
    # sizes
    P, H, W, OH, OW,
    step_h, step_w, pad_h, pad_w, dil_h, dil_w,
    # strides
    stride_dyn, stride_dyc, stride_dyh, stride_dyw,
    stride_xn, stride_xc, stride_xh, stride_xw,
    stride_dws, stride_dwk, stride_dwo, stride_dwi, stride_dwh, stride_dww,
    # meta
    BS: tl.constexpr, BS_PAD: tl.constexpr, BLOCK_P: tl.constexpr, KH: tl.constexpr, KW: tl.constexpr,
    INPUT_PRECISION: tl.constexpr, DOT_UPCAST: tl.constexpr,
):
    # Taps fastest: programs running together share a block's dY and x channel panels (kept in L2).
    pid = tl.program_id(0)
    pid_s = tl.program_id(1)
    blk = pid // (KH * KW)
    tap = pid % (KH * KW)
    i = tap // KW
    j = tap % KW
    row = tl.load(block_rows_ptr + blk).to(tl.int64)
    col = tl.load(block_cols_ptr + blk).to(tl.int64)

    offs_b = tl.arange(0, BS_PAD)
    mask_b = offs_b < BS
    dy_chans = dy_ptr + (row * BS + offs_b)[None, :] * stride_dyc
    x_chans = x_ptr + (col * BS + offs_b)[None, :] * stride_xc

    # -- reduce over batch x output pixels; with a split reduction, every num_programs(1)-th chunk
    acc = tl.zeros((BS_PAD, BS_PAD), dtype=tl.float32)
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
        dy_tile = tl.load(dy_chans + dy_pixels[:, None], mask=mask_p[:, None] & mask_b[None, :], other=0.0)
        x_tile = tl.load(x_chans + x_pixels[:, None], mask=mask_x[:, None] & mask_b[None, :], other=0.0)
        if DOT_UPCAST:
            dy_tile, x_tile = dy_tile.to(tl.float32), x_tile.to(tl.float32)
        acc = tl.dot(tl.trans(dy_tile), x_tile, acc, input_precision=INPUT_PRECISION)

    # -- store the (out, in) slice of tap (i, j) of the packed block (or of its partial sum)
    dw_tap = dw_ptr + pid_s.to(tl.int64) * stride_dws + blk.to(tl.int64) * stride_dwk + i * stride_dwh + j * stride_dww
    dw_ptrs = dw_tap + offs_b[:, None] * stride_dwo + offs_b[None, :] * stride_dwi
    tl.store(dw_ptrs, acc.to(dw_ptr.dtype.element_ty), mask=mask_b[:, None] & mask_b[None, :])


def conv2d_backward_weight(
    dy: torch.Tensor,
    x: torch.Tensor,
    block_rows: torch.Tensor,
    block_cols: torch.Tensor,
    block_size: int,
    kernel_size: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
    config: SddConfig | None = None,
) -> torch.Tensor:
    """Packed dW (nnz, bs, bs, kh, kw) in x's dtype; ``padding`` is (top, left)."""
    assert dy.dim() == 4 and x.dim() == 4 and block_cols.numel() == block_rows.numel()
    n, _, h, w = x.shape
    oh, ow = dy.shape[2:]
    kh, kw = kernel_size
    nnz = block_rows.numel()
    dw = new_output((nnz, block_size, block_size, kh, kw), x.dtype, x.device)
    pixels = n * oh * ow
    if nnz == 0:
        return dw
    if pixels == 0:
        return dw.zero_()
    cfg = config or sdd_config(pixels, block_size, nnz * kh * kw, x.element_size())
    # A split reduction writes fp32 partial sums, one slice per program along the split axis.
    out = dw[None] if cfg.split == 1 else new_output((cfg.split, *dw.shape), torch.float32, x.device)
    conv_backward_weight_kernel[(nnz * kh * kw, cfg.split)](
        dy, x, out, block_rows, block_cols,
        pixels, h, w, oh, ow,
        *stride, *padding, *dilation,
        *dy.stride(), *x.stride(), *out.stride(),
        BS=block_size, BS_PAD=max(block_size, 16), BLOCK_P=cfg.block_p, KH=kh, KW=kw,
        INPUT_PRECISION=dot_precision(x.dtype), DOT_UPCAST=dot_upcast(x.dtype),
        num_warps=cfg.num_warps, num_stages=cfg.num_stages,
    )
    return dw if cfg.split == 1 else dw.copy_(out.sum(0))
