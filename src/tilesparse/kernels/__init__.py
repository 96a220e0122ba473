"""Triton kernels. Imported lazily by the ops, so the package imports without a working Triton."""

# Shared memory a program may fill with pipelined tiles (H100: 227 KB a block; leave room for the rest).
SHARED_MEMORY_BUDGET = 200 * 1024
