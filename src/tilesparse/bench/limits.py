"""What the card allows, measured in the same run as the products, so a missed target can be told apart
from one no kernel could meet.

- ``stream_floor_ms(nbytes)``: one launch that reads ``nbytes`` once, timed by the suite's own timer
  (cold L2, CUDA graphs). A product must move at least its fewest bytes (operands and nonzero blocks,
  each once), so this is the least time any single-launch kernel for it can take, launch included.
- ``copy_tbs``: device-to-device copy bandwidth of a large tensor (bytes read + written per second).
- ``l2_read_tbs``: read bandwidth of a buffer that stays in L2, loads bypassing L1: the ceiling of a
  kernel whose tiles come from L2 (small blocks at large batch re-read activation tiles from there).

CPU runs have no such floors: every value is NaN there.
"""

from __future__ import annotations

import functools
import math

import torch

STREAM_BLOCK = 8192  # elements of 2 bytes a program reads: 16 KB


@functools.cache
def _kernels():
    """The Triton kernels, compiled on first use (the package imports without Triton's GPU backend)."""
    import triton
    import triton.language as tl

    @triton.jit
    def stream_read_kernel(src_ptr, out_ptr, n, BLOCK: tl.constexpr):
        offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
        values = tl.load(src_ptr + offs, mask=offs < n, other=0.0)
        tl.store(out_ptr + tl.program_id(0), tl.sum(values.to(tl.float32)))  # kept, so the loads are too

    @triton.jit
    def l2_read_kernel(src_ptr, out_ptr, chunks, BLOCK: tl.constexpr):
        chunk = tl.program_id(0) % chunks  # every chunk read many times: after the first pass, from L2
        offs = chunk.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
        values = tl.load(src_ptr + offs, cache_modifier=".cg")  # .cg: L2 only, not L1
        tl.store(out_ptr + tl.program_id(0), tl.sum(values.to(tl.float32)))

    return stream_read_kernel, l2_read_kernel


def _elements(nbytes: int) -> int:
    return max(STREAM_BLOCK, nbytes // 2)


@functools.cache
def _stream_floor_ms(nbytes: int, device: torch.device, timing) -> float:
    import triton

    from .linear import time_ms

    stream_read_kernel, _ = _kernels()
    n = _elements(nbytes)
    src = torch.randn(n, device=device, dtype=torch.float16)  # random data, never zeros
    programs = triton.cdiv(n, STREAM_BLOCK)
    out = torch.empty(programs, device=device)
    return time_ms(lambda: stream_read_kernel[(programs,)](src, out, n, BLOCK=STREAM_BLOCK, num_warps=8), device,
                   timing)


def stream_floor_ms(nbytes: int, device: torch.device, timing) -> float:
    """Cold-L2 time of one launch reading ``nbytes`` (rounded to 1 MB, cached per size): a product's floor."""
    if device.type != "cuda":
        return math.nan
    return _stream_floor_ms(max(1, round(nbytes / 2**20)) * 2**20, device, timing)


def copy_tbs(device: torch.device, nbytes: int = 2**30) -> float:
    """Device-to-device copy of ``nbytes``: bytes read plus bytes written, per second, in TB/s."""
    if device.type != "cuda":
        return math.nan
    import triton.testing

    src = torch.randn(nbytes // 2, device=device, dtype=torch.float16)
    dst = torch.empty_like(src)
    ms = triton.testing.do_bench(lambda: dst.copy_(src), warmup=25, rep=100, return_mode="median")
    return 2 * nbytes / ms / 1e9


def l2_read_tbs(device: torch.device, nbytes: int = 16 * 2**20, passes: int = 32) -> float:
    """Read bandwidth of an ``nbytes`` buffer (smaller than the L2) read ``passes`` times, in TB/s."""
    if device.type != "cuda":
        return math.nan
    import triton.testing

    _, l2_read_kernel = _kernels()
    chunks = nbytes // (2 * STREAM_BLOCK)
    src = torch.randn(chunks * STREAM_BLOCK, device=device, dtype=torch.float16)
    out = torch.empty(chunks * passes, device=device)
    run = lambda: l2_read_kernel[(chunks * passes,)](src, out, chunks, BLOCK=STREAM_BLOCK, num_warps=8)  # noqa: E731
    ms = triton.testing.do_bench(run, warmup=25, rep=100, return_mode="median")
    return chunks * passes * STREAM_BLOCK * 2 / ms / 1e9


def measured(device: torch.device) -> dict:
    """The run's bandwidth ceilings, for the results' metadata."""
    return {"copy_tbs": copy_tbs(device), "l2_read_tbs": l2_read_tbs(device)}
