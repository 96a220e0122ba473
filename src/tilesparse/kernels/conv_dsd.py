"""Dense = dense (*) sparse convolutions, implicit GEMM (no im2col buffer): the forward y = conv2d(x, W)
and the input gradient dX = conv_transpose2d(dY, W), on the nonzero channel blocks only.

Forward: each program owns a BLOCK_P x block_size tile of y: BLOCK_P output pixels, flattened over
(batch, OH, OW), times the channels of one output channel block r. It walks ONE flat loop over
(tap, packed block of row r) pairs, kh * kw * row_nnz steps (CSR by output block), so the software
pipeline (num_stages) has a long loop to overlap loads in; each step computes the shifted input pixels of
its tap (stride, padding and dilation applied; out-of-image pixels masked to zero) and accumulates
x-tile @ W_k[:, :, i, j]^T in fp32. ``taps_fastest`` picks the order: taps fastest walks the taps of
one block before the next (the same x channel block, shifted), else the blocks of one tap.

Input gradient: each program owns BLOCK_P input pixels of one phase (ih % step_h, iw % step_w) times
the channels of one input channel block c. A tap (i, j) reaches the pixels of a phase from output pixels
only when (phase + pad - i * dilation) is divisible by the stride, for all of the phase's pixels at once.
The taps i that do form an arithmetic progression (first i, then every step_h / gcd(step_h, dil_h)), so
the program counts them once and its flat loop runs over reached taps x packed blocks of column c (CSC)
only: a stride s does not cost s^2 times the products of a per-pixel check. Each step accumulates
dY-tile @ W_k[:, :, i, j].

Programs run output (input) channel blocks fastest: programs running together read the same pixel tile
of x (dY), kept in L2. Tensors are read through their strides: NCHW and channels-last both work;
channels-last (channel dim contiguous) gives contiguous channel rows per pixel. Outputs are written in the
input's memory format. The launchers pass the (small) packed weight stored tap-major, so each tap's block
is one dense read. Channel blocks of 8 are padded to 16 in registers because tl.dot needs every dimension
>= 16. ``step`` is the convolution's stride; ``stride_*`` names memory strides, as in every kernel file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import triton
import triton.language as tl

from ..backend import dot_precision, dot_upcast, new_output
from ..reference.conv import memory_format
from . import SHARED_MEMORY_BUDGET, shared_memory_budget


@dataclass(frozen=True)
class DsdConfig:
    block_p: int
    num_warps: int
    num_stages: int
    # Order of the flat loop: True walks the taps of one packed block before the next block.
    taps_fastest: bool = True


def dsd_config(pixels: int, block_size: int, element_size: int, budget: int = SHARED_MEMORY_BUDGET) -> DsdConfig:
    """Measured on an H100 (scripts/tune_conv.py, 2026-11-26, fp16 channels-last, batch 64, 512 channels,
    32x32, 3x3, d=0.1; log in bench/results/tuning/): 128-pixel tiles, 4 warps at blocks <= 32 and 8 from
    block 64, taps fastest, a 4-deep pipeline over the flat tap x block loop (forward and dX agree within
    2%). Blocks 8, 16 and 128 follow their neighbours unmeasured. The pipeline depth is cut to what fits in
    ``budget`` bytes of shared memory, as for linear."""
    block_p = min(128, max(16, triton.next_power_of_2(pixels)))
    cfg = DsdConfig(block_p=block_p, num_warps=8 if block_size >= 64 else 4, num_stages=4)
    padded = max(block_size, 16)
    stage_bytes = (block_p * padded + padded * padded) * element_size
    return replace(cfg, num_stages=max(1, min(cfg.num_stages, budget // stage_bytes)))


def _tap_major(blocks: torch.Tensor) -> torch.Tensor:
    """The packed weight (nnz, bs, bs, kh, kw), same shape, stored (nnz, kh, kw, bs, bs): each tap's
    (out, in) block contiguous, so a tile load is one dense read instead of a gather at a kh*kw stride."""
    if blocks.shape[3] * blocks.shape[4] == 1:
        return blocks
    return blocks.permute(0, 3, 4, 1, 2).contiguous().permute(0, 3, 4, 1, 2)


def _output_like(x: torch.Tensor, channels: int, height: int, width: int) -> torch.Tensor:
    """A (N, channels, height, width) output in x's memory format (channels-last or NCHW), as the
    reference and the fake implementations give."""
    n = x.shape[0]
    if memory_format(x) == torch.channels_last:
        return new_output((n, height, width, channels), x.dtype, x.device).permute(0, 3, 1, 2)
    return new_output((n, channels, height, width), x.dtype, x.device)


# -- forward -------------------------------------------------------------------------------------------------


@triton.jit
def conv_forward_kernel(
    # pointers
    x_ptr, w_ptr, y_ptr, bias_ptr, row_ptr, row_cols_ptr, row_blocks_ptr,
    # sizes
    P, H, W, OH, OW, num_pid_k,
    step_h, step_w, pad_h, pad_w, dil_h, dil_w,
    # strides
    stride_xn, stride_xc, stride_xh, stride_xw,
    stride_wk, stride_wo, stride_wi, stride_wh, stride_ww,
    stride_yn, stride_yc, stride_yh, stride_yw,
    # meta
    BS: tl.constexpr, BS_PAD: tl.constexpr, BLOCK_P: tl.constexpr, KH: tl.constexpr, KW: tl.constexpr,
    TAPS_FASTEST: tl.constexpr, HAS_BIAS: tl.constexpr, INPUT_PRECISION: tl.constexpr, DOT_UPCAST: tl.constexpr,
):
    # Output channel blocks fastest: programs running together read the same input window (kept in L2).
    pid = tl.program_id(0)
    pid_k = pid % num_pid_k
    pid_p = pid // num_pid_k

    offs_p = pid_p * BLOCK_P + tl.arange(0, BLOCK_P)
    offs_b = tl.arange(0, BS_PAD)
    mask_p = offs_p < P
    mask_b = offs_b < BS
    n = offs_p // (OH * OW)
    ohw = offs_p % (OH * OW)
    oh = ohw // OW
    ow = ohw % OW
    ih0 = oh * step_h - pad_h  # input pixel of tap (0, 0)
    iw0 = ow * step_w - pad_w
    x_pixels = x_ptr + n.to(tl.int64) * stride_xn + ih0.to(tl.int64) * stride_xh + iw0.to(tl.int64) * stride_xw
    # W_k[:, :, i, j]^T as a (in, out) tile
    w_offs = offs_b[:, None] * stride_wi + offs_b[None, :] * stride_wo
    w_mask = mask_b[:, None] & mask_b[None, :]

    start = tl.load(row_ptr + pid_k)
    row_nnz = tl.load(row_ptr + pid_k + 1) - start
    acc = tl.zeros((BLOCK_P, BS_PAD), dtype=tl.float32)
    # -- one flat loop over (tap, block of output block row pid_k): long enough to pipeline
    for step in range(0, KH * KW * row_nnz):
        if TAPS_FASTEST:
            tap = step % (KH * KW)
            e = start + step // (KH * KW)
        else:
            tap = step // row_nnz
            e = start + step % row_nnz
        i = tap // KW
        j = tap % KW
        ih = ih0 + i * dil_h
        iw = iw0 + j * dil_w
        mask_x = mask_p & (ih >= 0) & (ih < H) & (iw >= 0) & (iw < W)
        col = tl.load(row_cols_ptr + e).to(tl.int64)
        blk = tl.load(row_blocks_ptr + e).to(tl.int64)
        x_tap = x_pixels + (i * dil_h).to(tl.int64) * stride_xh + (j * dil_w).to(tl.int64) * stride_xw
        x_tile = tl.load(
            x_tap[:, None] + (col * BS + offs_b)[None, :] * stride_xc,
            mask=mask_x[:, None] & mask_b[None, :], other=0.0,
        )
        w_tile = tl.load(w_ptr + blk * stride_wk + i * stride_wh + j * stride_ww + w_offs, mask=w_mask, other=0.0)
        if DOT_UPCAST:
            x_tile, w_tile = x_tile.to(tl.float32), w_tile.to(tl.float32)
        acc = tl.dot(x_tile, w_tile, acc, input_precision=INPUT_PRECISION)

    # -- epilogue: bias, cast, store
    offs_c = pid_k * BS + offs_b
    if HAS_BIAS:
        bias = tl.load(bias_ptr + offs_c, mask=mask_b, other=0.0)
        acc += bias.to(tl.float32)[None, :]
    y_pixels = n.to(tl.int64) * stride_yn + oh.to(tl.int64) * stride_yh + ow.to(tl.int64) * stride_yw
    y_ptrs = y_ptr + y_pixels[:, None] + offs_c.to(tl.int64)[None, :] * stride_yc
    tl.store(y_ptrs, acc.to(y_ptr.dtype.element_ty), mask=mask_p[:, None] & mask_b[None, :])


def conv2d_forward(
    x: torch.Tensor,
    blocks: torch.Tensor,
    row_ptr: torch.Tensor,
    row_cols: torch.Tensor,
    row_blocks: torch.Tensor,
    out_blocks: int,
    out_size: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
    bias: torch.Tensor | None = None,
    config: DsdConfig | None = None,
) -> torch.Tensor:
    """y (N, out_blocks*bs, OH, OW) = conv2d(x, W) + bias; ``padding`` is (top, left), bottom/right
    follow from ``out_size``."""
    assert x.dim() == 4 and blocks.dim() == 5 and row_ptr.numel() == out_blocks + 1
    n, _, h, w = x.shape
    bs, kh, kw = blocks.shape[1], blocks.shape[3], blocks.shape[4]
    oh, ow = out_size
    y = _output_like(x, out_blocks * bs, oh, ow)
    pixels = n * oh * ow
    if pixels == 0:
        return y
    packed = _tap_major(blocks)
    cfg = config or dsd_config(pixels, bs, x.element_size(), shared_memory_budget(x.device))
    grid = (triton.cdiv(pixels, cfg.block_p) * out_blocks,)
    conv_forward_kernel[grid](
        x, packed, y, bias if bias is not None else y, row_ptr, row_cols, row_blocks,
        pixels, h, w, oh, ow, out_blocks,
        *stride, *padding, *dilation,
        *x.stride(), *packed.stride(), *y.stride(),
        BS=bs, BS_PAD=max(bs, 16), BLOCK_P=cfg.block_p, KH=kh, KW=kw, TAPS_FASTEST=cfg.taps_fastest,
        HAS_BIAS=bias is not None, INPUT_PRECISION=dot_precision(x.dtype), DOT_UPCAST=dot_upcast(x.dtype),
        num_warps=cfg.num_warps, num_stages=cfg.num_stages,
    )
    return y


# -- input gradient ------------------------------------------------------------------------------------------


@triton.jit
def conv_backward_input_kernel(
    # pointers
    dy_ptr, w_ptr, dx_ptr, col_ptr, col_rows_ptr, col_blocks_ptr,
    # sizes
    Q, H, W, HQ, WQ, OH, OW, num_pid_c,
    step_h, step_w, pad_h, pad_w, dil_h, dil_w, period_h, period_w,
    # strides
    stride_dyn, stride_dyc, stride_dyh, stride_dyw,
    stride_wk, stride_wo, stride_wi, stride_wh, stride_ww,
    stride_dxn, stride_dxc, stride_dxh, stride_dxw,
    # meta
    BS: tl.constexpr, BS_PAD: tl.constexpr, BLOCK_P: tl.constexpr, KH: tl.constexpr, KW: tl.constexpr,
    TAPS_FASTEST: tl.constexpr, INPUT_PRECISION: tl.constexpr, DOT_UPCAST: tl.constexpr,
):
    # Input channel blocks fastest: programs running together read the same dY window (kept in L2).
    pid = tl.program_id(0)
    pid_c = pid % num_pid_c
    pid_p = pid // num_pid_c
    phase = tl.program_id(1)
    phase_h = phase // step_w
    phase_w = phase % step_w

    # The pixels of this phase: ih = phase_h + step_h * qh, iw = phase_w + step_w * qw.
    offs_q = pid_p * BLOCK_P + tl.arange(0, BLOCK_P)
    offs_b = tl.arange(0, BS_PAD)
    mask_b = offs_b < BS
    n = offs_q // (HQ * WQ)
    qhw = offs_q % (HQ * WQ)
    qh = qhw // WQ
    qw = qhw % WQ
    ih = phase_h + qh * step_h
    iw = phase_w + qw * step_w
    mask_q = (offs_q < Q) & (ih < H) & (iw < W)
    dy_pixels = dy_ptr + n.to(tl.int64) * stride_dyn
    # W_k[:, :, i, j] as an (out, in) tile
    w_offs = offs_b[:, None] * stride_wo + offs_b[None, :] * stride_wi
    w_mask = mask_b[:, None] & mask_b[None, :]

    # -- the taps that reach this phase: oh = (ih + pad_h - i * dil_h) / step_h must be a whole number.
    # They are first_i, first_i + period_h, ... (num_i of them); likewise for j.
    num_i = 0
    first_i = KH
    for cand in tl.static_range(KH):
        reach = (phase_h + pad_h - cand * dil_h) % step_h == 0
        num_i += reach.to(tl.int32)
        first_i = tl.minimum(first_i, tl.where(reach, cand, KH))
    num_j = 0
    first_j = KW
    for cand in tl.static_range(KW):
        reach = (phase_w + pad_w - cand * dil_w) % step_w == 0
        num_j += reach.to(tl.int32)
        first_j = tl.minimum(first_j, tl.where(reach, cand, KW))
    num_taps = num_i * num_j

    start = tl.load(col_ptr + pid_c)
    col_nnz = tl.load(col_ptr + pid_c + 1) - start
    acc = tl.zeros((BLOCK_P, BS_PAD), dtype=tl.float32)
    # -- one flat loop over (reached tap, block of input block column pid_c): long enough to pipeline
    for step in range(0, num_taps * col_nnz):
        if TAPS_FASTEST:
            tap = step % num_taps
            e = start + step // num_taps
        else:
            tap = step // col_nnz
            e = start + step % col_nnz
        i = first_i + (tap // num_j) * period_h
        j = first_j + (tap % num_j) * period_w
        oh = (phase_h + pad_h - i * dil_h) // step_h + qh  # exact division: no rounding direction to worry about
        ow = (phase_w + pad_w - j * dil_w) // step_w + qw
        mask_dy = mask_q & (oh >= 0) & (oh < OH) & (ow >= 0) & (ow < OW)
        row = tl.load(col_rows_ptr + e).to(tl.int64)
        blk = tl.load(col_blocks_ptr + e).to(tl.int64)
        dy_tap = dy_pixels + oh.to(tl.int64) * stride_dyh + ow.to(tl.int64) * stride_dyw
        dy_tile = tl.load(
            dy_tap[:, None] + (row * BS + offs_b)[None, :] * stride_dyc,
            mask=mask_dy[:, None] & mask_b[None, :], other=0.0,
        )
        w_tile = tl.load(w_ptr + blk * stride_wk + i * stride_wh + j * stride_ww + w_offs, mask=w_mask, other=0.0)
        if DOT_UPCAST:
            dy_tile, w_tile = dy_tile.to(tl.float32), w_tile.to(tl.float32)
        acc = tl.dot(dy_tile, w_tile, acc, input_precision=INPUT_PRECISION)

    # -- store
    offs_c = pid_c * BS + offs_b
    dx_pixels = n.to(tl.int64) * stride_dxn + ih.to(tl.int64) * stride_dxh + iw.to(tl.int64) * stride_dxw
    dx_ptrs = dx_ptr + dx_pixels[:, None] + offs_c.to(tl.int64)[None, :] * stride_dxc
    tl.store(dx_ptrs, acc.to(dx_ptr.dtype.element_ty), mask=mask_q[:, None] & mask_b[None, :])


def conv2d_backward_input(
    dy: torch.Tensor,
    blocks: torch.Tensor,
    col_ptr: torch.Tensor,
    col_rows: torch.Tensor,
    col_blocks: torch.Tensor,
    in_blocks: int,
    in_size: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
    config: DsdConfig | None = None,
) -> torch.Tensor:
    """dX (N, in_blocks*bs, H, W) for dY (N, out_blocks*bs, OH, OW); ``padding`` is (top, left)."""
    assert dy.dim() == 4 and blocks.dim() == 5 and col_ptr.numel() == in_blocks + 1
    n, _, oh, ow = dy.shape
    bs, kh, kw = blocks.shape[1], blocks.shape[3], blocks.shape[4]
    h, w = in_size
    dx = _output_like(dy, in_blocks * bs, h, w)
    hq, wq = triton.cdiv(h, stride[0]), triton.cdiv(w, stride[1])  # pixels per phase, at most
    pixels = n * hq * wq
    if pixels == 0:
        return dx
    packed = _tap_major(blocks)
    cfg = config or dsd_config(pixels, bs, dy.element_size(), shared_memory_budget(dy.device))
    # taps reaching one phase repeat every step / gcd(step, dilation) along each axis
    period = [s // math.gcd(s, d) for s, d in zip(stride, dilation, strict=True)]
    grid = (triton.cdiv(pixels, cfg.block_p) * in_blocks, stride[0] * stride[1])
    conv_backward_input_kernel[grid](
        dy, packed, dx, col_ptr, col_rows, col_blocks,
        pixels, h, w, hq, wq, oh, ow, in_blocks,
        *stride, *padding, *dilation, *period,
        *dy.stride(), *packed.stride(), *dx.stride(),
        BS=bs, BS_PAD=max(bs, 16), BLOCK_P=cfg.block_p, KH=kh, KW=kw, TAPS_FASTEST=cfg.taps_fastest,
        INPUT_PRECISION=dot_precision(dy.dtype), DOT_UPCAST=dot_upcast(dy.dtype),
        num_warps=cfg.num_warps, num_stages=cfg.num_stages,
    )
    return dx
