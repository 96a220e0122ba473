"""``BlockSparseConv1d`` and ``BlockSparseConv2d``: drop-in ``nn.Conv1d`` / ``nn.Conv2d`` whose weight is
block-sparse over channels under a ``Layout`` (mask ``(out_channels // bs, in_channels // bs)``).

The weight is stored packed, ``(nnz, bs, bs, *kernel_size)``, as an ordinary Parameter: block ``k`` is
the ``k``-th present block of the mask in row-major order, at ``(r, c)``, and holds the dense weight's
``W[r*bs:(r+1)*bs, c*bs:(c+1)*bs, ...]``. The layout travels in the state dict, as for
``BlockSparseLinear``: the block mask as the bool buffer ``layout_mask``, the block size in the module's
extra state; loading a state dict restores the saved layout.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..layout import Layout
from ..ops.conv import as_tuple, conv1d, conv2d, conv_from_dense, conv_to_dense, resolve_padding
from .layout_module import LayoutModule, copy_parameters, pruning_layout

CONV_GAIN = 1 / math.sqrt(3)  # nn.Conv's default: kaiming_uniform_ with a = sqrt(5)


def _fan_in_uniform_(
    weight: torch.Tensor, layout: Layout, bias: torch.Tensor | None = None, gain: float = CONV_GAIN
) -> torch.Tensor:
    """Uniform init with standard deviation ``gain / sqrt(fan_in)`` per output channel, ``fan_in`` the real
    one: its block row's count x block_size x kernel taps. On a full layout this is nn.Conv's init. The
    bias, if given, is ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``; zero for output channels with no blocks."""
    taps = math.prod(weight.shape[3:])
    bs = layout.block_size
    dtype = torch.float64 if weight.dtype == torch.float64 else torch.float32
    counts = (layout.row_counts() * bs * taps).to(weight.device, dtype)
    inv_sqrt = torch.where(counts > 0, counts.clamp(min=1).rsqrt(), 0.0)  # per block row
    rows = layout.tables(weight.device).block_rows.long()
    with torch.no_grad():
        bound = (math.sqrt(3) * gain * inv_sqrt)[rows].view(-1, *[1] * (weight.dim() - 1))
        weight.uniform_(-1, 1).mul_(bound.to(weight.dtype))
        if bias is not None:
            bias.uniform_(-1, 1).mul_(inv_sqrt.repeat_interleave(bs).to(bias.device, bias.dtype))
    return weight


def _tap_norms(weight: torch.Tensor, norm: str) -> torch.Tensor:
    """Per channel pair, the norm over the kernel taps: ``from_weight``'s block norm of these is then the
    norm of the whole ``(bs, bs, *kernel_size)`` block."""
    taps = tuple(range(2, weight.dim()))
    if norm == "l2":
        return torch.linalg.vector_norm(weight.to(torch.promote_types(weight.dtype, torch.float32)), dim=taps)
    if norm == "max":
        return weight.abs().amax(dim=taps)
    raise ValueError(f"expected norm in ('l2', 'max'), got {norm!r}")


class _BlockSparseConvNd(LayoutModule):
    """What Conv1d and Conv2d share; ``_dims``, ``_dense`` and ``_conv`` say which one."""

    _in_name = "in_channels"
    _out_name = "out_channels"

    _dims: int
    _dense: type[nn.Module]

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        layout: Layout,
    ):
        super().__init__()
        in_channels = as_tuple("in_channels", in_channels, 1, 1)[0]
        out_channels = as_tuple("out_channels", out_channels, 1, 1)[0]
        self.in_channels = in_channels
        self.out_channels = out_channels
        self._init_layout(layout, device)
        self.kernel_size = as_tuple("kernel_size", kernel_size, self._dims, 1)
        self.stride = as_tuple("stride", stride, self._dims, 1)
        self.dilation = as_tuple("dilation", dilation, self._dims, 1)
        resolve_padding(padding, self.kernel_size, self.stride, self.dilation)  # checks it
        self.padding = padding if isinstance(padding, str) else as_tuple("padding", padding, self._dims, 0)
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty((*layout.packed_shape, *self.kernel_size), **factory))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """nn.Conv's init at the real fan-in of every output channel (``_fan_in_uniform_``)."""
        _fan_in_uniform_(self.weight, self.layout, self.bias)

    # -- compute ---------------------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        conv = conv1d if self._dims == 1 else conv2d
        return conv(x, self.weight, self.layout, self.bias, self.stride, self.padding, self.dilation)

    def to_dense(self) -> torch.Tensor:
        """The dense ``(out_channels, in_channels, *kernel_size)`` weight, zeros off the layout (differentiable)."""
        return conv_to_dense(self.weight, self.layout)

    def to_conv(self) -> nn.Module:
        """An ``nn.Conv1d`` / ``nn.Conv2d`` computing the same function, with the dense masked weight (a copy)."""
        dense = self._dense(
            self.in_channels,
            self.out_channels,
            self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            bias=self.bias is not None,
            device=self.weight.device,
            dtype=self.weight.dtype,
        )
        copy_parameters(dense, self.to_dense(), self.bias)
        return dense.train(self.training)

    @classmethod
    def from_dense(
        cls, conv: nn.Module, layout_or_density: Layout | float, block_size: int | None = None, norm: str = "l2"
    ) -> _BlockSparseConvNd:
        """Prune an ``nn.Conv1d`` / ``nn.Conv2d``: keep the blocks of a given Layout, or the ``density``
        fraction of (output block, input block) pairs whose weights ``(bs, bs, *kernel_size)`` have the
        largest norm (``norm`` = ``"l2"`` or ``"max"``; ties go to the earlier block in row-major order).

        The kept blocks and the bias are copied; stride, padding, dilation, device, dtype and training mode
        follow ``conv``. ``block_size`` is required with a density; with a Layout it may be omitted.
        """
        if type(conv) is not cls._dense:
            raise TypeError(f"expected an nn.{cls._dense.__name__}, got {type(conv).__name__}")
        if conv.groups != 1 or conv.padding_mode != "zeros":
            raise ValueError(
                f"expected groups=1 and padding_mode='zeros', got groups={conv.groups}, "
                f"padding_mode={conv.padding_mode!r}"
            )
        weight = conv.weight.detach()
        layout = pruning_layout(layout_or_density, block_size, lambda: _tap_norms(weight, norm), norm)
        module = cls(
            conv.in_channels,
            conv.out_channels,
            conv.kernel_size,
            stride=conv.stride,
            padding=conv.padding,
            dilation=conv.dilation,
            bias=conv.bias is not None,
            device=weight.device,
            dtype=weight.dtype,
            layout=layout,
        )
        copy_parameters(module, conv_from_dense(weight, layout), conv.bias)
        return module.train(conv.training)

    def _apply(self, fn, recurse=True):
        # Module.to(memory_format=torch.channels_last) converts every 4-D and 5-D tensor, and the packed weight
        # of a 2-D conv is 5-D, which that format rejects. The packed blocks have no spatial layout to change:
        # they go through ``fn`` flattened (device and dtype still apply) and get their shape back.
        shape = self.weight.shape
        with torch.no_grad():
            self.weight.data = self.weight.data.reshape(-1)
            if self.weight.grad is not None:
                self.weight.grad = self.weight.grad.reshape(-1)
        try:
            return super()._apply(fn, recurse)
        finally:
            with torch.no_grad():
                self.weight.data = self.weight.data.reshape(shape)
                if self.weight.grad is not None:
                    self.weight.grad = self.weight.grad.reshape(shape)

    def _resize_parameters(self, layout: Layout) -> None:
        shape = (*layout.packed_shape, *self.kernel_size)
        if tuple(self.weight.shape) != shape:
            self.weight.data = self.weight.new_zeros(shape)
            self.weight.grad = None

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, block_size={self.block_size}, "
            f"density={self.density:.4f}, nnz={self.nnz}, bias={self.bias is not None}"
        )


