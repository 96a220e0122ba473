"""What every block-sparse module shares: its Layout, checked against its sizes and kept in the state dict.

The mask travels as the persistent buffer ``layout_mask`` and the block size as extra state; loading a
state dict switches the module to the saved layout (parameters resized) before the weights are copied.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..checks import check_density
from ..layout import Layout


def check_layout(layout, in_size: int, out_size: int, in_name: str, out_name: str) -> None:
    """Raise unless ``layout`` is a Layout of shape ``(out_size, in_size)``."""
    if not isinstance(layout, Layout):
        raise TypeError(f"expected layout to be a tilesparse.Layout, got {type(layout).__name__}")
    bs = layout.block_size
    for name, size in ((in_name, in_size), (out_name, out_size)):
        if size % bs:
            raise ValueError(f"expected {name} divisible by the layout's block_size {bs}, got {size}")
    if layout.shape != (out_size, in_size):
        raise ValueError(
            f"expected a layout of shape ({out_name}, {in_name}) = {(out_size, in_size)}, got {layout.shape}"
        )


def pruning_layout(
    layout_or_density: Layout | float, block_size: int | None, scores: Callable[[], torch.Tensor], norm: str
) -> Layout:
    """The Layout a ``from_dense`` keeps: the given Layout (``block_size`` None or the layout's), or the
    ``density`` fraction of the blocks of ``scores()`` (the dense weight, or its norms per channel pair) with
    the largest ``norm`` (``tilesparse.layouts.from_weight``). ``scores`` is only called for a density."""
    if isinstance(layout_or_density, Layout):
        layout = layout_or_density
        if block_size is not None and block_size != layout.block_size:
            raise ValueError(f"expected block_size None or the layout's {layout.block_size}, got {block_size}")
        return layout
    density = check_density(layout_or_density)
    if block_size is None:
        raise ValueError("expected a block_size with a density, got None")
    from .. import layouts

    return layouts.from_weight(scores(), block_size, density, norm=norm)


def copy_parameters(module: nn.Module, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
    """Copy ``weight`` and, when not None, ``bias`` into ``module``'s parameters of those names."""
    with torch.no_grad():
        module.weight.copy_(weight)
        if bias is not None:
            module.bias.copy_(bias)


class LayoutModule(nn.Module):
    """Base of the block-sparse modules. Subclasses name their size attributes (``_in_name``,
    ``_out_name``), call ``_init_layout`` in ``__init__`` and resize their packed parameters in
    ``_resize_parameters``."""

    _in_name = "in_features"
    _out_name = "out_features"

    def _check_layout(self, layout: Layout) -> None:
        in_size, out_size = getattr(self, self._in_name), getattr(self, self._out_name)
        check_layout(layout, in_size, out_size, self._in_name, self._out_name)

    def _init_layout(self, layout: Layout, device) -> None:
        self._check_layout(layout)
        self.layout = layout
        self.register_buffer("layout_mask", layout.mask.to(device))

    @property
    def block_size(self) -> int:
        return self.layout.block_size

    @property
    def nnz(self) -> int:
        return self.layout.nnz

    @property
    def density(self) -> float:
        return self.layout.density

    # -- state dict: the layout travels with the weights ------------------------------------------------------
    def get_extra_state(self) -> dict:
        return {"block_size": self.layout.block_size}

    def set_extra_state(self, state) -> None:
        """Nothing left to do: the saved block size is read with the mask, before the weights are loaded."""
        if not isinstance(state, dict) or "block_size" not in state:
            raise ValueError(f"expected extra state {{'block_size': int}}, got {state!r}")

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        # Switch to the saved layout first, so that the parameters it packs have the right shapes.
        mask = state_dict.get(prefix + "layout_mask")
        if mask is not None:
            extra = state_dict.get(prefix + "_extra_state")
            block_size = extra.get("block_size") if isinstance(extra, dict) else self.layout.block_size
            try:
                layout = Layout(mask.to(torch.bool), block_size)
                self._check_layout(layout)
            except (TypeError, ValueError) as error:
                error_msgs.append(f"while loading the layout of {prefix or 'the module'}: {error}")
            else:
                self._set_layout(layout)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def _set_layout(self, layout: Layout) -> None:
        """Make ``layout`` the module's; the packed parameters are resized (same Parameter objects, new
        storage) when their shapes change, and the caller fills in the values."""
        if layout == self.layout:
            return
        self.layout = layout
        self.layout_mask = layout.mask.to(self.layout_mask.device)
        self._resize_parameters(layout)

    def _resize_parameters(self, layout: Layout) -> None:
        raise NotImplementedError
