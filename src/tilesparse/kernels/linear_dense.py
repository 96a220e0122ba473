"""The dense path of ``linear``: where the block-sparse kernels lose to cuBLAS, densify and run cuBLAS.

At large batch, small blocks are bound by L2 bandwidth (an x tile loaded feeds 2 x block_size flops), so at
high densities a dense GEMM on the block-masked weight beats the sparse kernels: at block 8 the kernels run at
0.04-0.05 of cuBLAS per nonzero block at every density, so the dense path wins from d = 0.04-0.065 on. Here the
weight is written dense in one pass, zeros included (forward, dX), or dW is computed dense and its nonzero blocks
gathered (two small Triton kernels: PyTorch's zero fill plus indexed copy took 0.27-0.30 ms at 8192^2 fp16, its
indexed gather 0.23-0.27 ms, 15-20% of the GEMM). The dense temporary costs memory, hence a cap.

``DENSE_PATH_MIN_DENSITY`` holds, per (product, block size, precision), the density from which the dense path
was measured faster on an H100 (``scripts/probe_dense_path.py``). It is applied on any CUDA GPU: the sparse
kernels are tuned for Hopper, so elsewhere the dense path only gains. Small batches stay sparse: the sparse
kernels there read fewer weight bytes, and densifying costs as much as the GEMM.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from ..backend import dense_path_mode, dot_precision, new_output

PRODUCTS = ("forward", "dx", "dw")
DENSE_PATH_MIN_ROWS = 4096  # batch rows (tokens): below, the densify pass is no longer a small share
DENSE_PATH_MAX_BYTES = 1 << 30  # the dense temporary (out x in) at most 1 GiB
NEVER = 2.0  # a density no layout reaches

# (product, block size, "16-bit" | "tf32") -> lowest density at which the dense path runs. Measured on an H100
# (scripts/probe_dense_path.py, 8192^2, batch 8192, bench/results/tuning/h100-2026-11-27o-probe-dense-path.log):
# each threshold lies between the highest probed density where the kernels won and the lowest from which the
# dense path won at every density probed. Absent: the kernels won (or tied within 5%) at every density probed
# (block 32 forward/dX to d = 0.8, block 64 to 0.9 and dW to 0.65, block 16 TF32 forward/dX to 0.6).
DENSE_PATH_MIN_DENSITY = {
    # block 8: the kernels run at 0.04-0.05 of cuBLAS per nonzero block; 16-bit sparse/dense time 0.75-0.85 at
    # d = 0.03, 1.16-1.27 at 0.05 (dW 0.87-0.93 at 0.05, 1.20-1.45 at 0.08); TF32 1.19-2.86 already at 0.02
    ("forward", 8, "16-bit"): 0.04,
    ("dx", 8, "16-bit"): 0.04,
    ("dw", 8, "16-bit"): 0.065,
    ("forward", 8, "tf32"): 0.01,
    ("dx", 8, "tf32"): 0.01,
    ("dw", 8, "tf32"): 0.02,
    # block 16 forward/dX: ties (0.99-1.13) from d = 0.3, dense ahead by 3-14% from 0.4 (dX) and 0.5 (forward)
    ("forward", 16, "16-bit"): 0.5,
    ("dx", 16, "16-bit"): 0.4,
    # block 16 dW: 0.92-0.93 at d = 0.12, 1.35-1.49 at 0.18; TF32 0.75 at 0.05, 1.15 at 0.08
    ("dw", 16, "16-bit"): 0.15,
    ("dw", 16, "tf32"): 0.065,
    # block 32 dW: 0.85-0.95 at d = 0.25, 1.24-1.38 at 0.35
    ("dw", 32, "16-bit"): 0.3,
    ("dw", 32, "tf32"): 0.3,
}


def precision_class(dtype: torch.dtype) -> str | None:
    """The class the thresholds are kept for; None for fp32 without TF32 (not measured: stays sparse)."""
    if dtype in (torch.float16, torch.bfloat16):
        return "16-bit"
    if dtype == torch.float32 and dot_precision(dtype) == "tf32":
        return "tf32"
    return None


def dense_path_wins(product: str, rows: int, block_size: int, density: float, dtype: torch.dtype,
                    dense_bytes: int) -> bool:
    """Whether ``product`` ("forward", "dx" or "dw") runs the dense path under ``TILESPARSE_DENSE_PATH=auto``."""
    if product not in PRODUCTS:
        raise ValueError(f"expected product in {PRODUCTS}, got {product!r}")
    prec = precision_class(dtype)
    if prec is None or rows < DENSE_PATH_MIN_ROWS or dense_bytes > DENSE_PATH_MAX_BYTES:
        return False
    return density >= DENSE_PATH_MIN_DENSITY.get((product, block_size, prec), NEVER)


def use_dense_path(product: str, rows: int, block_size: int, nnz: int, out_blocks: int, in_blocks: int,
                   dtype: torch.dtype) -> bool:
    """The decision the linear op makes, from sizes only (no device sync): ``TILESPARSE_DENSE_PATH`` =
    ``auto`` (``dense_path_wins``), ``never`` or ``always``."""
    mode = dense_path_mode()
    if mode != "auto":
        return mode == "always"
    total = out_blocks * in_blocks
    dense_bytes = total * block_size * block_size * torch.empty((), dtype=dtype).element_size()
    return total > 0 and dense_path_wins(product, rows, block_size, nnz / total, dtype, dense_bytes)


# -- densify: the dense weight in one pass ---------------------------------------------------------------

DENSIFY_COLS = 256  # columns of W a densify program writes (at least one block)
GATHER_ELEMENTS = 2048  # elements of packed blocks a gather program moves (at least one block)


def block_index_map(block_rows: torch.Tensor, block_cols: torch.Tensor, out_blocks: int, in_blocks: int):
    """(out_blocks, in_blocks) int32: the packed index of each block, -1 where the layout has none. A few MB
    where the dense weight is hundreds: built per call rather than kept on every Layout."""
    index = torch.full((out_blocks * in_blocks,), -1, dtype=torch.int32, device=block_rows.device)
    index[block_rows.long() * in_blocks + block_cols.long()] = torch.arange(
        block_rows.numel(), dtype=torch.int32, device=block_rows.device)
    return index


@triton.jit
def linear_densify_kernel(blocks_ptr, index_ptr, w_ptr, in_features, in_blocks, BS: tl.constexpr,
                          ROWS: tl.constexpr, COLS: tl.constexpr):
    """W[ROWS x COLS tile] = the packed blocks it covers, zeros where the layout has none (every element written,
    so W needs no zeroing pass first). ROWS divides BS: the tile lies in one block row."""
    offs_m = tl.program_id(0) * ROWS + tl.arange(0, ROWS)
    offs_n = tl.program_id(1) * COLS + tl.arange(0, COLS)
    mask_n = offs_n < in_features
    r = tl.program_id(0) * ROWS // BS
    k = tl.load(index_ptr + r * in_blocks + offs_n // BS, mask=mask_n, other=-1)  # packed block of each column
    present = (k >= 0)[None, :] & mask_n[None, :]
    src = blocks_ptr + (k.to(tl.int64) * (BS * BS))[None, :] + ((offs_m % BS) * BS)[:, None] + (offs_n % BS)[None, :]
    tile = tl.load(src, mask=present, other=0.0)
    dst = w_ptr + offs_m.to(tl.int64)[:, None] * in_features + offs_n[None, :]
    tl.store(dst, tile, mask=mask_n[None, :])


def densify(blocks: torch.Tensor, block_rows: torch.Tensor, block_cols: torch.Tensor, out_blocks: int,
            in_blocks: int) -> torch.Tensor:
    """The dense (out_features, in_features) weight: packed block k placed at (block_rows[k], block_cols[k])."""
    bs = blocks.shape[-1]
    w = new_output((out_blocks * bs, in_blocks * bs), blocks.dtype, blocks.device)
    if w.numel():
        index = block_index_map(block_rows, block_cols, out_blocks, in_blocks)
        rows, cols = min(bs, 32), max(bs, DENSIFY_COLS)
        grid = (out_blocks * bs // rows, triton.cdiv(in_blocks * bs, cols))
        linear_densify_kernel[grid](blocks.contiguous(), index, w, in_blocks * bs, in_blocks, BS=bs, ROWS=rows,
                                    COLS=cols)
    return w


@triton.jit
def linear_gather_blocks_kernel(dense_ptr, block_rows_ptr, block_cols_ptr, out_ptr, total_rows, stride_d,
                                BS: tl.constexpr, ROWS: tl.constexpr):
    """out (nnz, BS, BS) from a dense (out, in) matrix: a program moves ROWS consecutive block rows of the packed
    output (ROWS / BS blocks, or part of one), contiguous where it stores."""
    offs_r = tl.program_id(0) * ROWS + tl.arange(0, ROWS)  # row of the packed output seen as (nnz * BS, BS)
    offs_c = tl.arange(0, BS)
    mask_r = offs_r < total_rows
    k = offs_r // BS
    r = tl.load(block_rows_ptr + k, mask=mask_r, other=0)
    c = tl.load(block_cols_ptr + k, mask=mask_r, other=0)
    src = dense_ptr + (r.to(tl.int64) * BS + offs_r % BS)[:, None] * stride_d + (c * BS)[:, None] + offs_c[None, :]
    tile = tl.load(src, mask=mask_r[:, None])
    tl.store(out_ptr + offs_r.to(tl.int64)[:, None] * BS + offs_c[None, :], tile, mask=mask_r[:, None])


def gather_blocks(dense: torch.Tensor, block_rows: torch.Tensor, block_cols: torch.Tensor, block_size: int):
    """The layout's blocks of a dense (out_features, in_features) matrix, packed (nnz, bs, bs)."""
    bs, nnz = block_size, block_rows.numel()
    out = new_output((nnz, bs, bs), dense.dtype, dense.device)
    if nnz:
        rows = max(bs, GATHER_ELEMENTS // bs)
        grid = (triton.cdiv(nnz * bs, rows),)
        linear_gather_blocks_kernel[grid](dense, block_rows, block_cols, out, nnz * bs, dense.stride(0), BS=bs,
                                          ROWS=rows)
    return out


# -- the three products ---------------------------------------------------------------------------------------


def linear_forward_dense(x, blocks, block_rows, block_cols, out_blocks, bias=None):
    """y = x W^T (+ bias) through cuBLAS."""
    w = densify(blocks, block_rows, block_cols, out_blocks, x.shape[1] // blocks.shape[-1])
    return x @ w.t() if bias is None else torch.addmm(bias, x, w.t())


def linear_backward_input_dense(dy, blocks, block_rows, block_cols, in_blocks):
    """dX = dY W through cuBLAS."""
    return dy @ densify(blocks, block_rows, block_cols, dy.shape[1] // blocks.shape[-1], in_blocks)


def linear_backward_weight_dense(dy, x, block_rows, block_cols, block_size):
    """dW = dY^T x through cuBLAS, then the nonzero blocks gathered into packed order (nnz, bs, bs)."""
    return gather_blocks(dy.t() @ x, block_rows, block_cols, block_size)
