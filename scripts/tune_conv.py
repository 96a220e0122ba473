"""Development sweep: time kernel configs of the conv products on the GPU and print the best per case.

Feeds the heuristics in kernels/conv_dsd.py (forward and dX) and kernels/conv_sdd.py (dW); not run by
users. The shape of the conv benchmark: fp16, channels-last, batch 64, C = K = 512, 32x32 images, 3x3,
stride 1, padding 1, random layouts at d=0.1. About six configs per kernel and block size (under 3 minutes
on an H100, most of it compiling). Efficiency = cuDNN dense time x density / our time, as in the benchmark.
Usage: cd scripts && PYTHONPATH=../src python3 tune_conv.py [--block-sizes 32,64]
"""

import argparse
import json
import os
import time
from dataclasses import replace

import torch
from probe_linear import random_layout
from tune_linear import bench, sweep

from tilesparse.kernels.conv_dsd import DsdConfig, conv2d_backward_input, conv2d_forward, dsd_config
from tilesparse.kernels.conv_sdd import conv2d_backward_weight, sdd_config
from tilesparse.layout import CONV_DW_GROUP_SIZE as DW_GROUP_SIZE
from tilesparse.layout import row_groups

BATCH, CHANNELS, SPATIAL, KERNEL = 64, 512, 32, 3
GEOMETRY = ((1, 1), (1, 1), (1, 1))  # stride, (top, left) padding, dilation


def dense_times(x, dy, dtype):
    """cuDNN times (ms) of the three products with a dense channels-last weight."""
    torch.backends.cudnn.benchmark = True
    w = torch.randn(CHANNELS, CHANNELS, KERNEL, KERNEL, device="cuda", dtype=dtype)
    w = w.contiguous(memory_format=torch.channels_last)
    conv_args = ([1, 1], [1, 1], [1, 1], False, [0, 0], 1)

    def backward(mask):
        return torch.ops.aten.convolution_backward(dy, x, w, None, *conv_args, mask)

    return {
        "forward": bench(lambda: torch.nn.functional.conv2d(x, w, None, 1, 1)),
        "dx": bench(lambda: backward([True, False, False])),
        "dw": bench(lambda: backward([False, True, False])),
    }


def report(name, results, dense_ms, density):
    if results:
        ms, cfg = results[0]
        print(f"  best {name}: {ms:.4f} ms, efficiency {dense_ms * density / ms:.2f} (dense {dense_ms:.4f} ms) {cfg}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--block-sizes", default="32,64")
    parser.add_argument("--density", type=float, default=0.1)
    parser.add_argument("--out", default=os.environ.get("OUT", "."))
    args = parser.parse_args()
    dtype = torch.float16
    record = {}
    start = time.time()

    x = torch.randn(BATCH, CHANNELS, SPATIAL, SPATIAL, device="cuda", dtype=dtype)
    x = x.contiguous(memory_format=torch.channels_last)
    dy = torch.randn_like(x)
    dense = dense_times(x, dy, dtype)
    print(f"dense cuDNN: forward {dense['forward']:.4f} ms, dX {dense['dx']:.4f} ms, dW {dense['dw']:.4f} ms")
    record["dense"] = dense
    pixels = BATCH * SPATIAL * SPATIAL

    for bs in [int(b) for b in args.block_sizes.split(",")]:
        layout = random_layout(CHANNELS, CHANNELS, bs, args.density)
        t = layout.tables("cuda")
        nb = CHANNELS // bs
        blocks = torch.randn(*layout.packed_shape, KERNEL, KERNEL, device="cuda", dtype=dtype) * 0.02
        flops = 2 * pixels * layout.nnz * bs * bs * KERNEL * KERNEL
        print(f"block {bs}, d={layout.density:.3f}, nnz {layout.nnz}", flush=True)

        # -- forward and dX: pixel tile, flat-loop order, warps, pipeline depth (the heuristic's pick first)
        guess = dsd_config(pixels, bs, x.element_size())
        warps = guess.num_warps
        other_warps = 4 if warps == 8 else 8
        dsd_cfgs = [
            guess,
            replace(guess, taps_fastest=not guess.taps_fastest),
            DsdConfig(128, warps, 4, True),
            DsdConfig(128, warps, 4, False),
            DsdConfig(guess.block_p, other_warps, guess.num_stages, True),
            DsdConfig(guess.block_p, warps, 3, True),
        ]
        fwd = sweep("fwd", dsd_cfgs, lambda c: conv2d_forward(
            x, blocks, t.row_ptr, t.row_cols, t.row_blocks, nb, (SPATIAL, SPATIAL), *GEOMETRY, config=c), flops)
        report("fwd", fwd, dense["forward"], layout.density)
        dx = sweep("dx", dsd_cfgs, lambda c: conv2d_backward_input(
            dy, blocks, t.col_ptr, t.col_rows, t.col_blocks, nb, (SPATIAL, SPATIAL), *GEOMETRY, config=c), flops)
        report("dx", dx, dense["dx"], layout.density)

        # -- dW: group size (blocks of one row per program), MMA orientation and, at the layout's group
        # size, the pixel chunk; the reduction split as the heuristic says
        dw_res = []
        default_group = DW_GROUP_SIZE[bs]
        for group in (default_group, max(1, default_group // 2)):
            first, rows = row_groups(t.row_ptr, group)
            guess = sdd_config(pixels, bs, group, first.numel() * KERNEL * KERNEL, x.element_size())
            chunks = (32, 64) if group == default_group else (guess.block_p,)
            cfgs = [replace(guess, block_p=bp, transposed=tr) for bp in chunks for tr in (False, True)]
            res = sweep(f"dw-group{group}", cfgs, lambda c, g=group, f=first, r=rows: conv2d_backward_weight(
                dy, x, t.row_ptr, t.block_cols, f, r, bs, g, (KERNEL, KERNEL), *GEOMETRY, config=c), flops)
            dw_res += [(ms, (group, cfg)) for ms, cfg in res]
        dw_res.sort(key=lambda r: r[0])
        report("dw (group, config)", dw_res, dense["dw"], layout.density)

        record[f"fwd_{bs}"] = [(ms, vars(c)) for ms, c in fwd]
        record[f"dx_{bs}"] = [(ms, vars(c)) for ms, c in dx]
        record[f"dw_{bs}"] = [(ms, g, vars(c)) for ms, (g, c) in dw_res]
        torch.cuda.empty_cache()
        print(f"  elapsed {time.time() - start:.0f} s", flush=True)
    with open(os.path.join(args.out, "tune_conv.json"), "w") as f:
        json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
