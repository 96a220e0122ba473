"""Modules on top of the block-sparse ops: ``BlockSparseLinear``, its initialisers (``tilesparse.nn.init``)
and ``sparsify`` to prune the linear layers of an existing model."""

from . import init
from .conv import BlockSparseConv1d, BlockSparseConv2d
from .linear import BlockSparseLinear
from .sparsify import sparsify

__all__ = ["BlockSparseConv1d", "BlockSparseConv2d", "BlockSparseLinear", "init", "sparsify"]
