"""The dense path of ``linear``: where the block-sparse kernels lose to cuBLAS, densify and run cuBLAS.

At large batch, small blocks are bound by L2 bandwidth (an x tile loaded feeds 2 x block_size flops), so at
high densities a dense GEMM on the block-masked weight beats the sparse kernels: at block 8 the kernels run at
0.04-0.05 of cuBLAS per nonzero block at every density, so the dense path wins from d = 0.04-0.065 on. Here the
weight is written dense in one pass, zeros included (forward, dX), or dW is computed dense and its nonzero blocks
gathered (``dense_blocks.py``). The dense temporary costs memory, hence a cap.

``DENSE_PATH_MIN_DENSITY`` holds, per (product, block size, precision), the density from which the dense path
was measured faster on an H100 (``scripts/probe_dense_path.py``). It is applied on any CUDA GPU: the sparse
kernels are tuned for Hopper, so elsewhere the dense path only gains. Batches under 1024 rows stay sparse: the
sparse kernels there read fewer weight bytes, and densifying costs as much as the GEMM.
"""

from __future__ import annotations

import torch

from ..backend import dense_path_mode, dot_precision
from .dense_blocks import densify, gather_blocks

PRODUCTS = ("forward", "dx", "dw")
DENSE_PATH_MIN_ROWS = 1024  # batch rows (tokens): below, the kernels read fewer weight bytes and win
LARGE_BATCH_ROWS = 4096  # from here ``DENSE_PATH_MIN_DENSITY``, below it ``DENSE_PATH_MIN_DENSITY_MEDIUM``
DENSE_PATH_MAX_BYTES = 1 << 30  # the dense temporary (out x in) at most 1 GiB
NEVER = 2.0  # a density no layout reaches

# (product, block size, "16-bit" | "tf32") -> lowest density at which the dense path runs, at batches of 4096 rows
# or more. Measured on an H100 with the Triton densify/gather (scripts/probe_dense_path.py, 8192^2, batch 8192,
# bench/results/tuning/h100-2026-11-27o-probe-dense-path-triton.log; sparse/dense time ratios quoted): each
# threshold lies between the highest probed density where the kernels won and the lowest from which the dense path
# won at every density probed. Absent: the kernels won or tied within 2% at every density probed (block 32 forward
# to d = 0.8, 16-bit block 64 forward/dX to 0.9, TF32 block 64 dW to 0.65).
DENSE_PATH_MIN_DENSITY = {
    # block 8: the kernels run at 0.04-0.05 of cuBLAS per nonzero block (16-bit 0.80-0.85 at d = 0.03, 1.19-1.32
    # at 0.05; dW 0.83-0.86 at 0.05, 1.38-1.43 at 0.08); TF32 1.22-2.79 already at d = 0.02
    ("forward", 8, "16-bit"): 0.04,
    ("dx", 8, "16-bit"): 0.04,
    ("dw", 8, "16-bit"): 0.065,
    ("forward", 8, "tf32"): 0.01,
    ("dx", 8, "tf32"): 0.01,
    ("dw", 8, "tf32"): 0.02,
    # block 16: forward/dX 0.91-1.03 at d = 0.2, 1.04-1.09 at 0.3, 1.12-1.26 above (TF32 1.01-1.08 at 0.4-0.5);
    # dW 0.92-0.94 at 0.12, 1.57-1.62 at 0.18 (TF32 0.78 at 0.05, 1.20 at 0.08)
    ("forward", 16, "16-bit"): 0.3,
    ("dx", 16, "16-bit"): 0.3,
    ("forward", 16, "tf32"): 0.5,
    ("dx", 16, "tf32"): 0.5,
    ("dw", 16, "16-bit"): 0.15,
    ("dw", 16, "tf32"): 0.065,
    # block 32: dX 0.95-0.99 at d = 0.5, 1.08-1.16 at 0.6; dW 0.99 (fp16) / 1.12 (bf16) at 0.25, 1.39-1.44 at 0.35
    # (TF32 0.91 at 0.25, 1.34 at 0.35)
    ("dx", 32, "16-bit"): 0.6,
    ("dw", 32, "16-bit"): 0.25,
    ("dw", 32, "tf32"): 0.3,
    # block 64: dW 0.86-0.91 at d = 0.5, 1.08-1.14 at 0.65; TF32 forward 0.96 at 0.7, 1.06 at 0.8, dX 1.05 at 0.7
    ("dw", 64, "16-bit"): 0.6,
    ("forward", 64, "tf32"): 0.8,
    ("dx", 64, "tf32"): 0.7,
}

# The same for 1024 <= rows < 4096, measured at batches 1024 and 2048 (fp16: tuning/h100-2026-11-27o-probe-dense-
# batches-triton.log; bf16 and TF32: -probe-dense-medium.log): the densify/gather pass weighs more against a smaller
# GEMM. dX takes the forward's thresholds (not probed here; at batch 8192 they crossed at the same density).
# 16-bit: block 8 forward 0.63-0.99 at d = 0.03-0.05, 1.13-1.35 at 0.06, 1.80-2.17 at 0.1; dW 0.85-0.89 at 0.06,
# 1.19-1.36 at 0.1; block 16 dW 0.83-0.94 at 0.12, 1.30-1.44 at 0.2; block 32 dW 0.89-0.98 at 0.25, 1.31-1.42 at
# 0.4; block 16 forward 0.84 at d = 0.5 at batch 1024 (kernels). TF32: block 8 forward 3.35-4.08 already at 0.03;
# dW 0.65-1.18 at 0.03, 1.26-2.27 at 0.06; block 16 dW 0.86-1.18 at 0.12, 1.36-1.82 at 0.2; block 32 dW 0.85-0.92 at
# 0.25, 1.21-1.35 at 0.4; block 16 forward 0.74-0.86 at 0.5 (kernels).
DENSE_PATH_MIN_DENSITY_MEDIUM = {
    ("forward", 8, "16-bit"): 0.06,
    ("dx", 8, "16-bit"): 0.06,
    ("dw", 8, "16-bit"): 0.1,
    ("dw", 16, "16-bit"): 0.2,
    ("dw", 32, "16-bit"): 0.4,
    ("forward", 8, "tf32"): 0.03,
    ("dx", 8, "tf32"): 0.03,
    ("dw", 8, "tf32"): 0.06,
    ("dw", 16, "tf32"): 0.2,
    ("dw", 32, "tf32"): 0.4,
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
    table = DENSE_PATH_MIN_DENSITY if rows >= LARGE_BATCH_ROWS else DENSE_PATH_MIN_DENSITY_MEDIUM
    return density >= table.get((product, block_size, prec), NEVER)


def use_dense_path(product: str, rows: int, block_size: int, nnz: int, out_blocks: int, in_blocks: int,
                   dtype: torch.dtype) -> bool:
    """The decision the linear op makes, from sizes only (no device sync): ``TILESPARSE_DENSE_PATH`` =
    ``auto`` (``dense_path_wins``), ``never`` or ``always``."""
    mode = dense_path_mode()
    if mode != "auto":
        return mode == "always"
    total = out_blocks * in_blocks
    dense_bytes = total * block_size * block_size * dtype.itemsize
    return total > 0 and dense_path_wins(product, rows, block_size, nnz / total, dtype, dense_bytes)


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
