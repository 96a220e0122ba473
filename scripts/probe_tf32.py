"""Development probe (GPU only): kernel configs of the three linear products in fp32 with TF32 MMAs.

The 16-bit configs do not transfer: a stage of fp32 tiles is twice the bytes, so the budget cut left block 128
with a single stage (no pipelining), and dX's block operand arrives N-major, which TF32 wgmma cannot take
(it reads both operands K-major). Tried here: K steps of bs / k_split, tile shapes, pipeline depth, both MMA
orientations, and dX on a transposed copy of the blocks (the forward kernel's operand order).
Usage: PYTHONPATH=src python3 scripts/probe_tf32.py [--block-sizes 32,64,128] [--density 0.1]
"""

import argparse
import itertools
import os
import sys

import torch
import triton

sys.path.insert(0, os.path.dirname(__file__))

from probe_linear import random_layout  # noqa: E402

from tilesparse.kernels.linear_dsd import DsdConfig, dsd_config, linear_dsd  # noqa: E402
from tilesparse.kernels.linear_sdd import SddConfig, linear_sdd, sdd_config  # noqa: E402
from tilesparse.layout import CONV_DW_GROUP_SIZE as DW_GROUP_SIZE  # noqa: E402
from tilesparse.layout import row_groups

BUDGET = 200 * 1024


def bench(fn):
    return triton.testing.do_bench(fn, warmup=10, rep=50, return_mode="median")


def rel(a, b):
    return ((a.float() - b.float()).norm() / b.float().norm()).item()


def sweep(label, configs, run, ref, dense_ms, density):
    results = []
    for cfg in configs:
        try:
            err = rel(run(cfg), ref)
            ms = bench(lambda cfg=cfg: run(cfg))
        except Exception as exc:  # shared memory or registers exceeded
            print(f"  {label} {cfg}: failed ({type(exc).__name__})", flush=True)
            continue
        results.append((ms, cfg))
        print(f"  {label} {ms:8.4f} ms eff {dense_ms * density / ms:.3f} err {err:.1e} {cfg}", flush=True)
    results.sort(key=lambda r: r[0])
    for ms, cfg in results[:3]:
        print(f"  BEST {label} {ms:8.4f} ms eff {dense_ms * density / ms:.3f} {cfg}", flush=True)


def dsd_configs(bs):
    out = []
    for (bm, warps), ks, tt in itertools.product(((128, 4), (128, 8), (256, 8)), (1, 2, 4), (False, True)):
        if bs // ks < 16:
            continue
        stage = (bm + bs) * (bs // ks) * 4
        fit = BUDGET // stage
        if fit >= 2:
            out.append(DsdConfig(bm, warps, min(fit, 4), True, tt, ks))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--block-sizes", default="32,64,128")
    parser.add_argument("--density", type=float, default=0.1)
    parser.add_argument("--parts", default="fwd,dx,dw")
    parser.add_argument("--defaults", action="store_true", help="time the library's default configs only")
    args = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.set_float32_matmul_precision("high")
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(8192, 8192, device="cuda")
    dy = torch.randn(8192, 8192, device="cuda")
    dense_ms = bench(lambda: x @ dy.T)
    print(f"{torch.cuda.get_device_name()} dense tf32 8192^3 {dense_ms:.4f} ms", flush=True)
    d = args.density
    for bs in map(int, args.block_sizes.split(",")):
        layout = random_layout(8192, 8192, bs, d, gen)
        t = layout.tables("cuda")
        nb = 8192 // bs
        blocks = torch.randn(layout.packed_shape, device="cuda")
        if args.defaults:
            from tilesparse.ops.linear import backward_input_impl, backward_weight_impl, forward_impl

            tables = list(t)
            for name, fn in (("fwd", lambda: forward_impl(x, blocks, None, tables, nb)),
                             ("dX", lambda: backward_input_impl(dy, blocks, tables, nb)),
                             ("dW", lambda: backward_weight_impl(dy, x, tables, bs))):
                ms = bench(fn)
                print(f"default {name} b{bs} d={d}: {ms:.4f} ms eff {dense_ms * d / ms:.3f}", flush=True)
            continue
        for part, operand, seg, forward in (("fwd", x, (t.row_ptr, t.row_cols, t.row_blocks, t.row_order), True),
                                            ("dx", dy, (t.col_ptr, t.col_rows, t.col_blocks, t.col_order), False)):
            if part not in args.parts:
                continue
            label = "fwd" if forward else "dX"
            ref = linear_dsd(operand, blocks, *seg, nb, forward)
            print(f"{label} b{bs} d={d} default {dsd_config(8192, bs, 4, BUDGET)}", flush=True)
            sweep(f"{label} b{bs}", dsd_configs(bs),
                  lambda c, o=operand, seg=seg, f=forward: linear_dsd(o, blocks, *seg, nb, f, config=c), ref,
                  dense_ms, d)
        if "dx" in args.parts:
            seg = (t.col_ptr, t.col_rows, t.col_blocks, t.col_order)
            ref = linear_dsd(dy, blocks, *seg, nb, False)
            turned = blocks.transpose(1, 2).contiguous()
            copy_ms = bench(lambda: blocks.transpose(1, 2).contiguous())
            print(f"  transposed copy of the blocks: {copy_ms:.4f} ms", flush=True)
            sweep(f"dX-turned b{bs}", dsd_configs(bs),
                  lambda c, seg=seg: linear_dsd(dy, turned, *seg, nb, True, config=c), ref, dense_ms, d)
        if "dw" in args.parts:
            group = DW_GROUP_SIZE[bs]
            print(f"dW b{bs} d={d} default {sdd_config(8192, bs, group, 4, BUDGET)}", flush=True)
            for g in (group, group * 2):
                first, rows = row_groups(t.row_ptr, g)
                ref = linear_sdd(dy, x, t.row_ptr, t.block_cols, first, rows, bs, g)
                configs = [SddConfig(bk, w, s, tr) for bk, w, s, tr in itertools.product(
                    (16, 32, 64), (4,), (2, 3, 4), (False, True)) if s * bk * (bs + g * bs) * 4 <= BUDGET]
                sweep(f"dW b{bs} G={g}", configs,
                      lambda c, f=first, r=rows, g=g: linear_sdd(dy, x, t.row_ptr, t.block_cols, f, r, bs, g, c),
                      ref, dense_ms, d)


if __name__ == "__main__":
    main()
