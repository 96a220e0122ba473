"""Development probe: time the three linear products against dense cuBLAS on a few shapes (GPU only).

Not the benchmark (that is ``python -m tilesparse.bench``): a quick look while tuning kernels.
Usage: PYTHONPATH=src python3 scripts/probe_linear.py [--dtype float16] [--quick]
"""

import argparse

import torch
import triton

import tilesparse as ts


def random_layout(out_features, in_features, block_size, density, generator=None):
    rows, cols = out_features // block_size, in_features // block_size
    nnz = max(1, round(density * rows * cols))
    flat = torch.randperm(rows * cols, generator=generator)[:nnz]
    mask = torch.zeros(rows * cols, dtype=torch.bool)
    mask[flat] = True
    return ts.Layout(mask.view(rows, cols), block_size)


def bench(fn):
    return triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dtype", default="float16")
    parser.add_argument("--cases", default="seed,8192")
    args = parser.parse_args()
    dtype = getattr(torch, args.dtype)
    ops = torch.ops.tilesparse
    print(f"{'case':>8} {'bs':>4} {'d':>5} {'prod':>4} {'ms':>9} {'dense':>9} {'eff':>6} {'speedup':>7}")
    cases = []
    if "seed" in args.cases:
        cases += [("seed", 12288, 32, 32, d) for d in (0.5, 0.25, 0.1, 0.05, 0.01)]
    if "8192" in args.cases:
        cases += [("8192", 8192, 8192, bs, d) for bs in (8, 16, 32, 64, 128) for d in (0.25, 0.05)]
    dense_cache = {}
    for name, features, batch, bs, density in cases:
        layout = random_layout(features, features, bs, density)
        tables = list(layout.tables("cuda"))
        nb = features // bs
        x = torch.randn(batch, features, device="cuda", dtype=dtype)
        dy = torch.randn(batch, features, device="cuda", dtype=dtype)
        blocks = torch.randn(layout.packed_shape, device="cuda", dtype=dtype) * 0.05
        if (features, batch) not in dense_cache:
            w = torch.randn(features, features, device="cuda", dtype=dtype)
            dense_cache[(features, batch)] = {
                "fwd": bench(lambda: x @ w.T),
                "dx": bench(lambda: dy @ w),
                "dw": bench(lambda: dy.T @ x),
            }
            del w
        dense = dense_cache[(features, batch)]
        products = {
            "fwd": lambda: ops.linear_forward(x, blocks, None, tables, nb),
            "dx": lambda: ops.linear_backward_input(dy, blocks, tables, nb),
            "dw": lambda: ops.linear_backward_weight(dy, x, tables, bs),
        }
        for prod, fn in products.items():
            ms = bench(fn)
            eff = dense[prod] * layout.density / ms
            print(f"{name:>8} {bs:>4} {layout.density:5.3f} {prod:>4} {ms:9.4f} {dense[prod]:9.4f} {eff:6.3f} "
                  f"{dense[prod] / ms:7.2f}", flush=True)

        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
