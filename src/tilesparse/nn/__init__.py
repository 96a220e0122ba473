"""Modules on top of the block-sparse ops: ``BlockSparseLinear``, its initialisers (``tilesparse.nn.init``),
``sparsify`` to prune the linear layers of an existing model, and ``BlockSparseLSTM`` (small-world recurrent
weights) with its truncated-BPTT helpers."""

from . import init
from .conv import BlockSparseConv1d, BlockSparseConv2d
from .linear import BlockSparseLinear
from .lstm import BlockSparseLSTM, detach_state, small_world_layout, tbptt_chunks
from .sparsify import sparsify

__all__ = [
    "BlockSparseConv1d",
    "BlockSparseConv2d",
    "BlockSparseLSTM",
    "BlockSparseLinear",
    "detach_state",
    "init",
    "small_world_layout",
    "sparsify",
    "tbptt_chunks",
]
