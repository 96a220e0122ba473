"""Benchmarks of tilesparse against dense cuBLAS and PyTorch's own block-sparse (BSR) matmul.

``python -m tilesparse.bench`` (= ``speedup``): speedup over dense vs sparsity, the original paper's figure.
``python -m tilesparse.bench suite``: every product, dtype and block size against the performance targets.
``python -m tilesparse.bench conv``: block-sparse conv2d against cuDNN (dense and grouped) on the issue's shape.
"""

from .commands import Plan, Shape, conv, speedup, suite
from .linear import Case, Timing, measure

__all__ = ["Case", "Plan", "Shape", "Timing", "conv", "measure", "speedup", "suite"]
