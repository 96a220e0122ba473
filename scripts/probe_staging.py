"""Development probe (GPU only): feature-major staging for small blocks and the flat gather of dW, through the
library kernels with forced configs (kernels/linear_dsd.py, kernels/linear_sdd.py).

Usage: PYTHONPATH=src python3 scripts/probe_staging.py [--parts copy,dsd,dw,seed]
"""

import argparse
import os
import sys
from dataclasses import replace

import torch
import triton

sys.path.insert(0, os.path.dirname(__file__))

from probe_linear import random_layout  # noqa: E402

from tilesparse.kernels.feature_major import feature_major  # noqa: E402
from tilesparse.kernels.linear_dsd import DsdConfig, dsd_config, linear_dsd  # noqa: E402
from tilesparse.kernels.linear_sdd import SddConfig, linear_sdd, sdd_config  # noqa: E402
from tilesparse.layout import row_groups  # noqa: E402


def bench(fn):
    return triton.testing.do_bench(fn, warmup=10, rep=30, return_mode="median")


def rel(a, b):
    return ((a.float() - b.float()).norm() / b.float().norm()).item()


def timed(label, fn, ref, dense_ms, density):
    try:
        err = rel(fn(), ref)
        ms = bench(fn)
    except Exception as exc:  # shared memory or registers exceeded
        print(f"  {label}: failed ({type(exc).__name__}: {str(exc)[:100]})", flush=True)
        return float("inf")
    print(f"  {label}: {ms:8.4f} ms eff {dense_ms * density / ms:.3f} err {err:.1e}", flush=True)
    return ms


def part_copy(x, dense_ms):
    print(f"copy 8192^2 fp16: torch x.t().contiguous() {bench(lambda: x.t().contiguous()):.4f} ms, "
          f"feature_major {bench(lambda: feature_major(x)):.4f} ms, x.clone() {bench(lambda: x.clone()):.4f} ms",
          flush=True)


def part_dsd(x, dense_ms):
    gen = torch.Generator().manual_seed(0)
    for bs, density in ((8, 0.1), (16, 0.1), (8, 0.5), (16, 0.5), (16, 0.01), (32, 0.1)):
        layout = random_layout(8192, 8192, bs, density, gen)
        t = layout.tables("cuda")
        blocks = torch.randn(layout.packed_shape, device="cuda", dtype=x.dtype)
        nb = 8192 // bs
        for name, seg, tw in (("fwd", (t.row_ptr, t.row_cols, t.row_blocks, t.row_order), True),
                              ("dX", (t.col_ptr, t.col_rows, t.col_blocks, t.col_order), False)):
            if name == "dX" and density != 0.1:
                continue
            print(f"{name} b{bs} d={density}", flush=True)
            default = dsd_config(8192, bs, 2)
            ref = linear_dsd(x, blocks, *seg, nb, tw, config=replace(default, feature_major_x=False))
            best = []
            for cfg in (default, replace(default, feature_major_x=not default.feature_major_x),
                        DsdConfig(256, 4, 3, feature_major_x=True), DsdConfig(256, 4, 5, feature_major_x=True),
                        DsdConfig(256, 8, 4, feature_major_x=True, transposed_tile=True),
                        DsdConfig(128, 4, 6, feature_major_x=True, transposed_tile=True)):
                ms = timed(str(cfg), lambda cfg=cfg, seg=seg, tw=tw: linear_dsd(x, blocks, *seg, nb, tw, config=cfg),
                           ref, dense_ms, density)
                best.append((ms, str(cfg)))
            print(f"  BEST {min(best)}", flush=True)


