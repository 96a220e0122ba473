"""``BlockSparseLinear``: a drop-in ``nn.Linear`` whose weight is block-sparse under a ``Layout``.

The weight is stored packed, ``(nnz, block_size, block_size)``, as an ordinary Parameter, so optimizers,
``.to()``, autocast, DDP and ``torch.compile`` handle it like a dense one. The layout travels in the
state dict: the block mask as the bool buffer ``layout_mask``, the block size in the module's extra
state. Loading a state dict restores the saved layout, whatever layout the module had before.

An optional per-block gate multiplies every nonzero block by a scalar: learned (a Parameter) or fixed
(a buffer), ones at init.
"""

from __future__ import annotations

import torch
from torch import nn

from ..checks import as_int
from ..layout import Layout
from ..layout import from_dense as pack
from ..layout import to_dense as unpack
from ..ops.linear import linear as sparse_linear
from . import init
from .layout_module import LayoutModule, copy_parameters, pruning_layout

GATES = (None, "fixed", "learned")


# -- argument checks -----------------------------------------------------------------------------------


def _positive_int(name: str, value) -> int:
    value = as_int(name, value)
    if value <= 0:
        raise ValueError(f"expected {name} > 0, got {value}")
    return value


def _gate_mode(gate, nnz: int) -> tuple[str | None, torch.Tensor | None]:
    """The gate's mode and, when given as a tensor, its initial values."""
    if isinstance(gate, torch.Tensor):
        if tuple(gate.shape) != (nnz,):
            raise ValueError(f"expected a gate tensor of shape (nnz,) = ({nnz},), got {tuple(gate.shape)}")
        if not gate.is_floating_point():
            raise TypeError(f"expected a floating-point gate tensor, got {gate.dtype}")
        return ("learned" if isinstance(gate, nn.Parameter) else "fixed"), gate.detach()
    if gate not in GATES:
        raise ValueError(f"expected gate in {GATES} or a tensor, got {gate!r}")
    return gate, None


# -- the module --------------------------------------------------------------------------------------------


class BlockSparseLinear(LayoutModule):
    """``y = x W^T + b`` like ``nn.Linear``, with W block-sparse: only the blocks of ``layout`` exist.

    Args:
        in_features, out_features: as ``nn.Linear``; both divisible by ``layout.block_size``.
        layout: a ``tilesparse.Layout`` of shape ``(out_features, in_features)``.
        bias: learn an additive bias.
        device, dtype: of the parameters.
        gate: ``None``; ``"learned"`` (a Parameter) or ``"fixed"`` (a buffer) scalar per nonzero block,
            ones at init; or a tensor of ``nnz`` initial values (an ``nn.Parameter`` is learned, any other
            tensor fixed; the values are copied).

    Attributes:
        weight: ``(nnz, block_size, block_size)``; block ``k`` is the ``k``-th present block of
            ``layout.mask`` in row-major order.
        bias: ``(out_features,)`` or None.
        gate: ``(nnz,)`` or None.
        layout: the current ``Layout``; ``layout_mask`` is its mask, kept as a buffer for the state dict.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        layout: Layout,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        gate: str | torch.Tensor | None = None,
    ):
        super().__init__()
        in_features = _positive_int("in_features", in_features)
        out_features = _positive_int("out_features", out_features)
        self.in_features = in_features
        self.out_features = out_features
        self._init_layout(layout, device)
        self.gate_mode, gate_values = _gate_mode(gate, layout.nnz)
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(layout.packed_shape, **factory))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features, **factory))
        else:
            self.register_parameter("bias", None)
        if self.gate_mode == "learned":
            self.gate = nn.Parameter(torch.ones(layout.nnz, **factory))
        elif self.gate_mode == "fixed":
            self.register_buffer("gate", torch.ones(layout.nnz, **factory))
        else:
            self.register_parameter("gate", None)
        self.reset_parameters()
        if gate_values is not None:
            with torch.no_grad():
                self.gate.copy_(gate_values)

    def reset_parameters(self) -> None:
        """Weight and bias by ``init.fan_in_uniform_`` (nn.Linear's init, at the real fan-in); gate to ones."""
        init.fan_in_uniform_(self.weight, self.layout, self.bias)
        if self.gate is not None:
            with torch.no_grad():
                self.gate.fill_(1.0)

    # -- compute -----------------------------------------------------------------------------------------
    def effective_weight(self) -> torch.Tensor:
        """The packed weight the forward uses: ``weight``, times the gate when there is one."""
        if self.gate is None:
            return self.weight
        return self.weight * self.gate[:, None, None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return sparse_linear(x, self.effective_weight(), self.layout, self.bias)

    def to_dense(self) -> torch.Tensor:
        """The dense ``(out_features, in_features)`` weight, gate applied, zeros off the layout (differentiable)."""
        return unpack(self.effective_weight(), self.layout)

    def to_linear(self) -> nn.Linear:
        """An ``nn.Linear`` computing the same function, with the dense masked weight (a copy)."""
        dense = nn.Linear(
            self.in_features,
            self.out_features,
            bias=self.bias is not None,
            device=self.weight.device,
            dtype=self.weight.dtype,
        )
        copy_parameters(dense, self.to_dense(), self.bias)
        dense.weight.requires_grad_(self.weight.requires_grad)
        if self.bias is not None:
            dense.bias.requires_grad_(self.bias.requires_grad)
        return dense.train(self.training)

    @classmethod
    def from_dense(
        cls,
        linear: nn.Linear,
        layout_or_density: Layout | float,
        block_size: int | None = None,
        norm: str = "l2",
        *,
        gate: str | torch.Tensor | None = None,
    ) -> BlockSparseLinear:
        """Prune an ``nn.Linear``: keep the blocks of a given Layout, or the ``density`` fraction of blocks
        with the largest norm (``norm`` = ``"l2"`` or ``"max"``, see ``tilesparse.layouts.from_weight``).

        The kept blocks and the bias are copied; device, dtype, training mode and ``requires_grad`` follow
        ``linear``. ``block_size`` is required with a density; with a Layout it may be omitted.
        """
        if not isinstance(linear, nn.Linear):
            raise TypeError(f"expected an nn.Linear, got {type(linear).__name__}")
        weight = linear.weight.detach()
        layout = pruning_layout(layout_or_density, block_size, lambda: weight, norm)
        module = cls(
            linear.in_features,
            linear.out_features,
            layout,
            bias=linear.bias is not None,
            device=weight.device,
            dtype=weight.dtype,
            gate=gate,
        )
        copy_parameters(module, pack(weight, layout), linear.bias)
        module.weight.requires_grad_(linear.weight.requires_grad)
        if linear.bias is not None:
            module.bias.requires_grad_(linear.bias.requires_grad)
        return module.train(linear.training)

    def _resize_parameters(self, layout: Layout) -> None:
        if tuple(self.weight.shape) != layout.packed_shape:
            self.weight.data = self.weight.new_zeros(layout.packed_shape)
            self.weight.grad = None
        if self.gate is not None and self.gate.shape[0] != layout.nnz:
            self.gate.data = self.gate.new_ones(layout.nnz)
            self.gate.grad = None

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, block_size={self.block_size}, "
            f"density={self.density:.4f}, nnz={self.nnz}, bias={self.bias is not None}, gate={self.gate_mode}"
        )
