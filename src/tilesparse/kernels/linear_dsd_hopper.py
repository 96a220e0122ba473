"""linear_dsd on Hopper, warp-specialised in Gluon: y = x W^T (forward) and dX = dY W on blocks of 64 and 128.

Same product, tables and program order as ``linear_dsd`` (one program per 256-row batch tile and output
block; output blocks fastest; the tile turned around, y^T tile = block @ x_tile^T, so the wgmma's N is the
256 batch rows), but the schedule is spelled out instead of left to Triton's pipeliner, which kept the tensor
pipes ~63% busy (ncu; cuBLAS 94%):

- a producer warp walks the segment and issues TMA loads of the block's 64-wide K step and the matching x
  tile into a ring of STAGES shared-memory stages, each with a ready and an empty mbarrier;
- two consumer warpgroups (the default partition, 8 warps) wait on ready, issue the asynchronous wgmma with
  one kept in flight, and hand each stage back once the MMA reading it has retired; registers are moved to
  them (maxnreg 168 for the kernel, 24 for the producer);
- the epilogue (bias, cast, turn to y's orientation) goes through the idle x ring and leaves by TMA store.

Measured on an H100 (scripts/probe_gluon.py, fp16, 8192^2, batch 8192): block 128 1.16-1.26x faster than the
Triton kernel for forward and dX at d = 0.01-0.5; block 64 1.09-1.11x at d = 0.5, even at 0.25 and slower below
(short segments: the ring's fill is not hidden), so ``dsd_config`` picks it for long segments only. The
same design on a dense matmul ran at 0.93-1.02 of cuBLAS (Triton's own: 0.69-0.74).

Gluon is Triton's experimental layer; its API moves between releases, so this path runs only on the Triton
minor versions it was written and tested against (``GLUON_TRITON_VERSIONS``) and on compute capability 9.0.
"""

from __future__ import annotations

import functools

import torch
import triton

from ..backend import interpreting

# The Triton releases whose Gluon API this file was written and GPU-tested against.
GLUON_TRITON_VERSIONS = ("3.6.",)
BATCH_TILE = 256  # batch rows per program: the wgmma's N
K_STEP = 64  # block columns per ring stage: one 128-byte swizzled row of 16-bit elements
STAGES = 4
NUM_WARPS = 8  # the consumer warpgroups; the producer warp comes on top
MAX_REGISTERS = 168  # per thread over the kernel's 12 warps (the register file: 65536 / 384 = 170)
PRODUCER_REGISTERS = 24
BLOCK_SIZES = (64, 128)


@functools.cache
def gluon_available() -> bool:
    if not triton.__version__.startswith(GLUON_TRITON_VERSIONS):
        return False
    try:
        from . import linear_dsd_hopper_gluon  # noqa: F401
    except (ImportError, AttributeError):
        return False
    return True


def supported(x: torch.Tensor, blocks: torch.Tensor) -> bool:
    """Whether this kernel can run the product: a Hopper GPU, 16-bit operands, blocks of 64 or 128, and x
    (dY) laid out as TMA needs it (rows contiguous, 16-byte aligned base and row stride)."""
    if not x.is_cuda or interpreting() or x.dtype not in (torch.float16, torch.bfloat16):
        return False
    if blocks.shape[-1] not in BLOCK_SIZES or blocks.dtype != x.dtype or not blocks.is_contiguous():
        return False
    if x.stride(1) != 1 or (x.stride(0) * x.element_size()) % 16 or x.data_ptr() % 16 or blocks.data_ptr() % 16:
        return False
    return torch.cuda.get_device_capability(x.device) == (9, 0) and gluon_available()


def linear_dsd_hopper(
    x: torch.Tensor,
    blocks: torch.Tensor,
    y: torch.Tensor,
    bias: torch.Tensor | None,
    seg_ptr: torch.Tensor,
    seg_idx: torch.Tensor,
    seg_blk: torch.Tensor,
    seg_order: torch.Tensor,
    out_blocks: int,
    transpose_blocks: bool,
) -> torch.Tensor:
    """Fill ``y`` (M, out_blocks * bs), as ``linear_dsd`` does; the caller checked ``supported``."""
    from triton.experimental.gluon.nvidia.hopper import TensorDescriptor

    from .linear_dsd_hopper_gluon import linear_dsd_hopper_kernel, shared_layout

    bs = blocks.shape[-1]
    w_tile = [bs, K_STEP] if transpose_blocks else [K_STEP, bs]
    x_desc = TensorDescriptor.from_tensor(x, [BATCH_TILE, K_STEP], shared_layout([BATCH_TILE, K_STEP], x.dtype))
    w_desc = TensorDescriptor.from_tensor(blocks.view(-1, bs), w_tile, shared_layout(w_tile, x.dtype))
    y_desc = TensorDescriptor.from_tensor(y, [BATCH_TILE, bs], shared_layout([BATCH_TILE, bs], x.dtype))
    grid = (triton.cdiv(x.shape[0], BATCH_TILE) * out_blocks,)
    linear_dsd_hopper_kernel[grid](
        x_desc, w_desc, y_desc, bias if bias is not None else y, seg_ptr, seg_idx, seg_blk, seg_order, out_blocks,
        BS=bs, TRANSPOSE_W=transpose_blocks, HAS_BIAS=bias is not None, STAGES=STAGES,
        PRODUCER_REGISTERS=PRODUCER_REGISTERS, num_warps=NUM_WARPS, maxnreg=MAX_REGISTERS,
    )
    return y