class BlockSparseConv1d(_BlockSparseConvNd):
    """``nn.Conv1d`` (zero padding, groups=1) with a block-sparse weight over channels.

    Args: ``in_channels, out_channels, kernel_size, stride, padding, dilation, bias, device, dtype`` as
    ``nn.Conv1d`` (padding: an int, ``'same'`` or ``'valid'``), and the keyword ``layout``, a Layout of
    shape ``(out_channels, in_channels)``. Attributes: ``weight`` ``(nnz, bs, bs, k)``, ``bias``,
    ``layout`` and its mask ``layout_mask``.
    """

    _dims = 1
    _dense = nn.Conv1d


class BlockSparseConv2d(_BlockSparseConvNd):
    """``nn.Conv2d`` (zero padding, groups=1) with a block-sparse weight over channels.

    Args: ``in_channels, out_channels, kernel_size, stride, padding, dilation, bias, device, dtype`` as
    ``nn.Conv2d`` (padding: an int, a pair, ``'same'`` or ``'valid'``), and the keyword ``layout``, a
    Layout of shape ``(out_channels, in_channels)``. Attributes: ``weight`` ``(nnz, bs, bs, kh, kw)``,
    ``bias``, ``layout`` and its mask ``layout_mask``.
    """

    _dims = 2
    _dense = nn.Conv2d