def dw_configs(bs, element_size):
    if element_size == 4:
        groups = {64: (2, 4), 128: (1, 2)}[bs]
        return [(g, SddConfig(32, w, 3, tr, True)) for g in groups for w in (4, 8) for tr in (False, True)]
    if bs <= 16:
        groups = (8, 16) if bs == 8 else (4, 8)
        return [(g, SddConfig(bk, w, 3, tr, flat, True)) for g in groups for bk in (64, 128) for tr in (False, True)
                for flat in (False, True) for w in (4, 8) if w == 4 or g * bs >= 128]
    groups = {32: (4, 8), 64: (2, 4), 128: (1, 2)}[bs]
    out = [(g, SddConfig(bk, w, 3, tr, True)) for g in groups for bk in (32, 64) for w in (4, 8)
           for tr in (False, True) if not (tr and bs == 32)]
    if bs == 32:
        out += [(g, SddConfig(bk, w, 3, False, True, True)) for g in groups for bk in (64, 128) for w in (4, 8)]
    return out


def part_dw(x, dense_ms, dtype=torch.float16):
    gen = torch.Generator().manual_seed(0)
    dy = torch.randn_like(x)
    cases = ((8, 0.1), (16, 0.1), (32, 0.1), (64, 0.1), (128, 0.1)) if dtype == torch.float16 else ((64, 0.1),
                                                                                                   (128, 0.1))
    for bs, density in cases:
        layout = random_layout(8192, 8192, bs, density, gen)
        t = layout.tables("cuda")
        from tilesparse.layout import CONV_DW_GROUP_SIZE as DW_GROUP_SIZE  # the linear groups of the time

        g0 = DW_GROUP_SIZE[bs]
        f0, r0 = row_groups(t.row_ptr, g0)
        default = sdd_config(8192, bs, g0, x.element_size())
        print(f"dW {dtype} b{bs} d={density} default G={g0} {default}", flush=True)
        ref = linear_sdd(dy, x, t.row_ptr, t.block_cols, f0, r0, bs, g0, default)
        base = timed("default", lambda: linear_sdd(dy, x, t.row_ptr, t.block_cols, f0, r0, bs, g0, default), ref,
                     dense_ms, density)
        results = [(base, g0, default)]
        for g, cfg in dw_configs(bs, x.element_size()):
            first, rows = row_groups(t.row_ptr, g)
            ms = timed(f"G={g} {cfg}", lambda cfg=cfg, g=g, f=first, r=rows: linear_sdd(
                dy, x, t.row_ptr, t.block_cols, f, r, bs, g, cfg), ref, dense_ms, density)
            results.append((ms, g, cfg))
        results.sort(key=lambda r: r[0])
        for ms, g, cfg in results[:3]:
            print(f"  BEST {ms:.4f} ms eff {dense_ms * density / ms:.3f} G={g} {cfg}", flush=True)
        # the best at d = 0.5 against the default there
        layout = random_layout(8192, 8192, bs, 0.5, gen)
        t = layout.tables("cuda")
        f0, r0 = row_groups(t.row_ptr, g0)
        ref = linear_sdd(dy, x, t.row_ptr, t.block_cols, f0, r0, bs, g0, default)
        print(f"dW b{bs} d=0.5", flush=True)
        timed("default", lambda: linear_sdd(dy, x, t.row_ptr, t.block_cols, f0, r0, bs, g0, default), ref,
              dense_ms, 0.5)
        for _, g, cfg in results[:2]:
            first, rows = row_groups(t.row_ptr, g)
            timed(f"G={g} {cfg}", lambda cfg=cfg, g=g, f=first, r=rows: linear_sdd(
                dy, x, t.row_ptr, t.block_cols, f, r, bs, g, cfg), ref, dense_ms, 0.5)


