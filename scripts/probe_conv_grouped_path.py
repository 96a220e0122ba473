"""Development probe (any CUDA GPU): where the conv op's grouped path (cuDNN's grouped conv on a block-diagonal
layout, kernels/conv_grouped.py) beats the sparse conv kernels. Times both (TILESPARSE_DENSE_PATH=never / always,
the suite's cold-L2 timing) for forward, dX and dW, fp16 channels-last 3x3 stride 1, at the conv benchmark's shape
(batch 64, 512 channels, 32x32) and a smaller one (batch 64, 256 channels, 16x16), for block-diagonal layouts of
one block a group (blocks 16-128) and of 2 x 2 blocks a group (blocks 16 and 32). Prints the kernels' time over the
grouped path's per group width (input channels a group): the numbers behind ``CONV_GROUPED_PATH``.

Usage: PYTHONPATH=src python3 scripts/probe_conv_grouped_path.py [--out rows.jsonl]
"""

import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))

from probe_dense_path import time_switched  # noqa: E402

from tilesparse import layouts
from tilesparse.bench.conv import Case, Operands, _ours
from tilesparse.bench.linear import Timing

TIMING = Timing(warmup_ms=10, rep_ms=40)
SHAPES = ((64, 512, 32), (64, 256, 16))  # batch, channels, spatial
GROUPINGS = ((16, 1), (32, 1), (64, 1), (128, 1), (16, 2), (32, 2))  # block size, blocks a group along each side


def main():
    out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else None
    device = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, flush=True)
    rows = []
    for batch, channels, spatial in SHAPES:
        ops = None
        for bs, per_group in GROUPINGS:
            width = bs * per_group
            layout = layouts.block_diagonal(channels, channels, bs, groups=channels // width)
            for product in ("forward", "dx", "dw"):
                case = Case(product, "fp16", batch, channels, spatial, bs, layout.density, "block_diagonal")
                ops = ops or Operands(case, device)
                blocks = ops.randn(*layout.packed_shape, 3, 3, scale=ops.scale)
                fn = _ours(case, ops, blocks, layout)
                row = dict(product=product, batch=batch, channels=channels, spatial=spatial, block_size=bs,
                           group_width=width, groups=channels // width)
                row["kernels_ms"], row["grouped_ms"] = time_switched(fn, device, TIMING)
                row["kernels_over_grouped"] = row["kernels_ms"] / row["grouped_ms"]
                rows.append(row)
                print(f"{channels}ch {spatial}x{spatial} b{bs:<3} width {width:<3} {product:7} kernels "
                      f"{row['kernels_ms']:.3f} ms  grouped {row['grouped_ms']:.3f} ms  "
                      f"kernels/grouped {row['kernels_over_grouped']:.2f}", flush=True)
                if out:
                    with open(out, "a") as f:
                        f.write(json.dumps(row) + "\n")
    print("\nkernels / grouped time by group width (> 1: the grouped path wins):")
    for product in ("forward", "dx", "dw"):
        for channels in sorted({r["channels"] for r in rows}):
            mine = sorted((r for r in rows if r["product"] == product and r["channels"] == channels),
                          key=lambda r: (r["group_width"], r["block_size"]))
            print(f"{product:7} {channels}ch: " + "  ".join(
                f"w{r['group_width']}/b{r['block_size']}:{r['kernels_over_grouped']:.2f}" for r in mine))


if __name__ == "__main__":
    main()
