"""Development probe (GPU only): what limits the large-batch products, measured rather than guessed.

``time``: a plain dense Triton matmul (no gather, no index tables) at 8192^3 against cuBLAS and against our
forward on a full layout, so the per-tile ceiling of Triton itself is known. ``ncu CASE``: one launch of
CASE between cudaProfilerStart/Stop, for ``ncu --profile-from-start off`` (see the run command in the log).
Usage: PYTHONPATH=src python3 scripts/profile_tiles.py time | ncu CASE
"""

import os
import sys

import torch
import triton
import triton.language as tl

sys.path.insert(0, os.path.dirname(__file__))

from probe_linear import random_layout  # noqa: E402

from tilesparse.kernels.linear_dsd import dsd_config, linear_dsd  # noqa: E402
from tilesparse.kernels.linear_sdd import linear_sdd, sdd_config  # noqa: E402
from tilesparse.layout import linear_dw_group_size  # noqa: E402

N = 8192


@triton.jit
def dense_matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, stride_am, stride_bn, stride_cm,
                        BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, GROUP: tl.constexpr):
    """c = a @ b^T with a (M, K) and b (N, K) both K-contiguous: the forward's y = x W^T, dense."""
    pid = tl.program_id(0)
    tiles_m, tiles_n = tl.cdiv(M, BM), tl.cdiv(N, BN)
    per_group = GROUP * tiles_n
    first_m = (pid // per_group) * GROUP
    rows = min(tiles_m - first_m, GROUP)
    pid_m = first_m + (pid % per_group) % rows
    pid_n = (pid % per_group) // rows
    offs_m = pid_m * BM + tl.arange(0, BM)
    offs_n = pid_n * BN + tl.arange(0, BN)
    offs_k = tl.arange(0, BK)
    a_ptrs = a_ptr + offs_m[:, None].to(tl.int64) * stride_am + offs_k[None, :]
    b_ptrs = b_ptr + offs_n[None, :].to(tl.int64) * stride_bn + offs_k[:, None]
    acc = tl.zeros((BM, BN), dtype=tl.float32)
    for _ in range(0, K, BK):
        acc = tl.dot(tl.load(a_ptrs), tl.load(b_ptrs), acc)
        a_ptrs += BK
        b_ptrs += BK
    c_ptrs = c_ptr + offs_m[:, None].to(tl.int64) * stride_cm + offs_n[None, :]
    tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty))


def dense_triton(a, b, bm, bn, bk, warps, stages, group=8):
    m, k = a.shape
    n = b.shape[0]
    c = torch.empty(m, n, device=a.device, dtype=a.dtype)
    grid = (triton.cdiv(m, bm) * triton.cdiv(n, bn),)
    dense_matmul_kernel[grid](a, b, c, m, n, k, a.stride(0), b.stride(0), c.stride(0), BM=bm, BN=bn, BK=bk,
                              GROUP=group, num_warps=warps, num_stages=stages)
    return c


DENSE_CONFIGS = [(128, 256, 64, 8, 3), (256, 128, 64, 8, 3), (128, 256, 64, 8, 4), (256, 128, 64, 8, 4),
                 (128, 128, 64, 4, 4), (128, 256, 64, 8, 3, 1)]


def bench(fn):
    return triton.testing.do_bench(fn, warmup=25, rep=200, return_mode="median")


def forward_case(bs, density, dtype=torch.float16, seed=0):
    gen = torch.Generator().manual_seed(seed)
    layout = random_layout(N, N, bs, density, gen)
    t = layout.tables("cuda")
    blocks = torch.randn(layout.packed_shape, device="cuda", dtype=dtype) * 0.05
    x = torch.randn(N, N, device="cuda", dtype=dtype)
    seg = (t.row_ptr, t.row_cols, t.row_blocks, t.row_order)
    return layout, t, blocks, x, (lambda: linear_dsd(x, blocks, *seg, N // bs, True))


def dw_case(bs, density, dtype=torch.float16, seed=0):
    gen = torch.Generator().manual_seed(seed)
    layout = random_layout(N, N, bs, density, gen)
    t = layout.tables("cuda")
    x = torch.randn(N, N, device="cuda", dtype=dtype)
    dy = torch.randn(N, N, device="cuda", dtype=dtype)
    group = linear_dw_group_size(bs, layout.nnz, N // bs)
    print("dw group", group, sdd_config(N, bs, group, 2))
    return lambda: linear_sdd(dy, x, t.row_ptr, t.block_cols, t.group_first, t.group_rows, bs, group)


def time_all():
    dev = torch.cuda.get_device_name()
    print(dev, torch.__version__, triton.__version__)
    a = torch.randn(N, N, device="cuda", dtype=torch.float16)
    b = torch.randn(N, N, device="cuda", dtype=torch.float16)
    ref = a @ b.T
    cublas = bench(lambda: a @ b.T)
    print(f"cuBLAS x @ W^T fp16 {N}^3: {cublas:.3f} ms ({2 * N**3 / cublas / 1e9:.0f} TFLOP/s)")
    for cfg in DENSE_CONFIGS:
        c = dense_triton(a, b, *cfg)
        err = ((c.float() - ref.float()).norm() / ref.float().norm()).item()
        ms = bench(lambda cfg=cfg: dense_triton(a, b, *cfg))
        print(f"dense triton {cfg}: {ms:.3f} ms = {cublas / ms:.2f} of cuBLAS (err {err:.1e})")
    for bs in (128, 64, 32):
        layout, t, blocks, x, fn = forward_case(bs, 1.0)
        ms = bench(fn)
        print(f"ours forward full layout b{bs} {dsd_config(N, bs, 2)}: {ms:.3f} ms = {cublas / ms:.2f} of cuBLAS")
        for density in (0.5, 0.1):
            layout, t, blocks, x, fn = forward_case(bs, density)
            ms = bench(fn)
            print(f"ours forward b{bs} d={density}: {ms:.3f} ms eff {cublas * layout.density / ms:.2f}")


def ncu_case(name):
    kind, rest = name.split("-", 1)
    if kind == "cublas":
        a = torch.randn(N, N, device="cuda", dtype=torch.float16)
        b = torch.randn(N, N, device="cuda", dtype=torch.float16)
        fn = lambda: a @ b.T  # noqa: E731
    elif kind == "dense":
        a = torch.randn(N, N, device="cuda", dtype=torch.float16)
        b = torch.randn(N, N, device="cuda", dtype=torch.float16)
        fn = lambda: dense_triton(a, b, 128, 256, 64, 8, 3)  # noqa: E731
    elif kind == "fwd":
        bs, density = rest.split("-")
        fn = forward_case(int(bs), float(density))[-1]
    else:
        bs, density = rest.split("-")
        fn = dw_case(int(bs), float(density))
    profile_once(fn)


def profile_once(fn):
    """Run ``fn`` once to compile and warm up, then once between cudaProfilerStart/Stop (for ncu
    --profile-from-start off)."""
    fn()
    torch.cuda.synchronize()
    torch.cuda.profiler.start()
    fn()
    torch.cuda.synchronize()
    torch.cuda.profiler.stop()


if __name__ == "__main__":
    if sys.argv[1] == "time":
        time_all()
    else:
        ncu_case(sys.argv[2])