def part_seed(x, dense_ms):
    """dW at batch 32 (the seed shape) and over a 16384-row chunk of the LSTM's shape class, flat or not."""
    gen = torch.Generator().manual_seed(0)
    for m, features, density in ((32, 12288, 0.05), (16384, 4096, 0.05)):
        layout = random_layout(features, features, 32, density, gen)
        t = layout.tables("cuda")
        xs = torch.randn(m, features, device="cuda", dtype=torch.float16)
        dys = torch.randn(m, features, device="cuda", dtype=torch.float16)
        print(f"dW b32 M={m} {features}^2 d={density}", flush=True)
        ref = None
        for g, flat, bk, w in ((4, False, 64, 4), (4, True, 64, 4), (8, True, 64, 8), (8, True, 32, 4)):
            first, rows = row_groups(t.row_ptr, g)
            cfg = replace(sdd_config(m, 32, g, 2), flat_gather=flat, block_k=min(bk, max(16, m)), num_warps=w)
            if ref is None:
                ref = linear_sdd(dys, xs, t.row_ptr, t.block_cols, first, rows, 32, g, cfg)
            timed(f"G={g} {cfg}", lambda cfg=cfg, g=g, f=first, r=rows: linear_sdd(
                dys, xs, t.row_ptr, t.block_cols, f, r, 32, g, cfg), ref, 1.0, 1.0)


def part_groups(x, dense_ms):
    """Follow-up of the suite: TF32 dW at block 32 with groups of 8 (slower than 4 at d=0.5), and block 64 at
    d=0.01 (rows of ~1.3 blocks: groups of 4 mostly empty)."""
    gen = torch.Generator().manual_seed(0)
    torch.set_float32_matmul_precision("high")
    x32 = x.float()
    dy32 = torch.randn_like(x32)
    dy = torch.randn_like(x)
    for bs, density, xs, dys, configs in (
        (32, 0.5, x32, dy32, [(4, SddConfig(64, 4, 3))] + [(8, SddConfig(bk, w, st, tr)) for bk, w, st, tr in (
            (32, 4, 3, False), (32, 8, 3, False), (16, 4, 4, False), (32, 4, 3, True), (16, 8, 4, True),
            (64, 8, 2, False))]),
        (32, 0.1, x32, dy32, [(4, SddConfig(64, 4, 3)), (8, SddConfig(64, 4, 2)), (8, SddConfig(32, 4, 3)),
                              (8, SddConfig(32, 8, 3)), (8, SddConfig(16, 4, 4))]),
        (64, 0.01, x, dy, [(2, SddConfig(32, 4, 4)), (2, SddConfig(32, 4, 3, False, True)),
                           (4, SddConfig(32, 8, 3, False, True)), (1, SddConfig(32, 4, 3, False, True))]),
        (64, 0.01, x32, dy32, [(2, SddConfig(32, 4, 3, True)), (4, SddConfig(32, 4, 3, True))]),
        (32, 0.01, x, dy, [(4, SddConfig(64, 4, 3, False, True)), (2, SddConfig(64, 4, 3, False, True))]),
    ):
        layout = random_layout(8192, 8192, bs, density, gen)
        t = layout.tables("cuda")
        print(f"dW {xs.dtype} b{bs} d={density}", flush=True)
        ref = None
        for g, cfg in configs:
            first, rows = row_groups(t.row_ptr, g)
            if ref is None:
                ref = linear_sdd(dys, xs, t.row_ptr, t.block_cols, first, rows, bs, g, cfg)
            timed(f"G={g} {cfg}", lambda cfg=cfg, g=g, f=first, r=rows, xs=xs, dys=dys: linear_sdd(
                dys, xs, t.row_ptr, t.block_cols, f, r, bs, g, cfg), ref, 1.0, 1.0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", default="copy,dsd,dw,seed,dw32")
    args = parser.parse_args()
    x = torch.randn(8192, 8192, device="cuda", dtype=torch.float16)
    dense_ms = bench(lambda: x @ x.T)
    print(f"{torch.cuda.get_device_name()} dense fp16 8192^3 {dense_ms:.4f} ms", flush=True)
    for part in args.parts.split(","):
        if part == "dw32":
            torch.set_float32_matmul_precision("high")
            x32 = x.float()
            dense32 = bench(lambda: x32 @ x32.T)
            print(f"dense tf32 {dense32:.4f} ms", flush=True)
            part_dw(x32, dense32, torch.float32)
        else:
            parts = {"copy": part_copy, "dsd": part_dsd, "dw": part_dw, "seed": part_seed, "groups": part_groups}
            parts[part](x, dense_ms)


if __name__ == "__main__":
    main()
