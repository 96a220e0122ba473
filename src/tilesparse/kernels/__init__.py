"""Triton kernels. Imported lazily by the ops, so the package imports without a working Triton."""

from __future__ import annotations

import functools

import torch

# Shared memory a program may fill with pipelined tiles, as tuned on the H100 (227 KB a block there).
SHARED_MEMORY_BUDGET = 200 * 1024
# Left free on any GPU for what Triton keeps beside the pipeline (layout conversions, the epilogue).
SHARED_MEMORY_RESERVE = 24 * 1024


def shared_memory_budget(device: torch.device) -> int:
    """The pipeline buffers a config may plan on ``device``: ``SHARED_MEMORY_BUDGET``, cut to what the GPU
    offers one block less ``SHARED_MEMORY_RESERVE`` (A100: 164 KB, consumer cards about 100 KB), so configs
    tuned on an H100 shed stages instead of failing to launch elsewhere. The full budget off CUDA (the
    interpreter has no limit)."""
    if device.type != "cuda":
        return SHARED_MEMORY_BUDGET
    return _cuda_budget(_cuda_index(device))


def _cuda_index(device: torch.device) -> int:
    return device.index if device.index is not None else torch.cuda.current_device()


@functools.cache
def _cuda_budget(index: int) -> int:
    from triton.runtime import driver

    offered = driver.active.utils.get_device_properties(index)["max_shared_mem"]
    return max(0, min(SHARED_MEMORY_BUDGET, offered - SHARED_MEMORY_RESERVE))


def sm_count(device: torch.device) -> int:
    """Streaming multiprocessors of ``device``, which persistent grids scale with; 4 off CUDA (the interpreter
    then still runs several programs, each walking several work items)."""
    if device.type != "cuda":
        return 4
    return _cuda_sm_count(_cuda_index(device))


@functools.cache
def _cuda_sm_count(index: int) -> int:
    return torch.cuda.get_device_properties(index).multi_processor_count
