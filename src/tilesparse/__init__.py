"""tilesparse: block-sparse GPU kernels for PyTorch, in Triton."""

from . import layouts, nn
from .layout import SUPPORTED_BLOCK_SIZES, Layout, from_dense, to_dense
from .ops.conv import conv1d, conv2d, conv_from_dense, conv_to_dense
from .ops.linear import linear

__all__ = [
    "SUPPORTED_BLOCK_SIZES",
    "Layout",
    "conv1d",
    "conv2d",
    "conv_from_dense",
    "conv_to_dense",
    "from_dense",
    "layouts",
    "linear",
    "nn",
    "to_dense",
]
__version__ = "0.1.0"
