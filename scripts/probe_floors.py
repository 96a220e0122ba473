"""Development probe (GPU only): the floors of the small-batch products, timed as the suite times them.

The seed shape (12288^2 weight, batch 32, block 32) reads d x 302 MB of blocks; its speedup targets leave
a few microseconds per call at low density. This measures, with the suite's cold-L2 CUDA-graph timer:
an empty kernel (the launch intercept), a plain streaming read of the same bytes as the blocks (what one
kernel launch moving those bytes costs), our forward/dX as configured and without the launch-order load,
and the LSTM's batch-64 products (issue 6's case) against the same floors.
Usage: PYTHONPATH=src python3 scripts/probe_floors.py
"""

import dataclasses
import os
import sys

import torch
import triton
import triton.language as tl

sys.path.insert(0, os.path.dirname(__file__))

from probe_linear import random_layout  # noqa: E402

from tilesparse.bench.linear import DEFAULT_TIMING, time_ms  # noqa: E402
from tilesparse.kernels.linear_dsd import DsdConfig, dsd_config, linear_dsd  # noqa: E402

DEV = torch.device("cuda")


@triton.jit
def touch_kernel(out_ptr):
    tl.store(out_ptr + tl.program_id(0), 1.0)


@triton.jit
def stream_kernel(src_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    v = tl.load(src_ptr + offs, mask=offs < n, other=0.0)
    tl.store(out_ptr + tl.program_id(0), tl.sum(v.to(tl.float32)))


def cold(fn):
    return time_ms(fn, DEV, DEFAULT_TIMING) * 1e3  # us


def stream_us(nbytes):
    n = nbytes // 2
    src = torch.randn(n, device=DEV, dtype=torch.float16)
    block = 8192
    out = torch.empty(triton.cdiv(n, block), device=DEV)
    return cold(lambda: stream_kernel[(triton.cdiv(n, block),)](src, out, n, BLOCK=block, num_warps=8))


def products(m, out_f, in_f, density, gen):
    layout = random_layout(out_f, in_f, 32, density, gen)
    t = layout.tables("cuda")
    blocks = torch.randn(layout.packed_shape, device=DEV, dtype=torch.float16) * 0.05
    x = torch.randn(m, in_f, device=DEV, dtype=torch.float16)
    dy = torch.randn(m, out_f, device=DEV, dtype=torch.float16)
    fwd = (x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, out_f // 32, True)
    dx = (dy, blocks, t.col_ptr, t.col_rows, t.col_blocks, t.col_order, in_f // 32, False)
    return layout, blocks, {"fwd": fwd, "dX": dx}


def variants(m):
    base = dsd_config(m, 32, 2)
    out = {"default": base, "unordered": dataclasses.replace(base, ordered=False)}
    if m > 32:
        out["unordered w2 st16"] = DsdConfig(m, 2, 16, ordered=False)
        out["unordered w4 st12"] = DsdConfig(m, 4, 12, ordered=False)
        out["unordered bm32 w2 st16"] = DsdConfig(32, 2, 16, ordered=False)
    return out


def main():
    print(torch.cuda.get_device_name(), torch.__version__, triton.__version__, flush=True)
    flag = torch.empty(1024, device=DEV)
    print(f"empty kernel (1 program): {cold(lambda: touch_kernel[(1,)](flag)):.2f} us", flush=True)
    print(f"empty kernel (384 programs): {cold(lambda: touch_kernel[(384,)](flag)):.2f} us", flush=True)
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(32, 12288, device=DEV, dtype=torch.float16)
    w = torch.randn(12288, 12288, device=DEV, dtype=torch.float16)
    dense = cold(lambda: a @ w.T)
    print(f"seed dense forward: {dense:.2f} us; stream of the whole weight: {stream_us(w.numel() * 2):.2f} us")
    for density in (0.5, 0.25, 0.1, 0.05, 0.01):
        layout, blocks, prods = products(32, 12288, 12288, density, gen)
        floor = stream_us(blocks.numel() * 2)
        line = [f"seed d={density}: blocks {blocks.numel() * 2 / 1e6:.1f} MB, stream {floor:.2f} us "
                f"(speedup cap {dense / floor:.1f})"]
        for prod, args in prods.items():
            for name, cfg in variants(32).items():
                us = cold(lambda args=args, cfg=cfg: linear_dsd(*args, config=cfg))
                line.append(f"{prod} {name} {us:.2f} us ({dense / us:.2f}x)")
        print("\n  ".join(line), flush=True)
    # the LSTM's per-step products: batch 64, hidden 18432, four gates, block 32, d = 0.0295
    layout, blocks, prods = products(64, 4 * 18432, 18432, 0.0295, gen)
    floor = stream_us(blocks.numel() * 2)
    line = [f"lstm step: blocks {blocks.numel() * 2 / 1e6:.1f} MB, stream {floor:.2f} us"]
    for prod, args in prods.items():
        for name, cfg in variants(64).items():
            us = cold(lambda args=args, cfg=cfg: linear_dsd(*args, config=cfg))
            warm = triton.testing.do_bench(lambda args=args, cfg=cfg: linear_dsd(*args, config=cfg), warmup=25,
                                           rep=100, return_mode="median") * 1e3
            line.append(f"{prod} {name} cold {us:.2f} us, warm do_bench {warm:.2f} us")
    print("\n  ".join(line), flush=True)


def ncu_case(name):
    gen = torch.Generator().manual_seed(0)
    if name.startswith("seed"):
        _, _, prods = products(32, 12288, 12288, float(name.split("-")[1]), gen)
        args = prods["fwd"]
    else:
        _, _, prods = products(64, 4 * 18432, 18432, 0.0295, gen)
        args = prods["fwd" if name == "lstm-fwd" else "dX"]
    linear_dsd(*args)
    torch.cuda.synchronize()
    torch.cuda.profiler.start()
    linear_dsd(*args)
    torch.cuda.synchronize()
    torch.cuda.profiler.stop()


if __name__ == "__main__":
    ncu_case(sys.argv[2]) if sys.argv[1:2] == ["ncu"] else main()
