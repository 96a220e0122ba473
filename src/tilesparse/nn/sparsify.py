"""``sparsify``: replace chosen ``nn.Linear`` layers of a model by pruned ``BlockSparseLinear`` ones, in place."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..checks import check_density
from ..layout import SUPPORTED_BLOCK_SIZES
from .linear import BlockSparseLinear


def _children_of(model: nn.Module, kinds: tuple[type, ...]) -> set[int]:
    """ids of the direct children of the modules of ``kinds`` in ``model``."""
    return {id(child) for module in model.modules() if isinstance(module, kinds) for child in module.children()}


def _fused_fast_path_off(module: nn.Module, args) -> None:
    """A forward pre-hook that does nothing: TransformerEncoderLayer takes its fused fast path, which reads
    ``linear1.weight`` and ``linear2.weight`` as dense, only while none of its modules has hooks."""
    return None


def _unfit_reason(module: nn.Linear, block_size: int, in_attention: set[int]) -> str | None:
    """Why ``module`` cannot become block-sparse at ``block_size``, or None when it can."""
    if isinstance(module.weight, nn.parameter.UninitializedParameter):
        return "expected an initialised layer, got a lazy one (run a forward pass first)"
    if module.in_features % block_size or module.out_features % block_size:
        return (
            f"expected in_features and out_features divisible by block_size {block_size}, "
            f"got ({module.in_features}, {module.out_features})"
        )
    if id(module) in in_attention:
        return "expected a layer outside nn.MultiheadAttention, which reads its dense weight directly"
    return None


def sparsify(
    model: nn.Module,
    density: float,
    block_size: int,
    filter: Callable[[str, nn.Module], bool] | None = None,
    norm: str = "l2",
    *,
    gate: str | torch.Tensor | None = None,
) -> nn.Module:
    """Prune the chosen ``nn.Linear`` layers of ``model`` to block-sparse ones, in place, and return ``model``.

    Each chosen layer becomes ``BlockSparseLinear.from_dense(layer, density, block_size, norm, gate=gate)``:
    it keeps the ``density`` fraction of its blocks with the largest norm. ``filter(name, module)`` is
    asked about every ``nn.Linear`` (``name`` as in ``model.named_modules()``). Without a filter, every
    ``nn.Linear`` that can be converted is chosen and the others are skipped; a layer the filter chooses
    but that cannot be converted raises ValueError, and nothing is replaced. Convertible means: features
    divisible by ``block_size``, initialised, and not a projection of ``nn.MultiheadAttention`` (it reads
    their dense weights directly). The feed-forward layers of ``nn.TransformerEncoderLayer`` are converted;
    a no-op forward pre-hook on them turns the layer's fused inference path off, and ``nn.TransformerEncoder``
    stops packing inputs into nested tensors (``use_nested_tensor = False``).

    A layer reachable under several names is replaced everywhere by one module. When ``model`` is itself
    an ``nn.Linear`` its replacement is returned: write ``model = sparsify(model, ...)``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected model to be an nn.Module, got {type(model).__name__}")
    density = check_density(density)
    if isinstance(block_size, bool) or block_size not in SUPPORTED_BLOCK_SIZES:
        raise ValueError(f"expected block_size in {SUPPORTED_BLOCK_SIZES}, got {block_size!r}")
    if filter is not None and not callable(filter):
        raise TypeError(f"expected filter to be callable(name, module) -> bool, got {type(filter).__name__}")

    in_attention = _children_of(model, (nn.MultiheadAttention,))
    chosen: dict[int, nn.Linear] = {}
    for name, module in model.named_modules():
        if not isinstance(module, nn.Linear):
            continue
        reason = _unfit_reason(module, block_size, in_attention)
        if filter is None:
            if reason is None:
                chosen[id(module)] = module
        elif filter(name, module):
            if reason is not None:
                raise ValueError(f"cannot sparsify layer {name!r} chosen by the filter: {reason}")
            chosen[id(module)] = module

    # Convert everything before touching the model, so that a failure leaves it as it was.
    replacements = {
        key: BlockSparseLinear.from_dense(layer, density, block_size, norm, gate=gate) for key, layer in chosen.items()
    }
    for key in _children_of(model, (nn.TransformerEncoderLayer,)) & replacements.keys():
        replacements[key].register_forward_pre_hook(_fused_fast_path_off)
    if id(model) in replacements:
        return replacements[id(model)]
    for name, module in list(model.named_modules(remove_duplicate=False)):
        if id(module) in replacements:
            parent, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent), child, replacements[id(module)])
    for module in model.modules():
        if isinstance(module, nn.TransformerEncoder) and any(
            isinstance(m, BlockSparseLinear) for m in module.modules()
        ):
            module.use_nested_tensor = False
    return model
