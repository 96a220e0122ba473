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
import statistics
from typing import NamedTuple

import torch

from ..kernels import sm_count

STREAM_BLOCK = 8192  # elements of 2 bytes a program reads: 16 KB


@functools.cache
def _kernels():
    """The Triton kernels, compiled on first use (the package imports without Triton's GPU backend)."""
    import triton
    import triton.language as tl

    @triton.jit
    def stream_chunks_kernel(src_ptr, out_ptr, n, BLOCK: tl.constexpr, LOADS: tl.constexpr):
        # Each program reads one chunk of LOADS x BLOCK elements, its LOADS loads in flight together.
        start = tl.program_id(0).to(tl.int64) * BLOCK * LOADS
        acc = tl.zeros((BLOCK,), dtype=tl.float32)
        for u in tl.static_range(LOADS):
            offs = start + u * BLOCK + tl.arange(0, BLOCK)
            acc += tl.load(src_ptr + offs, mask=offs < n, other=0.0, eviction_policy="evict_first").to(tl.float32)
        tl.store(out_ptr + tl.program_id(0), tl.sum(acc))  # kept, so the loads are too

    @triton.jit
    def stream_tiles_kernel(src_ptr, out_ptr, rows, ROWS: tl.constexpr, STAGES: tl.constexpr):
        # Persistent programs walk (ROWS x 256) tiles of the buffer; the loop is software-pipelined, so
        # STAGES - 1 tile loads are in flight (asynchronous copies into shared memory), as in the products.
        acc = tl.zeros((ROWS, 256), dtype=tl.float32)
        tiles = tl.cdiv(rows, ROWS)
        for tile in tl.range(tl.program_id(0), tiles, tl.num_programs(0), num_stages=STAGES):
            offs_r = tile * ROWS + tl.arange(0, ROWS)
            ptrs = src_ptr + offs_r.to(tl.int64)[:, None] * 256 + tl.arange(0, 256)[None, :]
            acc += tl.load(ptrs, mask=(offs_r < rows)[:, None], other=0.0).to(tl.float32)
        tl.store(out_ptr + tl.program_id(0), tl.sum(acc))

    @triton.jit
    def l2_read_kernel(src_ptr, out_ptr, chunks, BLOCK: tl.constexpr):
        chunk = tl.program_id(0) % chunks  # every chunk read many times: after the first pass, from L2
        offs = chunk.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
        values = tl.load(src_ptr + offs, cache_modifier=".cg")  # .cg: L2 only, not L1
        tl.store(out_ptr + tl.program_id(0), tl.sum(values.to(tl.float32)))

    return stream_chunks_kernel, stream_tiles_kernel, l2_read_kernel


class StreamRead(NamedTuple):
    """One streaming-read design. ``chunks``: a program per chunk of ``depth`` loads of ``width`` elements.
    ``tiles``: ``programs_per_sm`` persistent programs an SM walk tiles of ``width`` rows of 256 elements
    through a ``depth``-stage software pipeline (asynchronous copies, as in the products)."""

    kind: str
    width: int
    depth: int
    programs_per_sm: int = 0


# The reads whose fastest is the floor. On an H100 (scripts/probe_stream.py, bench/results/tuning/
# h100-2026-11-26c-probe-stream*.log) each is the fastest at some size from 3 to 540 MB (the others within
# 2-30%), and at 270-540 MB they reach 2.84-3.0 TB/s, the copy bandwidth.
STREAM_READS = (StreamRead("chunks", 8192, 2), StreamRead("tiles", 32, 3, 4), StreamRead("tiles", 16, 8, 2))
# Each read is timed this many times and its median kept: the cold timer's noise at a few microseconds is
# about a microsecond, and a minimum over single draws would pick a low outlier.
STREAM_REPEATS = 3


def stream_read_ms(src: torch.Tensor, read: StreamRead, timing) -> float:
    """Cold-L2 time of one launch of ``read`` over ``src`` (fp16; a multiple of 256 elements for tiles)."""
    import triton

    from .linear import time_ms

    stream_chunks_kernel, stream_tiles_kernel, _ = _kernels()
    n = src.numel()
    if read.kind == "tiles":
        programs = sm_count(src.device) * read.programs_per_sm
        out = torch.empty(programs, device=src.device)
        run = lambda: stream_tiles_kernel[(programs,)](src, out, n // 256, ROWS=read.width,  # noqa: E731
                                                       STAGES=read.depth, num_warps=8)
    else:
        programs = triton.cdiv(n, read.width * read.depth)
        out = torch.empty(programs, device=src.device)
        run = lambda: stream_chunks_kernel[(programs,)](src, out, n, BLOCK=read.width,  # noqa: E731
                                                        LOADS=read.depth, num_warps=8)
    return time_ms(run, src.device, timing)


@functools.cache
def _stream_floor_ms(nbytes: int, device: torch.device, timing) -> float:
    src = torch.randn(max(STREAM_BLOCK, nbytes // 2), device=device, dtype=torch.float16)  # random, never zeros
    return min(statistics.median(stream_read_ms(src, read, timing) for _ in range(STREAM_REPEATS))
               for read in STREAM_READS)


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

    *_, l2_read_kernel = _kernels()
    chunks = nbytes // (2 * STREAM_BLOCK)
    src = torch.randn(chunks * STREAM_BLOCK, device=device, dtype=torch.float16)
    out = torch.empty(chunks * passes, device=device)
    run = lambda: l2_read_kernel[(chunks * passes,)](src, out, chunks, BLOCK=STREAM_BLOCK, num_warps=8)  # noqa: E731
    ms = triton.testing.do_bench(run, warmup=25, rep=100, return_mode="median")
    return chunks * passes * STREAM_BLOCK * 2 / ms / 1e9


def measured(device: torch.device) -> dict:
    """The run's bandwidth ceilings, for the results' metadata."""
    return {"copy_tbs": copy_tbs(device), "l2_read_tbs": l2_read_tbs(device)}
