"""Triton kernels. Imported lazily by the ops, so the package imports without a working Triton."""
