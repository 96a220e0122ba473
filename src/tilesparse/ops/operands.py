"""What every op does to its operands before dispatch: autocast them, then check them against each other."""

from __future__ import annotations

import torch


def autocast_operands(x, blocks, bias):
    """Cast x, blocks and bias to the autocast dtype when autocast is on for x's device (custom ops are not
    autocast by PyTorch itself)."""
    device_type = x.device.type
    if device_type in ("cuda", "cpu") and torch.is_autocast_enabled(device_type):
        dtype = torch.get_autocast_dtype(device_type)
        x, blocks = x.to(dtype), blocks.to(dtype)
        bias = bias.to(dtype) if bias is not None else None
    return x, blocks, bias


def check_operands(x: torch.Tensor, blocks: torch.Tensor, bias, out_size: int) -> None:
    """x floating point; blocks and bias (``(out_size,)`` or None) of x's dtype and on x's device."""
    if not x.is_floating_point():
        raise TypeError(f"expected a floating-point x, got {x.dtype}")
    if blocks.dtype != x.dtype:
        raise TypeError(f"expected blocks of x's dtype {x.dtype}, got {blocks.dtype}")
    if blocks.device != x.device:
        raise ValueError(f"expected blocks on x's device {x.device}, got {blocks.device}")
    if bias is None:
        return
    if not isinstance(bias, torch.Tensor):
        raise TypeError(f"expected bias to be a torch.Tensor or None, got {type(bias).__name__}")
    if tuple(bias.shape) != (out_size,):
        raise ValueError(f"expected bias of shape ({out_size},), got {tuple(bias.shape)}")
    if bias.dtype != x.dtype:
        raise TypeError(f"expected bias of x's dtype {x.dtype}, got {bias.dtype}")
    if bias.device != x.device:
        raise ValueError(f"expected bias on x's device {x.device}, got {bias.device}")
