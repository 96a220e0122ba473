"""Development sweep: time kernel configs of the linear products on the GPU and print the best per case.

Feeds the heuristics in kernels/linear_dsd.py and kernels/linear_sdd.py; not run by users.
Usage: PYTHONPATH=src python3 scripts/tune_linear.py [--block-sizes 8,16,32,64,128]
"""

import argparse
import itertools
import json
import os
import time

import torch
import triton
from probe_linear import random_layout

import tilesparse as ts
from tilesparse.kernels.linear_dsd import DsdConfig, linear_dsd
from tilesparse.kernels.linear_sdd import SddConfig, linear_sdd
from tilesparse.layout import row_groups


def bench(fn):
    return triton.testing.do_bench(fn, warmup=10, rep=40, return_mode="median")


def sweep(name, configs, run, flops):
    results = []
    for cfg in configs:
        try:
            ms = bench(lambda: run(cfg))
        except Exception as err:  # a config can exceed shared memory or registers
            print(f"  {name} {cfg} failed: {type(err).__name__}")
            continue
        results.append((ms, cfg))
    results.sort(key=lambda r: r[0])
    for ms, cfg in results[:3]:
        print(f"  {name} {ms:8.4f} ms {flops / ms / 1e9:7.1f} TFLOP/s {cfg}", flush=True)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--block-sizes", default="8,16,32,64,128")
    parser.add_argument("--density", type=float, default=0.1)
    parser.add_argument("--out", default=os.environ.get("OUT", "."))
    args = parser.parse_args()
    dtype = torch.float16
    record = {}
    start = time.time()

    # -- small batch (seed shape): forward
    layout = random_layout(12288, 12288, 32, 0.05)
    t = layout.tables("cuda")
    x = torch.randn(32, 12288, device="cuda", dtype=dtype)
    blocks = torch.randn(layout.packed_shape, device="cuda", dtype=dtype)
    flops = 2 * 32 * layout.nnz * 32 * 32
    print("seed shape 12288, batch 32, block 32, d=0.05, forward", flush=True)
    cfgs = [DsdConfig(bm, 4, s) for bm, s in itertools.product((16, 32), (3, 4, 6))]
    seed_args = (x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, 384, True)
    res = sweep("fwd", cfgs, lambda c: linear_dsd(*seed_args, config=c), flops)
    record["seed_fwd"] = [(ms, vars(c)) for ms, c in res]
    # overhead: raw launcher vs the public op vs a CUDA graph of the public op
    raw = bench(lambda: linear_dsd(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, 384, True))
    public = bench(lambda: ts.linear(x, blocks, layout))
    graphed = triton.testing.do_bench_cudagraph(lambda: ts.linear(x, blocks, layout), rep=40, return_mode="median")
    xg = x.clone().requires_grad_()
    blocks_g = blocks.clone().requires_grad_()
    public_grad = bench(lambda: ts.linear(xg, blocks_g, layout))
    print(f"  overhead: raw launcher {raw:.4f} ms, ts.linear {public:.4f} ms, ts.linear (requires grad) "
          f"{public_grad:.4f} ms, CUDA graph {graphed:.4f} ms", flush=True)
    record["seed_overhead"] = dict(raw=raw, public=public, public_grad=public_grad, graphed=graphed)

    # -- large batch: forward (dX runs the same kernel) and dW
    m = 8192
    for bs in [int(b) for b in args.block_sizes.split(",")]:
        layout = random_layout(8192, 8192, bs, args.density)
        t = layout.tables("cuda")
        nb = 8192 // bs
        x = torch.randn(m, 8192, device="cuda", dtype=dtype)
        dy = torch.randn(m, 8192, device="cuda", dtype=dtype)
        blocks = torch.randn(layout.packed_shape, device="cuda", dtype=dtype)
        flops = 2 * m * layout.nnz * bs * bs
        print(f"8192 batch {m}, block {bs}, d={layout.density:.3f}", flush=True)

        def fwd(c):
            return linear_dsd(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, nb, True, config=c)

        orders = sweep("fwd-order", [DsdConfig(128, 4, 3, True), DsdConfig(128, 4, 3, False)], fwd, flops)
        order = orders[0][1].n_fastest
        block_ms = (128, 256) if bs <= 64 else (64, 128)
        cfgs = [DsdConfig(bm, w, s, order) for bm, w, s in itertools.product(block_ms, (4, 8), (3, 4))]
        res = sweep("fwd", cfgs, fwd, flops)
        record[f"fwd_{bs}"] = [(ms, vars(c)) for ms, c in orders + res]

        for group in [g for g in (1, 2, 4, 8) if 16 <= g * bs <= 128]:
            first, rows = row_groups(t.row_ptr, group)
            block_ks = (32, 64, 128) if bs * group <= 64 else (32, 64)
            cfgs = [SddConfig(bk, 4, s) for bk, s in itertools.product(block_ks, (3, 4))]
            res = sweep(f"dw-group{group}", cfgs, lambda c, g=group, f=first, r=rows: linear_sdd(
                dy, x, t.row_ptr, t.block_cols, f, r, bs, g, config=c), flops)
            record[f"dw_{bs}_group{group}"] = [(ms, vars(c)) for ms, c in res]

        torch.cuda.empty_cache()
        print(f"  elapsed {time.time() - start:.0f} s", flush=True)
    with open(os.path.join(args.out, "tune_linear.json"), "w") as f:
        json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
