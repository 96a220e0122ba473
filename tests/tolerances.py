"""The one tolerance policy: relative error ||out - ref|| / ||ref|| against a float64 reference.

Inputs are rounded to the test dtype first, so the reference sees exactly the values the kernel sees;
what is left is fp32 accumulation and the final rounding of the output to its dtype (unit roundoff
u = 2^-24 fp32, 2^-11 fp16, 2^-8 bf16; TF32 rounds the *inputs* of fp32 products to 10 mantissa bits).
Each bound is a few times what that rounding gives on random data of the sizes tested.
"""

from __future__ import annotations

import torch

RELATIVE_TOLERANCE = {
    torch.float64: 1e-12,
    torch.float32: 1e-5,
    torch.float16: 2e-3,
    torch.bfloat16: 1.6e-2,
}
TF32_TOLERANCE = 4e-3
CHAIN_FACTOR = 3.0


def tolerance(dtype: torch.dtype, tf32: bool = False) -> float:
    if dtype == torch.float32 and tf32:
        return TF32_TOLERANCE
    return RELATIVE_TOLERANCE[dtype]


def relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    """||out - ref|| / ||ref|| in float64."""
    out64, ref64 = out.detach().to(torch.float64).cpu(), ref.detach().to(torch.float64).cpu()
    return ((out64 - ref64).norm() / ref64.norm()).item()


def assert_as_close_as(out, baseline, ref, dtype: torch.dtype, what: str) -> None:
    """For a chain of low-precision products (a recurrent cell over several steps) the single-op bound does
    not hold: roundings compound. Then ``out`` must be within the dtype's tolerance of the float64 ``ref``, or
    no more than ``CHAIN_FACTOR`` times as far from it as ``baseline``, the same math in plain PyTorch at the
    same precision (two correct implementations that sum in different orders differ by about that much)."""
    err, base = relative_error(out, ref), relative_error(baseline, ref)
    bound = max(tolerance(dtype), CHAIN_FACTOR * base)
    assert err <= bound, f"{what}: relative error {err:.3e} > {bound:.3e} (PyTorch at {dtype}: {base:.3e})"


def assert_close(out: torch.Tensor, ref: torch.Tensor, dtype: torch.dtype, what: str, tf32: bool = False) -> None:
    """Fail with the relative error and the worst element when out is not within the dtype's tolerance."""
    assert out.shape == ref.shape, f"{what}: expected shape {tuple(ref.shape)}, got {tuple(out.shape)}"
    out64 = out.detach().to(torch.float64).cpu()
    ref64 = ref.detach().to(torch.float64).cpu()
    assert torch.isfinite(out64).all(), (
        f"{what}: {int((~torch.isfinite(out64)).sum())} non-finite elements, first at "
        f"{tuple(int(i) for i in (~torch.isfinite(out64)).nonzero()[0])} (unwritten output?)"
    )
    diff = out64 - ref64
    ref_norm = ref64.norm()
    err = (diff.norm() / ref_norm).item() if ref_norm > 0 else diff.norm().item()
    tol = tolerance(dtype, tf32)
    if not err <= tol:
        worst = tuple(int(i) for i in torch.unravel_index(diff.abs().argmax(), diff.shape))
        raise AssertionError(
            f"{what}: relative error {err:.3e} > {tol:.1e} ({dtype}); worst element {worst}: "
            f"got {out64[worst].item():.6g}, expected {ref64[worst].item():.6g}"
        )


def assert_products_close(y, y64, grads, dtype: torch.dtype, tf32: bool = False) -> None:
    """An op's output and its gradients against the float64 run of the same math: ``grads`` pairs
    ``(what, tensor, float64 tensor)``, each compared by ``.grad`` (a tensor of ``None`` is skipped)."""
    assert y.dtype == dtype
    assert_close(y, y64, dtype, "forward", tf32)
    for what, low, high in grads:
        if low is not None:
            assert_close(low.grad, high.grad, dtype, what, tf32)
