"""Development probe (any CUDA GPU): where the conv op's dense path (cuDNN on the densified weight,
kernels/conv_dense.py) beats the sparse conv kernels. Times both paths (TILESPARSE_DENSE_PATH=never / always,
the suite's cold-L2 timing), fp16 channels-last 3x3 stride 1, at the conv benchmark's shape (batch 64, 512
channels, 32x32) and a smaller one (batch 64, 256 channels, 16x16: 16384 output pixels), with cuDNN's algorithm
search off (the library's default) and, at the benchmark's shape, on (as the benchmark runs it). Prints the
lowest density from which the dense path won at every higher one probed: the numbers behind
``CONV_DENSE_PATH_MIN_DENSITY``.

``--dx``: dX only, search off, densities 0.1-1.0 (after dX's dense path moved from torch.nn.grad.conv2d_input,
0.88 ms at the benchmark's shape, to convolution_backward on a placeholder input in dY's memory format).

Usage: PYTHONPATH=src python3 scripts/probe_conv_dense_path.py [--out rows.jsonl] [--dx]
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))

from probe_dense_path import print_crossovers, record, time_switched  # noqa: E402

from tilesparse.bench.conv import Case, Operands, _ours, make_layout
from tilesparse.bench.linear import Timing

TIMING = Timing(warmup_ms=10, rep_ms=40)
SHAPES = ((64, 512, 32, (False, True)), (64, 256, 16, (False,)))  # batch, channels, spatial, cudnn.benchmark
BLOCKS = (16, 32, 64)
DENSITIES = (0.05, 0.1, 0.25, 0.5)


def main():
    out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else None
    device = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, flush=True)
    rows = []
    shapes, products, densities = SHAPES, ("forward", "dx", "dw"), DENSITIES
    if "--dx" in sys.argv:
        shapes = tuple((b, c, s, (False,)) for b, c, s, _ in SHAPES)
        products, densities = ("dx",), (0.1, 0.25, 0.35, 0.5, 1.0)
    for batch, channels, spatial, searches in shapes:
        for search in searches:
            torch.backends.cudnn.benchmark = search
            ops = None
            for bs in BLOCKS:
                for product in products:
                    for density in densities:
                        case = Case(product, "fp16", batch, channels, spatial, bs, density)
                        ops = ops or Operands(case, device)
                        layout = make_layout(case)
                        blocks = ops.randn(*layout.packed_shape, 3, 3, scale=ops.scale)
                        fn = _ours(case, ops, blocks, layout)
                        row = dict(product=product, batch=batch, channels=channels, spatial=spatial, block_size=bs,
                                   density=density, cudnn_benchmark=search)
                        row["sparse_ms"], row["dense_ms"] = time_switched(fn, device, TIMING)
                        row["sparse_over_dense"] = row["sparse_ms"] / row["dense_ms"]
                        rows.append(row)
                        record(row, f"{channels}ch {spatial}x{spatial} search={search:d} b{bs:<3} {product:7} "
                                    f"d={density:<5}", out)
    print_crossovers(rows, ("channels", "cudnn_benchmark", "block_size", "product"))

if __name__ == "__main__":
    main()
