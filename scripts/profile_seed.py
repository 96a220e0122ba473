"""Development profile (GPU, ncu): one launch of the library's seed-shape (12288^2, batch 32, block 32, fp16) forward
or dW at density D between cudaProfilerStart/Stop, for ``ncu --profile-from-start off``.

Usage: PYTHONPATH=src ncu --profile-from-start off --section ... python3 scripts/profile_seed.py forward|dw D
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))

from profile_tiles import profile_once

from tilesparse.bench.linear import Case, Operands, make_layout
from tilesparse.kernels.linear_dsd import linear_dsd
from tilesparse.kernels.linear_sdd import linear_sdd
from tilesparse.layout import linear_dw_group_size


def main():
    product, density = sys.argv[1], float(sys.argv[2])
    n, nb = 12288, 384
    case = Case(product=product, dtype="fp16", batch=32, out_features=n, in_features=n, block_size=32,
                density=density, family="seed")
    layout = make_layout(case)
    ops = Operands(case, "cuda")
    t = layout.tables("cuda")
    blocks = torch.randn(layout.packed_shape, device="cuda").half()
    group = linear_dw_group_size(32, layout.nnz, nb)
    runs = {
        "forward": lambda: linear_dsd(ops.x, blocks, t.row_ptr, t.row_cols, t.row_blocks, t.row_order, nb, True,
                                      launch=t.row_launch),
        "dw": lambda: linear_sdd(ops.dy, ops.x, t.row_ptr, t.block_cols, t.group_first, t.group_rows, 32, group,
                                 group_table=t.group_table),
    }
    profile_once(runs[product])


if __name__ == "__main__":
    main()
