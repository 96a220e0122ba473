"""Dense = dense x sparse: y = x W^T (forward) and dX = dY W (backward input) on the nonzero blocks.

Each program owns a BLOCK_M x block_size tile of the output (one output block column j) and walks the
list of packed blocks feeding j (CSR by output block), accumulating x-tile @ block in fp32. Outputs with
no blocks are written as zeros (plus bias), so no output element is ever left unwritten.
Blocks of 8 are padded to 16 in registers because tl.dot needs every dimension >= 16.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import triton
import triton.language as tl

from ..backend import dot_precision, dot_upcast, new_output
from . import SHARED_MEMORY_BUDGET


@dataclass(frozen=True)
class DsdConfig:
    block_m: int
    num_warps: int
    num_stages: int
    # Program order: True walks output blocks fastest, so programs running together share one x row
    # panel (kept in L2) and sweep the weights; False walks batch tiles fastest, sharing weight blocks.
    n_fastest: bool = True


def dsd_config(m: int, block_size: int, element_size: int) -> DsdConfig:
    """Measured on an H100 (scripts/tune_linear.py, 2026-11-26, fp16, 8192^2 weight, d=0.1, and the
    12288^2 seed shape at batch 32). Small batches are memory bound on the weights: short tiles and a
    deep pipeline keep more weight loads in flight. Large batches want 256-row tiles (x-tile reuse) up
    to block 64; block 128 fits 128 rows. Walking output blocks fastest won by 1.4-3.6x at every size.
    Gathering several blocks into one wider MMA a step (tried: 1, 2, 4, 8 blocks) never helped.
    The pipeline depth is then cut to what fits in shared memory (fp32 and block 128 need fewer stages)."""
    if m <= 64:
        cfg = DsdConfig(block_m=max(16, triton.next_power_of_2(m)), num_warps=4, num_stages=6)
    elif block_size == 128:
        cfg = DsdConfig(block_m=128, num_warps=8, num_stages=3)
    else:
        cfg = DsdConfig(block_m=256 if m >= 256 else 128, num_warps=8 if block_size == 64 else 4, num_stages=4)
    padded = max(block_size, 16)
    stage_bytes = (cfg.block_m * padded + padded * padded) * element_size
    stages = max(1, min(cfg.num_stages, SHARED_MEMORY_BUDGET // stage_bytes))
    return replace(cfg, num_stages=stages)


@triton.jit
def linear_dsd_kernel(
    # pointers
    x_ptr, w_ptr, y_ptr, bias_ptr, seg_ptr, seg_idx_ptr, seg_blk_ptr, seg_order_ptr,
    # sizes
    M, num_pid_m, num_pid_n,
    # strides
    stride_xm, stride_xk, stride_ym, stride_yn,
    # meta
    BS: tl.constexpr, BS_PAD: tl.constexpr, BLOCK_M: tl.constexpr,
    TRANSPOSE_W: tl.constexpr, HAS_BIAS: tl.constexpr, INPUT_PRECISION: tl.constexpr, DOT_UPCAST: tl.constexpr,
    N_FASTEST: tl.constexpr,
):
    pid = tl.program_id(0)
    if N_FASTEST:
        pid_n = pid % num_pid_n
        pid_m = pid // num_pid_n
    else:
        pid_m = pid % num_pid_m
        pid_n = pid // num_pid_m
    pid_n = tl.load(seg_order_ptr + pid_n)  # longest segments first

    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_b = tl.arange(0, BS_PAD)
    mask_m = offs_m < M
    mask_b = offs_b < BS
    x_rows = x_ptr + offs_m.to(tl.int64)[:, None] * stride_xm
    w_offs = offs_b[:, None] * BS + offs_b[None, :]

    # -- accumulate over the packed blocks feeding output block pid_n
    start = tl.load(seg_ptr + pid_n)
    end = tl.load(seg_ptr + pid_n + 1)
    acc = tl.zeros((BLOCK_M, BS_PAD), dtype=tl.float32)
    for e in range(start, end):
        col = tl.load(seg_idx_ptr + e).to(tl.int64)
        blk = tl.load(seg_blk_ptr + e).to(tl.int64)
        x_tile = tl.load(
            x_rows + (col * BS + offs_b)[None, :] * stride_xk,
            mask=mask_m[:, None] & mask_b[None, :], other=0.0,
        )
        if BS == BS_PAD:
            w_tile = tl.load(w_ptr + blk * BS * BS + w_offs)
        else:
            w_tile = tl.load(w_ptr + blk * BS * BS + w_offs, mask=mask_b[:, None] & mask_b[None, :], other=0.0)
        if TRANSPOSE_W:
            w_tile = tl.trans(w_tile)
        if DOT_UPCAST:
            x_tile, w_tile = x_tile.to(tl.float32), w_tile.to(tl.float32)
        acc = tl.dot(x_tile, w_tile, acc, input_precision=INPUT_PRECISION)

    # -- epilogue: bias, cast, store
    offs_n = pid_n * BS + offs_b
    if HAS_BIAS:
        bias = tl.load(bias_ptr + offs_n, mask=mask_b, other=0.0)
        acc += bias.to(tl.float32)[None, :]
    y_ptrs = y_ptr + offs_m.to(tl.int64)[:, None] * stride_ym + offs_n[None, :] * stride_yn
    tl.store(y_ptrs, acc.to(y_ptr.dtype.element_ty), mask=mask_m[:, None] & mask_b[None, :])


def linear_dsd(
    x: torch.Tensor,
    blocks: torch.Tensor,
    seg_ptr: torch.Tensor,
    seg_idx: torch.Tensor,
    seg_blk: torch.Tensor,
    seg_order: torch.Tensor,
    out_blocks: int,
    transpose_blocks: bool,
    bias: torch.Tensor | None = None,
    config: DsdConfig | None = None,
) -> torch.Tensor:
    """y (M, out_blocks*bs) = sum over segment entries of x[:, idx-block] @ (block or block^T); segments are
    launched in ``seg_order``."""
    m = x.shape[0]
    bs = blocks.shape[-1]
    assert x.dim() == 2 and blocks.is_contiguous() and seg_ptr.numel() == out_blocks + 1
    y = new_output((m, out_blocks * bs), x.dtype, x.device)
    if m == 0:
        return y
    cfg = config or dsd_config(m, bs, x.element_size())
    num_pid_m = triton.cdiv(m, cfg.block_m)
    grid = (num_pid_m * out_blocks,)
    linear_dsd_kernel[grid](
        x, blocks, y, bias if bias is not None else y, seg_ptr, seg_idx, seg_blk, seg_order,
        m, num_pid_m, out_blocks,
        x.stride(0), x.stride(1), y.stride(0), y.stride(1),
        BS=bs, BS_PAD=max(bs, 16), BLOCK_M=cfg.block_m,
        TRANSPOSE_W=transpose_blocks, HAS_BIAS=bias is not None,
        INPUT_PRECISION=dot_precision(x.dtype), DOT_UPCAST=dot_upcast(x.dtype), N_FASTEST=cfg.n_fastest,
        num_warps=cfg.num_warps, num_stages=cfg.num_stages,
    )
    return y
